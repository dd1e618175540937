"""Shared helpers of the web tests: an app on the 300-record sample, users and signed-in clients,
and a real uvicorn server on loopback."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from fastapi import FastAPI
from fastapi.testclient import TestClient

from paperfeed.accounts import User, create_session, ensure_user
from paperfeed.community.submissions import Fetcher, fetch_from_arxiv
from paperfeed.context import Paperfeed
from paperfeed.web.app import bind, create_app
from paperfeed.web.security import SESSION_COOKIE, session_csrf_token

RECORDED_IDLIST = (
    Path(__file__).parent
    / "data"
    / "arxiv-formats"
    / "api_atom"
    / ("export_arxiv_api_idlist_0808.05394_1707.08567.xml")
)


def recorded_fetcher(app: Paperfeed, arxiv_id: str) -> None:
    """Fetch through the real arXiv client, with arXiv faked at the HTTP transport by a recorded answer."""
    body = RECORDED_IDLIST.read_bytes()

    def handler(request: httpx.Request) -> httpx.Response:
        if arxiv_id in str(request.url) and arxiv_id in ("1707.08567",):
            return httpx.Response(200, content=body, headers={"content-type": "application/atom+xml"})
        empty = body.split(b"<entry>")[0] + b"</feed>"
        return httpx.Response(200, content=empty, headers={"content-type": "application/atom+xml"})

    fetch_from_arxiv(app, arxiv_id, transport=httpx.MockTransport(handler))


_FREE_APPS: list[FastAPI] = []
_APPS_IN_USE: list[FastAPI] = []


def web_app(
    paperfeed: Paperfeed,
    *,
    arxiv_fetcher: Fetcher | None = None,
    indexer: bool | None = None,
    scheduler: bool | None = None,
) -> FastAPI:
    """What ``create_app(paperfeed, …)`` gives, without building the routes again: an app built
    earlier in this test process, bound to ``paperfeed`` (:func:`paperfeed.web.app.bind`), with its
    page templates already compiled (about 0.1 s a test, and some 400 tests need an app). A test
    that asks for two apps gets two; every app is free again when the test ends (the ``_web_apps``
    fixture of ``tests/conftest.py``)."""
    web = _FREE_APPS.pop() if _FREE_APPS else create_app(paperfeed, arxiv_fetcher=arxiv_fetcher)
    _APPS_IN_USE.append(web)
    return bind(web, paperfeed, arxiv_fetcher=arxiv_fetcher, indexer=indexer, scheduler=scheduler)


def release_web_apps() -> None:
    """The end of a test: its apps may serve the next one."""
    _FREE_APPS.extend(_APPS_IN_USE)
    _APPS_IN_USE.clear()


def sign_in(client: TestClient, app: Paperfeed, email: str, role: str = "member") -> tuple[User, str]:
    """Give ``client`` a session for ``email``; returns the user and the session's CSRF token (what
    its pages' forms carry: the token is bound to the session, see ``paperfeed.web.security``)."""
    user = ensure_user(app, email, role=role)
    session_id = create_session(app, user)
    client.cookies.set(SESSION_COOKIE, session_id)
    return user, session_csrf_token(app.settings.secret_key, session_id)


@contextmanager
def serving(web: FastAPI, port: int) -> Iterator[str]:
    """``web`` served by a real uvicorn server on 127.0.0.1:``port`` in a thread; yields its URL."""
    server = uvicorn.Server(uvicorn.Config(web, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.05)
    assert server.started, f"uvicorn did not start on port {port}"
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


def recorded_ids_fetcher(app: Paperfeed, arxiv_ids: list[str]) -> None:
    """The library import's batched fetcher (one id-list request), arXiv faked at the transport by the
    recorded answer: it knows 1707.08567 and nothing else (0808.05394 is not a paper)."""
    from paperfeed.library.importers import fetch_arxiv_ids

    body = RECORDED_IDLIST.read_bytes()
    requests: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        requests.append(str(request.url))
        if "1707.08567" in str(request.url):
            return httpx.Response(200, content=body, headers={"content-type": "application/atom+xml"})
        empty = body.split(b"<entry>")[0] + b"</feed>"
        return httpx.Response(200, content=empty, headers={"content-type": "application/atom+xml"})

    fetch_arxiv_ids(app, arxiv_ids, transport=httpx.MockTransport(handler))
    assert len(requests) == 1, requests  # one batched request, whatever the number of ids


def create_session_cookie(app: Paperfeed, user: User, base_url: str) -> dict[str, object]:
    """A Playwright cookie that signs a browser context in as ``user`` on ``base_url``."""
    return {"name": SESSION_COOKIE, "value": create_session(app, user), "url": base_url}
