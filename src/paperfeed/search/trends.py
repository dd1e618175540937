"""Trends: how many papers a query matches per week or month, counted by the keyword index.

A trend is a date histogram of the papers a query matches, over the ``published`` fast field of
the keyword index (the first version's date, epoch seconds): tantivy's histogram aggregation counts the
matching documents per period inside the index, so no paper is loaded and the cost grows with the
number of matching documents, not with the catalogue (figures in docs/benchmarks.md, "Trends").

The query is built exactly as keyword search builds it (:func:`~paperfeed.search.query.build_query`,
with the same date filter), so a series' counts add up to keyword search's total for the same
query and range: plain words count the papers that have any of them, phrases, ``author:``,
``cat:`` and exclusions what they always mean. ``share`` is the count over all papers dated in the
same period (the same histogram over every document, cached per index state).

Periods are ISO weeks (Monday to Sunday) or calendar months (:mod:`paperfeed.periods`); the first
and last period are cut to the range asked for, so the counts never include a day outside it.
Papers without a date (known only by title) are in no period.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import tantivy

from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput
from paperfeed.periods import Period, period_of
from paperfeed.search.engine import lexical_backlog, open_lexical
from paperfeed.search.index_updates import lexical_path
from paperfeed.search.lexical import LexicalIndex, to_epoch
from paperfeed.search.marks import valid_mark
from paperfeed.search.query import MAX_QUERY_CHARS, build_query, category_query, parse

INTERVALS = ("day", "week", "month")
"""``day`` is for the daily page's strip; the API and the trends page offer week and month."""
MAX_QUERIES = 5
MAX_PERIODS = 2000
"""Enough for every week since 1991 (arXiv's start); a longer range is refused, not cut."""
DEFAULT_SPAN = {"day": 28, "week": 52, "month": 60}
"""Periods shown when no ``since`` is given: a year of weeks, five years of months."""
DAY_SECONDS = 86_400


@dataclass(frozen=True, slots=True)
class TrendPoint:
    period: str  # the period's key: 2026-02-20, 2026-W08 or 2026-02
    start: date  # the first day counted (the period's first day, or ``since`` for a cut period)
    end: date  # the last day counted (inclusive)
    count: int
    share: float  # count / all papers dated in [start, end]; 0.0 when there are none


@dataclass(slots=True)
class TrendSeries:
    query: str
    points: list[TrendPoint]

    @property
    def total(self) -> int:
        return sum(p.count for p in self.points)


@dataclass(slots=True)
class Trends:
    """Series over the same periods, with every paper's count per period for the shares."""

    interval: str
    since: date
    until: date
    series: list[TrendSeries]
    all_counts: list[int] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "interval": self.interval,
            "since": self.since.isoformat(),
            "until": self.until.isoformat(),
            "series": [
                {
                    "q": s.query,
                    "total": s.total,
                    "points": [
                        {
                            "period": p.period,
                            "start": p.start.isoformat(),
                            "end": p.end.isoformat(),
                            "count": p.count,
                            "share": round(p.share, 6),
                        }
                        for p in s.points
                    ],
                }
                for s in self.series
            ],
            "all": self.all_counts,
            "notices": self.notices,
        }


# ------------------------------------------------------------------------------------ periods
def periods_between(interval: str, since: date, until: date) -> list[Period]:
    """The periods of ``interval`` covering ``since`` … ``until``, each cut to that range."""
    if interval not in INTERVALS:
        raise InvalidInput(f"interval must be one of week, month, not {interval!r}")
    if until < since:
        raise InvalidInput(f"until ({until.isoformat()}) is before since ({since.isoformat()})")
    out: list[Period] = []
    current = period_of(interval, since)
    while current.first <= until:
        out.append(Period(interval, max(current.first, since), min(current.last, until)))
        if len(out) > MAX_PERIODS:
            raise InvalidInput(
                f"{since.isoformat()} to {until.isoformat()} is more than {MAX_PERIODS:,} {interval}s: "
                "choose a later since, or interval=month"
            )
        current = current.next()
    return out


def period_key(interval: str, period: Period) -> str:
    """The key of the whole period a (possibly cut) period belongs to."""
    return period_of(interval, period.last).key


# ------------------------------------------------------------------------------------ counting
EPOCH = date(1970, 1, 1)
WEEK_OFFSET = 4 * DAY_SECONDS
"""1970-01-01 was a Thursday: weekly buckets shifted by four days start on Mondays (ISO weeks)."""


def period_counts(
    searcher: tantivy.Searcher, query: tantivy.Query, periods: list[Period], interval: str
) -> list[int]:
    """Documents matching ``query`` per period, by a histogram aggregation on ``published``: weekly
    buckets starting on Mondays for weeks, daily buckets otherwise (summed into months).

    ``query`` must hold the range's date filter, so that a period cut by the range counts only
    its days. A fixed-interval histogram costs one division per matching document, whatever the
    number of periods (a range aggregation with a thousand weeks was four times slower at 2.7M
    papers, benchmarks/trends.py)."""
    if not periods:
        return []
    step = 7 * DAY_SECONDS if interval == "week" else DAY_SECONDS
    offset = WEEK_OFFSET if interval == "week" else 0
    spec = {"histogram": {"field": "published", "interval": float(step), "offset": float(offset)}}
    result = searcher.aggregate(query, {"p": spec})
    slot: dict[object, int]
    if interval == "month":
        slot = {(p.first.year, p.first.month): i for i, p in enumerate(periods)}
    else:
        slot = {to_epoch(period_of(interval, p.last).first): i for i, p in enumerate(periods)}
    counts = [0] * len(periods)
    for bucket in result.get("p", {}).get("buckets", []):
        found = int(bucket.get("doc_count", 0))
        if not found:
            continue
        key = int(bucket["key"])
        if interval == "month":
            day = EPOCH + timedelta(days=key // DAY_SECONDS)
            index = slot.get((day.year, day.month))
        else:
            index = slot.get(key)
        if index is not None:
            counts[index] += found
    return counts


def _date_filter(lexical: LexicalIndex, since: date, until: date) -> tantivy.Query:
    return tantivy.Query.range_query(
        lexical.schema,
        "published",
        tantivy.FieldType.Integer,
        to_epoch(since),
        to_epoch(until) + DAY_SECONDS - 1,
    )


def query_counts(
    lexical: LexicalIndex, searcher: tantivy.Searcher, text: str, periods: list[Period]
) -> list[int]:
    """How many papers ``text`` (search syntax) matches per period: keyword search's query with
    the range's date filter, counted inside the index."""
    if not periods:
        return []
    parsed = parse(text[:MAX_QUERY_CHARS])
    if build_query(lexical.schema, parsed) is None:
        # only stop words or symbols: search without dates matches nothing (with dates alone, it
        # would list every paper of the range, which is no trend of anything)
        return [0] * len(periods)
    query = build_query(
        lexical.schema, parsed, filters=[_date_filter(lexical, periods[0].first, periods[-1].last)]
    )
    if query is None:
        return [0] * len(periods)
    return period_counts(searcher, query, periods, periods[0].kind)


class _Memo:
    """A small LRU of values that depend only on the index's state (all-paper counts, extents)."""

    def __init__(self, size: int = 64) -> None:
        self._items: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple[Any, ...]) -> Any:
        with self._lock:
            if key in self._items:
                self._items.move_to_end(key)
                return self._items[key]
        return None

    def put(self, key: tuple[Any, ...], value: Any) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_memo = _Memo()


def all_counts(
    lexical: LexicalIndex, searcher: tantivy.Searcher, periods: list[Period], state: tuple[Any, ...]
) -> list[int]:
    """Every dated paper per period (the denominator of shares), cached per index ``state``."""
    key = ("all", state, tuple((p.first, p.last) for p in periods))
    cached = _memo.get(key)
    if cached is None:
        every = _date_filter(lexical, periods[0].first, periods[-1].last)
        cached = period_counts(searcher, every, periods, periods[0].kind) if periods else []
        _memo.put(key, cached)
    return list(cached)


def extent(searcher: tantivy.Searcher, state: tuple[Any, ...]) -> tuple[date, date] | None:
    """The first and last day any indexed paper is dated, or None for an index without dates."""
    key = ("extent", state)
    cached: tuple[date, date] | None = _memo.get(key)
    if cached is None:
        stats = searcher.aggregate(tantivy.Query.all_query(), {"s": {"stats": {"field": "published"}}})
        low, high = stats.get("s", {}).get("min"), stats.get("s", {}).get("max")
        if low is None or high is None:
            return None
        cached = (
            date(1970, 1, 1) + timedelta(days=int(low) // DAY_SECONDS),
            date(1970, 1, 1) + timedelta(days=int(high) // DAY_SECONDS),
        )
        _memo.put(key, cached)
    return cached


def default_range(
    interval: str,
    since: date | None,
    until: date | None,
    known: tuple[date, date] | None,
    today: date,
    span: int | None = None,
) -> tuple[date, date]:
    """The range to count when ``since``/``until`` are not given: up to the newest paper (never past
    today), :data:`DEFAULT_SPAN` periods back, never before the oldest paper; whole periods."""
    newest = min(known[1], today) if known else today
    oldest = known[0] if known else newest
    if until is None:
        until = period_of(interval, newest).last if newest >= oldest else newest
    if since is None:
        first = period_of(interval, until)
        for _ in range((span or DEFAULT_SPAN[interval]) - 1):
            first = first.previous()
        since = max(first.first, period_of(interval, oldest).first)
    return since, until


# ------------------------------------------------------------------------------------ the use case
def clean_queries(queries: list[str]) -> list[str]:
    """Blank queries dropped, repeats dropped, at most :data:`MAX_QUERIES` (more is an error)."""
    kept = list(dict.fromkeys(q.strip() for q in queries if q and q.strip()))
    if len(kept) > MAX_QUERIES:
        raise InvalidInput(f"at most {MAX_QUERIES} queries can be compared at once, got {len(kept)}")
    return kept


def index_trends(
    lexical: LexicalIndex,
    queries: list[str],
    *,
    interval: str = "week",
    since: date | None = None,
    until: date | None = None,
    today: date,
    state: tuple[Any, ...] = (),
    span: int | None = None,
) -> Trends:
    """:func:`trends` on an opened keyword index (``state`` names its version for the caches)."""
    if interval not in INTERVALS:
        raise InvalidInput(f"interval must be one of week, month, not {interval!r}")
    queries = clean_queries(queries)
    lexical.index.reload()
    searcher = lexical.index.searcher()
    state = (lexical.index_id, searcher.num_docs, *state)
    since, until = default_range(interval, since, until, extent(searcher, state), today, span)
    periods = periods_between(interval, since, until)
    everything = all_counts(lexical, searcher, periods, state)
    series = []
    for text in queries:
        counts = query_counts(lexical, searcher, text, periods)
        points = [
            TrendPoint(
                period=period_key(interval, p),
                start=p.first,
                end=p.last,
                count=n,
                share=(n / total) if total else 0.0,
            )
            for p, n, total in zip(periods, counts, everything, strict=True)
        ]
        series.append(TrendSeries(text, points))
    return Trends(interval, since, until, series, everything)


def trends(
    app: Paperfeed,
    queries: list[str],
    *,
    interval: str = "week",
    since: date | None = None,
    until: date | None = None,
    span: int | None = None,
) -> Trends:
    """Papers per ``interval`` matching each of up to five ``queries`` (search syntax) in
    ``since`` … ``until`` (inclusive days; by default the last year of weeks or five years of
    months up to the newest paper; ``span`` periods instead when given), with each count's share
    of all papers of its period.

    Raises :class:`~paperfeed.search.engine.SearchUnavailable` before the keyword index exists and
    :class:`~paperfeed.errors.InvalidInput` for an unknown interval, a reversed or too long range,
    or more than five queries."""
    lexical = open_lexical(app)
    mark = valid_mark(lexical_path(app))
    result = index_trends(
        lexical,
        queries,
        interval=interval,
        since=since,
        until=until,
        today=app.clock.now().date(),
        state=(mark.seq if mark else -1,),
        span=span,
    )
    if lexical_backlog(app):
        result.notices.append("the keyword index is catching up with new papers: the newest counts may grow")
    return result


def day_counts(app: Paperfeed, categories: Sequence[str], first: date, last: date) -> list[tuple[date, int]]:
    """Papers dated each day ``first`` … ``last`` in any of ``categories`` (all papers when empty):
    the daily page's "new papers" per day, counted by the keyword index in one aggregation."""
    lexical = open_lexical(app)
    lexical.index.reload()
    searcher = lexical.index.searcher()
    periods = periods_between("day", first, last)
    clauses = [(tantivy.Occur.Must, _date_filter(lexical, first, last))]
    if categories:
        either = [(tantivy.Occur.Should, category_query(lexical.schema, c)) for c in categories]
        clauses.append((tantivy.Occur.Must, tantivy.Query.boolean_query(either)))
    counts = period_counts(searcher, tantivy.Query.boolean_query(clauses), periods, "day")
    return [(p.first, n) for p, n in zip(periods, counts, strict=True)]
