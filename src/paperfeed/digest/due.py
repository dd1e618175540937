"""Which period a digest covers, which digests are due, and their keys in the send ledger.

A digest covers a :class:`~paperfeed.periods.Period` (the one type of span of days paperfeed has):
a daily digest a day, a weekly digest an ISO week. A paper's day is the UTC date of its first
version (as on the daily page). arXiv announces new papers on five days a week, so daily digests
exist for Monday to Friday only: Monday's digest is the day period of Monday that also holds the
weekend before it (``first`` is the Saturday), and Saturday and Sunday have no daily digest. Public
holidays on which arXiv announces nothing are not known here: such a day simply has fewer papers.

Pure functions: no clock, no I/O.
"""

from __future__ import annotations

from datetime import date, timedelta

from paperfeed.errors import InvalidInput
from paperfeed.periods import Period, period_of

FREQUENCIES = ("daily", "weekly")
_KIND = {"daily": "day", "weekly": "week"}
_FREQUENCY = {kind: frequency for frequency, kind in _KIND.items()}


def frequency_of(period: Period) -> str:
    """``daily`` for a day, ``weekly`` for a week."""
    try:
        return _FREQUENCY[period.kind]
    except KeyError:
        raise InvalidInput(f"no digest covers a {period.kind}") from None


def ledger_key(period: Period) -> str:
    """The send ledger's key of the digest of ``period``: ``daily:2026-02-20``, ``weekly:2026-W08``."""
    return f"{frequency_of(period)}:{period.key}"


def is_announcement_day(day: date) -> bool:
    """Monday to Friday: the days arXiv's new papers appear."""
    return day.weekday() < 5


def daily_period(day: date) -> Period | None:
    """The daily digest of ``day``, or ``None`` on a weekend (its papers go into Monday's)."""
    if not is_announcement_day(day):
        return None
    first = day - timedelta(days=2) if day.weekday() == 0 else day
    return Period("day", first, day)


def weekly_period(day: date) -> Period:
    """The ISO week (Monday to Sunday) that holds ``day``."""
    return period_of("week", day)


def period_for(frequency: str, day: date) -> Period | None:
    if frequency == "daily":
        return daily_period(day)
    if frequency == "weekly":
        return weekly_period(day)
    raise InvalidInput(f"frequency must be daily or weekly, not {frequency!r}")


def periods_for_day(day: date) -> dict[str, Period | None]:
    """What ``--period DAY`` sends: that day's daily digest and the weekly digest of its week."""
    return {"daily": daily_period(day), "weekly": weekly_period(day)}


def due_periods(today: date) -> dict[str, Period | None]:
    """What a run on ``today`` sends without ``--period``: the last complete periods.

    Daily: yesterday's digest (none when yesterday was a weekend day: Monday's digest, which holds
    the weekend, goes out on Tuesday). Weekly: the last complete ISO week, so a run on any day of a
    week sends the week before it, once (the ledger makes the later runs of the week no-ops).
    """
    yesterday = today - timedelta(days=1)
    last_sunday = today - timedelta(days=today.weekday() + 1)
    return {"daily": daily_period(yesterday), "weekly": weekly_period(last_sunday)}


def parse_ledger_key(key: str) -> Period:
    """The period of a ledger key (``daily:2026-02-20``, ``weekly:2026-W08``); InvalidInput if malformed."""
    frequency, _, name = key.partition(":")
    try:
        if frequency == "daily":
            found = daily_period(date.fromisoformat(name))
            if found is not None and ledger_key(found) == key:
                return found
        elif frequency == "weekly":
            year, _, week = name.partition("-W")
            return weekly_period(date.fromisocalendar(int(year), int(week), 1))
    except ValueError:
        pass
    raise InvalidInput(f"not a digest period: {key!r} (expected daily:YYYY-MM-DD or weekly:YYYY-Www)")
