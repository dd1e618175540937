"""The list of a day, a week or a month, in time order or by trending: the Papers API and the top lists.

What a period's list holds: every paper **featured** on one of its days (members' submissions and
curators' picks that are not hidden: the period's *curated* entries) and every **new paper** whose
first version is dated inside the period in the followed categories, each paper once (featured wins
over new; a paper featured on two days of a week is listed at its latest featuring). Every entry
has the moment it joined the list (``listed_at``): for a featured paper the time it was featured
when that falls on its day, else midnight of the day it was featured on (a curator may feature a
paper on a past day); for a new paper its first version's date. So ``listed_at`` always lies inside
the period.

The curated entries come first, then the other new papers: on Hugging Face a day's list *is* its
curation, and clients that read only the first page (or keep "the top 5 by upvotes" of it) must
find the curation there, however many uncurated papers the day has. Each part is in ``sort`` order:

* ``publishedAt``: newest ``listed_at`` first (then paper id, newest first).
* ``trending``: the trending score of :mod:`paperfeed.community.trending`, computed over the upvotes
  **cast inside the period** and evaluated at the period's end (or now, for a period still under
  way); ties go to more upvotes in the period, then to the ``publishedAt`` order. Papers nobody
  upvoted in the period follow (in each part), newest first.

:func:`candidates`, :func:`rank` and :func:`merge_by_time` are pure; :func:`period_list` fetches,
ranks, and reads no further into the period than the page it returns (see there).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time

from paperfeed.accounts import HANDLE_PATTERN
from paperfeed.community.daily import day_window, latest_day
from paperfeed.community.trending import trending_score
from paperfeed.errors import InvalidInput
from paperfeed.periods import Period, period_of
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
    """A page of a period's list, whether more follow, and the neighbouring periods with content."""

    period: Period
    sort: str
    entries: list[PeriodEntry]
    offset: int
    has_more: bool
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


def latest_period(store: Store, categories: Sequence[str], kind: str, *, today: date) -> Period:
    """The day, week or month of the newest content (``today``'s when the store is empty)."""
    return period_of(kind, latest_day(store, categories) or today)


def _submitter_id(store: Store, submitter: str) -> int | None:
    handle = submitter.strip().removeprefix("@").lower()
    if not HANDLE_PATTERN.match(handle):
        raise InvalidInput(
            f"submitter: expected a member's handle (letters, digits, hyphens), got {submitter[:40]!r}"
        )
    user = store.accounts.user_by_handle(handle)
    return user.id if user else None


def merge_by_time(
    featured: Iterable[Candidate], new_papers: Iterable[tuple[str, datetime]], skip: set[str]
) -> list[Candidate]:
    """Featured candidates and new papers (both newest first) merged newest first, without the
    papers in ``skip`` (and without a new paper that is also featured). Pure."""
    listed = [c for c in featured if c.paper_id not in skip]
    taken = skip | {c.paper_id for c in listed}
    listed += [Candidate(pid, when.replace(tzinfo=None)) for pid, when in new_papers if pid not in taken]
    return sorted(listed, key=lambda c: (c.listed_at, c.paper_id), reverse=True)


def period_list(
    store: Store,
    categories: Sequence[str],
    period: Period,
    *,
    sort: str = "publishedAt",
    submitter: str | None = None,
    limit: int = 50,
    offset: int = 0,
    now: datetime,
) -> PeriodList:
    """A page of ``period``'s list: its curated entries in ``sort`` order, then the other new
    papers in ``sort`` order; with ``submitter`` (a handle) only the papers that member featured
    (an unknown handle gives an empty list).

    The cost follows the page, not the period: a month of the whole catalogue has tens of
    thousands of new papers. The curated entries and the upvoted papers (the only ones trending
    reorders) are ranked in full; the rest of the list is its time order, read from the store only
    as far as the page reaches (``offset + limit`` rows, plus the curated and upvoted ones it skips)."""
    if sort not in SORTS:
        raise InvalidInput(f"sort: must be one of {', '.join(SORTS)}, got {sort[:40]!r}")
    entries = store.featured.for_days(period.first, period.last)
    window: Window | None = day_window(categories, period.first, period.last)
    if submitter:
        user_id = _submitter_id(store, submitter)
        entries = [e for e in entries if user_id is not None and e.user_id == user_id]
        window = None  # a member's list is what they featured
    featured = candidates(entries, [])
    end = min(now, period.until)
    cast = store.votes.times_since(period.since, until=period.until) if sort == "trending" else {}
    head = rank(featured, cast, sort, end)  # the curation, whole
    if sort == "trending" and window is not None:
        featured_ids = {c.paper_id for c in featured}
        others = [paper_id for paper_id in cast if paper_id not in featured_ids]
        voted = [Candidate(pid, when) for pid, when in store.papers.window_dates(window, among=others)]
        head += rank(voted, cast, "trending", end)
    skip = {r.candidate.paper_id for r in head}
    page = head[offset : offset + limit]
    start, stop = max(0, offset - len(head)), offset + limit - len(head)
    has_more = len(head) > offset + limit
    if stop > 0 and window is not None:
        new = store.papers.window_dates(window, limit=stop + 1 + len(skip))
        rest = merge_by_time([], new, skip)
        page += [Ranked(c, 0.0, 0) for c in rest[start:stop]]
        has_more = len(rest) > stop
    return _page(store, categories, period, sort, page, offset, has_more)


def _page(
    store: Store,
    categories: Sequence[str],
    period: Period,
    sort: str,
    page: list[Ranked],
    offset: int,
    has_more: bool,
) -> PeriodList:
    """Load the page's records, counts and submitters, and find the neighbouring periods."""
    ids = [r.candidate.paper_id for r in page]
    loaded = store.papers.get_many(ids)
    counts = store.votes.counts(ids)
    featured = {r.candidate.paper_id: r.candidate.featured for r in page if r.candidate.featured}
    handles = store.accounts.handles([e.user_id for e in featured.values() if e.user_id is not None])
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
                if r.candidate.featured and r.candidate.featured.user_id is not None
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
        offset=offset,
        has_more=has_more,
        previous=before if oldest is not None and before.last >= oldest else None,
        next=after if newest is not None and after.first <= newest else None,
        is_current=newest is not None and period.contains(newest),
    )
