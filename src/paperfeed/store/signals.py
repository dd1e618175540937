"""What feeds read about a member, in the store: follows, feedback, impressions and driver switches.

* follows: an author, a category or a search query, each with its own on/off switch;
* feedback: "more like this" or "not interested", one per (member, paper), the latest click wins;
* impressions: how many times a paper was shown to the member and when last (so a feed can avoid
  showing the same paper again and again), counted by one ``INSERT … ON CONFLICT DO UPDATE``;
* feed drivers: switches for whole sources of a feed (``follows``, ``library``, …); a driver
  without a row is on.

Times are naive UTC, the store's convention.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update

from paperfeed.store.database import Database
from paperfeed.store.schema import feed_drivers, feedback, follows, impressions

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Follow:
    id: int
    user_id: int
    kind: str  # "author", "category" or "query"
    value: str
    enabled: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Feedback:
    paper_id: str
    kind: str  # "more" or "not_interested"
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Impression:
    paper_id: str
    times_shown: int
    first_shown_at: datetime
    last_shown_at: datetime


def _follow(row: Any) -> Follow:
    return Follow(
        id=int(row.id),
        user_id=int(row.user_id),
        kind=str(row.kind),
        value=str(row.value),
        enabled=bool(row.enabled),
        created_at=row.created_at,
    )


def _chunks(items: Sequence[str]) -> Iterable[list[str]]:
    unique = list(dict.fromkeys(items))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start : start + _CHUNK]


class SignalStore:
    """Follows, feedback, impressions and feed-driver switches of members."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._engine = database.engine

    # ----------------------------------------------------------------------- follows
    def add_follow(self, user_id: int, kind: str, value: str, *, now: datetime) -> tuple[Follow, bool]:
        """The follow (created, or the existing identical one switched on); and whether it is new."""
        statement = (
            self._db.insert(follows)
            .values(user_id=user_id, kind=kind, value=value, enabled=True, created_at=now)
            .on_conflict_do_nothing(index_elements=["user_id", "kind", "value"])
            .returning(follows.c.id)
        )
        same = (follows.c.user_id == user_id, follows.c.kind == kind, follows.c.value == value)
        with self._engine.begin() as conn:
            created = conn.execute(statement).scalar() is not None
            if not created:
                conn.execute(update(follows).where(*same).values(enabled=True))
            row = conn.execute(select(follows).where(*same)).one()
        return _follow(row), created

    def get_follow(self, follow_id: int) -> Follow | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(follows).where(follows.c.id == follow_id)).first()
        return None if row is None else _follow(row)

    def follows_of(self, user_id: int, *, enabled_only: bool = False) -> list[Follow]:
        """The member's follows: authors, then categories, then queries; oldest first within a kind."""
        query = select(follows).where(follows.c.user_id == user_id)
        if enabled_only:
            query = query.where(follows.c.enabled.is_(True))
        with self._engine.connect() as conn:
            rows = [_follow(row) for row in conn.execute(query.order_by(follows.c.created_at, follows.c.id))]
        order = {"author": 0, "category": 1, "query": 2}
        return sorted(rows, key=lambda f: order.get(f.kind, 3))

    def set_follow_enabled(self, follow_id: int, enabled: bool) -> None:
        with self._engine.begin() as conn:
            conn.execute(update(follows).where(follows.c.id == follow_id).values(enabled=enabled))

    def delete_follow(self, follow_id: int) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(follows).where(follows.c.id == follow_id))

    # ---------------------------------------------------------------------- feedback
    def set_feedback(self, user_id: int, paper_id: str, kind: str, *, now: datetime) -> None:
        """Record a click; it replaces the member's earlier feedback on the paper."""
        statement = (
            self._db.insert(feedback)
            .values(user_id=user_id, paper_id=paper_id, kind=kind, created_at=now)
            .on_conflict_do_update(
                index_elements=["user_id", "paper_id"], set_={"kind": kind, "created_at": now}
            )
        )
        with self._engine.begin() as conn:
            conn.execute(statement)

    def clear_feedback(self, user_id: int, paper_id: str | None = None) -> int:
        """Withdraw feedback on one paper (or, without ``paper_id``, all of it); rows removed."""
        condition = feedback.c.user_id == user_id
        if paper_id is not None:
            condition = condition & (feedback.c.paper_id == paper_id)
        with self._engine.begin() as conn:
            return int(conn.execute(delete(feedback).where(condition)).rowcount or 0)

    def feedback_of(
        self, user_id: int, paper_ids: Sequence[str] | None = None, *, kind: str | None = None
    ) -> dict[str, Feedback]:
        """The member's feedback, newest first: on ``paper_ids`` only when given, of ``kind`` when given."""
        base = select(feedback).where(feedback.c.user_id == user_id)
        if kind is not None:
            base = base.where(feedback.c.kind == kind)
        base = base.order_by(feedback.c.created_at.desc(), feedback.c.paper_id)
        queries = (
            [base]
            if paper_ids is None
            else [base.where(feedback.c.paper_id.in_(c)) for c in _chunks(paper_ids)]
        )
        found: dict[str, Feedback] = {}
        with self._engine.connect() as conn:
            for query in queries:
                for row in conn.execute(query):
                    found[row.paper_id] = Feedback(row.paper_id, row.kind, row.created_at)
        return found

    # ------------------------------------------------------------------- impressions
    def record_impressions(self, user_id: int, paper_ids: Sequence[str], *, now: datetime) -> None:
        """Count one more showing of each paper (each counted once per call)."""
        with self._engine.begin() as conn:
            for chunk in _chunks(paper_ids):
                insert = self._db.insert(impressions).values(
                    [
                        {
                            "user_id": user_id,
                            "paper_id": paper_id,
                            "times_shown": 1,
                            "first_shown_at": now,
                            "last_shown_at": now,
                        }
                        for paper_id in chunk
                    ]
                )
                conn.execute(
                    insert.on_conflict_do_update(
                        index_elements=["user_id", "paper_id"],
                        set_={"times_shown": impressions.c.times_shown + 1, "last_shown_at": now},
                    )
                )

    def impressions_of(self, user_id: int, paper_ids: Sequence[str] | None = None) -> dict[str, Impression]:
        base = select(impressions).where(impressions.c.user_id == user_id)
        queries = (
            [base]
            if paper_ids is None
            else [base.where(impressions.c.paper_id.in_(c)) for c in _chunks(paper_ids)]
        )
        found: dict[str, Impression] = {}
        with self._engine.connect() as conn:
            for query in queries:
                for row in conn.execute(query):
                    found[row.paper_id] = Impression(
                        row.paper_id, int(row.times_shown), row.first_shown_at, row.last_shown_at
                    )
        return found

    def clear_impressions(self, user_id: int) -> int:
        with self._engine.begin() as conn:
            return int(
                conn.execute(delete(impressions).where(impressions.c.user_id == user_id)).rowcount or 0
            )

    # ------------------------------------------------------- for recommenders (many members)
    def _by_user(self, table: Any, user_ids: Sequence[int], *extra: Any) -> Iterable[Any]:
        ids = list(dict.fromkeys(int(u) for u in user_ids))
        with self._engine.connect() as conn:
            for start in range(0, len(ids), _CHUNK):
                query = select(table).where(table.c.user_id.in_(ids[start : start + _CHUNK]), *extra)
                yield from conn.execute(query)

    def feedback_of_users(self, user_ids: Sequence[int]) -> dict[int, dict[str, Feedback]]:
        found: dict[int, dict[str, Feedback]] = {int(u): {} for u in user_ids}
        for row in self._by_user(feedback, user_ids):
            found[int(row.user_id)][row.paper_id] = Feedback(row.paper_id, row.kind, row.created_at)
        return found

    def impressions_of_users(self, user_ids: Sequence[int]) -> dict[int, dict[str, Impression]]:
        found: dict[int, dict[str, Impression]] = {int(u): {} for u in user_ids}
        for row in self._by_user(impressions, user_ids):
            found[int(row.user_id)][row.paper_id] = Impression(
                row.paper_id, int(row.times_shown), row.first_shown_at, row.last_shown_at
            )
        return found

    def follows_of_users(self, user_ids: Sequence[int]) -> dict[int, list[Follow]]:
        found: dict[int, list[Follow]] = {int(u): [] for u in user_ids}
        rows = sorted(self._by_user(follows, user_ids), key=lambda r: (r.created_at, r.id))
        order = {"author": 0, "category": 1, "query": 2}
        for row in sorted(rows, key=lambda r: order.get(r.kind, 3)):
            found[int(row.user_id)].append(_follow(row))
        return found

    def drivers_of_users(self, user_ids: Sequence[int]) -> dict[int, dict[str, bool]]:
        found: dict[int, dict[str, bool]] = {int(u): {} for u in user_ids}
        for row in self._by_user(feed_drivers, user_ids):
            found[int(row.user_id)][row.driver] = bool(row.enabled)
        return found

    # ------------------------------------------------------------------ feed drivers
    def set_driver(self, user_id: int, driver: str, enabled: bool, *, now: datetime) -> None:
        statement = (
            self._db.insert(feed_drivers)
            .values(user_id=user_id, driver=driver, enabled=enabled, updated_at=now)
            .on_conflict_do_update(
                index_elements=["user_id", "driver"], set_={"enabled": enabled, "updated_at": now}
            )
        )
        with self._engine.begin() as conn:
            conn.execute(statement)

    def drivers_of(self, user_id: int) -> dict[str, bool]:
        """The member's explicit switches (drivers not listed are on)."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(feed_drivers.c.driver, feed_drivers.c.enabled).where(feed_drivers.c.user_id == user_id)
            )
            return {row.driver: bool(row.enabled) for row in rows}

    def forget_driver(self, user_id: int, driver: str) -> None:
        """Drop a switch (a deleted collection's, say): the driver is back to its default."""
        with self._engine.begin() as conn:
            conn.execute(
                delete(feed_drivers).where(feed_drivers.c.user_id == user_id, feed_drivers.c.driver == driver)
            )

    def reset_drivers(self, user_id: int) -> int:
        with self._engine.begin() as conn:
            return int(
                conn.execute(delete(feed_drivers).where(feed_drivers.c.user_id == user_id)).rowcount or 0
            )
