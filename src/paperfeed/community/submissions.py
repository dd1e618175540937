"""Featured papers: member submissions and curator picks on a day's page.

A submission is an arXiv id or URL; the paper is looked up in the store and, when missing, fetched
from arXiv's API into the store (the indexer makes it searchable moments later: a request never
touches an index). Featuring is idempotent per (day, paper): a duplicate submission adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from paperfeed.community.clock import utcnow
from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput, PaperfeedError, UpstreamUnavailable
from paperfeed.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.records import PaperRecord
from paperfeed.store import FeaturedEntry, Store, User

__all__ = [
    "FeaturedEntry",
    "FetchFailed",
    "Fetcher",
    "SubmissionError",
    "SubmissionResult",
    "feature",
    "featured_for_day",
    "fetch_from_arxiv",
    "resolve_paper",
    "set_hidden",
    "submit",
    "unfeature",
]


class SubmissionError(InvalidInput):
    """The submitted text is not an arXiv id, or arXiv does not know the paper."""


class FetchFailed(UpstreamUnavailable):
    """arXiv could not be reached to fetch a missing paper (try again later)."""


@dataclass(frozen=True, slots=True)
class SubmissionResult:
    paper: PaperRecord
    day: date
    created: bool  # False when the paper was already featured that day
    fetched: bool  # True when it had to be fetched from arXiv


Fetcher = Callable[[Paperfeed, str], None]
FETCH_TIMEOUT = 10.0
"""Seconds a submission waits for arXiv to answer about a paper the store does not have."""


def fetch_from_arxiv(app: Paperfeed, arxiv_id: str, transport: object | None = None) -> None:
    """Import one paper from arXiv's API into the store (the ingest job, store only).

    Someone is waiting on the page: one try, at most :data:`FETCH_TIMEOUT` seconds (or the
    ``arxiv_timeout`` setting when shorter), then a clear "try again" instead of half a minute of
    silent retries.
    """
    from paperfeed.ingest.http import SourceUnavailable
    from paperfeed.ingest.jobs import ingest_arxiv

    timeout = min(app.settings.arxiv_timeout, FETCH_TIMEOUT)
    try:
        ingest_arxiv(
            app,
            ids=[arxiv_id],
            transport=transport,  # type: ignore[arg-type,unused-ignore]
            timeout=timeout,
            max_retries=0,
        )
    except SourceUnavailable as exc:
        raise FetchFailed(
            f"arXiv could not be asked about {arxiv_id} (waited at most {timeout:.0f} s: {exc}); "
            "nothing was saved, try again in a minute"
        ) from exc
    except PaperfeedError as exc:  # arXiv rejecting the request
        raise FetchFailed(f"could not fetch {arxiv_id} from arXiv: {exc}") from exc


def latest_version(paper: PaperRecord) -> int:
    """The newest version of ``paper`` the store knows (1 when it knows none)."""
    return max([paper.version or 1, *(v.number for v in paper.versions)])


def resolve_paper(app: Paperfeed, text: str, fetch: Fetcher | None = None) -> tuple[PaperRecord, bool]:
    """The stored paper for an arXiv id or URL (arxiv.org or huggingface.co/papers), fetching it
    when missing; (paper, fetched). A version newer than any known one (``v9``) is looked up too,
    and refused when arXiv does not have it either."""
    try:
        parsed = parse_arxiv_id(text)
    except InvalidArxivId as exc:
        raise SubmissionError(
            f"{text.strip()!r} is not an arXiv id or arXiv URL (examples: 2602.18409, "
            "https://arxiv.org/abs/2602.18409, https://huggingface.co/papers/2602.18409)"
        ) from exc
    arxiv_id = parsed.base
    paper = app.store.papers.get(arxiv_id)
    if paper is not None and (parsed.version is None or parsed.version <= latest_version(paper)):
        return paper, False
    (fetch or fetch_from_arxiv)(app, arxiv_id)
    paper = app.store.papers.get(arxiv_id)
    if paper is None:
        raise SubmissionError(f"arXiv has no paper {arxiv_id}")
    if parsed.version is not None and parsed.version > latest_version(paper):
        raise SubmissionError(
            f"arXiv has no version v{parsed.version} of {arxiv_id}: its latest is "
            f"v{latest_version(paper)} (submit {arxiv_id} for the current version)"
        )
    return paper, True


def feature(store: Store, day: date, paper_id: str, user: User | None, *, source: str) -> bool:
    """Feature ``paper_id`` on ``day``; ``False`` when it already was (a curator pick also un-hides it)."""
    return store.featured.add(day, paper_id, source=source, user_id=user.id if user else None, now=utcnow())


def submit(
    app: Paperfeed, user: User, text: str, *, day: date | None = None, fetch: Fetcher | None = None
) -> SubmissionResult:
    """A member's submission: resolve (or fetch) the paper and feature it on ``day`` (default today)."""
    paper, fetched = resolve_paper(app, text, fetch)
    when = day or utcnow().date()
    created = feature(app.store, when, paper.paper_id, user, source="submission")
    return SubmissionResult(paper=paper, day=when, created=created, fetched=fetched)


def unfeature(store: Store, day: date, paper_id: str, user: User) -> bool:
    """Remove a paper from a day (curators); ``False`` when it was not featured."""
    return store.featured.remove(day, paper_id, user_id=user.id, now=utcnow())


def set_hidden(store: Store, day: date, paper_id: str, user: User | None, *, hidden: bool) -> bool:
    """Hide a spam submission (kept for the record) or show it again; ``False`` when not featured."""
    return store.featured.set_hidden(
        day, paper_id, hidden=hidden, user_id=user.id if user else None, now=utcnow()
    )


def featured_for_day(store: Store, day: date, *, include_hidden: bool = False) -> list[FeaturedEntry]:
    return store.featured.for_day(day, include_hidden=include_hidden)
