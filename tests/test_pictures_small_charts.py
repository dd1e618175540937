"""The small charts (issue 19): upvotes over time on a paper page, a sparkline per trending entry,
papers per day beside the daily page's navigation; and the SVG drawing itself (escaping, scales)."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from paperfeed.accounts import ensure_user
from paperfeed.community import actions
from paperfeed.community.daily import new_paper_ids
from paperfeed.community.vote_history import bucket_counts, history_of
from paperfeed.context import Paperfeed
from paperfeed.search.trends import day_counts
from paperfeed.web.charts import (
    Bar,
    LineChart,
    LinePoint,
    LineSeries,
    MapDot,
    MapLabel,
    bar_strip,
    line_chart,
    nice_ceiling,
    scatter_map,
    sparkline,
    tick_indices,
)
from tests.web_support import web_app

PAPER = "2602.18409"
OTHER = "2602.18201"


def vote(app: Paperfeed, email: str, paper: str, at: datetime) -> None:
    app.clock.set(at)  # type: ignore[attr-defined]
    actions.cast_vote(app, ensure_user(app, email), paper)


# ------------------------------------------------------------------------------ pure parts
def test_votes_are_bucketed_by_day_with_a_running_total() -> None:
    times = [datetime(2026, 2, 19, 9), datetime(2026, 2, 19, 23), datetime(2026, 2, 21, 1)]
    history = history_of(times, date(2026, 2, 22))
    assert history is not None
    assert history.days == [date(2026, 2, 19) + timedelta(days=i) for i in range(4)]
    assert history.per_day == [2, 0, 1, 0] and history.running == [2, 2, 3, 3] and history.total == 3
    old = history_of([datetime(2025, 1, 1), *times], date(2026, 2, 22))
    assert old is not None and len(old.days) == 90 and old.running[0] == 1  # older votes in the total
    assert history_of([], date(2026, 2, 22)) is None
    start = datetime(2026, 2, 20)
    assert bucket_counts(times, start, timedelta(hours=12), 4) == [0, 0, 1, 0]


def test_scales_and_ticks() -> None:
    assert [nice_ceiling(v) for v in (0, 0.7, 7, 26, 260, 1152)] == [1.0, 0.8, 8.0, 30.0, 300.0, 1200.0]
    assert tick_indices(7, 8) == set(range(7)) and tick_indices(52, 3) == {0, 26, 51}
    assert tick_indices(0, 3) == set()


def test_drawings_escape_every_text_and_link() -> None:
    hostile = "<script>x</script>\"'"
    chart = LineChart(
        label=hostile,
        x_labels=[hostile, "b"],
        series=[LineSeries(hostile, [LinePoint(1.0, hostile, f"/search?q={hostile}"), LinePoint(3.0, "b")])],
    )
    for markup in (
        line_chart(chart, chart_id=hostile),
        sparkline([1.0, 2.0], label=hostile),
        bar_strip([Bar(hostile, 2.0, hostile, f"/x?{hostile}")], label=hostile),
        scatter_map(
            [MapDot(0.5, 0.5, 3, hostile, f"/papers/{hostile}", "p", ("saved",))],
            [MapLabel(0.1, 0.9, hostile, 1)],
            label=hostile,
        ),
    ):
        text = str(markup)
        assert "<script>" not in text and "&lt;script&gt;" in text
        assert "\"'" not in text


def test_a_line_chart_puts_points_where_their_values_are() -> None:
    chart = LineChart(
        label="Papers",
        x_labels=["w1", "w2", "w3"],
        series=[LineSeries("a", [LinePoint(0.0, "a0"), LinePoint(150.0, "a1"), LinePoint(300.0, "a2")])],
        height=226,
    )
    svg = str(line_chart(chart))
    ys = [float(y) for y in re.findall(r'class="dot" cx="[\d.]+%" cy="([\d.]+)"', svg)]
    assert ys == [pytest.approx(200.0), pytest.approx(107.0), pytest.approx(14.0)]  # 0 at the bottom
    xs = re.findall(r'class="dot" cx="([\d.]+)%"', svg)
    assert [float(x) for x in xs] == [2.0, 50.0, 98.0]
    assert 'aria-label="Papers; a: 450 in all, highest 300 in w3"' in svg


# ------------------------------------------------------------------------------ on the pages
@pytest.fixture
def client(sample_app: Paperfeed) -> TestClient:
    return TestClient(web_app(sample_app, indexer=False, scheduler=False))


def test_a_paper_page_draws_its_upvotes_over_time(client: TestClient, sample_app: Paperfeed) -> None:
    assert 'id="votes-chart"' not in client.get(f"/papers/{PAPER}").text  # no votes, no chart
    vote(sample_app, "a@example.org", PAPER, datetime(2026, 11, 28, 10))
    vote(sample_app, "b@example.org", PAPER, datetime(2026, 11, 28, 18))
    vote(sample_app, "c@example.org", PAPER, datetime(2026, 11, 30, 8))
    sample_app.clock.set(datetime(2026, 12, 1, 12))  # type: ignore[attr-defined]
    html = client.get(f"/papers/{PAPER}").text
    assert 'id="votes-chart"' in html
    assert "Upvotes over time, 2026-11-28 to 2026-12-01" in html
    assert "<title>2026-11-30: 3 upvotes in all (+1 that day)</title>" in html
    rows = re.findall(r"<tr><td>(\d{4}-\d\d-\d\d)</td><td>\+(\d+)</td><td>(\d+)</td></tr>", html)
    assert rows == [("2026-11-28", "2", "2"), ("2026-11-30", "1", "3")]


def test_trending_entries_have_a_sparkline_of_their_votes(client: TestClient, sample_app: Paperfeed) -> None:
    now = datetime(2026, 12, 1, 12)
    vote(sample_app, "a@example.org", PAPER, now - timedelta(days=5, hours=1))
    vote(sample_app, "b@example.org", PAPER, now - timedelta(hours=3))
    vote(sample_app, "c@example.org", OTHER, now - timedelta(hours=2))
    sample_app.clock.set(now)  # type: ignore[attr-defined]
    html = client.get("/trending", params={"window": "week"}).text
    labels = re.findall(
        r'class="chart sparkline"[^>]*aria-label="upvotes per day over the last 7 days, oldest first: ([\d, ]+)"',
        html,
    )
    assert sorted(labels) == sorted(["0, 1, 0, 0, 0, 0, 1", "0, 0, 0, 0, 0, 0, 1"])
    day = client.get("/trending", params={"window": "day"}).text
    assert "upvotes per hour over the last 24 hours" in day


def test_the_daily_page_shows_papers_per_day(client: TestClient, sample_app: Paperfeed) -> None:
    html = client.get("/daily/2026-02-19").text
    strip = html.split('<div class="day-strip"', 1)[1].split("</div>", 1)[0]
    bars = re.findall(
        r'<a href="/daily/(\d{4}-\d\d-\d\d)"[^>]*><title>[^<]*: ([\d,]+) new papers?</title>', strip
    )
    assert len(bars) == 14 and bars[-1][0] == "2026-02-20"  # the latest day: nothing after it
    for day, count in bars:
        _, expected = new_paper_ids(
            sample_app.store.papers, sample_app.settings.categories, date.fromisoformat(day), limit=1
        )
        assert int(count) == expected, day
    assert sum(int(c) for _, c in bars) > 100
    assert 'class="bar current"' in strip
    counts = day_counts(sample_app, [], date(2026, 2, 18), date(2026, 2, 20))
    assert [n for _, n in counts] == [117, 121, 62]  # every paper of the sample, by day
