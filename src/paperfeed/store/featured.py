"""Featured papers in the store: submissions and curator picks per day, and the curators' log."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from paperfeed.store.database import Database
from paperfeed.store.schema import curator_actions, featured


@dataclass(frozen=True, slots=True)
class FeaturedEntry:
    day: date
    paper_id: str
    source: str  # "submission" or "curator"
    user_id: int | None
    created_at: datetime
    hidden: bool


def as_date(value: Any) -> date | None:
    """A date from what a driver returns for a DATE or DATETIME column (SQLite may give text)."""
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return datetime.fromisoformat(str(value)).date()


def _entry(row: Any) -> FeaturedEntry:
    day = as_date(row.day)
    assert day is not None  # the column is part of the primary key
    return FeaturedEntry(day, row.paper_id, row.source, row.user_id, row.created_at, bool(row.hidden))


class FeaturedStore:
    """Which papers are featured on which day, and who changed it."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._engine = database.engine

    def _log(
        self, conn: Connection, user_id: int | None, action: str, paper_id: str, day: date, now: datetime
    ) -> None:
        conn.execute(
            insert(curator_actions).values(
                user_id=user_id, action=action, paper_id=paper_id, day=day, created_at=now
            )
        )

    def add(self, day: date, paper_id: str, *, source: str, user_id: int | None, now: datetime) -> bool:
        """Feature a paper on ``day``; ``False`` when it already was. A curator's pick of a hidden
        entry shows it again. Idempotent across instances (``ON CONFLICT DO NOTHING``)."""
        statement = (
            self._db.insert(featured)
            .values(day=day, paper_id=paper_id, source=source, user_id=user_id, created_at=now, hidden=False)
            .on_conflict_do_nothing(index_elements=["day", "paper_id"])
            .returning(featured.c.paper_id)
        )
        with self._engine.begin() as conn:
            # RETURNING, not rowcount: drivers disagree on rowcount for ON CONFLICT DO NOTHING.
            created = conn.execute(statement).first() is not None
            if source == "curator":
                if created:
                    self._log(conn, user_id, "feature", paper_id, day, now)
                else:
                    shown = conn.execute(
                        update(featured)
                        .where(
                            featured.c.day == day,
                            featured.c.paper_id == paper_id,
                            featured.c.hidden.is_(True),
                        )
                        .values(hidden=False)
                    )
                    if shown.rowcount:
                        self._log(conn, user_id, "unhide", paper_id, day, now)
        return created

    def remove(self, day: date, paper_id: str, *, user_id: int | None, now: datetime) -> bool:
        with self._engine.begin() as conn:
            gone = conn.execute(
                delete(featured).where(featured.c.day == day, featured.c.paper_id == paper_id)
            )
            if gone.rowcount:
                self._log(conn, user_id, "unfeature", paper_id, day, now)
        return bool(gone.rowcount)

    def set_hidden(
        self, day: date, paper_id: str, *, hidden: bool, user_id: int | None, now: datetime
    ) -> bool:
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(featured)
                .where(featured.c.day == day, featured.c.paper_id == paper_id)
                .values(hidden=hidden)
            )
            if changed.rowcount:
                self._log(conn, user_id, "hide" if hidden else "unhide", paper_id, day, now)
        return bool(changed.rowcount)

    def for_days(self, first: date, last: date, *, include_hidden: bool = False) -> list[FeaturedEntry]:
        """Entries of the days ``first`` … ``last`` (inclusive), oldest entry first."""
        query = (
            select(featured)
            .where(featured.c.day >= first, featured.c.day <= last)
            .order_by(featured.c.day, featured.c.created_at, featured.c.paper_id)
        )
        if not include_hidden:
            query = query.where(featured.c.hidden.is_(False))
        with self._engine.connect() as conn:
            return [_entry(row) for row in conn.execute(query)]

    def for_day(self, day: date, *, include_hidden: bool = False) -> list[FeaturedEntry]:
        return self.for_days(day, day, include_hidden=include_hidden)

    def for_papers(self, paper_ids: Sequence[str]) -> dict[str, list[FeaturedEntry]]:
        """The visible entries of each paper in ``paper_ids``, oldest day first; papers never
        featured are absent."""
        if not paper_ids:
            return {}
        query = (
            select(featured)
            .where(featured.c.paper_id.in_(list(dict.fromkeys(paper_ids))), featured.c.hidden.is_(False))
            .order_by(featured.c.day, featured.c.created_at)
        )
        found: dict[str, list[FeaturedEntry]] = {}
        with self._engine.connect() as conn:
            for row in conn.execute(query):
                found.setdefault(row.paper_id, []).append(_entry(row))
        return found

    def earliest_day(self) -> date | None:
        """The oldest day with a visible featured paper."""
        with self._engine.connect() as conn:
            return as_date(
                conn.execute(select(func.min(featured.c.day)).where(featured.c.hidden.is_(False))).scalar()
            )

    def latest_day(self) -> date | None:
        """The newest day with a visible featured paper."""
        with self._engine.connect() as conn:
            return as_date(
                conn.execute(select(func.max(featured.c.day)).where(featured.c.hidden.is_(False))).scalar()
            )

    def adjacent_days(self, day: date) -> tuple[date | None, date | None]:
        """The nearest earlier and later days with a visible featured paper."""
        visible = featured.c.hidden.is_(False)
        with self._engine.connect() as conn:
            before = conn.execute(
                select(func.max(featured.c.day)).where(featured.c.day < day, visible)
            ).scalar()
            after = conn.execute(
                select(func.min(featured.c.day)).where(featured.c.day > day, visible)
            ).scalar()
        return as_date(before), as_date(after)
