"""The sign-in (magic link) email, built and sent through the configured backend.

It lives here, not with the accounts, so that every email paperfeed sends is built by
:func:`~paperfeed.mail.message.build_message` and travels through one backend choice.
"""

from __future__ import annotations

from datetime import timedelta
from email.message import EmailMessage

from paperfeed.config import Settings
from paperfeed.mail.backend import MailBackend, backend_for
from paperfeed.mail.message import build_message
from paperfeed.mail.outcome import SendOutcome

LOGIN_SUBJECT = "Your paperfeed sign-in link"


def _minutes(ttl: timedelta) -> str:
    minutes = max(round(ttl.total_seconds() / 60), 1)
    return "1 minute" if minutes == 1 else f"{minutes} minutes"


def login_message(
    settings: Settings, to: str, link: str, *, expires_in: timedelta = timedelta(minutes=15)
) -> EmailMessage:
    """The magic-link email: plain text only, the link on a line of its own so clients make it clickable.

    No HTML part: there is nothing to lay out, and a text-only message is the one that every
    client, the console log and a screen reader show the same way.
    """
    text = (
        "Click to sign in to paperfeed:\n\n"
        f"{link}\n\n"
        f"The link works once and expires in {_minutes(expires_in)}. "
        "If you did not ask for it, ignore this email.\n"
    )
    return build_message(settings, to=to, subject=LOGIN_SUBJECT, text=text)


def send_login_link(
    settings: Settings,
    to: str,
    link: str,
    *,
    expires_in: timedelta = timedelta(minutes=15),
    backend: MailBackend | None = None,
) -> SendOutcome:
    """Build and send the sign-in email; one try only, because a person is waiting on the page.

    A failed send comes back as an outcome (``not outcome.ok``); the page should say so and let the
    person ask again, which is a retry with a fresh token. A :class:`MailConfigError` is raised
    only when the mail settings cannot work at all (it names the setting to fix).
    """
    message = login_message(settings, to, link, expires_in=expires_in)
    return (backend or backend_for(settings)).send(message, max_attempts=1)
