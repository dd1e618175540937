"""The small charts other pages show where they print numbers: a paper's upvotes over time, a
sparkline per trending entry, papers per day beside the daily page's date navigation, and a
category's or author's papers per month.

Each function gathers its numbers through one library call and returns ready markup (or ``None``
when there is nothing to draw, or the keyword index is not built yet: a page never fails for a
chart). The drawings are :mod:`paperfeed.web.charts`'.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from markupsafe import Markup

from paperfeed.community.vote_history import BUCKETS, paper_vote_history, window_sparklines
from paperfeed.context import Paperfeed
from paperfeed.search.engine import SearchUnavailable
from paperfeed.search.trends import day_counts, trends
from paperfeed.web.charts import Bar, LineChart, LinePoint, LineSeries, bar_strip, line_chart, sparkline
from paperfeed.web.trends_pages import small_trend, trends_url

STRIP_DAYS = 14
STRIP_AFTER = 3
"""The strip shows the shown day, the days before it and up to three after (never past the latest)."""
LISTING_MONTHS = 24


@dataclass(slots=True)
class VotesChart:
    svg: Markup
    rows: list[tuple[date, int, int]]  # day, votes that day, running total (days with votes)
    total: int


def votes_chart(app: Paperfeed, paper_id: str) -> VotesChart | None:
    """The paper page's line of its upvotes' running total, day by day."""
    history = paper_vote_history(app, paper_id)
    if history is None:
        return None
    days = history.days
    points = [
        LinePoint(
            float(total),
            f"{day.isoformat()}: {total:,} upvote{'s' if total != 1 else ''} in all"
            + (f" (+{n} that day)" if n else ""),
        )
        for day, n, total in zip(days, history.per_day, history.running, strict=True)
    ]
    chart = LineChart(
        label=f"Upvotes over time, {days[0].isoformat()} to {days[-1].isoformat()}",
        x_labels=[d.strftime("%b %-d") for d in days],
        series=[LineSeries("upvotes", points)],
        height=130,
        x_ticks=5,
    )
    rows = [
        (day, n, total) for day, n, total in zip(days, history.per_day, history.running, strict=True) if n
    ]
    return VotesChart(line_chart(chart, chart_id="votes-chart"), rows, history.total)


def trending_sparklines(app: Paperfeed, paper_ids: Sequence[str], window: str) -> dict[str, Markup]:
    """A sparkline of each entry's votes per hour (day window) or per day (week, month)."""
    if not paper_ids:
        return {}
    buckets = window_sparklines(app.store, paper_ids, window=window, now=app.clock.now())
    unit = "hour" if BUCKETS[window][1] < timedelta(days=1) else "day"
    out = {}
    for pid, counts in buckets.items():
        label = f"upvotes per {unit} over the last {len(counts)} {unit}s, oldest first: " + ", ".join(
            str(n) for n in counts
        )
        out[pid] = sparkline([float(n) for n in counts], label=label)
    return out


def daily_strip(app: Paperfeed, day: date, latest: date | None) -> Markup | None:
    """Bars of the new papers per day around ``day`` (the followed categories, as the daily page
    counts them), each a link to its day."""
    last = min(day + timedelta(days=STRIP_AFTER), max(latest or day, day))
    first = last - timedelta(days=STRIP_DAYS - 1)
    try:
        counts = day_counts(app, app.settings.categories, first, last)
    except SearchUnavailable:
        return None
    if not any(n for _, n in counts):
        return None
    bars = [
        Bar(
            label=str(d.day),
            value=float(n),
            hover=f"{d:%a, %b} {d.day}: {n:,} new paper{'s' if n != 1 else ''}",
            href=f"/daily/{d.isoformat()}",
            current=d == day,
        )
        for d, n in counts
    ]
    label = f"New papers per day, {first.isoformat()} to {last.isoformat()}: " + ", ".join(
        f"{d:%b} {d.day} {n}" for d, n in counts
    )
    return bar_strip(bars, label=label)


@dataclass(slots=True)
class ListingTrend:
    svg: object
    url: str
    total: int
    interval: str


def listing_trend(
    app: Paperfeed, *, category: str | None = None, author: str | None = None
) -> ListingTrend | None:
    """A category's or an author's papers per month (the last two years up to the newest paper)."""
    if category:
        query = f"cat:{category}"
    elif author:
        query = 'author:"' + author.replace('"', " ").strip() + '"'
    else:
        return None
    try:
        result = trends(app, [query], interval="month", span=LISTING_MONTHS)
    except SearchUnavailable:
        return None
    series = result.series[0]
    if not series.total:
        return None
    return ListingTrend(small_trend(result), trends_url([query], "month"), series.total, result.interval)
