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
from datetime import date, datetime, timedelta

from paperfeed.periods import day_start
from paperfeed.records import PaperRecord
from paperfeed.store import FeaturedEntry, PaperStore, Store, Window


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


def day_window(categories: Sequence[str], first: date, last: date | None = None) -> Window:
    """The papers of the days ``first`` … ``last`` (inclusive) in ``categories``."""
    return Window(
        categories=tuple(categories),
        since=day_start(first),
        until=day_start((last or first) + timedelta(days=1)),
    )


def _date(value: datetime | None) -> date | None:
    return value.date() if value is not None else None


def latest_day(store: Store, categories: Sequence[str]) -> date | None:
    """The newest day with papers in ``categories`` or with something featured."""
    newest = _date(store.papers.window_edge(Window(categories=tuple(categories)), newest=True))
    days = [d for d in (newest, store.featured.latest_day()) if d is not None]
    return max(days) if days else None


def adjacent_days(store: Store, categories: Sequence[str], day: date) -> tuple[date | None, date | None]:
    """The nearest earlier and later days that have papers or featured entries."""
    cats = tuple(categories)
    before = _date(store.papers.window_edge(Window(categories=cats, until=day_start(day)), newest=True))
    after = _date(
        store.papers.window_edge(
            Window(categories=cats, since=day_start(day + timedelta(days=1))), newest=False
        )
    )
    featured_before, featured_after = store.featured.adjacent_days(day)
    earlier = [d for d in (before, featured_before) if d is not None]
    later = [d for d in (after, featured_after) if d is not None]
    return (max(earlier) if earlier else None, min(later) if later else None)


def new_paper_ids(
    papers: PaperStore, categories: Sequence[str], day: date, *, limit: int, offset: int = 0
) -> tuple[list[str], int]:
    """Ids of the day's papers in ``categories``, newest first, and how many there are in all."""
    window = day_window(categories, day)
    return papers.window_ids(window, limit=limit, offset=offset), papers.window_count(window)


def daily_page(
    store: Store, categories: Sequence[str], day: date, *, limit: int = 50, offset: int = 0
) -> DailyPage:
    """The featured papers of ``day`` ranked by upvotes, plus a page of the day's new papers."""
    entries = store.featured.for_day(day)
    new_ids, new_total = new_paper_ids(store.papers, categories, day, limit=limit, offset=offset)
    loaded = store.papers.get_many([e.paper_id for e in entries] + new_ids)
    counts = store.votes.counts(list(loaded))
    chosen = [
        FeaturedPaper(loaded[e.paper_id], counts.get(e.paper_id, 0), e)
        for e in entries
        if e.paper_id in loaded
    ]
    chosen.sort(key=lambda f: (-f.votes, f.entry.created_at))
    previous_day, next_day = adjacent_days(store, categories, day)
    return DailyPage(
        day=day,
        featured=chosen,
        new_papers=[loaded[i] for i in new_ids if i in loaded],
        new_total=new_total,
        votes=counts,
        previous_day=previous_day,
        next_day=next_day,
        latest_day=latest_day(store, categories),
    )
