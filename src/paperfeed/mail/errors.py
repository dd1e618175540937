"""Errors of the mail layer, each worded for the person who has to fix it.

Delivery failures are not exceptions: a send returns a :class:`~paperfeed.mail.outcome.SendOutcome`.
These are raised for mistakes a retry cannot fix: bad settings, a bad address, a bad message.
"""

from __future__ import annotations

from paperfeed.errors import InvalidInput


class MailError(InvalidInput, ValueError):
    """Base class: something about the mail settings or a message is wrong.

    A :class:`~paperfeed.errors.PaperfeedError` (its message is complete, for people), so the CLI
    prints it on one line (``PAPERFEED_MAIL_BACKEND=smtp`` without a host) and the web answers it in
    words; still a ``ValueError`` for callers that caught it as one."""


class MailConfigError(MailError):
    """The mail settings cannot work (say which ``PAPERFEED_*`` variable, and what to set)."""


class MailAddressError(MailError):
    """An email address that paperfeed cannot send to or from."""


class MailContentError(MailError):
    """A message body that breaks paperfeed's rules (no remote images, no trackers)."""
