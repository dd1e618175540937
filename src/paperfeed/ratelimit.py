"""Fixed-window rate limits kept in the store, so every worker and instance shares the counts.

Windows are counted on the context's clock (business time), so a test can step over a window's edge.
"""

from __future__ import annotations

from paperfeed.clock import timestamp
from paperfeed.context import Paperfeed
from paperfeed.errors import RateLimited


def hit(app: Paperfeed, key: str, *, limit: int, window_seconds: int, now: float | None = None) -> bool:
    """Count one event for ``key``; ``True`` while the window's count is within ``limit``."""
    moment = timestamp(app.clock) if now is None else now
    window = int(moment // window_seconds) * window_seconds
    return app.store.rate_limits.count_event(key, window) <= limit


def require(app: Paperfeed, key: str, *, limit: int, window_seconds: int, message: str) -> None:
    """:func:`hit`, raising :class:`RateLimited` (with seconds until the window ends) when over."""
    moment = timestamp(app.clock)
    if not hit(app, key, limit=limit, window_seconds=window_seconds, now=moment):
        retry_after = int(window_seconds - moment % window_seconds) + 1
        raise RateLimited(message, retry_after=retry_after)
