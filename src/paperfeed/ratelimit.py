"""Sliding-window rate limits kept in the store, so every worker and instance shares the counts.

The store counts events in fixed windows (one row per key and window). A fixed window alone lets
twice the limit through around its edge (the limit at 04:59:59, the limit again at 05:00:00), so a
request is judged by a sliding-window estimate instead: this window's count plus the previous
window's count weighted by how much of the previous window the sliding window still covers
(Cloudflare's "sliding window counter"). With ``limit`` events in the last stretch of one window,
the next window starts nearly full and empties as the old events slide out.

A refused request is not counted: the limit is on what was let through, so asking again and again
neither extends one's own wait nor fills a shared limit (the sign-in cap of an address) for others.
Because the previous window's events are taken as evenly spread, the wait after a burst can be up
to two windows (a burst at the very start of a window slides out only as the next one ends).

Windows are counted on the context's clock (business time), so a test can step over a window's edge.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from paperfeed.clock import timestamp
from paperfeed.context import Paperfeed
from paperfeed.errors import RateLimited


@dataclass(frozen=True, slots=True)
class Verdict:
    """One event judged: whether it is within the limit, the estimated count in the sliding window
    (this event included) and the seconds until one more event would be allowed."""

    allowed: bool
    estimate: float
    retry_after: int


def sliding_estimate(current: int, previous: int, elapsed: float, window_seconds: float) -> float:
    """Events in the ``window_seconds`` ending now, estimated from the counts of the current fixed
    window (``elapsed`` seconds old) and of the previous one (assumed evenly spread)."""
    overlap = max(0.0, 1.0 - elapsed / window_seconds)
    return previous * overlap + current


def seconds_until_allowed(
    current: int, previous: int, elapsed: float, window_seconds: float, limit: int
) -> float:
    """How long until one more event fits under ``limit``, if no other event comes (pure maths)."""
    room = limit - 1  # the next event needs the estimate without it to be at most limit - 1
    if current <= room:
        if previous == 0 or sliding_estimate(current, previous, elapsed, window_seconds) <= room:
            return 0.0
        # previous * (1 - (elapsed + t) / W) + current <= room
        needed = window_seconds * (1.0 - (room - current) / previous) - elapsed
        return max(needed, 0.0)
    # Not in this window: in the next one, this window's count slides out as the next one ages.
    into_next = window_seconds * (1.0 - room / current) if current else 0.0
    return (window_seconds - elapsed) + max(into_next, 0.0)


def check(app: Paperfeed, key: str, *, limit: int, window_seconds: int, now: float | None = None) -> Verdict:
    """Count one event for ``key`` and judge it against ``limit`` events per sliding window."""
    moment = timestamp(app.clock) if now is None else now
    window = int(moment // window_seconds) * window_seconds
    current, previous = app.store.rate_limits.count_event(key, window, previous_start=window - window_seconds)
    elapsed = moment - window
    estimate = sliding_estimate(current, previous, elapsed, window_seconds)
    if estimate <= limit:
        return Verdict(True, estimate, 0)
    app.store.rate_limits.uncount_event(key, window)  # refused: it does not use up the limit
    current -= 1
    wait = seconds_until_allowed(current, previous, elapsed, window_seconds, limit)
    return Verdict(False, estimate, max(math.ceil(wait), 1))


def hit(app: Paperfeed, key: str, *, limit: int, window_seconds: int, now: float | None = None) -> bool:
    """Count one event for ``key``; ``True`` while the sliding window holds at most ``limit``."""
    return check(app, key, limit=limit, window_seconds=window_seconds, now=now).allowed


def require(app: Paperfeed, key: str, *, limit: int, window_seconds: int, message: str) -> None:
    """:func:`hit`, raising :class:`RateLimited` (with the seconds until one more is allowed) when over."""
    verdict = check(app, key, limit=limit, window_seconds=window_seconds)
    if not verdict.allowed:
        raise RateLimited(message, retry_after=verdict.retry_after)
