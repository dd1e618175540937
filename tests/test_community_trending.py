"""The trending score: hand-computed values of the documented formula, and ranking rules."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperfeed.community.trending import rank, trending_score

NOW = datetime(2026, 2, 20, 12, 0)


def test_score_halves_every_half_life() -> None:
    assert trending_score([NOW], NOW) == pytest.approx(1.0)
    assert trending_score([NOW - timedelta(hours=24)], NOW) == pytest.approx(0.5)
    assert trending_score([NOW - timedelta(hours=48), NOW - timedelta(hours=12)], NOW) == pytest.approx(
        0.25 + 2**-0.5
    )
    assert trending_score([NOW + timedelta(hours=3)], NOW) == pytest.approx(1.0)  # clock skew: fresh
    assert trending_score([], NOW) == 0.0


def test_fresh_votes_beat_more_old_votes() -> None:
    ranked = rank(
        {
            "2602.00001": [NOW - timedelta(days=3)] * 7,  # 7 * 1/8 = 0.875
            "2602.00002": [NOW - timedelta(minutes=5)],  # ~1.0
            "2602.00003": [NOW - timedelta(days=3)] * 7,  # tie with 00001: newer id first
        },
        NOW,
    )
    assert [e.paper_id for e in ranked] == ["2602.00002", "2602.00003", "2602.00001"]
    assert ranked[1].votes == 7


@given(
    st.lists(st.integers(min_value=0, max_value=24 * 60), max_size=30),
    st.integers(min_value=0, max_value=600),
)
def test_one_more_vote_never_lowers_and_time_never_raises(minutes: list[int], extra: int) -> None:
    times = [NOW - timedelta(minutes=m) for m in minutes]
    base = trending_score(times, NOW)
    assert trending_score([*times, NOW - timedelta(minutes=extra)], NOW) > base
    assert trending_score(times, NOW + timedelta(hours=1)) <= base + 1e-12
