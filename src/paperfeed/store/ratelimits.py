"""Fixed-window rate-limit counters in the store, so every worker and instance shares the counts."""

from __future__ import annotations

from sqlalchemy import delete

from paperfeed.store.database import Database
from paperfeed.store.schema import rate_limits


class RateLimitStore:
    """Counts events per key and window."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._engine = database.engine

    def count_event(self, key: str, window_start: int) -> int:
        """Add one event to ``key``'s window and return the window's count, in one atomic statement
        (``INSERT … ON CONFLICT DO UPDATE … RETURNING``), so concurrent instances never lose a count."""
        statement = self._db.insert(rate_limits).values(key=key, window_start=window_start, count=1)
        statement = statement.on_conflict_do_update(
            index_elements=["key", "window_start"], set_={"count": rate_limits.c.count + 1}
        ).returning(rate_limits.c.count)
        with self._engine.begin() as conn:
            count = int(conn.execute(statement).scalar_one())
            if count == 1:  # a new window: the key's older windows are useless now
                conn.execute(
                    delete(rate_limits).where(
                        rate_limits.c.key == key, rate_limits.c.window_start < window_start
                    )
                )
        return count
