"""The library's typed errors: what went wrong in words a person can act on, and of which kind.

Shells map the kind once (``paperfeed.web.errors``: an HTTP status; ``paperfeed.cli.output``: an exit
status and one line on stderr), never by matching class names. Anything that is not a
:class:`PaperfeedError` is a bug and is reported as one.
"""

from __future__ import annotations


class PaperfeedError(Exception):
    """Base class: the message is complete and meant to be shown as is."""


class InvalidInput(PaperfeedError):
    """The request or the input is unusable (a malformed id, an unreadable file, a bad option)."""


class NotFound(PaperfeedError):
    """The thing asked for does not exist (a paper, a user)."""


class SignInRequired(PaperfeedError):
    """The action needs a signed-in member (or an API token)."""


class Forbidden(PaperfeedError):
    """The member may not do this (e.g. curating without the curator role)."""


class RateLimited(PaperfeedError):
    """Too many requests of one kind in a window; ``retry_after`` seconds until the next one counts."""

    def __init__(self, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class Unavailable(PaperfeedError):
    """Something paperfeed depends on cannot be reached right now (the database, the mail server)."""


class UpstreamUnavailable(Unavailable):
    """An outside service (arXiv) failed or could not be reached; trying again later may work."""
