"""Leases and scheduled runs in the store: coordination that every process and instance shares.

A lease is a named row with a holder and an expiry. Taking it is one ``INSERT … ON CONFLICT DO
UPDATE … WHERE`` (the row is free, expired, or already ours) with ``RETURNING``: on SQLite and on
PostgreSQL exactly one of several contenders gets a row back. The holder renews before expiry; a
holder that dies simply stops renewing, and the lease is free again after its time-to-live. Clocks
of the instances must roughly agree (NTP): the expiry is compared with the caller's ``now``.

Scheduled runs record, per job and day, that the job ran (``done``) or is running, so that the
scheduler's holder runs each job once a day and a new holder knows what is left to do.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import case, delete, or_, select, update

from paperfeed.store.database import Database
from paperfeed.store.schema import leases, scheduled_runs

__all__ = ["LeaseStore", "ScheduleStore"]


class LeaseStore:
    """Take, renew, release and inspect named leases."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._engine = database.engine

    def acquire(self, name: str, holder: str, *, ttl_seconds: float, now: datetime) -> bool:
        """Take (or renew) ``name`` for ``holder`` until ``now + ttl``; ``False`` while another
        holder's lease is unexpired."""
        expires = now + timedelta(seconds=ttl_seconds)
        statement = self._db.insert(leases).values(
            name=name, holder=holder, acquired_at=now, expires_at=expires
        )
        statement = statement.on_conflict_do_update(
            index_elements=["name"],
            set_={
                "holder": statement.excluded.holder,
                "expires_at": statement.excluded.expires_at,
                # A renewal keeps the first acquisition time; a takeover starts a new one.
                "acquired_at": _keep_if_same_holder(statement),
            },
            where=or_(leases.c.expires_at <= now, leases.c.holder == holder),
        ).returning(leases.c.holder)
        with self._engine.begin() as conn:
            row = conn.execute(statement).first()
        return row is not None and row.holder == holder

    def release(self, name: str, holder: str) -> bool:
        """Give the lease up (only its holder can)."""
        with self._engine.begin() as conn:
            gone = conn.execute(delete(leases).where(leases.c.name == name, leases.c.holder == holder))
        return gone.rowcount == 1

    def holder(self, name: str, *, now: datetime) -> str | None:
        """Who holds ``name`` now, or ``None`` when it is free or expired."""
        with self._engine.connect() as conn:
            return conn.execute(
                select(leases.c.holder).where(leases.c.name == name, leases.c.expires_at > now)
            ).scalar()


def _keep_if_same_holder(statement: Any) -> Any:
    excluded = statement.excluded
    return case((leases.c.holder == excluded.holder, leases.c.acquired_at), else_=excluded.acquired_at)


class ScheduleStore:
    """Which scheduled jobs ran on which day."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._engine = database.engine

    def start(self, job: str, day: str, *, now: datetime) -> bool:
        """Mark ``job`` of ``day`` running; ``False`` when it is already done for that day."""
        statement = self._db.insert(scheduled_runs).values(job=job, day=day, status="running", started_at=now)
        statement = statement.on_conflict_do_update(
            index_elements=["job", "day"],
            set_={"status": "running", "started_at": now, "finished_at": None, "detail": None},
            where=scheduled_runs.c.status != "done",
        ).returning(scheduled_runs.c.status)
        with self._engine.begin() as conn:
            return conn.execute(statement).first() is not None

    def finish(self, job: str, day: str, *, ok: bool, detail: str, now: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                update(scheduled_runs)
                .where(scheduled_runs.c.job == job, scheduled_runs.c.day == day)
                .values(status="done" if ok else "failed", finished_at=now, detail=detail[:4000])
            )

    def state(self, job: str, day: str) -> tuple[str, datetime | None] | None:
        """(status, finished at) of ``job`` on ``day``, or ``None`` when it has not run that day."""
        with self._engine.connect() as conn:
            row = conn.execute(
                select(scheduled_runs.c.status, scheduled_runs.c.finished_at).where(
                    scheduled_runs.c.job == job, scheduled_runs.c.day == day
                )
            ).first()
        return None if row is None else (str(row.status), row.finished_at)

    def recent(self, *, limit: int = 20) -> list[dict[str, object]]:
        """The latest runs, newest first (for status output)."""
        query = select(scheduled_runs).order_by(scheduled_runs.c.started_at.desc()).limit(limit)
        with self._engine.connect() as conn:
            return [dict(row._mapping) for row in conn.execute(query)]
