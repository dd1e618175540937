"""Digest periods: which papers a daily or weekly digest covers, and its key in the send ledger.

A paper's day is the UTC date of its first version (as on the daily page). arXiv announces new
papers on five days a week, so daily digests exist for Monday to Friday only: a Monday digest also
holds the papers of the weekend before it, and Saturday and Sunday have no daily digest. Public
holidays on which arXiv announces nothing are not known here: such a day simply has fewer papers.
A weekly digest covers an ISO week, Monday to Sunday.

Pure functions: no clock, no I/O.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from paperfeed.errors import InvalidInput

FREQUENCIES = ("daily", "weekly")


@dataclass(frozen=True, slots=True)
class Period:
    """The papers of ``first`` … ``last`` (inclusive) for one frequency."""

    frequency: str
    first: date
    last: date

    @property
    def key(self) -> str:
        """The ledger key: ``daily:2026-02-20`` or ``weekly:2026-W08``."""
        if self.frequency == "daily":
            return f"daily:{self.last.isoformat()}"
        year, week, _ = self.last.isocalendar()
        return f"weekly:{year}-W{week:02d}"

    @property
    def name(self) -> str:
        """The key without the frequency: ``2026-02-20`` or ``2026-W08``."""
        return self.key.split(":", 1)[1]

    @property
    def since(self) -> datetime:
        """Start of the first day (naive UTC, as the store keeps dates)."""
        return datetime.combine(self.first, time.min)

    @property
    def until(self) -> datetime:
        """Start of the day after the last (exclusive end)."""
        return datetime.combine(self.last + timedelta(days=1), time.min)

    @property
    def label(self) -> str:
        """For people: "Friday 20 February 2026" or "the week of 16–22 February 2026"."""
        if self.frequency == "daily":
            text = _day_label(self.last)
            if self.first != self.last:
                text += f" (with the papers since {self.first.strftime('%A')})"
            return text
        if self.first.month == self.last.month:
            return f"the week of {self.first.day}–{self.last.day} {self.last.strftime('%B %Y')}"
        return f"the week of {self.first.day} {self.first.strftime('%B')} – {_short(self.last)}"

    @property
    def short_label(self) -> str:
        """For subjects: "Fri 20 Feb 2026" or "week of 16 Feb 2026"."""
        if self.frequency == "daily":
            return self.last.strftime("%a %d %b %Y").replace(" 0", " ")
        return "week of " + self.first.strftime("%d %b %Y").lstrip("0")


def _day_label(day: date) -> str:
    return f"{day.strftime('%A')} {day.day} {day.strftime('%B %Y')}"


def _short(day: date) -> str:
    return f"{day.day} {day.strftime('%B %Y')}"


def is_announcement_day(day: date) -> bool:
    """Monday to Friday: the days arXiv's new papers appear."""
    return day.weekday() < 5


def daily_period(day: date) -> Period | None:
    """The daily digest of ``day``, or ``None`` on a weekend (its papers go into Monday's)."""
    if not is_announcement_day(day):
        return None
    first = day - timedelta(days=2) if day.weekday() == 0 else day
    return Period("daily", first, day)


def weekly_period(day: date) -> Period:
    """The ISO week (Monday to Sunday) that holds ``day``."""
    monday = day - timedelta(days=day.weekday())
    return Period("weekly", monday, monday + timedelta(days=6))


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


def parse_period_key(key: str) -> Period:
    """The period of a ledger key (``daily:2026-02-20``, ``weekly:2026-W08``); InvalidInput if malformed."""
    frequency, _, name = key.partition(":")
    try:
        if frequency == "daily":
            found = daily_period(date.fromisoformat(name))
            if found is not None and found.key == key:
                return found
        elif frequency == "weekly":
            year, _, week = name.partition("-W")
            return weekly_period(date.fromisocalendar(int(year), int(week), 1))
    except ValueError:
        pass
    raise InvalidInput(f"not a digest period: {key!r} (expected daily:YYYY-MM-DD or weekly:YYYY-Www)")
