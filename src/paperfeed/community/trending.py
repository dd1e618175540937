"""Trending: upvotes with time decay, per category and window.

The score of a paper is a sum over its upvotes, each worth less the older it is::

    score = Σ_votes 2 ** (-age_hours(vote) / HALF_LIFE_HOURS)

so a vote cast now counts 1, one cast a day ago (the default half-life) counts 0.5, two days ago
0.25. Unlike Hacker News' ``votes / (age + 2) ** 1.8`` this decays the *votes*, not the paper: an old
paper that people start upvoting again climbs back, which is what "trending" should mean for papers.
Only votes inside the window (day, week, month) count at all. Ties go to the paper with more votes,
then to the newer paper id. :func:`trending_score` is pure; :func:`trending` fetches and ranks.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from paperfeed.errors import InvalidInput
from paperfeed.store import Store

HALF_LIFE_HOURS = 24.0
WINDOWS = {"day": timedelta(days=1), "week": timedelta(days=7), "month": timedelta(days=30)}


def trending_score(
    vote_times: Iterable[datetime], now: datetime, half_life_hours: float = HALF_LIFE_HOURS
) -> float:
    """Σ 2^(-age/half_life) over the votes; a vote from the future (clock skew) counts as fresh."""
    total = 0.0
    for moment in vote_times:
        age_hours = max((now - moment).total_seconds() / 3600.0, 0.0)
        total += 2.0 ** (-age_hours / half_life_hours)
    return total


@dataclass(frozen=True, slots=True)
class TrendingEntry:
    paper_id: str
    score: float
    votes: int
    entered: datetime | None = None  # its first upvote inside the window: when it joined the list


def rank(vote_times_by_paper: dict[str, list[datetime]], now: datetime) -> list[TrendingEntry]:
    """Entries ordered by score, then vote count, then paper id (newest arXiv ids first). Pure."""
    entries = [
        TrendingEntry(paper_id, trending_score(times, now), len(times), min(times))
        for paper_id, times in vote_times_by_paper.items()
        if times
    ]
    entries.sort(key=lambda e: (-e.score, -e.votes, _desc(e.paper_id)))
    return entries


def _desc(text: str) -> tuple[int, ...]:
    return tuple(-ord(ch) for ch in text)


def trending(
    store: Store,
    *,
    window: str = "week",
    category: str | None = None,
    now: datetime,
    limit: int = 50,
) -> list[TrendingEntry]:
    """The top ``limit`` papers by :func:`trending_score` over votes cast within ``window``."""
    if window not in WINDOWS:
        raise InvalidInput(f"window must be one of {', '.join(WINDOWS)}, not {window!r}")
    times = store.votes.times_since(now - WINDOWS[window], category=category or None)
    return rank(times, now)[:limit]
