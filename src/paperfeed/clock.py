"""Business time: the one clock every feature asks "what time is it?".

Votes, sign-in links, digests, rate limits, "new papers of the last 7 days": everything that depends
on *when* reads :attr:`paperfeed.context.Paperfeed.clock`, never ``datetime.now`` itself. Production
uses :class:`SystemClock`; tests (and ``PAPERFEED_NOW``, for replaying a past day) use a
:class:`FixedClock`, so nothing depends on the day or the hour it runs. Timeouts, retries and
benchmarks measure elapsed time with ``time.monotonic`` and are not business time.

The store's convention is naive UTC (SQLite has no time zones), so :meth:`Clock.now` returns a naive
``datetime`` in UTC.
"""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """What a feature may ask of time."""

    def now(self) -> datetime:
        """The current moment, naive UTC."""
        ...


def utc(moment: datetime) -> datetime:
    """``moment`` (naive UTC, as the store keeps it) as an aware UTC datetime."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def today(clock: Clock) -> date:
    """The UTC date of ``clock``'s now."""
    return clock.now().date()


def timestamp(clock: Clock) -> float:
    """``clock``'s now as POSIX seconds (for signed links and rate-limit windows)."""
    return utc(clock.now()).timestamp()


class SystemClock:
    """The machine's clock."""

    def now(self) -> datetime:
        return wall_now()

    def __repr__(self) -> str:
        return "SystemClock()"


def wall_now() -> datetime:
    """The machine's clock, naive UTC, for what is *not* business time: the expiry of leases and of
    a digest sender's claims, which processes compare with each other's heartbeats. A process
    replaying a past day (``PAPERFEED_NOW``) must still see another's lease run out."""
    return datetime.now(UTC).replace(tzinfo=None)


class FixedClock:
    """A clock that stands still at ``at`` until told to move, or moves ``step`` at every reading.

    ``FixedClock(datetime(2026, 2, 23, 9))`` answers the same moment forever; ``advance`` moves it on
    (a test of "a link expires after 15 minutes" advances 16). With ``step`` each reading is ``step``
    later than the one before, for code that needs time to pass between two looks. Thread-safe: the
    web app's worker threads read the same clock.
    """

    def __init__(self, at: datetime, *, step: timedelta = timedelta(0)) -> None:
        self._now = at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo is not None else at
        self._step = step
        self._lock = threading.Lock()

    def now(self) -> datetime:
        with self._lock:
            moment = self._now
            self._now += self._step
            return moment

    def set(self, at: datetime) -> None:
        with self._lock:
            self._now = at.astimezone(UTC).replace(tzinfo=None) if at.tzinfo is not None else at

    def advance(self, delta: timedelta) -> datetime:
        """Move on by ``delta``; the new now."""
        with self._lock:
            self._now += delta
            return self._now

    def __repr__(self) -> str:
        return f"FixedClock({self._now.isoformat()})"


def parse_moment(text: str) -> datetime:
    """``2026-02-23`` or ``2026-02-23T09:30[:00][Z|+00:00]`` as naive UTC; ValueError otherwise."""
    value = text.strip().replace("Z", "+00:00")
    moment = datetime.fromisoformat(value)
    return moment.astimezone(UTC).replace(tzinfo=None) if moment.tzinfo is not None else moment
