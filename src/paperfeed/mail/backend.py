"""Choosing a backend from the settings, and saying where mail goes.

``PAPERFEED_MAIL_BACKEND`` picks one; unset, paperfeed uses SMTP as soon as ``PAPERFEED_SMTP_HOST``
is set and the console backend until then, so a fresh install can sign in (the link is in the
server log and ``DATA_DIR/outbox``) and a configured one never writes mail to disk by surprise.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from email.message import EmailMessage
from pathlib import Path
from typing import Literal, Protocol

from paperfeed.config import Settings
from paperfeed.mail.console import ConsoleBackend, describe_outbox
from paperfeed.mail.errors import MailConfigError
from paperfeed.mail.outcome import OutcomeCallback, SendOutcome
from paperfeed.mail.smtp import SmtpBackend, SmtpConfig

BackendName = Literal["console", "smtp"]


class MailBackend(Protocol):
    """What every backend does. Delivery problems come back in outcomes, never as exceptions."""

    name: str

    def send(self, message: EmailMessage, *, max_attempts: int | None = None) -> SendOutcome:
        """Deliver one message (retrying temporary failures up to ``max_attempts`` tries)."""
        ...

    def send_many(
        self,
        messages: Sequence[EmailMessage],
        *,
        max_attempts: int | None = None,
        on_outcome: OutcomeCallback | None = None,
    ) -> list[SendOutcome]:
        """Deliver a batch; one outcome per message, in order; ``on_outcome(index, outcome)`` as each
        message's fate becomes known (before its sender starts the next message)."""
        ...

    def describe(self) -> str:
        """Where mail goes, completing "The message was …" (for pages and logs)."""
        ...


def backend_name(settings: Settings) -> BackendName:
    """The backend in force: ``PAPERFEED_MAIL_BACKEND``, else smtp if a host is set, else console."""
    if settings.mail_backend is not None:
        return settings.mail_backend
    return "smtp" if settings.smtp_host else "console"


def outbox_dir(settings: Settings) -> Path:
    """Where the console backend saves messages: ``DATA_DIR/outbox``."""
    return Path(settings.data_dir) / "outbox"


def backend_for(settings: Settings, *, sleep: Callable[[float], None] = time.sleep) -> MailBackend:
    """The configured backend, ready to send; a :class:`MailConfigError` says what to fix.

    Cheap to call (no connection is opened until a send), so callers may make one per request.
    ``sleep`` is what the SMTP backend waits with between retries (tests pass a recorder).
    """
    name = backend_name(settings)
    if name == "console":
        return ConsoleBackend(outbox_dir(settings))
    if name == "smtp":
        return SmtpBackend(SmtpConfig.from_settings(settings), sleep=sleep)
    raise MailConfigError(f"PAPERFEED_MAIL_BACKEND={name!r} is not a backend; use console or smtp")


def describe_delivery(settings: Settings) -> str:
    """Where mail goes, for people: "written to the server's log and to /…/outbox/" or
    "sent through the SMTP server mail.example.org:587 (starttls)".

    It completes a sentence such as "The sign-in link was …". Bad settings are described too,
    rather than raised, because this is for pages that explain, not for sending.
    """
    if backend_name(settings) == "console":
        return describe_outbox(outbox_dir(settings))
    try:
        return SmtpConfig.from_settings(settings).describe()
    except MailConfigError as exc:
        return f"not sent: the mail settings are incomplete ({exc})"
