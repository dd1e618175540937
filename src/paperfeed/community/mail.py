"""The sign-in email, kept importable here for older callers; it now lives in :mod:`paperfeed.mail`.

New code should call :func:`paperfeed.mail.send_login_link`, which picks the configured backend
(console or SMTP) and returns a typed outcome instead of raising.
"""

from __future__ import annotations

from email.message import EmailMessage

from paperfeed.config import Settings
from paperfeed.mail import backend_for, login_message

__all__ = ["login_message", "send_message"]


def send_message(settings: Settings, message: EmailMessage) -> None:
    """Send ``message`` through the configured backend; raise :class:`OSError` if it was not accepted."""
    outcome = backend_for(settings).send(message, max_attempts=1)
    if not outcome.ok:
        raise OSError(outcome.detail)
