"""Sending the sign-in email over SMTP with the standard library (``email`` + ``smtplib``)."""

from __future__ import annotations

import smtplib
from email.message import EmailMessage
from email.utils import make_msgid

from paperfeed.config import Settings


def login_message(settings: Settings, to: str, link: str) -> EmailMessage:
    """The magic-link email: plain text, the link on a line of its own so mail clients make it clickable."""
    message = EmailMessage()
    message["Subject"] = "Your paperfeed sign-in link"
    message["From"] = settings.mail_from
    message["To"] = to
    message["Message-ID"] = make_msgid(domain="paperfeed")
    message.set_content(
        "Click to sign in to paperfeed:\n\n"
        f"{link}\n\n"
        "The link works once and expires in 15 minutes. If you did not ask for it, ignore this email.\n"
    )
    return message


def send_message(settings: Settings, message: EmailMessage) -> None:
    """Deliver through the configured SMTP server (STARTTLS and login when configured)."""
    with smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=30) as smtp:
        if settings.smtp_starttls:
            smtp.starttls()
        if settings.smtp_username:
            smtp.login(settings.smtp_username, settings.smtp_password or "")
        smtp.send_message(message)
