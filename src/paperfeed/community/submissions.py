"""Featured papers: member submissions and curator picks on a day's page.

A submission is an arXiv id or URL; the paper is looked up in the store and, when missing, fetched
from arXiv's API into the store (the indexer makes it searchable moments later: a request never
touches an index). Featuring is idempotent per (day, paper): a duplicate submission adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput
from paperfeed.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.ingest.fetch import Fetcher, fetch_from_arxiv
from paperfeed.records import PaperRecord
from paperfeed.store import FeaturedEntry, User

__all__ = [
    "FeaturedEntry",
    "SubmissionError",
    "SubmissionResult",
    "feature",
    "featured_for_day",
    "resolve_paper",
    "set_hidden",
    "submit",
    "unfeature",
]


class SubmissionError(InvalidInput):
    """The submitted text is not an arXiv id, or arXiv does not know the paper."""


@dataclass(frozen=True, slots=True)
class SubmissionResult:
    paper: PaperRecord
    day: date
    created: bool  # False when the paper was already featured that day
    fetched: bool  # True when it had to be fetched from arXiv


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


def feature(app: Paperfeed, day: date, paper_id: str, user: User | None, *, source: str) -> bool:
    """Feature ``paper_id`` on ``day``; ``False`` when it already was (a curator pick also un-hides it)."""
    return app.store.featured.add(
        day, paper_id, source=source, user_id=user.id if user else None, now=app.clock.now()
    )


def submit(
    app: Paperfeed, user: User, text: str, *, day: date | None = None, fetch: Fetcher | None = None
) -> SubmissionResult:
    """A member's submission: resolve (or fetch) the paper and feature it on ``day`` (default today)."""
    paper, fetched = resolve_paper(app, text, fetch)
    when = day or app.clock.now().date()
    created = feature(app, when, paper.paper_id, user, source="submission")
    return SubmissionResult(paper=paper, day=when, created=created, fetched=fetched)


def unfeature(app: Paperfeed, day: date, paper_id: str, user: User) -> bool:
    """Remove a paper from a day (curators); ``False`` when it was not featured."""
    return app.store.featured.remove(day, paper_id, user_id=user.id, now=app.clock.now())


def set_hidden(app: Paperfeed, day: date, paper_id: str, user: User | None, *, hidden: bool) -> bool:
    """Hide a spam submission (kept for the record) or show it again; ``False`` when not featured."""
    return app.store.featured.set_hidden(
        day, paper_id, hidden=hidden, user_id=user.id if user else None, now=app.clock.now()
    )


def featured_for_day(app: Paperfeed, day: date, *, include_hidden: bool = False) -> list[FeaturedEntry]:
    return app.store.featured.for_day(day, include_hidden=include_hidden)
