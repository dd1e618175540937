"""RSS 2.0 (``.xml``) and Atom (``.atom``) feeds for the daily list, trending, the weekly and monthly
top lists, categories and searches."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated
from urllib.parse import quote

from fastapi import Path, Request
from fastapi.responses import Response

from paperfeed.community import actions, period_lists
from paperfeed.community import daily as daily_lib
from paperfeed.context import Paperfeed
from paperfeed.formats import feeds
from paperfeed.formats.feeds import FeedEntry
from paperfeed.periods import Period, parse_key
from paperfeed.search.finder import find
from paperfeed.web.common import CATEGORY_PATTERN, CategoryQuery, SearchQuery, WindowQuery
from paperfeed.web.deps import PaperfeedDep
from paperfeed.web.period_pages import period_url
from paperfeed.web.routers import make_router

router = make_router(prefix="/feeds", include_in_schema=False)
FEED_SIZE = 50
FormatPath = Annotated[str, Path(pattern="^(xml|atom)$", description="xml (RSS 2.0) or atom")]


def _feed(
    pf: Paperfeed, request: Request, fmt: str, title: str, page_path: str, entries: Sequence[FeedEntry]
) -> Response:
    base = pf.settings.base_url.rstrip("/")
    paper_url = base + "/papers/{id}"
    link = base + page_path
    if fmt == "xml":
        body = feeds.rss(title, link, title, entries, paper_url, built=pf.clock.now())
        return Response(body, media_type="application/rss+xml; charset=utf-8")
    self_link = base + request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return Response(
        feeds.atom(title, link, self_link, entries, paper_url, built=pf.clock.now()),
        media_type="application/atom+xml; charset=utf-8",
    )


@router.get("/daily.{fmt}")
def daily_feed(request: Request, pf: PaperfeedDep, fmt: FormatPath) -> Response:
    """The latest day: its featured papers, or its new papers when nothing is featured."""
    day = daily_lib.latest_day(pf.store, pf.settings.categories) or pf.clock.now().date()
    page = daily_lib.daily_page(pf.store, pf.settings.categories, day, limit=FEED_SIZE)
    entries: list[FeedEntry] = [(f.paper, f.entry.created_at) for f in page.featured] or [
        (p, None) for p in page.new_papers
    ]
    return _feed(pf, request, fmt, f"paperfeed daily papers {day.isoformat()}", "/", entries)


def _top_feed(request: Request, pf: Paperfeed, fmt: str, period: Period) -> Response:
    """The top of a week's or month's list (the trending order of its page)."""
    result = period_lists.period_list(
        pf.store, pf.settings.categories, period, sort="trending", limit=FEED_SIZE, now=pf.clock.now()
    )
    title = f"paperfeed top papers, {period.label}"
    entries = [(e.paper, e.listed_at) for e in result.entries]  # dated when each joined the list
    return _feed(pf, request, fmt, title, period_url(period), entries)


@router.get("/weekly.{fmt}")
def latest_week_feed(request: Request, pf: PaperfeedDep, fmt: FormatPath) -> Response:
    """The week of the newest papers, top first."""
    return _top_feed(
        request,
        pf,
        fmt,
        period_lists.latest_period(pf.store, pf.settings.categories, "week", today=pf.clock.now().date()),
    )


@router.get("/weekly/{week}.{fmt}")
def week_feed(request: Request, pf: PaperfeedDep, week: str, fmt: FormatPath) -> Response:
    return _top_feed(request, pf, fmt, parse_key("week", week))


@router.get("/monthly.{fmt}")
def latest_month_feed(request: Request, pf: PaperfeedDep, fmt: FormatPath) -> Response:
    """The month of the newest papers, top first."""
    return _top_feed(
        request,
        pf,
        fmt,
        period_lists.latest_period(pf.store, pf.settings.categories, "month", today=pf.clock.now().date()),
    )


@router.get("/monthly/{month}.{fmt}")
def month_feed(request: Request, pf: PaperfeedDep, month: str, fmt: FormatPath) -> Response:
    return _top_feed(request, pf, fmt, parse_key("month", month))


@router.get("/trending.{fmt}")
def trending_feed(
    request: Request,
    pf: PaperfeedDep,
    fmt: FormatPath,
    window: WindowQuery = "week",
    category: CategoryQuery = None,
) -> Response:
    listed = actions.trending_papers(pf, None, window=window, category=category, limit=FEED_SIZE)
    entries = [(e.paper, e.entered) for e in listed]
    return _feed(pf, request, fmt, f"paperfeed trending ({window})", "/trending", entries)


@router.get("/categories/{category}.{fmt}")
def category_feed(
    request: Request,
    pf: PaperfeedDep,
    category: Annotated[str, Path(pattern=CATEGORY_PATTERN, max_length=32)],
    fmt: FormatPath,
) -> Response:
    papers = pf.store.papers.list_papers(category=category, limit=FEED_SIZE)
    entries = [(p, None) for p in papers]
    return _feed(pf, request, fmt, f"paperfeed: new in {category}", f"/categories/{category}", entries)


@router.get("/search.{fmt}")
def search_feed(
    request: Request, pf: PaperfeedDep, fmt: FormatPath, q: SearchQuery, category: CategoryQuery = None
) -> Response:
    result = find(pf, q, category=category, limit=FEED_SIZE)
    shown = result.query if len(result.query) <= 200 else result.query[:200] + "…"
    path = "/search?q=" + quote(result.query)
    entries = [(h.paper, None) for h in result.hits]
    return _feed(pf, request, fmt, f"paperfeed search: {shown}", path, entries)
