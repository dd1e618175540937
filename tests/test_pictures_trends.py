"""Trends (issue 19): papers per week or month matching up to five queries, counted by the keyword
index, on the demo corpus (5,424 papers over seven weeks) and the 300-record sample.

The counts are checked against keyword search itself: a series' weekly counts add up to search's
total over the same range, and each week's count is search's total for that week.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from fastapi.testclient import TestClient

from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput
from paperfeed.search.engine import SearchUnavailable, search
from paperfeed.search.trends import MAX_PERIODS, default_range, periods_between, trends
from paperfeed.store import Window
from paperfeed.web.trends_pages import csv_cell
from tests.web_support import web_app


@pytest.fixture
def demo_client(demo_app: Paperfeed) -> TestClient:
    return TestClient(web_app(demo_app, indexer=False, scheduler=False))


def keyword_total(app: Paperfeed, query: str, since: date, until: date) -> int:
    return search(app, query, mode="keyword", since=since, until=until, limit=1, snippets=False).total


def test_weekly_counts_add_up_to_the_search_total_on_the_demo(
    demo_client: TestClient, demo_app: Paperfeed
) -> None:
    answer = demo_client.get("/api/v1/trends", params={"q": "diffusion", "interval": "week"})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["interval"] == "week"
    (series,) = body["series"]
    assert series["q"] == "diffusion"
    points = series["points"]
    since, until = date.fromisoformat(body["since"]), date.fromisoformat(body["until"])
    # The demo runs from Tuesday 6 January to Friday 20 February 2026: ISO weeks 2 to 8.
    assert [p["period"] for p in points] == [f"2026-W{w:02d}" for w in range(2, 9)]
    assert (since, until) == (date(2026, 1, 5), date(2026, 2, 22))
    counts = [p["count"] for p in points]
    assert sum(counts) == keyword_total(demo_app, "diffusion", since, until) == series["total"]
    assert sum(counts) > 200 and len({c for c in counts}) > 3  # a real series, not a constant
    for point in points:  # every week on its own, too
        first, last = date.fromisoformat(point["start"]), date.fromisoformat(point["end"])
        assert point["count"] == keyword_total(demo_app, "diffusion", first, last), point["period"]


def test_shares_are_of_all_papers_dated_in_the_period(demo_app: Paperfeed) -> None:
    result = trends(demo_app, ["agent", '"language model" -survey cat:cs.CL'], interval="week")
    everything = result.all_counts
    for i, point in enumerate(result.series[0].points):
        window = Window(since=_midnight(point.start), until=_midnight(point.end, 1))
        assert everything[i] == demo_app.store.papers.window_count(window)
        assert point.share == pytest.approx(point.count / everything[i])
    fielded = result.series[1]
    assert fielded.total == keyword_total(demo_app, fielded.query, result.since, result.until) > 0
    assert fielded.total < result.series[0].total + 10_000  # it is its own query, not the first one's


def test_months_and_a_range_cut_inside_periods(demo_app: Paperfeed) -> None:
    result = trends(demo_app, ["agent"], interval="month", since=date(2026, 1, 10), until=date(2026, 2, 15))
    points = result.series[0].points
    assert [(p.period, p.start, p.end) for p in points] == [
        ("2026-01", date(2026, 1, 10), date(2026, 1, 31)),
        ("2026-02", date(2026, 2, 1), date(2026, 2, 15)),
    ]
    assert result.series[0].total == keyword_total(demo_app, "agent", date(2026, 1, 10), date(2026, 2, 15))


def test_odd_queries_count_what_search_finds(demo_app: Paperfeed) -> None:
    result = trends(demo_app, ["zzqxv", '"of the"', "+++"], interval="week")
    # search without dates finds none of them: nothing to count (with dates alone, search would
    # list every paper of the range)
    assert [s.total for s in result.series] == [0, 0, 0]
    assert search(demo_app, '"of the"', mode="keyword").total == 0


def test_periods_are_cut_to_the_range_and_bounded() -> None:
    weeks = periods_between("week", date(2026, 2, 18), date(2026, 3, 3))
    assert [(p.first, p.last) for p in weeks] == [
        (date(2026, 2, 18), date(2026, 2, 22)),
        (date(2026, 2, 23), date(2026, 3, 1)),
        (date(2026, 3, 2), date(2026, 3, 3)),
    ]
    assert len(periods_between("week", date(1991, 8, 14), date(2026, 12, 1))) < MAX_PERIODS
    with pytest.raises(InvalidInput, match="interval=month"):
        periods_between("day", date(1991, 1, 1), date(2026, 1, 1))
    with pytest.raises(InvalidInput, match="before since"):
        periods_between("week", date(2026, 3, 1), date(2026, 2, 1))


def test_the_default_range_ends_at_the_newest_paper() -> None:
    known = (date(2007, 4, 2), date(2026, 2, 20))
    assert default_range("week", None, None, known, date(2026, 12, 1)) == (
        date(2025, 2, 24),
        date(2026, 2, 22),
    )
    assert default_range("month", None, None, known, date(2026, 12, 1)) == (
        date(2021, 3, 1),
        date(2026, 2, 28),
    )
    # never before the oldest paper, never after today
    assert default_range("week", None, None, (date(2026, 1, 6), date(2026, 2, 20)), date(2026, 2, 10)) == (
        date(2026, 1, 5),
        date(2026, 2, 15),
    )


def test_the_api_refuses_what_it_cannot_answer(demo_client: TestClient, paperfeed_app: Paperfeed) -> None:
    for params, needle in (
        ({"q": "a", "interval": "day"}, "interval"),
        ({"q": ["a", "b", "c", "d", "e", "f"]}, "q"),
        ({"q": "a", "since": "2026-02-01", "until": "2026-01-01"}, "before since"),
        ({"q": "a", "since": "1700000000"}, "since"),
        ({"q": "a", "limit": "3"}, "limit"),
        ({}, "q"),
    ):
        answer = demo_client.get("/api/v1/trends", params=params)
        assert answer.status_code == 422, (params, answer.text)
        assert needle in answer.json()["error"]["message"] + " ".join(answer.json()["error"]["details"])
    empty = TestClient(web_app(paperfeed_app, indexer=False, scheduler=False))
    assert empty.get("/api/v1/trends", params={"q": "a"}).status_code == 503
    with pytest.raises(SearchUnavailable):
        trends(paperfeed_app, ["a"])


def test_the_trends_page_draws_one_line_per_query(demo_client: TestClient) -> None:
    page = demo_client.get("/trends", params={"q": ["diffusion", "agent", ""], "interval": "week"})
    assert page.status_code == 200
    html = page.text
    assert html.count('class="series series-') == 2
    assert 'data-series="diffusion"' in html and 'data-series="agent"' in html
    # each point links to its week's search and says its value on hover
    assert "/search?q=diffusion&amp;since=2026-02-16&amp;until=2026-02-22" in html
    assert "<title>diffusion · 2026-W08: " in html
    assert 'role="group" aria-label="Papers per week, 2026-01-05 to 2026-02-22; diffusion: ' in html
    assert "<details" in html and '<th scope="row">2026-W08</th>' in html
    share = demo_client.get("/trends", params={"q": "diffusion", "measure": "share"})
    assert "Share of all papers per week" in share.text and "%" in share.text
    assert demo_client.get("/trends").status_code == 200  # examples to start from
    assert "diffusion vs agent" in demo_client.get("/trends").text


def test_hostile_queries_stay_text(demo_client: TestClient) -> None:
    hostile = '<script>alert(1)</script> "x'
    html = demo_client.get("/trends", params={"q": hostile}).text
    assert "<script>alert(1)" not in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


def test_the_csv_download(demo_client: TestClient, demo_app: Paperfeed) -> None:
    answer = demo_client.get("/trends.csv", params={"q": ["diffusion", "-survey agent"], "interval": "month"})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(answer.text)))
    assert [r["period"] for r in rows] == ["2026-01", "2026-02", "2026-01", "2026-02"]
    assert rows[2]["query"] == "'-survey agent"  # a spreadsheet must not read it as a formula
    assert sum(int(r["count"]) for r in rows[:2]) == keyword_total(
        demo_app, "diffusion", date(2026, 1, 1), date(2026, 2, 28)
    )
    assert demo_client.get("/trends.csv").status_code == 422
    assert csv_cell("=1+1") == "'=1+1" and csv_cell("agent") == "agent"


def test_category_and_author_pages_show_their_trend(sample_app: Paperfeed) -> None:
    client = TestClient(web_app(sample_app, indexer=False, scheduler=False))
    html = client.get("/categories/cs.LG").text
    assert 'class="chart sparkline"' in html and "/trends?q=cat%3Acs.LG&amp;interval=month" in html
    author = sample_app.store.papers.get("2602.18409")
    assert author is not None
    page = client.get(f"/authors/{author.authors[0]}").text
    assert 'class="chart sparkline"' in page and "author%3A" in page
    assert 'class="chart sparkline"' not in client.get("/categories/cs.LG?page=2").text


def _midnight(day: date, plus_days: int = 0) -> object:
    from datetime import datetime, timedelta

    return datetime.combine(day + timedelta(days=plus_days), datetime.min.time())
