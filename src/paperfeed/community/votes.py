"""Upvotes: one per member per paper, so double clicks and replays count once."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Engine, delete, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from paperfeed.community.accounts import User
from paperfeed.community.clock import utcnow
from paperfeed.store.community_schema import votes


def vote(engine: Engine, user: User, paper_id: str) -> int:
    """Record ``user``'s upvote (idempotent, ``INSERT … ON CONFLICT DO NOTHING``); the new count."""
    dialect = engine.dialect.name
    insert_fn = pg_insert if dialect == "postgresql" else sqlite_insert
    statement = (
        insert_fn(votes)
        .values(user_id=user.id, paper_id=paper_id, created_at=utcnow())
        .on_conflict_do_nothing(index_elements=["user_id", "paper_id"])
    )
    with engine.begin() as conn:
        conn.execute(statement)
    return vote_counts(engine, [paper_id]).get(paper_id, 0)


def unvote(engine: Engine, user: User, paper_id: str) -> int:
    """Withdraw the upvote (idempotent too); the new count."""
    with engine.begin() as conn:
        conn.execute(delete(votes).where(votes.c.user_id == user.id, votes.c.paper_id == paper_id))
    return vote_counts(engine, [paper_id]).get(paper_id, 0)


def vote_counts(engine: Engine, paper_ids: Sequence[str]) -> dict[str, int]:
    """Upvotes per paper; papers without votes are absent."""
    if not paper_ids:
        return {}
    query = (
        select(votes.c.paper_id, func.count().label("n"))
        .where(votes.c.paper_id.in_(list(paper_ids)))
        .group_by(votes.c.paper_id)
    )
    with engine.connect() as conn:
        return {row.paper_id: int(row.n) for row in conn.execute(query)}


def voted_by(engine: Engine, user: User | None, paper_ids: Sequence[str]) -> set[str]:
    """The papers among ``paper_ids`` that ``user`` has upvoted."""
    if user is None or not paper_ids:
        return set()
    query = select(votes.c.paper_id).where(votes.c.user_id == user.id, votes.c.paper_id.in_(list(paper_ids)))
    with engine.connect() as conn:
        return {row.paper_id for row in conn.execute(query)}
