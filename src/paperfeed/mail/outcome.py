"""What happened to one outgoing message: the typed result every backend returns.

The digest's send ledger records these, so they are plain frozen data: a status a program can act
on (retry later or not), and the SMTP code and text a person can read.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum


class DeliveryStatus(StrEnum):
    """The three fates of a message, named for what the caller should do next."""

    SENT = "sent"
    """Handed over (to the SMTP server, or written to the console outbox); do not send again."""
    TEMPORARY_FAILURE = "temporary_failure"
    """Not delivered, but it may work later (4xx, server down, our own misconfiguration): retry later."""
    PERMANENT_FAILURE = "permanent_failure"
    """Refused for good (5xx for this recipient or this message): do not retry this message as is."""


@dataclass(frozen=True)
class RecipientOutcome:
    """The fate of one envelope recipient of a message."""

    address: str
    status: DeliveryStatus
    code: int | None
    """The SMTP reply code (250, 451, 550, …); None when there was no reply (connection refused, console)."""
    detail: str
    """The server's reply text, or what went wrong and what to do, for a person."""


@dataclass(frozen=True)
class SendOutcome:
    """The fate of one message, with one :class:`RecipientOutcome` per envelope recipient.

    ``status``, ``code`` and ``detail`` summarise the recipients: sent when every recipient was
    accepted, otherwise those of the first temporary failure (retrying may still deliver it), else of
    the first permanent one. A paperfeed message has one recipient, so the summary is that recipient's.
    """

    message_id: str
    status: DeliveryStatus
    code: int | None
    detail: str
    attempts: int
    """How many times the backend tried (1 when it worked or failed for good at once; 0 when not tried)."""
    backend: str
    recipients: tuple[RecipientOutcome, ...]

    @property
    def ok(self) -> bool:
        """True when every recipient was accepted."""
        return self.status is DeliveryStatus.SENT

    @classmethod
    def summarise(
        cls, message_id: str, recipients: Iterable[RecipientOutcome], *, attempts: int, backend: str
    ) -> SendOutcome:
        """One outcome for the message from its recipients' outcomes (see the class docstring)."""
        results = tuple(recipients)
        if not results:
            return cls(
                message_id,
                DeliveryStatus.PERMANENT_FAILURE,
                None,
                "the message has no recipient (no To, Cc or Bcc address)",
                attempts,
                backend,
                results,
            )
        for wanted in (DeliveryStatus.TEMPORARY_FAILURE, DeliveryStatus.PERMANENT_FAILURE):
            for result in results:
                if result.status is wanted:
                    return cls(message_id, wanted, result.code, result.detail, attempts, backend, results)
        last = results[-1]
        return cls(message_id, DeliveryStatus.SENT, last.code, last.detail, attempts, backend, results)


def status_for_code(code: int) -> DeliveryStatus:
    """Classify an SMTP reply code (RFC 5321 §4.2.1): 2xx/3xx sent, 5xx permanent, anything else temporary.

    Codes outside the 4xx/5xx ranges (smtplib uses -1 for "no reply") are treated as temporary: when
    in doubt, a later retry is cheaper than a lost message.
    """
    if 200 <= code < 400:
        return DeliveryStatus.SENT
    if 500 <= code < 600:
        return DeliveryStatus.PERMANENT_FAILURE
    return DeliveryStatus.TEMPORARY_FAILURE


OutcomeCallback = Callable[[int, SendOutcome], None]
"""Called by ``send_many`` with (index of the message in the batch, its outcome) as soon as it is known."""
