"""Sorting SMTP failures into "try again", "give up on this message" and "fix the settings".

Kept apart from the sending loop so each rule can be read (and tested) on its own. The rules:

- A reply code decides when the server gave one for *this message* (RCPT, DATA): 4xx is temporary,
  5xx permanent (RFC 5321 §4.2.1).
- No reply at all (connection refused, reset, timed out, dropped) is temporary: retry with backoff.
- Failures that are about *our side*, not the message — the server refuses our login, our sender
  address or our greeting, the TLS certificate does not verify, the server cannot do STARTTLS — are
  reported as temporary (the message is fine and can go once the settings are fixed) but are not
  retried now and stop the rest of a batch: every other message would fail the same way.
"""

from __future__ import annotations

import smtplib
import socket
import ssl
from dataclasses import dataclass

from paperfeed.mail.errors import MailConfigError
from paperfeed.mail.outcome import DeliveryStatus, status_for_code


@dataclass(frozen=True)
class Failure:
    """One failed attempt, classified."""

    status: DeliveryStatus
    code: int | None
    detail: str
    retry: bool
    """Worth another attempt after a pause."""
    stop_batch: bool
    """The cause is not this message: do not try the batch's other messages now."""


def reply_text(raw: bytes | str) -> str:
    """An SMTP reply's text as a str (smtplib hands over bytes)."""
    text = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else str(raw)
    return " ".join(text.split())


def _settings_problem(detail: str, code: int | None = None) -> Failure:
    return Failure(DeliveryStatus.TEMPORARY_FAILURE, code, detail, retry=False, stop_batch=True)


def classify(exc: BaseException, *, where: str, connecting: bool) -> Failure:
    """Classify ``exc`` raised while talking to the SMTP server at ``where`` (``host:port``).

    ``connecting`` is true when it happened while opening the connection (greeting, TLS, login),
    before any command about the message.
    """
    if isinstance(exc, MailConfigError):
        return _settings_problem(str(exc))
    if isinstance(exc, smtplib.SMTPAuthenticationError):
        return _settings_problem(
            f"the SMTP server {where} refused the login ({exc.smtp_code} {reply_text(exc.smtp_error)}); "
            "check PAPERFEED_SMTP_USERNAME and PAPERFEED_SMTP_PASSWORD",
            exc.smtp_code,
        )
    if isinstance(exc, smtplib.SMTPNotSupportedError):
        return _settings_problem(
            f"the SMTP server {where} does not support what paperfeed asked for ({exc}); "
            "check PAPERFEED_SMTP_SECURITY and PAPERFEED_SMTP_USERNAME"
        )
    if isinstance(exc, smtplib.SMTPSenderRefused):
        text = reply_text(exc.smtp_error)
        if exc.smtp_code == 552:  # message too big for this server: this message, for good
            return Failure(DeliveryStatus.PERMANENT_FAILURE, 552, text, retry=False, stop_batch=False)
        if status_for_code(exc.smtp_code) is DeliveryStatus.TEMPORARY_FAILURE:
            return Failure(
                DeliveryStatus.TEMPORARY_FAILURE, exc.smtp_code, text, retry=True, stop_batch=False
            )
        return _settings_problem(
            f"the SMTP server {where} refused the sender {exc.sender!r} ({exc.smtp_code} {text}); "
            "set PAPERFEED_MAIL_FROM to an address this server may send from",
            exc.smtp_code,
        )
    if isinstance(exc, smtplib.SMTPResponseException):
        # greeting (SMTPConnectError), HELO/EHLO, DATA and other replies with a code
        code, text = exc.smtp_code, reply_text(exc.smtp_error)
        status = status_for_code(code)
        if status is DeliveryStatus.TEMPORARY_FAILURE:
            return Failure(status, code, text, retry=True, stop_batch=False)
        if connecting or isinstance(exc, smtplib.SMTPHeloError):
            return _settings_problem(
                f"the SMTP server {where} refused the connection ({code} {text}); "
                "check PAPERFEED_SMTP_HOST and PAPERFEED_SMTP_PORT, and that this machine may relay through it",
                code,
            )
        return Failure(DeliveryStatus.PERMANENT_FAILURE, code, text, retry=False, stop_batch=False)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return _settings_problem(
            f"the certificate of the SMTP server {where} is not trusted ({exc.verify_message}); "
            "set PAPERFEED_SMTP_TLS_CA_FILE to the CA that signed it, or fix PAPERFEED_SMTP_HOST to the "
            "name on the certificate"
        )
    if isinstance(exc, ssl.SSLError):
        return _settings_problem(
            f"TLS with the SMTP server {where} failed ({getattr(exc, 'reason', None) or exc}); is PAPERFEED_SMTP_SECURITY "
            "right for this port? Port 465 usually means tls, 587 starttls, 25 none or starttls"
        )
    if isinstance(exc, socket.gaierror):
        return _settings_problem(
            f"cannot resolve the SMTP host of {where} ({exc.strerror}); check PAPERFEED_SMTP_HOST"
        )
    if isinstance(exc, ConnectionRefusedError):
        detail = f"connection to the SMTP server {where} refused: is it running?"
    elif isinstance(exc, TimeoutError):
        detail = f"the SMTP server {where} did not answer in time"
    elif isinstance(exc, smtplib.SMTPServerDisconnected):
        detail = f"the SMTP server {where} closed the connection ({exc})"
    elif isinstance(exc, OSError):
        detail = f"network error with the SMTP server {where}: {exc}"
    else:
        detail = f"unexpected error with the SMTP server {where}: {exc!r}"
    return Failure(DeliveryStatus.TEMPORARY_FAILURE, None, detail, retry=True, stop_batch=False)
