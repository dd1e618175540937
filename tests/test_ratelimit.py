"""Rate limits as a sliding window (issue 18, item 14): a burst at a window's edge is not let through
twice, and waiting as long as ``Retry-After`` says is enough. The clock is the FixedClock stepped
across a window's edge; counts live in the real store."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from paperfeed.clock import FixedClock
from paperfeed.context import Paperfeed
from paperfeed.errors import RateLimited
from paperfeed.ratelimit import hit, require, seconds_until_allowed, sliding_estimate

EDGE = datetime(2026, 12, 1, 5, 0)  # a multiple of 900 s and of 3600 s since the epoch


def test_a_burst_at_the_edge_is_not_allowed_twice(paperfeed_app: Paperfeed, clock: FixedClock) -> None:
    clock.set(EDGE - timedelta(seconds=4))
    assert all(hit(paperfeed_app, "k", limit=10, window_seconds=900) for _ in range(10))
    clock.set(EDGE + timedelta(seconds=3))
    # A fixed window would start counting from zero here and allow ten more.
    assert [hit(paperfeed_app, "k", limit=10, window_seconds=900) for _ in range(3)] == [False] * 3
    clock.set(EDGE + timedelta(seconds=450))  # half the old window slid out: 10 * 0.5 + 1 <= 10
    assert hit(paperfeed_app, "k", limit=10, window_seconds=900)
    clock.set(EDGE + timedelta(seconds=1801))  # a whole window with nothing in it: all slid out
    assert all(hit(paperfeed_app, "k", limit=10, window_seconds=900) for _ in range(10))
    assert not hit(paperfeed_app, "k", limit=10, window_seconds=900)


def test_retry_after_is_the_wait_that_is_enough(paperfeed_app: Paperfeed, clock: FixedClock) -> None:
    clock.set(EDGE - timedelta(seconds=1))
    for _ in range(5):
        require(paperfeed_app, "r", limit=5, window_seconds=900, message="slow down")
    clock.set(EDGE + timedelta(seconds=1))
    with pytest.raises(RateLimited) as refused:
        require(paperfeed_app, "r", limit=5, window_seconds=900, message="slow down")
    wait = refused.value.retry_after
    assert wait is not None and 60 < wait < 900  # not "the rest of the window", not "now"
    clock.set(EDGE + timedelta(seconds=1 + wait - 5))
    assert not hit(paperfeed_app, "r2-probe", limit=0, window_seconds=900)  # (a limit of 0 refuses all)
    clock.set(EDGE + timedelta(seconds=1 + wait))
    require(paperfeed_app, "r", limit=5, window_seconds=900, message="slow down")


def test_refused_requests_do_not_use_up_the_limit(paperfeed_app: Paperfeed, clock: FixedClock) -> None:
    clock.set(EDGE)
    assert [hit(paperfeed_app, "r3", limit=2, window_seconds=60) for _ in range(2)] == [True, True]
    assert not any(hit(paperfeed_app, "r3", limit=2, window_seconds=60) for _ in range(50))  # hammering
    clock.set(
        EDGE + timedelta(seconds=90)
    )  # half slid out: 2 * 0.5 + 1 <= 2 (52 * 0.5 + 1 if refusals counted)
    assert hit(paperfeed_app, "r3", limit=2, window_seconds=60)


def test_keys_are_counted_apart(paperfeed_app: Paperfeed, clock: FixedClock) -> None:
    clock.set(EDGE)
    assert [hit(paperfeed_app, "a", limit=1, window_seconds=60) for _ in range(2)] == [True, False]
    assert hit(paperfeed_app, "b", limit=1, window_seconds=60)


@pytest.mark.parametrize(
    ("current", "previous", "elapsed", "expected"),
    [(0, 0, 0, 0.0), (3, 0, 10, 3.0), (2, 10, 225, 9.5), (1, 10, 900, 1.0), (4, 8, 0, 12.0)],
)
def test_sliding_estimate_by_hand(current: int, previous: int, elapsed: float, expected: float) -> None:
    assert sliding_estimate(current, previous, elapsed, 900) == pytest.approx(expected)


def test_seconds_until_allowed_by_hand() -> None:
    # 10 in the previous window, 1 now, limit 10, 1 s in: 10 * (1 - t/900) + 1 <= 9 at t = 180.
    assert seconds_until_allowed(1, 10, 1, 900, 10) == pytest.approx(179)
    assert seconds_until_allowed(0, 0, 5, 900, 10) == 0.0
    # Over the limit in this window: wait for it to end, then until its count slides below.
    assert seconds_until_allowed(10, 0, 100, 900, 10) == pytest.approx(800 + 90)
