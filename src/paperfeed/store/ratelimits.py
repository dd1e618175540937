"""Rate-limit counters in the store, per key and fixed window, so every worker and instance shares the
counts. :mod:`paperfeed.ratelimit` reads the current and the previous window together as a sliding
window."""

from __future__ import annotations

from sqlalchemy import delete, select, update

from paperfeed.store.database import Database
from paperfeed.store.schema import rate_limits


class RateLimitStore:
    """Counts events per key and window."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._engine = database.engine

    def count_event(
        self, key: str, window_start: int, *, previous_start: int | None = None
    ) -> tuple[int, int]:
        """Add one event to ``key``'s window; return ``(this window's count, the count of the window
        starting at previous_start)`` (0 when there is none), in one transaction. The increment is one
        atomic statement (``INSERT … ON CONFLICT DO UPDATE … RETURNING``), so concurrent instances
        never lose a count."""
        statement = self._db.insert(rate_limits).values(key=key, window_start=window_start, count=1)
        statement = statement.on_conflict_do_update(
            index_elements=["key", "window_start"], set_={"count": rate_limits.c.count + 1}
        ).returning(rate_limits.c.count)
        keep_from = window_start if previous_start is None else previous_start
        with self._engine.begin() as conn:
            count = int(conn.execute(statement).scalar_one())
            if count == 1:  # a new window: windows before the previous one are useless now
                conn.execute(
                    delete(rate_limits).where(
                        rate_limits.c.key == key, rate_limits.c.window_start < keep_from
                    )
                )
            previous = 0
            if previous_start is not None:
                found = conn.execute(
                    select(rate_limits.c.count).where(
                        rate_limits.c.key == key, rate_limits.c.window_start == previous_start
                    )
                ).scalar()
                previous = int(found or 0)
        return count, previous

    def uncount_event(self, key: str, window_start: int) -> None:
        """Take back one event of ``key``'s window (a refused request does not use up the limit)."""
        with self._engine.begin() as conn:
            conn.execute(
                update(rate_limits)
                .where(
                    rate_limits.c.key == key,
                    rate_limits.c.window_start == window_start,
                    rate_limits.c.count > 0,
                )
                .values(count=rate_limits.c.count - 1)
            )
