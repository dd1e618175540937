"""Recommendations in the store: members' cached models, personal feed tokens and the blend
weights fitted on the store's own members.

The model rows are a cache keyed by a fingerprint the recommender computes (see
:mod:`paperfeed.store.schema.recommend`); writing one is a single ``INSERT … ON CONFLICT DO
UPDATE``, so two requests retraining the same member at once both succeed and the last one wins
with an equal model. Feed tokens arrive here hashed. Times are naive UTC.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select

from paperfeed.store.accounts import User, _user
from paperfeed.store.database import Database
from paperfeed.store.schema import blend_weights, feed_tokens, member_models, users

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class StoredModel:
    user_id: int
    fingerprint: str
    positives: int
    negatives: int
    model: bytes
    trained_at: datetime


@dataclass(frozen=True, slots=True)
class ModelRow:
    """A model to write: what :meth:`RecommendStore.put_models` takes."""

    user_id: int
    fingerprint: str
    positives: int
    negatives: int
    model: bytes


@dataclass(frozen=True, slots=True)
class StoredBlend:
    """Fitted blend weights (JSON, :class:`paperfeed.recommend.blend.BlendWeights`), whether they
    are in use, and the fit's report (JSON)."""

    name: str
    weights: str
    active: bool
    report: str
    fitted_at: datetime


def _stored(row: Any) -> StoredModel:
    return StoredModel(
        user_id=int(row.user_id),
        fingerprint=str(row.fingerprint),
        positives=int(row.positives),
        negatives=int(row.negatives),
        model=bytes(row.model),
        trained_at=row.trained_at,
    )


def _chunks(items: Sequence[int]) -> Iterable[list[int]]:
    unique = list(dict.fromkeys(items))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start : start + _CHUNK]


class RecommendStore:
    """Cached member models and personal feed tokens."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._engine = database.engine

    # -------------------------------------------------------------------------- models
    def get_model(self, user_id: int) -> StoredModel | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(member_models).where(member_models.c.user_id == user_id)).first()
        return None if row is None else _stored(row)

    def get_models(self, user_ids: Sequence[int]) -> dict[int, StoredModel]:
        found: dict[int, StoredModel] = {}
        with self._engine.connect() as conn:
            for chunk in _chunks(user_ids):
                for row in conn.execute(select(member_models).where(member_models.c.user_id.in_(chunk))):
                    found[int(row.user_id)] = _stored(row)
        return found

    def put_models(self, rows: Sequence[ModelRow], *, now: datetime) -> None:
        """Insert or replace the models of these members (one statement per 500)."""
        with self._engine.begin() as conn:
            for start in range(0, len(rows), _CHUNK):
                values = [
                    {
                        "user_id": r.user_id,
                        "fingerprint": r.fingerprint,
                        "positives": r.positives,
                        "negatives": r.negatives,
                        "model": r.model,
                        "trained_at": now,
                    }
                    for r in rows[start : start + _CHUNK]
                ]
                statement = self._db.insert(member_models).values(values)
                conn.execute(
                    statement.on_conflict_do_update(
                        index_elements=["user_id"],
                        set_={
                            "fingerprint": statement.excluded.fingerprint,
                            "positives": statement.excluded.positives,
                            "negatives": statement.excluded.negatives,
                            "model": statement.excluded.model,
                            "trained_at": statement.excluded.trained_at,
                        },
                    )
                )

    def forget_models(self, user_ids: Sequence[int] | None = None) -> int:
        """Drop cached models (all of them without ``user_ids``): they are retrained on next use."""
        with self._engine.begin() as conn:
            if user_ids is None:
                return int(conn.execute(delete(member_models)).rowcount or 0)
            removed = 0
            for chunk in _chunks(user_ids):
                removed += int(
                    conn.execute(delete(member_models).where(member_models.c.user_id.in_(chunk))).rowcount
                    or 0
                )
            return removed

    # ---------------------------------------------------------------------- blend weights
    def get_blend(self, name: str) -> StoredBlend | None:
        """The last fit of the blend ``name`` (None when it was never fitted)."""
        with self._engine.connect() as conn:
            row = conn.execute(select(blend_weights).where(blend_weights.c.name == name)).first()
        if row is None:
            return None
        return StoredBlend(str(row.name), str(row.weights), bool(row.active), str(row.report), row.fitted_at)

    def put_blend(self, name: str, *, weights: str, active: bool, report: str, now: datetime) -> None:
        """Record a fit of the blend ``name`` (replacing the previous one)."""
        values = {"name": name, "weights": weights, "active": active, "report": report, "fitted_at": now}
        with self._engine.begin() as conn:
            statement = self._db.insert(blend_weights).values(values)
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["name"],
                    set_={
                        k: getattr(statement.excluded, k)
                        for k in ("weights", "active", "report", "fitted_at")
                    },
                )
            )

    # ---------------------------------------------------------------------- feed tokens
    def set_feed_token(self, user_id: int, token_hash: str, *, now: datetime) -> None:
        """Give the member a (new) feed token; the old one stops working in the same statement."""
        statement = self._db.insert(feed_tokens).values(
            user_id=user_id, token_hash=token_hash, created_at=now
        )
        with self._engine.begin() as conn:
            conn.execute(
                statement.on_conflict_do_update(
                    index_elements=["user_id"], set_={"token_hash": token_hash, "created_at": now}
                )
            )

    def feed_token_created(self, user_id: int) -> datetime | None:
        with self._engine.connect() as conn:
            return conn.execute(
                select(feed_tokens.c.created_at).where(feed_tokens.c.user_id == user_id)
            ).scalar()

    def feed_token_user(self, token_hash: str) -> User | None:
        query = (
            select(users)
            .join(feed_tokens, feed_tokens.c.user_id == users.c.id)
            .where(feed_tokens.c.token_hash == token_hash)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return None if row is None else _user(row)

    def delete_feed_token(self, user_id: int) -> bool:
        with self._engine.begin() as conn:
            return bool(conn.execute(delete(feed_tokens).where(feed_tokens.c.user_id == user_id)).rowcount)
