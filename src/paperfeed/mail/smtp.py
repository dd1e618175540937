"""The SMTP backend: delivery through a real mail server with ``smtplib``.

What it adds over one ``smtplib.SMTP(...).send_message`` per message, and why:

- **Connection reuse**: a batch goes over a few open connections instead of one TCP + TLS + login
  handshake per message (a digest to 1,000 readers would otherwise do 1,000 handshakes).
- **Bounded concurrency**: ``PAPERFEED_SMTP_MAX_CONNECTIONS`` threads, each with its own connection,
  share the batch; servers limit connections per client, so the bound is a setting.
- **Typed outcomes**: each message gets a :class:`SendOutcome` with a status per recipient, the SMTP
  code and text, so the digest ledger knows what to retry. Failures are classified in
  :mod:`paperfeed.mail.classify`; temporary ones are retried here with exponential backoff
  (``PAPERFEED_SMTP_MAX_ATTEMPTS``, ``PAPERFEED_SMTP_RETRY_DELAY``), permanent ones never.

The transaction (MAIL, RCPT per recipient, DATA) is written out rather than left to
``smtplib.sendmail`` so that every recipient's reply code and the server's final reply (often
carrying its queue id) reach the outcome.
"""

from __future__ import annotations

import copy
import logging
import queue
import smtplib
import ssl
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from email.message import EmailMessage
from pathlib import Path
from typing import Literal

from pydantic import SecretStr

from paperfeed.config import Settings
from paperfeed.mail.classify import Failure, classify, reply_text
from paperfeed.mail.errors import MailConfigError
from paperfeed.mail.message import envelope_recipients, envelope_sender, message_bytes
from paperfeed.mail.outcome import (
    DeliveryStatus,
    OutcomeCallback,
    RecipientOutcome,
    SendOutcome,
    status_for_code,
)

log = logging.getLogger("paperfeed.mail")

Security = Literal["none", "starttls", "tls"]
DEFAULT_PORTS: dict[str, int] = {"none": 25, "starttls": 587, "tls": 465}
MAX_RETRY_DELAY = 300.0
"""The backoff never waits longer than this between two tries of a message (seconds)."""
MESSAGES_PER_CONNECTION = 100
"""Reconnect after this many messages: many servers refuse more on one connection."""


@dataclass(frozen=True)
class SmtpConfig:
    """Everything the SMTP backend needs, checked once (from :class:`Settings` or built by hand)."""

    host: str
    port: int
    security: Security = "none"
    username: str | None = None
    password: str | None = None
    timeout: float = 30.0
    ca_file: Path | None = None
    verify: bool = True
    max_connections: int = 4
    max_attempts: int = 4
    retry_delay: float = 2.0

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        """The SMTP part of ``settings``, or a :class:`MailConfigError` that says what to set."""
        if not settings.smtp_host:
            raise MailConfigError(
                "PAPERFEED_MAIL_BACKEND=smtp needs an SMTP server: set PAPERFEED_SMTP_HOST (and "
                "PAPERFEED_SMTP_PORT, PAPERFEED_SMTP_SECURITY), or use PAPERFEED_MAIL_BACKEND=console "
                "to write mail to the server log and DATA_DIR/outbox instead"
            )
        security: Security = settings.smtp_security or ("starttls" if settings.smtp_starttls else "none")
        if settings.smtp_tls_ca_file is not None and not Path(settings.smtp_tls_ca_file).is_file():
            raise MailConfigError(
                f"PAPERFEED_SMTP_TLS_CA_FILE={settings.smtp_tls_ca_file} is not a file; "
                "point it at a PEM file of CA certificates"
            )
        password = settings.smtp_password
        secret = password.get_secret_value() if isinstance(password, SecretStr) else password
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port or DEFAULT_PORTS[security],
            security=security,
            username=settings.smtp_username or None,
            password=secret,
            timeout=settings.smtp_timeout,
            ca_file=settings.smtp_tls_ca_file,
            verify=settings.smtp_tls_verify,
            max_connections=settings.smtp_max_connections,
            max_attempts=settings.smtp_max_attempts,
            retry_delay=settings.smtp_retry_delay,
        )

    @property
    def where(self) -> str:
        """``host:port``, for messages."""
        return f"{self.host}:{self.port}"

    def describe(self) -> str:
        """Where mail goes, for people: completes "The message was …"."""
        security = "" if self.security == "none" else f" ({self.security})"
        return f"sent through the SMTP server {self.where}{security}"

    def ssl_context(self) -> ssl.SSLContext:
        """The TLS context: the system's trust store, or ``ca_file``; no verification only if asked."""
        context = ssl.create_default_context(cafile=str(self.ca_file) if self.ca_file else None)
        if not self.verify:
            context.check_hostname = False
            context.verify_mode = ssl.CERT_NONE
        return context

    def backoff(self, attempt: int) -> float:
        """Seconds to wait after failed try number ``attempt`` (1-based): doubling, capped."""
        return float(min(self.retry_delay * 2 ** (attempt - 1), MAX_RETRY_DELAY))


class _ConnectFailed(Exception):
    """Opening the connection failed (wraps the cause, so the sender knows the phase)."""

    def __init__(self, cause: BaseException) -> None:
        super().__init__(str(cause))
        self.cause = cause


class _Connection:
    """One SMTP session, opened on first use and reused for the next messages of its thread."""

    def __init__(self, config: SmtpConfig, context: ssl.SSLContext | None) -> None:
        self.config = config
        self.context = context
        self.smtp: smtplib.SMTP | None = None
        self.messages = 0

    def get(self) -> smtplib.SMTP:
        """The open session (a new one when none is open or this one has carried enough)."""
        if self.smtp is not None and self.messages >= MESSAGES_PER_CONNECTION:
            self.close()
        if self.smtp is None:
            try:
                self.smtp = self._open()
            except (smtplib.SMTPException, OSError, MailConfigError) as exc:
                raise _ConnectFailed(exc) from exc
            self.messages = 0
        return self.smtp

    def _open(self) -> smtplib.SMTP:
        config = self.config
        smtp: smtplib.SMTP
        if config.security == "tls":
            smtp = smtplib.SMTP_SSL(config.host, config.port, timeout=config.timeout, context=self.context)
        else:
            smtp = smtplib.SMTP(config.host, config.port, timeout=config.timeout)
        try:
            smtp.ehlo_or_helo_if_needed()
            if config.security == "starttls":
                if not smtp.has_extn("starttls"):
                    raise MailConfigError(
                        f"the SMTP server {config.where} does not offer STARTTLS; if it speaks TLS from the "
                        "first byte (usually port 465) set PAPERFEED_SMTP_SECURITY=tls, if it has no TLS "
                        "at all set PAPERFEED_SMTP_SECURITY=none"
                    )
                smtp.starttls(context=self.context)
                smtp.ehlo()
            if config.username:
                smtp.login(config.username, config.password or "")
        except BaseException:
            smtp.close()
            raise
        return smtp

    def close(self) -> None:
        """Say QUIT when the session is healthy, drop it either way."""
        smtp, self.smtp = self.smtp, None
        if smtp is None:
            return
        try:
            smtp.quit()
        except (smtplib.SMTPException, OSError):
            smtp.close()


def _wire_bytes(message: EmailMessage) -> bytes:
    """The message as sent: CRLF line ends, and without ``Bcc`` (which must not reach recipients)."""
    if "Bcc" in message:
        message = _copy_without_bcc(message)
    return message_bytes(message, linesep="\r\n")


def _copy_without_bcc(message: EmailMessage) -> EmailMessage:
    clone = copy.deepcopy(message)  # a shallow copy would share (and lose) the original's headers
    del clone["Bcc"]
    return clone


class _Abort:
    """Shared by a batch's threads: once set, the remaining messages are not tried."""

    def __init__(self) -> None:
        self.reason: str | None = None
        self.lock = threading.Lock()

    def set(self, reason: str) -> None:
        with self.lock:
            if self.reason is None:
                self.reason = reason


_warned: set[str] = set()
_warned_lock = threading.Lock()


def _warn_once(message: str) -> None:
    """Log a settings warning once per process, not on every sign-in (a backend is made per send)."""
    with _warned_lock:
        if message in _warned:
            return
        _warned.add(message)
    log.warning(message)


class SmtpBackend:
    """Sends through an SMTP server; see the module docstring for reuse, concurrency and retries."""

    name = "smtp"

    def __init__(self, config: SmtpConfig, *, sleep: Callable[[float], None] = time.sleep) -> None:
        """``sleep`` waits between retries; tests pass a recorder so they never wait."""
        self.config = config
        self.sleep = sleep
        self._context = config.ssl_context() if config.security != "none" else None
        if not config.verify:
            _warn_once(
                "PAPERFEED_SMTP_TLS_VERIFY=false: the SMTP server's certificate is not checked, so anyone "
                "on the network path can read the mail; this setting is for tests only"
            )
        if (
            config.username
            and config.security == "none"
            and config.host not in ("127.0.0.1", "::1", "localhost")
        ):
            _warn_once(
                "PAPERFEED_SMTP_USERNAME is set but PAPERFEED_SMTP_SECURITY=none: the password crosses the "
                f"network to {config.where} in clear text; set PAPERFEED_SMTP_SECURITY=starttls or tls"
            )

    def describe(self) -> str:
        """Where mail goes, for people: completes "The message was …"."""
        return self.config.describe()

    def send(self, message: EmailMessage, *, max_attempts: int | None = None) -> SendOutcome:
        """Send one message on a connection of its own; retries temporary failures."""
        return self.send_many([message], max_attempts=max_attempts)[0]

    def send_many(
        self,
        messages: Sequence[EmailMessage],
        *,
        max_attempts: int | None = None,
        on_outcome: OutcomeCallback | None = None,
    ) -> list[SendOutcome]:
        """Send a batch over at most ``max_connections`` reused connections; outcomes in input order.

        Never raises for a delivery problem: each message's fate is in its outcome. When a failure is
        about the settings or the server is unreachable even after retries, the messages not yet
        tried come back as temporary failures with ``attempts == 0`` and the same explanation.

        ``on_outcome(index, outcome)`` is called as soon as each message's fate is known, in the
        sending thread and before that thread starts its next message (the digest ledger records
        each delivery there, so a crash loses at most the messages in flight). If it raises, no
        further message is started and the exception is raised once the batch has stopped.
        """
        attempts = max_attempts or self.config.max_attempts
        results: list[SendOutcome | None] = [None] * len(messages)
        jobs: queue.SimpleQueue[int] = queue.SimpleQueue()
        for index in range(len(messages)):
            jobs.put(index)
        abort = _Abort()
        callback_errors: list[BaseException] = []
        workers = min(self.config.max_connections, len(messages))

        def work() -> None:
            connection = _Connection(self.config, self._context)
            try:
                while True:
                    try:
                        index = jobs.get_nowait()
                    except queue.Empty:
                        return
                    try:
                        outcome = self._deliver(connection, messages[index], attempts, abort)
                    except Exception as exc:  # a bug must not lose the batch's other outcomes
                        log.exception("mail: unexpected error while sending message %d of a batch", index)
                        connection.close()
                        outcome = self._not_tried(
                            str(messages[index].get("Message-ID", "")),
                            envelope_recipients(messages[index]),
                            f"unexpected error in paperfeed's SMTP backend: {exc!r}",
                        )
                    results[index] = outcome
                    if on_outcome is not None:
                        try:
                            on_outcome(index, outcome)
                        except BaseException as exc:
                            callback_errors.append(exc)
                            abort.set(f"recording an outcome failed: {exc!r}")
                            return
            finally:
                connection.close()

        if workers <= 1:
            work()
        else:
            threads = [threading.Thread(target=work, name=f"paperfeed-smtp-{n}") for n in range(workers)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        if callback_errors:
            raise callback_errors[0]
        done = [outcome for outcome in results if outcome is not None]
        skipped = sum(1 for outcome in done if outcome.attempts == 0)
        if abort.reason is not None and skipped:
            log.error("mail: %d of %d messages not tried: %s", skipped, len(done), abort.reason)
        assert len(done) == len(messages), "every message has an outcome"
        return done

    def _deliver(
        self, connection: _Connection, message: EmailMessage, max_attempts: int, abort: _Abort
    ) -> SendOutcome:
        """One message: try, classify, back off, try again, until done or out of attempts."""
        message_id = str(message.get("Message-ID", ""))
        recipients = envelope_recipients(message)
        if abort.reason is not None:
            return self._not_tried(message_id, recipients, abort.reason)
        if not recipients:
            return SendOutcome.summarise(message_id, [], attempts=0, backend=self.name)
        sender = envelope_sender(message)
        data = _wire_bytes(message)
        results: dict[str, RecipientOutcome] = {}
        pending = list(recipients)
        attempt = 0
        stale_retried = False
        while pending:
            attempt += 1
            reused = connection.smtp is not None and connection.messages > 0
            failure: Failure | None = None
            unreachable = False
            try:
                smtp = connection.get()
                replies = self._transaction(smtp, sender, pending, data)
                connection.messages += 1
            except _ConnectFailed as exc:
                failure = classify(exc.cause, where=self.config.where, connecting=True)
                unreachable = failure.retry
            except (smtplib.SMTPException, OSError) as exc:
                connection.close()
                if reused and isinstance(exc, smtplib.SMTPServerDisconnected) and not stale_retried:
                    # An idle reused connection that the server had dropped: not this message's fault.
                    stale_retried = True
                    attempt -= 1
                    continue
                failure = classify(exc, where=self.config.where, connecting=False)
            if failure is None:
                pending = self._record_replies(replies, results)
                if any(code == 421 for code, _ in replies.values()):
                    connection.close()  # 421: the server is closing this session
            else:
                for address in pending:
                    results[address] = RecipientOutcome(address, failure.status, failure.code, failure.detail)
                if not failure.retry:
                    if failure.stop_batch:
                        abort.set(failure.detail)
                    break
            if not pending:
                break
            if attempt >= max_attempts:
                if unreachable and failure is not None:  # the next messages would wait the same way
                    abort.set(f"not tried after the SMTP server failed {attempt} times: {failure.detail}")
                break
            delay = self.config.backoff(attempt)
            log.info(
                "mail %s: temporary failure for %s (try %d of %d), retrying in %.1f s",
                message_id,
                ", ".join(pending),
                attempt,
                max_attempts,
                delay,
            )
            self.sleep(delay)
        outcome = SendOutcome.summarise(
            message_id, [results[a] for a in recipients], attempts=attempt, backend=self.name
        )
        if not outcome.ok:
            log.warning("mail %s not delivered (%s): %s", message_id, outcome.status, outcome.detail)
        return outcome

    @staticmethod
    def _transaction(
        smtp: smtplib.SMTP, sender: str, recipients: list[str], data: bytes
    ) -> dict[str, tuple[int, str]]:
        """MAIL, RCPT for each recipient, DATA: the reply (code, text) for every recipient.

        Accepted recipients get the final DATA reply (``250 … queued as …``); refused ones their RCPT
        reply. Raises :class:`smtplib.SMTPSenderRefused` / :class:`smtplib.SMTPDataError` for a refused
        sender or message, like ``smtplib.sendmail``.
        """
        options = [f"SIZE={len(data)}"] if smtp.does_esmtp and smtp.has_extn("size") else []
        code, text = smtp.mail(sender, options)
        if code != 250:
            if code == 421:
                smtp.close()
            else:
                smtp.rset()
            raise smtplib.SMTPSenderRefused(code, text, sender)
        replies: dict[str, tuple[int, str]] = {}
        for address in recipients:
            code, text = smtp.rcpt(address)
            replies[address] = (code, reply_text(text))
            if code == 421:  # closing: the rest cannot be tried on this session
                for rest in recipients[len(replies) :]:
                    replies[rest] = (421, "not tried: the server closed the session")
                smtp.close()
                return replies
        accepted = [a for a, (code, _) in replies.items() if code in (250, 251)]
        if not accepted:
            smtp.rset()
            return replies
        code, text = smtp.data(data)
        if code != 250:
            if code == 421:
                smtp.close()
            else:
                smtp.rset()
            raise smtplib.SMTPDataError(code, text)
        final = (code, reply_text(text))
        for address in accepted:
            replies[address] = final
        return replies

    @staticmethod
    def _record_replies(
        replies: dict[str, tuple[int, str]], results: dict[str, RecipientOutcome]
    ) -> list[str]:
        """Store each recipient's outcome; return those worth another try (temporary refusals)."""
        retry = []
        for address, (code, text) in replies.items():
            status = status_for_code(code)
            results[address] = RecipientOutcome(address, status, code, text)
            if status is DeliveryStatus.TEMPORARY_FAILURE:
                retry.append(address)
        return retry

    def _not_tried(self, message_id: str, recipients: list[str], reason: str) -> SendOutcome:
        detail = reason if reason.startswith("not tried") else f"not tried: {reason}"
        return SendOutcome.summarise(
            message_id,
            [RecipientOutcome(a, DeliveryStatus.TEMPORARY_FAILURE, None, detail) for a in recipients],
            attempts=0,
            backend=self.name,
        )
