"""Fixed-window rate limits kept in the store, so every worker and instance shares the counts."""

from __future__ import annotations

import time

from paperfeed.errors import RateLimited
from paperfeed.store import Store


def hit(store: Store, key: str, *, limit: int, window_seconds: int, now: float | None = None) -> bool:
    """Count one event for ``key``; ``True`` while the window's count is within ``limit``."""
    moment = time.time() if now is None else now
    window = int(moment // window_seconds) * window_seconds
    return store.rate_limits.count_event(key, window) <= limit


def require(store: Store, key: str, *, limit: int, window_seconds: int, message: str) -> None:
    """:func:`hit`, raising :class:`RateLimited` (with seconds until the window ends) when over."""
    moment = time.time()
    if not hit(store, key, limit=limit, window_seconds=window_seconds, now=moment):
        retry_after = int(window_seconds - moment % window_seconds) + 1
        raise RateLimited(message, retry_after=retry_after)
