"""Outgoing mail: message building, the console and SMTP backends, typed delivery outcomes.

This package sits below the features (sign-in, digests): it knows settings and the standard
library's ``email``/``smtplib``, nothing about accounts, papers or the web. See ``docs/mail.md``.

Typical use::

    from paperfeed.mail import backend_for, build_message

    message = build_message(settings, to="ann@example.org", subject="…", text="…", html="…",
                            unsubscribe_url="https://…/unsubscribe/…", list_id="daily", bulk=True)
    outcomes = backend_for(settings).send_many([message, ...])   # one SendOutcome per message
"""

from __future__ import annotations

from paperfeed.mail.backend import (
    BackendName,
    MailBackend,
    backend_for,
    backend_name,
    describe_delivery,
    outbox_dir,
)
from paperfeed.mail.console import ConsoleBackend
from paperfeed.mail.errors import MailAddressError, MailConfigError, MailContentError, MailError
from paperfeed.mail.message import (
    MAIL_POLICY,
    AddressLike,
    build_message,
    check_no_remote_content,
    envelope_recipients,
    envelope_sender,
    message_id_domain,
    parse_address,
    plain_text_of,
    sender_address,
)
from paperfeed.mail.outcome import (
    DeliveryStatus,
    OutcomeCallback,
    RecipientOutcome,
    SendOutcome,
    status_for_code,
)
from paperfeed.mail.signin import LOGIN_SUBJECT, login_message, send_login_link
from paperfeed.mail.smtp import SmtpBackend, SmtpConfig

__all__ = [
    "LOGIN_SUBJECT",
    "MAIL_POLICY",
    "AddressLike",
    "BackendName",
    "ConsoleBackend",
    "DeliveryStatus",
    "MailAddressError",
    "MailBackend",
    "MailConfigError",
    "MailContentError",
    "MailError",
    "OutcomeCallback",
    "RecipientOutcome",
    "SendOutcome",
    "SmtpBackend",
    "SmtpConfig",
    "backend_for",
    "backend_name",
    "build_message",
    "check_no_remote_content",
    "describe_delivery",
    "envelope_recipients",
    "envelope_sender",
    "login_message",
    "message_id_domain",
    "outbox_dir",
    "parse_address",
    "plain_text_of",
    "send_login_link",
    "sender_address",
    "status_for_code",
]
