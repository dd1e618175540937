"""The daily page: which day to open, that day's featured papers and its new papers, and navigation.

A paper's day is the UTC date of its first version (``published_at``), the date arXiv stamps on
v1. That is not arXiv's announcement date (papers submitted after the 14:00 ET cut-off are announced
a day or more later, weekends none), but it is the date every source gives us, so a day's list is
the same whichever source a paper came from. Papers known only by their title (saved Hugging Face
pages) have no date at all: the pages say "Mar 11" without a year and the papers carry no date of
their own, so inventing a year would put them on a day that may be wrong. They are therefore on no
daily page; they are found by search and on author pages, and join a day when their arXiv record
(which has the date) arrives and absorbs them.

Days come from both sources of content: a day with new papers in the followed categories, or a day
with something featured on it (a submission today features the paper on today's page even when
arXiv has nothing dated today yet).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

from sqlalchemy import Engine, and_, exists, func, select

from paperfeed.community.submissions import FeaturedEntry, featured_for_day
from paperfeed.community.votes import vote_counts
from paperfeed.records import PaperRecord
from paperfeed.store.community_schema import featured
from paperfeed.store.papers import PaperStore
from paperfeed.store.schema import paper_categories, papers


@dataclass(slots=True)
class FeaturedPaper:
    paper: PaperRecord
    votes: int
    entry: FeaturedEntry


@dataclass(slots=True)
class DailyPage:
    """Everything the daily page shows for ``day``."""

    day: date
    featured: list[FeaturedPaper]
    new_papers: list[PaperRecord]
    new_total: int
    votes: dict[str, int] = field(default_factory=dict)
    previous_day: date | None = None
    next_day: date | None = None
    latest_day: date | None = None

    @property
    def is_latest(self) -> bool:
        return self.latest_day is not None and self.day == self.latest_day


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min)


def _in_categories(categories: Sequence[str]):  # type: ignore[no-untyped-def]
    """A condition on ``papers`` rows: the paper is in one of ``categories`` (always true when empty)."""
    if not categories:
        return papers.c.id.isnot(None)
    return exists(
        select(paper_categories.c.paper_id).where(
            paper_categories.c.paper_id == papers.c.id, paper_categories.c.category.in_(list(categories))
        )
    )


def _as_date(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()


def latest_day(engine: Engine, categories: Sequence[str]) -> date | None:
    """The newest day with papers in ``categories`` or with something featured."""
    with engine.connect() as conn:
        newest = conn.execute(
            select(papers.c.published_at)
            .where(papers.c.published_at.isnot(None), _in_categories(categories))
            .order_by(papers.c.published_at.desc())
            .limit(1)
        ).scalar()
        featured_day = conn.execute(
            select(func.max(featured.c.day)).where(featured.c.hidden.is_(False))
        ).scalar()
    days = [d for d in (_as_date(newest), _as_date(featured_day)) if d is not None]
    return max(days) if days else None


def adjacent_days(engine: Engine, categories: Sequence[str], day: date) -> tuple[date | None, date | None]:
    """The nearest earlier and later days that have papers or featured entries."""
    start, end = _start(day), _start(day + timedelta(days=1))
    with engine.connect() as conn:
        before = conn.execute(
            select(papers.c.published_at)
            .where(papers.c.published_at < start, _in_categories(categories))
            .order_by(papers.c.published_at.desc())
            .limit(1)
        ).scalar()
        after = conn.execute(
            select(papers.c.published_at)
            .where(papers.c.published_at >= end, _in_categories(categories))
            .order_by(papers.c.published_at.asc())
            .limit(1)
        ).scalar()
        featured_before = conn.execute(
            select(func.max(featured.c.day)).where(featured.c.day < day, featured.c.hidden.is_(False))
        ).scalar()
        featured_after = conn.execute(
            select(func.min(featured.c.day)).where(featured.c.day > day, featured.c.hidden.is_(False))
        ).scalar()
    earlier = [d for d in (_as_date(before), _as_date(featured_before)) if d is not None]
    later = [d for d in (_as_date(after), _as_date(featured_after)) if d is not None]
    return (max(earlier) if earlier else None, min(later) if later else None)


def new_paper_ids(
    engine: Engine, categories: Sequence[str], day: date, *, limit: int, offset: int = 0
) -> tuple[list[str], int]:
    """Ids of the day's papers in ``categories``, newest first, and how many there are in all."""
    window = and_(
        papers.c.published_at >= _start(day),
        papers.c.published_at < _start(day + timedelta(days=1)),
        _in_categories(categories),
    )
    with engine.connect() as conn:
        ids = [
            row.id
            for row in conn.execute(
                select(papers.c.id)
                .where(window)
                .order_by(papers.c.published_at.desc(), papers.c.id.desc())
                .limit(limit)
                .offset(offset)
            )
        ]
        total = int(conn.execute(select(func.count()).select_from(papers).where(window)).scalar_one())
    return ids, total


def daily_page(
    store: PaperStore, categories: Sequence[str], day: date, *, limit: int = 50, offset: int = 0
) -> DailyPage:
    """The featured papers of ``day`` ranked by upvotes, plus a page of the day's new papers."""
    engine = store.engine
    entries = featured_for_day(engine, day)
    new_ids, new_total = new_paper_ids(engine, categories, day, limit=limit, offset=offset)
    loaded = store.get_many([e.paper_id for e in entries] + new_ids)
    counts = vote_counts(engine, list(loaded))
    chosen = [
        FeaturedPaper(loaded[e.paper_id], counts.get(e.paper_id, 0), e)
        for e in entries
        if e.paper_id in loaded
    ]
    chosen.sort(key=lambda f: (-f.votes, f.entry.created_at))
    previous_day, next_day = adjacent_days(engine, categories, day)
    return DailyPage(
        day=day,
        featured=chosen,
        new_papers=[loaded[i] for i in new_ids if i in loaded],
        new_total=new_total,
        votes=counts,
        previous_day=previous_day,
        next_day=next_day,
        latest_day=latest_day(engine, categories),
    )
