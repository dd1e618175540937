"""Periods: one day, one ISO week, one calendar month; the one notion of "a span of days" in paperfeed.

The daily page, the week and month lists, the Papers API, the digests and the feeds all speak of
periods with this type. The Hugging Face Papers API and the web's week and month pages name them so:
``2026-02-20`` (a day), ``2026-W08`` (an ISO 8601 week: Monday to Sunday, week 1 is the week with
the year's first Thursday) and ``2026-02`` (a month). :func:`parse_period` turns those spellings into
a :class:`Period` (an inclusive range of days) and refuses anything else with an error that names the
parameter, so a caller sending ``date=2026-02-30`` learns which value to fix. Everything here is
pure: no store, no clock.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from paperfeed.errors import InvalidInput

KINDS = ("day", "week", "month")

_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_WEEK = re.compile(r"^(\d{4})-[Ww](\d{2})$")
_MONTH = re.compile(r"^(\d{4})-(\d{2})$")


def day_start(day: date) -> datetime:
    """Midnight (UTC, naive like the store) at the start of ``day``."""
    return datetime.combine(day, time.min)


def day_label(day: date) -> str:
    """ "Friday, February 20, 2026": how paperfeed names a day, on pages and in mail alike."""
    return f"{day:%A, %B} {day.day}, {day.year}"


@dataclass(frozen=True, slots=True)
class Period:
    """The days ``first`` … ``last`` (inclusive) of one day, ISO week or month.

    A day period normally has ``first == last``; a digest's Monday (:mod:`paperfeed.digest.due`) is
    the day period of Monday that also holds the weekend before it (``first`` is the Saturday). A
    day is named by its ``last`` day.
    """

    kind: str
    first: date
    last: date

    @property
    def key(self) -> str:
        """The canonical spelling: ``2026-02-20``, ``2026-W08`` or ``2026-02``."""
        if self.kind == "day":
            return self.last.isoformat()
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return f"{year:04d}-W{week:02d}"
        return f"{self.first.year:04d}-{self.first.month:02d}"

    @property
    def label(self) -> str:
        """How a page names the period: "Friday, February 20, 2026", "Week 8, 2026", "February 2026"."""
        if self.kind == "day":
            return day_label(self.last)
        if self.kind == "week":
            year, week, _ = self.first.isocalendar()
            return f"Week {week}, {year}"
        return f"{self.first:%B %Y}"

    @property
    def description(self) -> str:
        """The label as a sentence says it: "Monday, February 23, 2026 (with the papers since
        Saturday)", "the week of February 16–22, 2026", "February 2026"."""
        if self.kind == "day":
            since = f" (with the papers since {self.first:%A})" if self.first != self.last else ""
            return self.label + since
        if self.kind == "week":
            return f"the week of {self.span}"
        return self.label

    @property
    def span(self) -> str:
        """Its first and last day, shortly: "February 16–22, 2026", "January 26 – February 1, 2026"."""
        first, last = self.first, self.last
        if first == last:
            return f"{last:%B} {last.day}, {last.year}"
        if (first.year, first.month) == (last.year, last.month):
            return f"{first:%B} {first.day}–{last.day}, {last.year}"
        if first.year == last.year:
            return f"{first:%B} {first.day} – {last:%B} {last.day}, {last.year}"
        return f"{first:%B} {first.day}, {first.year} – {last:%B} {last.day}, {last.year}"

    @property
    def short_label(self) -> str:
        """For mail subjects: "Fri, Feb 20, 2026", "week of Feb 16, 2026", "Feb 2026"."""
        if self.kind == "day":
            return f"{self.last:%a, %b} {self.last.day}, {self.last.year}"
        if self.kind == "week":
            return f"week of {self.first:%b} {self.first.day}, {self.first.year}"
        return f"{self.first:%b %Y}"

    @property
    def since(self) -> datetime:
        """Midnight (UTC, naive like the store) at the start of the first day."""
        return day_start(self.first)

    @property
    def until(self) -> datetime:
        """Midnight after the last day: the period is ``[since, until)``."""
        return day_start(self.last + timedelta(days=1))

    @property
    def days(self) -> list[date]:
        return [self.first + timedelta(days=n) for n in range((self.last - self.first).days + 1)]

    def contains(self, day: date) -> bool:
        return self.first <= day <= self.last

    def previous(self) -> Period:
        """The period of the same kind just before this one."""
        return period_of(self.kind, self.first - timedelta(days=1))

    def next(self) -> Period:
        """The period of the same kind just after this one."""
        return period_of(self.kind, self.last + timedelta(days=1))


def period_of(kind: str, day: date) -> Period:
    """The day, ISO week (Monday first) or month that contains ``day``."""
    if kind == "day":
        return Period("day", day, day)
    if kind == "week":
        monday = day - timedelta(days=day.weekday())
        return Period("week", monday, monday + timedelta(days=6))
    if kind == "month":
        first = day.replace(day=1)
        following = (first + timedelta(days=32)).replace(day=1)
        return Period("month", first, following - timedelta(days=1))
    raise InvalidInput(f"period kind must be one of {', '.join(KINDS)}, not {kind!r}")


def _refuse(parameter: str, value: str, expected: str) -> InvalidInput:
    shown = value if len(value) <= 40 else value[:40] + "…"
    return InvalidInput(f"{parameter}: expected {expected}, got {shown!r}")


def parse_day(value: str, parameter: str = "date") -> Period:
    """``YYYY-MM-DD`` (only that spelling: ``20260220`` and ``2026-W08-5`` are refused)."""
    match = _DAY.match(value.strip())
    if match is None:
        raise _refuse(parameter, value, "a date like 2026-02-20 (YYYY-MM-DD)")
    try:
        day = date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise _refuse(parameter, value, "a date that exists, like 2026-02-20 (YYYY-MM-DD)") from None
    return period_of("day", day)


def parse_week(value: str, parameter: str = "week") -> Period:
    """``YYYY-Www``: an ISO 8601 week, ``W01`` … ``W52`` (``W53`` in the years that have one)."""
    match = _WEEK.match(value.strip())
    if match is None:
        raise _refuse(parameter, value, "an ISO week like 2026-W08 (YYYY-Www)")
    try:
        monday = date.fromisocalendar(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise _refuse(parameter, value, f"a week that year {match[1]} has, like {match[1]}-W08") from None
    return period_of("week", monday)


def parse_month(value: str, parameter: str = "month") -> Period:
    """``YYYY-MM``."""
    match = _MONTH.match(value.strip())
    if match is None:
        raise _refuse(parameter, value, "a month like 2026-02 (YYYY-MM)")
    try:
        first = date(int(match[1]), int(match[2]), 1)
    except ValueError:
        raise _refuse(parameter, value, "a month 01 to 12, like 2026-02") from None
    return period_of("month", first)


def parse_period(
    *, day: str | None = None, week: str | None = None, month: str | None = None
) -> Period | None:
    """The one period given (``None`` when none is); more than one is refused."""
    given = {name: value for name, value in (("date", day), ("week", week), ("month", month)) if value}
    if len(given) > 1:
        raise InvalidInput(f"give only one of date, week, month (got {', '.join(given)})")
    if day:
        return parse_day(day)
    if week:
        return parse_week(week)
    if month:
        return parse_month(month)
    return None


def parse_key(kind: str, value: str) -> Period:
    """A period of ``kind`` from its canonical spelling (the web's ``/weekly/2026-W08``)."""
    parsers = {"day": parse_day, "week": parse_week, "month": parse_month}
    if kind not in parsers:
        raise InvalidInput(f"period kind must be one of {', '.join(KINDS)}, not {kind!r}")
    return parsers[kind](value, kind)
