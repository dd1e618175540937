"""The list of a day, a week or a month, in time order or by trending: the Papers API and the top lists.

What a period's list holds: every paper **featured** on one of its days (members' submissions and
curators' picks that are not hidden) and every **new paper** whose first version is dated inside
the period in the followed categories, each paper once (featured wins over new; a paper featured on
two days of a week is listed at its latest featuring). Every entry has the moment it joined the list
(``listed_at``): for a featured paper the time it was featured when that falls on its day, else
midnight of the day it was featured on (a curator may feature a paper on a past day); for a new
paper its first version's date. So ``listed_at`` always lies inside the period.

Two orders, the same entries:

* ``publishedAt``: newest ``listed_at`` first (then paper id, newest first).
* ``trending``: the trending score of :mod:`paperfeed.community.trending`, computed over the upvotes
  **cast inside the period** and evaluated at the period's end (or now, for a period still under
  way); ties go to more upvotes in the period, then to the ``publishedAt`` order. Papers nobody
  upvoted in the period follow, newest first.

:func:`candidates` and :func:`rank` are pure; :func:`period_list` fetches, ranks, and loads only the
page it returns (a month of ids and dates is cheap; a month of records is not).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from paperfeed.community.accounts import HANDLE_PATTERN
from paperfeed.community.clock import utcnow
from paperfeed.community.daily import day_window, latest_day
from paperfeed.community.periods import Period, period_of
from paperfeed.community.trending import trending_score
from paperfeed.errors import InvalidInput
from paperfeed.records import PaperRecord
from paperfeed.store import FeaturedEntry, Store, Window

SORTS = ("publishedAt", "trending")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A paper on a period's list, before ranking: when it joined the list, and how (if featured)."""

    paper_id: str
    listed_at: datetime
    featured: FeaturedEntry | None = None


@dataclass(frozen=True, slots=True)
class Ranked:
    candidate: Candidate
    score: float
    period_votes: int


@dataclass(slots=True)
class PeriodEntry:
    """One entry of a period's list, as the API and the pages show it."""

    paper: PaperRecord
    listed_at: datetime
    upvotes: int
    period_votes: int
    score: float
    featured: FeaturedEntry | None
    submitter: str | None


@dataclass(slots=True)
class PeriodList:
    """A page of a period's list, the list's size, and the neighbouring periods that have content."""

    period: Period
    sort: str
    entries: list[PeriodEntry]
    total: int
    offset: int
    previous: Period | None
    next: Period | None
    is_current: bool


def featured_listed_at(entry: FeaturedEntry) -> datetime:
    """When a featured entry joined its day's list: its creation time, if that was on the day."""
    if entry.created_at.date() == entry.day:
        return entry.created_at.replace(tzinfo=None)
    return datetime.combine(entry.day, time.min)


def candidates(
    featured: Iterable[FeaturedEntry], new_papers: Iterable[tuple[str, datetime]]
) -> list[Candidate]:
    """Each paper once: featured entries (the latest of a paper's) first, then new papers. Pure."""
    chosen: dict[str, Candidate] = {}
    for entry in featured:
        moment = featured_listed_at(entry)
        held = chosen.get(entry.paper_id)
        if held is None or moment >= held.listed_at:
            chosen[entry.paper_id] = Candidate(entry.paper_id, moment, entry)
    for paper_id, published in new_papers:
        chosen.setdefault(paper_id, Candidate(paper_id, published.replace(tzinfo=None)))
    return list(chosen.values())


def rank(
    items: Sequence[Candidate], vote_times: dict[str, list[datetime]], sort: str, now: datetime
) -> list[Ranked]:
    """Order ``items`` by ``sort`` (see the module docstring); ``vote_times`` are the votes cast in
    the period, by paper. Pure."""
    if sort not in SORTS:
        raise InvalidInput(f"sort: must be one of {', '.join(SORTS)}, got {sort[:40]!r}")
    by_time = sorted(items, key=lambda c: (c.listed_at, c.paper_id), reverse=True)
    ranked = [
        Ranked(c, trending_score(vote_times.get(c.paper_id, ()), now), len(vote_times.get(c.paper_id, ())))
        for c in by_time
    ]
    if sort == "trending":
        ranked.sort(key=lambda r: (-r.score, -r.period_votes))  # stable: ties keep the time order
    return ranked


def content_days(store: Store, categories: Sequence[str]) -> tuple[date | None, date | None]:
    """The oldest and newest days with papers in ``categories`` or featured entries."""
    oldest_paper = store.papers.window_edge(Window(categories=tuple(categories)), newest=False)
    oldest = [d for d in (oldest_paper.date() if oldest_paper else None, store.featured.earliest_day()) if d]
    return (min(oldest) if oldest else None, latest_day(store, categories))


def latest_period(store: Store, categories: Sequence[str], kind: str) -> Period:
    """The day, week or month of the newest content (today's when the store is empty)."""
    return period_of(kind, latest_day(store, categories) or utcnow().date())


def _submitter_id(store: Store, submitter: str) -> int | None:
    handle = submitter.strip().removeprefix("@").lower()
    if not HANDLE_PATTERN.match(handle):
        raise InvalidInput(
            f"submitter: expected a member's handle (letters, digits, hyphens), got {submitter[:40]!r}"
        )
    user = store.accounts.user_by_handle(handle)
    return user.id if user else None


def period_list(
    store: Store,
    categories: Sequence[str],
    period: Period,
    *,
    sort: str = "publishedAt",
    submitter: str | None = None,
    limit: int = 50,
    offset: int = 0,
    now: datetime | None = None,
) -> PeriodList:
    """A page of ``period``'s list in ``sort`` order; with ``submitter`` (a handle) only the papers
    that member featured (an unknown handle gives an empty list)."""
    if sort not in SORTS:
        raise InvalidInput(f"sort: must be one of {', '.join(SORTS)}, got {sort[:40]!r}")
    entries = store.featured.for_days(period.first, period.last)
    new: list[tuple[str, datetime]] = []
    if submitter:
        user_id = _submitter_id(store, submitter)
        entries = [e for e in entries if user_id is not None and e.user_id == user_id]
    else:
        new = store.papers.window_dates(day_window(categories, period.first, period.last))
    items = candidates(entries, new)
    moment = min(now or utcnow(), period.until)
    votes: dict[str, list[datetime]] = {}
    if sort == "trending":
        listed = {c.paper_id for c in items}
        cast = store.votes.times_since(period.since, until=period.until)
        votes = {paper_id: times for paper_id, times in cast.items() if paper_id in listed}
    ranked = rank(items, votes, sort, moment)
    page = ranked[offset : offset + limit]
    ids = [r.candidate.paper_id for r in page]
    loaded = store.papers.get_many(ids)
    counts = store.votes.counts(ids)
    handles = store.accounts.handles(
        [r.candidate.featured.user_id for r in page if r.candidate.featured and r.candidate.featured.user_id]
    )
    shown = [
        PeriodEntry(
            paper=loaded[r.candidate.paper_id],
            listed_at=r.candidate.listed_at,
            upvotes=counts.get(r.candidate.paper_id, 0),
            period_votes=r.period_votes,
            score=r.score,
            featured=r.candidate.featured,
            submitter=(
                handles.get(r.candidate.featured.user_id)
                if r.candidate.featured and r.candidate.featured.user_id
                else None
            ),
        )
        for r in page
        if r.candidate.paper_id in loaded
    ]
    oldest, newest = content_days(store, categories)
    before, after = period.previous(), period.next()
    return PeriodList(
        period=period,
        sort=sort,
        entries=shown,
        total=len(ranked),
        offset=offset,
        previous=before if oldest is not None and before.last >= oldest else None,
        next=after if newest is not None and after.first <= newest else None,
        is_current=newest is not None and period.contains(newest),
    )
