"""Trends pages: ``/trends`` (up to five queries over time, a chart and a table) and ``/trends.csv``.

The counts come from :func:`paperfeed.search.trends.trends`; this module only turns them into a
chart (:mod:`paperfeed.web.charts`), a table and a CSV file. Each point of the chart links to the
search of its query in its period.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from paperfeed.search.engine import SearchUnavailable
from paperfeed.search.trends import MAX_QUERIES, Trends, TrendSeries, trends
from paperfeed.web.charts import LineChart, LinePoint, LineSeries, format_value, line_chart, sparkline
from paperfeed.web.common import SEARCH_PARAM_MAX, DateQuery
from paperfeed.web.deps import PaperfeedDep, render
from paperfeed.web.routers import make_router

router = make_router(include_in_schema=False)

IntervalQuery = Annotated[str, Query(pattern="^(week|month)$", description="week or month.")]
TrendQueries = Annotated[
    list[str],
    Query(max_length=SEARCH_PARAM_MAX, description="Up to five queries in the search syntax (repeat q)."),
]
EXAMPLES = [
    ["diffusion", "agent"],
    ['"world model"', '"language model" cat:cs.CL'],
    ["cat:cs.CV", "cat:cs.CL"],
]
INTERVAL_WORD = {"week": "week", "month": "month", "day": "day"}


def search_url(query: str, first: date, last: date) -> str:
    """The search page of ``query`` limited to the days ``first`` … ``last``."""
    return "/search?" + urlencode({"q": query, "since": first.isoformat(), "until": last.isoformat()})


def trends_url(queries: list[str], interval: str = "week", **extra: str) -> str:
    params = [("q", q) for q in queries] + [("interval", interval)]
    params += [(k, v) for k, v in extra.items() if v]
    return "/trends?" + urlencode(params)


def _hover(series: TrendSeries, index: int, result: Trends) -> str:
    point = series.points[index]
    everything = result.all_counts[index]
    return (
        f"{series.query} · {point.period}: {point.count:,} paper{'s' if point.count != 1 else ''} "
        f"({format_value(point.share, True)} of {everything:,})"
    )


def trend_chart(result: Trends, *, measure: str = "count", chart_id: str = "trend-chart") -> object:
    """The line chart of ``result``: counts (or shares) per period, one line per query."""
    percent = measure == "share"
    chart = LineChart(
        label=(
            f"{'Share of all papers' if percent else 'Papers'} per {INTERVAL_WORD[result.interval]}, "
            f"{result.since.isoformat()} to {result.until.isoformat()}"
        ),
        x_labels=[p.period for p in result.series[0].points] if result.series else [],
        series=[
            LineSeries(
                s.query,
                [
                    LinePoint(
                        p.share if percent else float(p.count),
                        _hover(s, i, result),
                        search_url(s.query, p.start, p.end),
                    )
                    for i, p in enumerate(s.points)
                ],
            )
            for s in result.series
        ],
        percent=percent,
    )
    return line_chart(chart, chart_id=chart_id)


def small_trend(result: Trends) -> object:
    """A sparkline of the first series (category and author pages)."""
    series = result.series[0]
    counts = [float(p.count) for p in series.points]
    first, last = series.points[0], series.points[-1]
    label = (
        f"{series.total:,} papers per {result.interval} from {first.period} to {last.period}: "
        + ", ".join(f"{p.period} {p.count}" for p in series.points[-12:])
        + (" (the last 12 shown here)" if len(series.points) > 12 else "")
    )
    return sparkline(counts, label=label, width=160, height=28)


@router.get("/trends", response_class=HTMLResponse)
def trends_page(
    request: Request,
    pf: PaperfeedDep,
    q: TrendQueries = [],  # noqa: B006 (FastAPI reads the default, never mutates it)
    interval: IntervalQuery = "week",
    since: DateQuery = None,
    until: DateQuery = None,
    measure: Annotated[str, Query(pattern="^(count|share)$")] = "count",
) -> Response:
    """Compare up to five queries over time; without a query, examples to start from."""
    queries = [x.strip() for x in q if x.strip()]
    context: dict[str, object] = {
        "nav": "trends",
        "queries": queries,
        "slots": (queries + [""] * MAX_QUERIES)[:MAX_QUERIES],
        "interval": interval,
        "since": since,
        "until": until,
        "measure": measure,
        "result": None,
        "examples": [(example, trends_url(example)) for example in EXAMPLES],
    }
    if queries:
        try:
            result = trends(pf, queries, interval=interval, since=since, until=until)
        except SearchUnavailable as exc:
            context["unavailable"] = str(exc)
            return render(request, "trends.html", context, status_code=503)
        shown = {"since": result.since.isoformat(), "until": result.until.isoformat()}
        context |= {
            "result": result,
            "chart": trend_chart(result, measure=measure),
            "search_url": search_url,
            "csv_url": "/trends.csv?"
            + urlencode([("q", x) for x in queries] + [("interval", interval)] + list(shown.items())),
            "api_url": "/api/v1/trends?"
            + urlencode([("q", x) for x in queries] + [("interval", interval)] + list(shown.items())),
            "measure_urls": {
                m: trends_url(queries, interval, measure=m, **shown) for m in ("count", "share")
            },
            "interval_urls": {i: trends_url(queries, i, measure=measure) for i in ("week", "month")},
        }
    return render(request, "trends.html", context)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(text: str) -> str:
    """A text cell a spreadsheet will not run as a formula (OWASP: a leading ' for = + - @)."""
    return "'" + text if text.startswith(_FORMULA_START) else text


def trends_csv_text(result: Trends) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(["query", "period", "start", "end", "count", "share", "all_papers"])
    for series in result.series:
        for point, everything in zip(series.points, result.all_counts, strict=True):
            writer.writerow(
                [
                    csv_cell(series.query),
                    point.period,
                    point.start.isoformat(),
                    point.end.isoformat(),
                    point.count,
                    f"{point.share:.6f}",
                    everything,
                ]
            )
    return out.getvalue()


@router.get("/trends.csv")
def trends_csv(
    pf: PaperfeedDep,
    q: TrendQueries = [],  # noqa: B006
    interval: IntervalQuery = "week",
    since: DateQuery = None,
    until: DateQuery = None,
) -> Response:
    """The trends of ``q`` as CSV: one row per query and period."""
    from paperfeed.errors import InvalidInput

    queries = [x.strip() for x in q if x.strip()]
    if not queries:
        raise InvalidInput("q: give at least one query, e.g. /trends.csv?q=diffusion&q=agent")
    result = trends(pf, queries, interval=interval, since=since, until=until)
    return Response(
        trends_csv_text(result),
        media_type="text/csv; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="paperfeed-trends.csv"'},
    )
