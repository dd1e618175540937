"""Periods (day, ISO week, month) and the ranking of a period's list: pure functions, hand-checked."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperfeed.community.period_lists import Candidate, candidates, featured_listed_at, merge_by_time, rank
from paperfeed.errors import InvalidInput
from paperfeed.periods import Period, parse_key, parse_period, period_of
from paperfeed.store import FeaturedEntry


def test_the_three_spellings() -> None:
    assert parse_period(day="2026-02-20") == Period("day", date(2026, 2, 20), date(2026, 2, 20))
    week = parse_period(week="2026-W08")
    assert week == Period("week", date(2026, 2, 16), date(2026, 2, 22))
    assert week is not None and week.key == "2026-W08" and week.label == "Week 8, 2026"
    assert parse_period(week="2026-w08") == week
    month = parse_period(month="2026-02")
    assert month == Period("month", date(2026, 2, 1), date(2026, 2, 28))
    assert month is not None and month.label == "February 2026" and len(month.days) == 28
    assert parse_period(month="2024-02") == Period("month", date(2024, 2, 1), date(2024, 2, 29))
    assert parse_period() is None and parse_period(day="", week="") is None
    assert parse_key("day", "2026-02-20").label == "Friday, February 20, 2026"


def test_iso_weeks_at_year_boundaries() -> None:
    # 2026 starts on a Thursday, so it has a week 53 and its week 1 starts in 2025.
    assert parse_period(week="2026-W01") == Period("week", date(2025, 12, 29), date(2026, 1, 4))
    assert parse_period(week="2026-W53") == Period("week", date(2026, 12, 28), date(2027, 1, 3))
    assert period_of("week", date(2027, 1, 1)).key == "2026-W53"
    with pytest.raises(InvalidInput, match="week: expected a week that year 2025 has"):
        parse_period(week="2025-W53")
    assert parse_key("week", "2026-W01").previous().key == "2025-W52"
    assert parse_key("month", "2025-12").next().key == "2026-01"
    assert parse_key("month", "2026-03").previous() == Period("month", date(2026, 2, 1), date(2026, 2, 28))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"day": "2026-02-30"}, "date: expected a date that exists"),
        ({"day": "20260220"}, "date: expected a date like 2026-02-20"),
        ({"day": "2026-W08-5"}, "date: expected"),
        ({"day": "yesterday"}, "date: expected"),
        ({"week": "2026-W00"}, "week: expected a week that year 2026 has"),
        ({"week": "2026-08"}, "week: expected an ISO week like 2026-W08"),
        ({"month": "2026-13"}, "month: expected a month 01 to 12"),
        ({"month": "2026-2"}, "month: expected a month like 2026-02"),
        ({"month": "x" * 500}, "month: expected"),
        ({"day": "2026-02-20", "month": "2026-02"}, "give only one of date, week, month"),
    ],
)
def test_malformed_periods_name_the_parameter(kwargs: dict[str, str], message: str) -> None:
    with pytest.raises(InvalidInput, match=message) as caught:
        parse_period(**kwargs)
    assert len(str(caught.value)) < 200  # a long value is shown cut short


@given(
    st.dates(min_value=date(1900, 1, 1), max_value=date(2999, 12, 31)),
    st.sampled_from(["day", "week", "month"]),
)
def test_periods_contain_their_day_round_trip_and_tile_time(day: date, kind: str) -> None:
    period = period_of(kind, day)
    assert period.contains(day) and period.first <= period.last
    assert parse_key(kind, period.key) == period
    assert period.previous().next() == period and period.next().previous() == period
    assert period.previous().last + timedelta(days=1) == period.first
    assert period.until - period.since == timedelta(days=len(period.days))
    if kind == "week":
        assert period.first.weekday() == 0 and len(period.days) == 7


NOON = datetime(2026, 2, 20, 12)


def entry(paper_id: str, day: date, created: datetime, user_id: int | None = 1) -> FeaturedEntry:
    return FeaturedEntry(day, paper_id, "submission", user_id, created, False)


def test_a_featured_paper_is_listed_when_featured_on_its_day_else_at_that_days_midnight() -> None:
    assert featured_listed_at(entry("a", date(2026, 2, 20), NOON)) == NOON
    late_pick = entry("a", date(2026, 2, 18), datetime(2026, 2, 21, 8))
    assert featured_listed_at(late_pick) == datetime(2026, 2, 18)


def test_candidates_list_each_paper_once_featured_first() -> None:
    featured = [
        entry("2602.00001", date(2026, 2, 18), datetime(2026, 2, 18, 9)),
        entry("2602.00001", date(2026, 2, 20), datetime(2026, 2, 20, 7)),  # later featuring wins
        entry("2602.00002", date(2026, 2, 19), datetime(2026, 2, 19, 9)),
    ]
    new = [("2602.00002", datetime(2026, 2, 19, 1)), ("2602.00003", datetime(2026, 2, 19, 2))]
    found = {c.paper_id: c for c in candidates(featured, new)}
    assert set(found) == {"2602.00001", "2602.00002", "2602.00003"}
    assert found["2602.00001"].listed_at == datetime(2026, 2, 20, 7)
    assert found["2602.00002"].featured is not None and found["2602.00003"].featured is None


def test_rank_by_time_and_by_trending_within_the_period() -> None:
    items = [
        Candidate("2602.00001", datetime(2026, 2, 20, 9)),
        Candidate("2602.00002", datetime(2026, 2, 20, 10)),
        Candidate("2602.00003", datetime(2026, 2, 19, 10)),
        Candidate("2602.00004", datetime(2026, 2, 20, 10)),
    ]
    end = datetime(2026, 2, 23)
    by_time = [r.candidate.paper_id for r in rank(items, {}, "publishedAt", end)]
    assert by_time == ["2602.00004", "2602.00002", "2602.00001", "2602.00003"]  # same moment: newer id
    votes = {
        "2602.00003": [end - timedelta(hours=24)] * 3,  # 3 × 0.5 = 1.5
        "2602.00001": [end - timedelta(hours=12)] * 2,  # 2 × 2^-0.5 ≈ 1.414
        "2602.00002": [end - timedelta(hours=48)] * 6,  # 6 × 0.25 = 1.5: ties 00003, more votes first
    }
    ranked = rank(items, votes, "trending", end)
    assert [r.candidate.paper_id for r in ranked] == ["2602.00002", "2602.00003", "2602.00001", "2602.00004"]
    assert ranked[0].score == pytest.approx(1.5) and ranked[0].period_votes == 6
    assert ranked[2].score == pytest.approx(2 * 2**-0.5) and ranked[3].score == 0.0
    with pytest.raises(InvalidInput, match="sort: must be one of publishedAt, trending"):
        rank(items, votes, "hot", end)


def test_merge_by_time_interleaves_and_skips() -> None:
    featured = [
        Candidate("2602.00009", datetime(2026, 2, 20, 9), entry("2602.00009", date(2026, 2, 20), NOON)),
        Candidate("2602.00008", datetime(2026, 2, 18)),
    ]
    new = [
        ("2602.00005", datetime(2026, 2, 21)),
        ("2602.00009", datetime(2026, 2, 19)),  # also featured: listed once, as featured
        ("2602.00004", datetime(2026, 2, 19)),
        ("2602.00003", datetime(2026, 2, 17)),
    ]
    merged = merge_by_time(featured, new, skip={"2602.00004"})
    assert [c.paper_id for c in merged] == ["2602.00005", "2602.00009", "2602.00008", "2602.00003"]
    assert merged[1].featured is not None
