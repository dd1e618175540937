"""The console backend: mail that is written down instead of sent.

On a fresh install there is no mail server, and a sign-in that silently goes nowhere is a dead end.
So, until ``PAPERFEED_SMTP_HOST`` is set, every message is logged (logger ``paperfeed.mail``, with
its whole plain-text part: the sign-in link is in the server's terminal) and saved as an ``.eml``
file in ``DATA_DIR/outbox/``, which any mail client opens. Its text is written as 8bit UTF-8, not
quoted-printable, so a link copied from the file as it is works. Nothing leaves the machine.
"""

from __future__ import annotations

import logging
import os
import re
import secrets
import sys
import tempfile
from collections.abc import Sequence
from email.message import EmailMessage
from pathlib import Path

from paperfeed.clock import wall_now
from paperfeed.mail.message import envelope_recipients, message_bytes, plain_text_of, readable_copy
from paperfeed.mail.outcome import DeliveryStatus, OutcomeCallback, RecipientOutcome, SendOutcome

log = logging.getLogger("paperfeed.mail")


def _make_log_visible() -> None:
    """Make INFO records of ``paperfeed.mail`` reach the terminal when nobody configured logging.

    ``paperfeed serve`` runs uvicorn, which configures only its own loggers; without this, Python's
    last-resort handler would drop INFO records, and with them the sign-in link.
    """
    if log.level == logging.NOTSET:
        log.setLevel(logging.INFO)
    if not log.hasHandlers():
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("%(levelname)s:     %(name)s: %(message)s"))
        log.addHandler(handler)


def safe_file_part(recipients: Sequence[str]) -> str:
    """A file-name-safe, bounded label for the recipients (``ann_at_example.org``, ``+2`` for more)."""
    if not recipients:
        return "no-recipient"
    first = recipients[0].lower().replace("@", "_at_")
    label = re.sub(r"[^a-z0-9._+-]+", "_", first).strip("._") or "recipient"
    label = label[:60]
    if len(recipients) > 1:
        label += f"+{len(recipients) - 1}"
    return label


def describe_outbox(outbox: Path) -> str:
    """Where console mail goes, completing "The message was …"."""
    return f"written to the server's log and to {outbox}{os.sep}"


class ConsoleBackend:
    """Writes each message to the log and to ``outbox`` (one ``.eml`` file per message)."""

    name = "console"

    def __init__(self, outbox: Path) -> None:
        self.outbox = outbox
        _make_log_visible()

    def describe(self) -> str:
        """Where mail goes, for people: completes "The message was …"."""
        return describe_outbox(self.outbox)

    def send(self, message: EmailMessage, *, max_attempts: int | None = None) -> SendOutcome:
        """Log ``message`` and save it; "sent" means written (``max_attempts`` is ignored: no retries)."""
        message_id = str(message.get("Message-ID", ""))
        recipients = envelope_recipients(message)
        try:
            path = self._write(message, recipients)
        except OSError as exc:
            detail = (
                f"cannot write to the outbox {self.outbox}: {exc.strerror or exc}; "
                "check that PAPERFEED_DATA_DIR is writable"
            )
            log.error("mail %s to %s: %s", message_id, ", ".join(recipients), detail)
            return SendOutcome.summarise(
                message_id,
                [RecipientOutcome(a, DeliveryStatus.TEMPORARY_FAILURE, None, detail) for a in recipients],
                attempts=1,
                backend=self.name,
            )
        text = plain_text_of(message)
        log.info(
            "mail not sent (PAPERFEED_MAIL_BACKEND=console), written to %s\n"
            "From: %s\nTo: %s\nSubject: %s\nMessage-ID: %s\n\n%s",
            path,
            message.get("From", ""),
            ", ".join(str(v) for v in message.get_all("To", [])),
            message.get("Subject", ""),
            message_id,
            text.rstrip("\n") if text is not None else "(no plain-text part; open the .eml file)",
        )
        detail = f"written to {path}"
        return SendOutcome.summarise(
            message_id,
            [RecipientOutcome(a, DeliveryStatus.SENT, None, detail) for a in recipients],
            attempts=1,
            backend=self.name,
        )

    def send_many(
        self,
        messages: Sequence[EmailMessage],
        *,
        max_attempts: int | None = None,
        on_outcome: OutcomeCallback | None = None,
    ) -> list[SendOutcome]:
        """Each message in turn (writing files needs no concurrency); ``on_outcome`` as for SMTP."""
        outcomes = []
        for index, message in enumerate(messages):
            outcome = self.send(message)
            outcomes.append(outcome)
            if on_outcome is not None:
                on_outcome(index, outcome)
        return outcomes

    def _write(self, message: EmailMessage, recipients: Sequence[str]) -> Path:
        """Write atomically: readers (a mail client, ``ls``) never see half a file.

        Names sort by time: ``20260301T120000.123456Z-<random>-<recipient>.eml``. The file is
        readable by its owner only, because a sign-in link in it is as good as a password.
        """
        self.outbox.mkdir(mode=0o700, parents=True, exist_ok=True)
        stamp = wall_now().strftime("%Y%m%dT%H%M%S.%fZ")
        name = f"{stamp}-{secrets.token_hex(3)}-{safe_file_part(recipients)}.eml"
        data = message_bytes(readable_copy(message))  # links whole and copyable, not quoted-printable
        descriptor, temporary = tempfile.mkstemp(prefix=".writing-", suffix=".tmp", dir=self.outbox)
        try:
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            final = self.outbox / name
            os.replace(temporary, final)
        except BaseException:
            Path(temporary).unlink(missing_ok=True)
            raise
        return final
