"""Featured papers: member submissions and curator picks on a day's page.

A submission is an arXiv id or URL; the paper is looked up in the store and, when missing, fetched
from arXiv's API (through the ingest job, so it lands in the store and the indexes like any other
import). Featuring is idempotent per (day, paper): a duplicate submission adds nothing.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from paperfeed.community.accounts import User
from paperfeed.community.clock import utcnow
from paperfeed.context import Paperfeed
from paperfeed.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.records import PaperRecord
from paperfeed.store.community_schema import curator_actions, featured


class SubmissionError(ValueError):
    """The submitted text is not an arXiv id, or arXiv does not know the paper."""


class FetchFailed(RuntimeError):
    """arXiv could not be reached to fetch a missing paper (try again later)."""


@dataclass(frozen=True, slots=True)
class FeaturedEntry:
    day: date
    paper_id: str
    source: str
    user_id: int | None
    created_at: datetime
    hidden: bool


@dataclass(frozen=True, slots=True)
class SubmissionResult:
    paper: PaperRecord
    day: date
    created: bool  # False when the paper was already featured that day
    fetched: bool  # True when it had to be fetched from arXiv


Fetcher = Callable[[Paperfeed, str], None]


def fetch_from_arxiv(app: Paperfeed, arxiv_id: str, transport: object | None = None) -> None:
    """Import one paper from arXiv's API into the store (``ArxivApiClient.fetch`` via the ingest job)."""
    from paperfeed.ingest.jobs import ingest_arxiv

    try:
        ingest_arxiv(app, ids=[arxiv_id], transport=transport)  # type: ignore[arg-type,unused-ignore]
    except Exception as exc:  # network and HTTP errors of the arXiv client
        raise FetchFailed(f"could not fetch {arxiv_id} from arXiv: {exc or type(exc).__name__}") from exc


def resolve_paper(app: Paperfeed, text: str, fetch: Fetcher | None = None) -> tuple[PaperRecord, bool]:
    """The stored paper for an arXiv id or URL, fetching it when missing; (paper, fetched)."""
    try:
        arxiv_id = parse_arxiv_id(text).base
    except InvalidArxivId as exc:
        raise SubmissionError(
            f"{text.strip()!r} is not an arXiv id or arXiv URL (example: 2602.18409)"
        ) from exc
    paper = app.store.get(arxiv_id)
    if paper is not None:
        return paper, False
    (fetch or fetch_from_arxiv)(app, arxiv_id)
    paper = app.store.get(arxiv_id)
    if paper is None:
        raise SubmissionError(f"arXiv has no paper {arxiv_id}")
    return paper, True


def _log(conn: object, user: User | None, action: str, paper_id: str, day: date) -> None:
    conn.execute(  # type: ignore[attr-defined]
        insert(curator_actions).values(
            user_id=user.id if user else None, action=action, paper_id=paper_id, day=day, created_at=utcnow()
        )
    )


def feature(engine: Engine, day: date, paper_id: str, user: User | None, *, source: str) -> bool:
    """Feature ``paper_id`` on ``day``; ``False`` when it already was (a curator pick also un-hides it)."""
    try:
        with engine.begin() as conn:
            conn.execute(
                insert(featured).values(
                    day=day,
                    paper_id=paper_id,
                    source=source,
                    user_id=user.id if user else None,
                    created_at=utcnow(),
                    hidden=False,
                )
            )
            if source == "curator":
                _log(conn, user, "feature", paper_id, day)
        return True
    except IntegrityError:
        if source == "curator":
            set_hidden(engine, day, paper_id, user, hidden=False)
        return False


def submit(
    app: Paperfeed, user: User, text: str, *, day: date | None = None, fetch: Fetcher | None = None
) -> SubmissionResult:
    """A member's submission: resolve (or fetch) the paper and feature it on ``day`` (default today)."""
    paper, fetched = resolve_paper(app, text, fetch)
    when = day or utcnow().date()
    created = feature(app.store.engine, when, paper.paper_id, user, source="submission")
    return SubmissionResult(paper=paper, day=when, created=created, fetched=fetched)


def unfeature(engine: Engine, day: date, paper_id: str, user: User) -> bool:
    """Remove a paper from a day (curators); ``False`` when it was not featured."""
    with engine.begin() as conn:
        gone = conn.execute(delete(featured).where(featured.c.day == day, featured.c.paper_id == paper_id))
        if gone.rowcount:
            _log(conn, user, "unfeature", paper_id, day)
    return bool(gone.rowcount)


def set_hidden(engine: Engine, day: date, paper_id: str, user: User | None, *, hidden: bool) -> bool:
    """Hide a spam submission (kept for the record) or show it again; ``False`` when not featured."""
    with engine.begin() as conn:
        changed = conn.execute(
            update(featured)
            .where(featured.c.day == day, featured.c.paper_id == paper_id)
            .values(hidden=hidden)
        )
        if changed.rowcount:
            _log(conn, user, "hide" if hidden else "unhide", paper_id, day)
    return bool(changed.rowcount)


def featured_for_day(engine: Engine, day: date, *, include_hidden: bool = False) -> list[FeaturedEntry]:
    query = select(featured).where(featured.c.day == day).order_by(featured.c.created_at)
    if not include_hidden:
        query = query.where(featured.c.hidden.is_(False))
    with engine.connect() as conn:
        return [
            FeaturedEntry(row.day, row.paper_id, row.source, row.user_id, row.created_at, bool(row.hidden))
            for row in conn.execute(query)
        ]
