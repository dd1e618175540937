"""Digests in the store: subscriptions with their follows, and the send ledger with its claim.

The ledger has one row per (subscription, period). A send run *plans* a period (one ``queued`` row
per active subscription, ``INSERT … ON CONFLICT DO NOTHING``, so any number of runs plan the same
rows), then *claims* batches of rows and records each outcome as soon as the mail server answered.

The claim is one ``UPDATE … WHERE id IN (SELECT … LIMIT n) RETURNING …`` that marks rows
``sending`` under the claiming run's id. On PostgreSQL the inner select takes row locks with
``FOR UPDATE SKIP LOCKED``: two instances claiming at once get disjoint rows without waiting for
each other. On SQLite the statement is the first of its transaction, so it runs under the
database's single write lock: claims from two processes are serialised. Either way a row is
``sending`` for exactly one run. A ``sending`` row whose run no longer holds its lease (see
:mod:`paperfeed.store.leases`) is claimable again: that run died.

Every write transaction here starts with a write statement: on SQLite in WAL mode, a transaction
that reads first and writes later fails at once if another process committed in between, instead of
waiting for the lock.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, delete, exists, func, insert, or_, select, update

from paperfeed.store.database import Database
from paperfeed.store.schema import (
    digest_follows,
    digest_sends,
    digest_subscriptions,
    leases,
)

__all__ = ["ClaimedSend", "DigestChoices", "DigestStore", "SendRecord", "Subscription"]

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


@dataclass(frozen=True, slots=True)
class ClaimedSend:
    """A ledger row claimed by a run: ``message_id`` and ``content`` are set when an earlier run had
    already prepared (and perhaps sent) it, and must then be reused as they are."""

    id: int
    subscription: Subscription
    period: str
    attempts: int
    message_id: str | None
    content: str | None


@dataclass(frozen=True, slots=True)
class SendRecord:
    """One ledger row as read back (settings pages, "view in browser", tests)."""

    id: int
    subscription_id: int
    period: str
    status: str
    attempts: int
    message_id: str | None
    content: str | None
    code: int | None
    detail: str | None
    updated_at: datetime
    sent_at: datetime | None
    run_id: str | None = None


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


def _send_record(row: Any) -> SendRecord:
    return SendRecord(
        id=int(row.id),
        subscription_id=int(row.subscription_id),
        period=str(row.period),
        status=str(row.status),
        attempts=int(row.attempts or 0),
        message_id=row.message_id,
        content=row.content,
        code=row.code,
        detail=row.detail,
        updated_at=row.updated_at,
        sent_at=row.sent_at,
        run_id=row.run_id,
    )


class DigestStore:
    """Subscriptions, their follows, and the send ledger."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._engine = database.engine

    # ------------------------------------------------------------------ subscriptions
    def _load(self, conn: Connection, rows: Sequence[Any]) -> list[Subscription]:
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
            return self._load(conn, [row])[0]

    def get(self, subscription_id: int) -> Subscription | None:
        with self._engine.connect() as conn:
            row = conn.execute(
                select(digest_subscriptions).where(digest_subscriptions.c.id == subscription_id)
            ).first()
            return self._load(conn, [row])[0] if row else None

    def for_email(self, email: str) -> list[Subscription]:
        """Every subscription of an address, oldest first (unsubscribed ones included)."""
        with self._engine.connect() as conn:
            rows = conn.execute(
                select(digest_subscriptions)
                .where(digest_subscriptions.c.email == email)
                .order_by(digest_subscriptions.c.id)
            ).all()
            return self._load(conn, rows)

    def with_status(self, status: str, *, frequency: str | None = None) -> list[Subscription]:
        """Subscriptions in ``status`` (e.g. every active daily one), oldest first."""
        query = select(digest_subscriptions).where(digest_subscriptions.c.status == status)
        if frequency is not None:
            query = query.where(digest_subscriptions.c.frequency == frequency)
        with self._engine.connect() as conn:
            rows = conn.execute(query.order_by(digest_subscriptions.c.id)).all()
            return self._load(conn, rows)

    def listing(self, *, email: str | None = None, limit: int = 1000) -> list[Subscription]:
        """Subscriptions for the operator's list (newest first), optionally of one address."""
        query = select(digest_subscriptions).order_by(digest_subscriptions.c.id.desc()).limit(limit)
        if email is not None:
            query = query.where(digest_subscriptions.c.email == email)
        with self._engine.connect() as conn:
            return self._load(conn, conn.execute(query).all())

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

    # ------------------------------------------------------------------ the ledger
    def plan(self, period: str, subscription_ids: Iterable[int], *, now: datetime) -> int:
        """A ``queued`` row for each subscription that has none for ``period`` yet; returns how many
        rows the period has in all."""
        rows = [
            {
                "subscription_id": sid,
                "period": period,
                "status": "queued",
                "attempts": 0,
                "created_at": now,
                "updated_at": now,
            }
            for sid in subscription_ids
        ]
        with self._engine.begin() as conn:
            if rows:
                statement = self._db.insert(digest_sends).on_conflict_do_nothing(
                    index_elements=["subscription_id", "period"]
                )
                for start in range(0, len(rows), 2000):
                    conn.execute(statement, rows[start : start + 2000])
            return int(
                conn.execute(
                    select(func.count()).select_from(digest_sends).where(digest_sends.c.period == period)
                ).scalar_one()
            )

    def claim(self, period: str, run_id: str, *, limit: int, now: datetime) -> list[ClaimedSend]:
        """Claim up to ``limit`` rows of ``period`` for ``run_id`` (see the module docstring).

        Claimable: ``queued`` rows this run has not tried yet (a temporary failure waits for the
        next run), and ``sending`` rows of a run whose lease has expired (it died mid-send). Only
        rows of active subscriptions are claimed; rows of subscriptions that were unsubscribed or
        paused meanwhile are marked ``skipped`` in the same transaction.
        """
        sends = digest_sends.c
        run_alive = exists(
            select(leases.c.name).where(leases.c.name == sends.run_id, leases.c.expires_at > now)
        )
        claimable = or_(
            and_(sends.status == "queued", or_(sends.run_id.is_(None), sends.run_id != run_id)),
            and_(sends.status == "sending", sends.run_id != run_id, ~run_alive),
        )
        pick = (
            select(sends.id)
            .join(digest_subscriptions, digest_subscriptions.c.id == sends.subscription_id)
            .where(sends.period == period, claimable, digest_subscriptions.c.status == "active")
            .order_by(sends.id)
            .limit(limit)
        )
        if not self._db.is_sqlite:
            pick = pick.with_for_update(skip_locked=True, of=digest_sends)
        claim = (
            update(digest_sends)
            .where(sends.id.in_(pick))
            .values(status="sending", run_id=run_id, claimed_at=now, updated_at=now)
            .returning(sends.id, sends.subscription_id, sends.attempts, sends.message_id, sends.content)
        )
        inactive = select(digest_subscriptions.c.id).where(digest_subscriptions.c.status != "active")
        with self._engine.begin() as conn:
            claimed = conn.execute(claim).all()
            conn.execute(
                update(digest_sends)
                .where(
                    sends.period == period,
                    claimable,
                    sends.subscription_id.in_(inactive),
                )
                .values(
                    status="skipped",
                    detail="not sent: the subscription was stopped before its turn",
                    updated_at=now,
                )
            )
            if not claimed:
                return []
            by_id = {
                sub.id: sub
                for sub in self._load(
                    conn,
                    conn.execute(
                        select(digest_subscriptions).where(
                            digest_subscriptions.c.id.in_([int(r.subscription_id) for r in claimed])
                        )
                    ).all(),
                )
            }
        return sorted(
            (
                ClaimedSend(
                    id=int(row.id),
                    subscription=by_id[int(row.subscription_id)],
                    period=period,
                    attempts=int(row.attempts or 0),
                    message_id=row.message_id,
                    content=row.content,
                )
                for row in claimed
            ),
            key=lambda item: item.id,
        )

    def prepare(self, run_id: str, prepared: Sequence[tuple[int, str, str]], *, now: datetime) -> None:
        """Fix the Message-ID and content of claimed rows ``(send id, message id, content)`` before
        anything is sent, so that a retry after a crash resends the very same message."""
        if not prepared:
            return
        statement = (
            update(digest_sends)
            .where(
                digest_sends.c.id == bindparam("send_id"),
                digest_sends.c.run_id == run_id,
                digest_sends.c.status == "sending",
            )
            .values(message_id=bindparam("mid"), content=bindparam("body"), updated_at=now)
        )
        with self._engine.begin() as conn:
            conn.execute(
                statement, [{"send_id": i, "mid": mid, "body": content} for i, mid, content in prepared]
            )

    def _finish(self, conn: Connection, send_id: int, run_id: str, **values: Any) -> bool:
        done = conn.execute(
            update(digest_sends)
            .where(
                digest_sends.c.id == send_id,
                digest_sends.c.run_id == run_id,
                digest_sends.c.status == "sending",
            )
            .values(**values)
        )
        return done.rowcount == 1

    def record_sent(
        self, send_id: int, run_id: str, subscription_id: int, *, code: int | None, detail: str, now: datetime
    ) -> bool:
        """The server accepted the digest: ``sent``, and the subscription's failure streak ends.

        The hot path of a send (one call per message), so its statements are built once."""
        with self._engine.begin() as conn:
            done = conn.execute(
                _MARK_SENT,
                {"p_send": send_id, "p_run": run_id, "p_code": code, "p_detail": detail[:2000], "p_now": now},
            )
            if done.rowcount != 1:
                return False
            conn.execute(_END_STREAK, {"p_sub": subscription_id})
        return True

    def record_permanent_failure(
        self,
        send_id: int,
        run_id: str,
        subscription_id: int,
        *,
        code: int | None,
        detail: str,
        pause_after: int,
        now: datetime,
    ) -> bool:
        """Refused for good: ``failed``; the subscription's streak grows and, at ``pause_after``
        failures in a row, the subscription is paused. Returns whether it was paused now."""
        with self._engine.begin() as conn:
            done = self._finish(
                conn,
                send_id,
                run_id,
                status="failed",
                code=code,
                detail=detail[:2000],
                attempts=digest_sends.c.attempts + 1,
                updated_at=now,
            )
            if not done:
                return False
            conn.execute(
                update(digest_subscriptions)
                .where(digest_subscriptions.c.id == subscription_id)
                .values(
                    failure_streak=digest_subscriptions.c.failure_streak + 1,
                    last_error=f"{code or ''} {detail}".strip()[:2000],
                )
            )
            paused = conn.execute(
                update(digest_subscriptions)
                .where(
                    digest_subscriptions.c.id == subscription_id,
                    digest_subscriptions.c.status == "active",
                    digest_subscriptions.c.failure_streak >= pause_after,
                )
                .values(status="paused", paused_at=now)
            )
        return paused.rowcount == 1

    def record_temporary_failure(
        self,
        send_id: int,
        run_id: str,
        *,
        code: int | None,
        detail: str,
        tried: bool,
        give_up_after: int,
        now: datetime,
    ) -> str | None:
        """Not delivered this time: back to ``queued`` for the next run (this run does not claim it
        again: the mail backend already retried with backoff), or ``failed`` once ``give_up_after``
        runs have tried. ``tried`` is false when the message never reached a server (then the try
        does not count). Returns the new status, or ``None`` when the claim was lost."""
        attempts = digest_sends.c.attempts + (1 if tried else 0)
        status = case((attempts >= give_up_after, "failed"), else_="queued")
        with self._engine.begin() as conn:
            row = conn.execute(
                update(digest_sends)
                .where(
                    digest_sends.c.id == send_id,
                    digest_sends.c.run_id == run_id,
                    digest_sends.c.status == "sending",
                )
                .values(
                    status=status,
                    attempts=attempts,
                    code=code,
                    detail=detail[:2000],
                    updated_at=now,
                )
                .returning(digest_sends.c.status)
            ).first()
        return None if row is None else str(row.status)

    def record_skipped(self, send_id: int, run_id: str, *, detail: str, now: datetime) -> bool:
        """Nothing to send (an empty digest): ``skipped``, so no later run composes it again."""
        with self._engine.begin() as conn:
            done = conn.execute(
                _MARK_SKIPPED, {"p_send": send_id, "p_run": run_id, "p_detail": detail, "p_now": now}
            )
        return done.rowcount == 1

    def release(self, run_id: str, *, now: datetime) -> int:
        """Give back a stopping run's claims that it never tried (``sending`` → ``queued``)."""
        with self._engine.begin() as conn:
            released = conn.execute(
                update(digest_sends)
                .where(digest_sends.c.run_id == run_id, digest_sends.c.status == "sending")
                .values(status="queued", run_id=None, updated_at=now)
            )
        return int(released.rowcount or 0)

    def in_flight_elsewhere(self, period: str, run_id: str, *, now: datetime) -> int:
        """Rows of ``period`` being sent by other runs that are still alive (their lease holds)."""
        sends = digest_sends.c
        alive = exists(select(leases.c.name).where(leases.c.name == sends.run_id, leases.c.expires_at > now))
        query = (
            select(func.count())
            .select_from(digest_sends)
            .where(sends.period == period, sends.status == "sending", sends.run_id != run_id, alive)
        )
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def period_counts(self, period: str) -> dict[str, int]:
        """How many ledger rows of ``period`` are in each status."""
        query = (
            select(digest_sends.c.status, func.count())
            .where(digest_sends.c.period == period)
            .group_by(digest_sends.c.status)
        )
        with self._engine.connect() as conn:
            return {str(status): int(n) for status, n in conn.execute(query)}

    def send_of(self, subscription_id: int, period: str) -> SendRecord | None:
        query = select(digest_sends).where(
            digest_sends.c.subscription_id == subscription_id, digest_sends.c.period == period
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return _send_record(row) if row else None

    def sends_of(self, subscription_id: int, *, limit: int = 10) -> list[SendRecord]:
        """The latest ledger rows of a subscription, newest first."""
        query = (
            select(digest_sends)
            .where(digest_sends.c.subscription_id == subscription_id)
            .order_by(digest_sends.c.id.desc())
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [_send_record(row) for row in conn.execute(query)]


# The statements of the per-message hot path, built once (constructing a statement costs more than
# running it). Bind names are prefixed: SQLAlchemy reserves the column names in a SET clause.
_CLAIMED_BY_RUN = and_(
    digest_sends.c.id == bindparam("p_send"),
    digest_sends.c.run_id == bindparam("p_run"),
    digest_sends.c.status == "sending",
)
_MARK_SENT = (
    update(digest_sends)
    .where(_CLAIMED_BY_RUN)
    .values(
        status="sent",
        code=bindparam("p_code"),
        detail=bindparam("p_detail"),
        attempts=digest_sends.c.attempts + 1,
        sent_at=bindparam("p_now"),
        updated_at=bindparam("p_now"),
    )
)
_MARK_SKIPPED = (
    update(digest_sends)
    .where(_CLAIMED_BY_RUN)
    .values(status="skipped", detail=bindparam("p_detail"), updated_at=bindparam("p_now"))
)
_END_STREAK = (
    update(digest_subscriptions)
    .where(digest_subscriptions.c.id == bindparam("p_sub"), digest_subscriptions.c.failure_streak > 0)
    .values(failure_streak=0)
)
