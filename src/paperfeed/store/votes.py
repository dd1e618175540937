"""Upvotes in the store: one row per (member, paper), so double clicks and replays count once."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, func, or_, select

from paperfeed.store.database import Database
from paperfeed.store.schema import paper_categories, votes


class VoteStore:
    """Add, remove and count upvotes."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._engine = database.engine

    def add(self, user_id: int, paper_id: str, *, now: datetime) -> None:
        """Record an upvote; a second one by the same member is ignored (``ON CONFLICT DO NOTHING``)."""
        statement = (
            self._db.insert(votes)
            .values(user_id=user_id, paper_id=paper_id, created_at=now)
            .on_conflict_do_nothing(index_elements=["user_id", "paper_id"])
        )
        with self._engine.begin() as conn:
            conn.execute(statement)

    def remove(self, user_id: int, paper_id: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(votes).where(votes.c.user_id == user_id, votes.c.paper_id == paper_id))

    def counts(self, paper_ids: Sequence[str]) -> dict[str, int]:
        """Upvotes per paper; papers without votes are absent."""
        if not paper_ids:
            return {}
        query = (
            select(votes.c.paper_id, func.count().label("n"))
            .where(votes.c.paper_id.in_(list(dict.fromkeys(paper_ids))))
            .group_by(votes.c.paper_id)
        )
        with self._engine.connect() as conn:
            return {row.paper_id: int(row.n) for row in conn.execute(query)}

    def voted_by(self, user_id: int, paper_ids: Sequence[str]) -> set[str]:
        """The papers among ``paper_ids`` that the member has upvoted."""
        if not paper_ids:
            return set()
        query = select(votes.c.paper_id).where(
            votes.c.user_id == user_id, votes.c.paper_id.in_(list(dict.fromkeys(paper_ids)))
        )
        with self._engine.connect() as conn:
            return {row.paper_id for row in conn.execute(query)}

    def times_for(self, paper_ids: Sequence[str]) -> dict[str, list[datetime]]:
        """When each of ``paper_ids`` was upvoted (all its votes); papers without votes are absent."""
        times: dict[str, list[datetime]] = defaultdict(list)
        wanted = list(dict.fromkeys(paper_ids))
        with self._engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                query = select(votes.c.paper_id, votes.c.created_at).where(
                    votes.c.paper_id.in_(wanted[start : start + 500])
                )
                for row in conn.execute(query):
                    times[row.paper_id].append(row.created_at)
        return dict(times)

    def times_since(
        self, since: datetime, *, category: str | None = None, until: datetime | None = None
    ) -> dict[str, list[datetime]]:
        """When each paper was upvoted, for votes cast in ``[since, until)`` (trending's input),
        optionally only papers in ``category``."""
        query = select(votes.c.paper_id, votes.c.created_at).where(votes.c.created_at >= since)
        if until is not None:
            query = query.where(votes.c.created_at < until)
        if category:  # a dotless name (cs) is the whole archive, as everywhere else
            column = paper_categories.c.category
            matches = (
                column == category
                if "." in category
                else or_(column == category, column.like(f"{category}.%"))
            )
            query = query.where(votes.c.paper_id.in_(select(paper_categories.c.paper_id).where(matches)))
        times: dict[str, list[datetime]] = defaultdict(list)
        with self._engine.connect() as conn:
            for row in conn.execute(query):
                times[row.paper_id].append(row.created_at)
        return dict(times)
