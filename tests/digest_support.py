"""Shared helpers of the digest tests: a real app server in a thread, an SMTP server wired into the
settings, subscribers, and reading links and the CSRF token back."""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from email.message import EmailMessage
from typing import Any

import uvicorn

from paperfeed.context import Paperfeed
from paperfeed.digest.choices import make_choices
from paperfeed.store import Subscription
from tests.mail_support import ScriptedInbox, body, free_port, smtp_server
from tests.web_support import web_app

DAY = "2026-02-20"


@contextmanager
def app_server(app: Paperfeed) -> Iterator[str]:
    """The web app on a real loopback port (uvicorn in a thread); ``base_url`` points at it."""

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    app.settings.base_url = base
    server = uvicorn.Server(
        uvicorn.Config(
            web_app(app, indexer=False, scheduler=False), host="127.0.0.1", port=port, log_level="warning"
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.02)
    assert server.started, "the app server did not start"
    try:
        yield base
    finally:
        server.should_exit = True
        thread.join(10)


@contextmanager
def mail_server(app: Paperfeed, inbox: ScriptedInbox, **settings: Any) -> Iterator[ScriptedInbox]:
    """``inbox`` on a real SMTP server, and the app's settings sending to it (no retry waits)."""
    with smtp_server(inbox) as controller:
        app.settings.smtp_host = "127.0.0.1"
        app.settings.smtp_port = controller.port
        app.settings.smtp_retry_delay = 0
        app.settings.smtp_max_attempts = 2
        for name, value in settings.items():
            setattr(app.settings, name, value)
        yield inbox


def subscriber(app: Paperfeed, email: str, **choices: Any) -> Subscription:
    """An active (confirmed) subscription with ``choices`` (see ``make_choices``)."""
    return app.store.subscriptions.add(email, make_choices(**choices), status="active", now=app.clock.now())


def received_by(inbox: ScriptedInbox, address: str) -> list[EmailMessage]:
    return [item.message for item in inbox.received if address in item.rcpt_tos]


def links_in(message: EmailMessage, base: str) -> dict[str, str]:
    """The digest's links to the app by kind (view, manage, unsubscribe, paper), from the text part."""
    text = body(message, "plain")
    found: dict[str, str] = {}
    for url in re.findall(re.escape(base) + r"/\S+", text):
        kind = url[len(base) :].split("/")[1]
        if kind == "digest":
            kind = url[len(base) :].split("/")[2]
        found.setdefault(kind, url)
    return found


def csrf_of(html: str) -> str:
    return html.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
