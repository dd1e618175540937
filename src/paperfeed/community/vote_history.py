"""Upvotes over time: a paper's votes day by day, and each trending paper's votes inside its window.

The paper page draws the first as a line of the running total ("is it still gathering votes?"), the
trending list the second as a sparkline beside each entry. Both read only the votes' timestamps
(:meth:`~paperfeed.store.votes.VoteStore.times_for`); the bucketing is pure.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from paperfeed.context import Paperfeed
from paperfeed.store import Store

MAX_DAYS = 90
"""A paper page shows at most the last 90 days of votes day by day (older ones are in the total)."""
BUCKETS = {"day": (24, timedelta(hours=1)), "week": (7, timedelta(days=1)), "month": (30, timedelta(days=1))}
"""Sparkline buckets per trending window: hours of the day, days of the week or of the month."""


def bucket_counts(times: Sequence[datetime], start: datetime, step: timedelta, count: int) -> list[int]:
    """How many of ``times`` fall in each of ``count`` buckets of ``step`` from ``start``. Pure."""
    counts = [0] * count
    for moment in times:
        index = int((moment - start) // step)
        if 0 <= index < count:
            counts[index] += 1
    return counts


@dataclass(slots=True)
class VoteHistory:
    """A paper's upvotes per day from ``first`` to ``last`` and the running total at each day."""

    first: date
    last: date
    per_day: list[int]
    running: list[int]
    total: int

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=i) for i in range(len(self.per_day))]


def history_of(times: Sequence[datetime], today: date) -> VoteHistory | None:
    """The history of votes cast at ``times`` up to ``today`` (None without votes). Pure."""
    if not times:
        return None
    last = max(today, max(t.date() for t in times))
    first = max(min(t.date() for t in times), last - timedelta(days=MAX_DAYS - 1))
    span = (last - first).days + 1
    per_day = bucket_counts(times, datetime.combine(first, datetime.min.time()), timedelta(days=1), span)
    before = sum(1 for t in times if t.date() < first)
    running, total = [], before
    for n in per_day:
        total += n
        running.append(total)
    return VoteHistory(first, last, per_day, running, len(times))


def paper_vote_history(app: Paperfeed, paper_id: str) -> VoteHistory | None:
    """The paper page's chart: its upvotes up to today (business time)."""
    return history_of(app.store.votes.times_for([paper_id]).get(paper_id, []), app.clock.now().date())


def window_sparklines(
    store: Store, paper_ids: Sequence[str], *, window: str, now: datetime
) -> dict[str, list[int]]:
    """Votes per hour (window ``day``) or per day (``week``, ``month``) inside the window ending
    ``now``, oldest bucket first, for each of ``paper_ids`` (the trending list's sparklines)."""
    count, step = BUCKETS[window]
    start = now - step * count
    times = store.votes.times_for(paper_ids)
    return {pid: bucket_counts(times.get(pid, []), start, step, count) for pid in paper_ids}
