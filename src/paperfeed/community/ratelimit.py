"""Fixed-window rate limits kept in the database, so every worker process shares the counts."""

from __future__ import annotations

import time

from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from paperfeed.store.community_schema import rate_limits


def hit(engine: Engine, key: str, *, limit: int, window_seconds: int, now: float | None = None) -> bool:
    """Count one event for ``key``; ``True`` while the window's count is within ``limit``."""
    moment = time.time() if now is None else now
    window = int(moment // window_seconds) * window_seconds
    for _attempt in range(3):
        try:
            with engine.begin() as conn:
                changed = conn.execute(
                    update(rate_limits)
                    .where(rate_limits.c.key == key, rate_limits.c.window_start == window)
                    .values(count=rate_limits.c.count + 1)
                )
                if changed.rowcount == 0:
                    conn.execute(insert(rate_limits).values(key=key, window_start=window, count=1))
                    # Old windows of this key are useless now: keep the table small.
                    conn.execute(
                        delete(rate_limits).where(
                            rate_limits.c.key == key, rate_limits.c.window_start < window
                        )
                    )
                count = conn.execute(
                    select(rate_limits.c.count).where(
                        rate_limits.c.key == key, rate_limits.c.window_start == window
                    )
                ).scalar_one()
            return int(count) <= limit
        except IntegrityError:  # another worker inserted the same window first: count again
            continue
    return False
