"""Digest subscriptions in the store: who gets which digest, with their follows.

A subscription is a row in ``digest_subscriptions`` (address, frequency, status: pending, active,
paused, unsubscribed) and its follows in ``digest_follows`` (trending categories, categories,
authors, queries, the "recommended" section). The send ledger that delivers them is
:mod:`paperfeed.store.send_ledger`.

Every write transaction here starts with a write statement: on SQLite in WAL mode, a transaction
that reads first and writes later fails at once if another process committed in between, instead of
waiting for the lock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select, update

from paperfeed.store.database import Database
from paperfeed.store.schema import (
    digest_follows,
    digest_subscriptions,
)

__all__ = ["DigestChoices", "Subscription", "SubscriptionStore", "load_subscriptions"]

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class DigestChoices:
    """What a subscription asks for; validated by :mod:`paperfeed.digest.subscriptions`.

    ``trending_categories`` empty means site-wide trending (when ``trending`` is on).
    ``recommended``: a "Recommended for you" section, for an address that is a member's.
    """

    frequency: str = "daily"
    trending: bool = True
    trending_categories: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    authors: tuple[str, ...] = ()
    queries: tuple[str, ...] = ()
    max_papers: int = 20
    recommended: bool = False

    def follows(self) -> list[tuple[str, str]]:
        """(kind, value) rows in order, as stored in ``digest_follows``."""
        return [
            *(("trending", c) for c in self.trending_categories),
            *(("category", c) for c in self.categories),
            *(("author", a) for a in self.authors),
            *(("query", q) for q in self.queries),
            *((("recommended", ""),) if self.recommended else ()),
        ]


@dataclass(frozen=True, slots=True)
class Subscription:
    id: int
    email: str
    choices: DigestChoices
    status: str  # pending, active, paused, unsubscribed
    created_at: datetime
    confirmed_at: datetime | None = None
    unsubscribed_at: datetime | None = None
    failure_streak: int = 0
    paused_at: datetime | None = None
    last_error: str | None = None


@dataclass(slots=True)
class _Follows:
    trending: list[str] = field(default_factory=list)
    category: list[str] = field(default_factory=list)
    author: list[str] = field(default_factory=list)
    query: list[str] = field(default_factory=list)
    recommended: list[str] = field(default_factory=list)


def _subscription(row: Any, follows: _Follows | None) -> Subscription:
    found = follows or _Follows()
    return Subscription(
        id=int(row.id),
        email=str(row.email),
        choices=DigestChoices(
            frequency=str(row.frequency),
            trending=bool(row.trending),
            trending_categories=tuple(found.trending),
            categories=tuple(found.category),
            authors=tuple(found.author),
            queries=tuple(found.query),
            max_papers=int(row.max_papers),
            recommended=bool(found.recommended),
        ),
        status=str(row.status),
        created_at=row.created_at,
        confirmed_at=row.confirmed_at,
        unsubscribed_at=row.unsubscribed_at,
        failure_streak=int(row.failure_streak or 0),
        paused_at=row.paused_at,
        last_error=row.last_error,
    )


def _activated(now: datetime) -> dict[str, Any]:
    """What becoming active means, by a confirmation link or otherwise: a clean slate."""
    return {
        "status": "active",
        "confirm_hash": None,
        "confirmed_at": now,
        "unsubscribed_at": None,
        "paused_at": None,
        "failure_streak": 0,
    }


def load_subscriptions(conn: Connection, rows: Sequence[Any]) -> list[Subscription]:
    """Subscriptions from their rows, each with its follows (one query per chunk of rows)."""
    ids = [int(row.id) for row in rows]
    follows: dict[int, _Follows] = defaultdict(_Follows)
    for start in range(0, len(ids), _CHUNK):
        chunk = ids[start : start + _CHUNK]
        query = (
            select(digest_follows)
            .where(digest_follows.c.subscription_id.in_(chunk))
            .order_by(digest_follows.c.subscription_id, digest_follows.c.position)
        )
        for row in conn.execute(query):
            getattr(follows[int(row.subscription_id)], row.kind).append(row.value)
    return [_subscription(row, follows.get(int(row.id))) for row in rows]


class SubscriptionStore:
    """Subscriptions and their follows."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._engine = database.engine

    def _write_follows(self, conn: Connection, subscription_id: int, choices: DigestChoices) -> None:
        conn.execute(delete(digest_follows).where(digest_follows.c.subscription_id == subscription_id))
        rows = [
            {"subscription_id": subscription_id, "kind": kind, "value": value, "position": i}
            for i, (kind, value) in enumerate(choices.follows())
        ]
        if rows:
            conn.execute(insert(digest_follows), rows)

    def add(
        self,
        email: str,
        choices: DigestChoices,
        *,
        status: str,
        now: datetime,
        confirm_hash: str | None = None,
    ) -> Subscription:
        """A new subscription (``pending`` with a confirmation hash, or ``active`` at once)."""
        with self._engine.begin() as conn:
            new_id = conn.execute(
                insert(digest_subscriptions)
                .values(
                    email=email,
                    frequency=choices.frequency,
                    trending=choices.trending,
                    max_papers=choices.max_papers,
                    status=status,
                    confirm_hash=confirm_hash,
                    confirm_sent_at=now if confirm_hash else None,
                    created_at=now,
                    confirmed_at=now if status == "active" else None,
                    failure_streak=0,
                )
                .returning(digest_subscriptions.c.id)
            ).scalar_one()
            self._write_follows(conn, int(new_id), choices)
            row = conn.execute(select(digest_subscriptions).where(digest_subscriptions.c.id == new_id)).one()
            return load_subscriptions(conn, [row])[0]

    def get(self, subscription_id: int) -> Subscription | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(digest_subscriptions).where(digest_subscriptions.c.id == subscription_id)
            ).first()
            return load_subscriptions(conn, [row])[0] if row else None

    def for_email(self, email: str) -> list[Subscription]:
        """Every subscription of an address, oldest first (unsubscribed ones included)."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(digest_subscriptions)
                .where(digest_subscriptions.c.email == email)
                .order_by(digest_subscriptions.c.id)
            ).all()
            return load_subscriptions(conn, rows)

    def with_status(self, status: str, *, frequency: str | None = None) -> list[Subscription]:
        """Subscriptions in ``status`` (e.g. every active daily one), oldest first."""
        query = select(digest_subscriptions).where(digest_subscriptions.c.status == status)
        if frequency is not None:
            query = query.where(digest_subscriptions.c.frequency == frequency)
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(digest_subscriptions.c.id)).all()
            return load_subscriptions(conn, rows)

    def listing(self, *, email: str | None = None, limit: int = 1000) -> list[Subscription]:
        """Subscriptions for the operator's list (newest first), optionally of one address."""
        query = select(digest_subscriptions).order_by(digest_subscriptions.c.id.desc()).limit(limit)
        if email is not None:
            query = query.where(digest_subscriptions.c.email == email)
        with self._engine.connect() as conn:
            return load_subscriptions(conn, conn.execute(query).all())

    def status_counts(self) -> dict[str, int]:
        query = select(digest_subscriptions.c.status, func.count()).group_by(digest_subscriptions.c.status)
        with self._engine.connect() as conn:
            return {str(status): int(n) for status, n in conn.execute(query)}

    def set_choices(self, subscription_id: int, choices: DigestChoices) -> bool:
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(digest_subscriptions)
                .where(digest_subscriptions.c.id == subscription_id)
                .values(
                    frequency=choices.frequency,
                    trending=choices.trending,
                    max_papers=choices.max_papers,
                )
            )
            if changed.rowcount != 1:
                return False
            self._write_follows(conn, subscription_id, choices)
        return True

    def request_confirmation(self, subscription_id: int, confirm_hash: str, *, now: datetime) -> bool:
        """A fresh confirmation nonce for a subscription that is not active (pending again, or
        unsubscribed and asking back in): it becomes ``pending`` until the new link is used."""
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(digest_subscriptions)
                .where(
                    digest_subscriptions.c.id == subscription_id,
                    digest_subscriptions.c.status.in_(("pending", "unsubscribed")),
                )
                .values(status="pending", confirm_hash=confirm_hash, confirm_sent_at=now)
            )
        return changed.rowcount == 1

    def confirm(self, subscription_id: int, confirm_hash: str, *, now: datetime) -> bool:
        """``pending`` → ``active`` when the hash is the pending link's; one conditional UPDATE, so
        two clicks (or two instances) confirm once. ``False`` when nothing matched."""
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(digest_subscriptions)
                .where(
                    digest_subscriptions.c.id == subscription_id,
                    digest_subscriptions.c.status == "pending",
                    digest_subscriptions.c.confirm_hash == confirm_hash,
                )
                .values(**_activated(now))
            )
        return changed.rowcount == 1

    def activate(self, subscription_id: int, *, now: datetime) -> bool:
        """Make a subscription active without a link (a signed-in member, an operator's import, a
        resumed pause); the failure streak starts again from zero."""
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(digest_subscriptions)
                .where(
                    digest_subscriptions.c.id == subscription_id,
                    digest_subscriptions.c.status != "active",
                )
                .values(**_activated(now))
            )
        return changed.rowcount == 1

    def unsubscribe(self, subscription_id: int, *, now: datetime) -> bool:
        """Stop a subscription for good (until its owner subscribes again); ``False`` if it already was."""
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(digest_subscriptions)
                .where(
                    digest_subscriptions.c.id == subscription_id,
                    digest_subscriptions.c.status != "unsubscribed",
                )
                .values(status="unsubscribed", unsubscribed_at=now, confirm_hash=None)
            )
        return changed.rowcount == 1
