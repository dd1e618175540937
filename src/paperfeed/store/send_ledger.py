"""The digest send ledger: one row per (subscription, period), claimed and recorded exactly once.

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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, case, exists, func, or_, select, update

from paperfeed.store.database import Database
from paperfeed.store.schema import (
    digest_sends,
    digest_subscriptions,
    leases,
)
from paperfeed.store.subscriptions import Subscription, load_subscriptions

__all__ = ["ClaimedSend", "SendLedger", "SendRecord"]


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


class SendLedger:
    """The send ledger of the digests (see the module docstring)."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._engine = database.engine

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
                for sub in load_subscriptions(
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
