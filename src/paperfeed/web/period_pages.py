"""The weekly and monthly top lists: ``/weekly/2026-W08`` and ``/monthly/2026-02``.

They show the same list as ``GET /api/daily_papers?week=…`` / ``?month=…`` (one library call,
:func:`paperfeed.community.period_lists.period_list`), top first by default, with links to the
neighbouring periods, to the days of a week or the weeks of a month, and to their feeds.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from paperfeed.community import period_lists
from paperfeed.library.marks import marks_for
from paperfeed.periods import Period, parse_key, period_of
from paperfeed.web.badges import paper_badges
from paperfeed.web.common import PER_PAGE, PageQuery, pager_urls
from paperfeed.web.deps import PaperfeedDep, UserDep, render
from paperfeed.web.routers import make_router

router = make_router(include_in_schema=False)

SortQuery = Annotated[
    str, Query(pattern="^(trending|publishedAt)$", description="trending (top first) or publishedAt.")
]
PAGE_OF = {"day": "daily", "week": "weekly", "month": "monthly"}


def period_url(period: Period) -> str:
    """The page of a period: ``/daily/2026-02-20``, ``/weekly/2026-W08``, ``/monthly/2026-02``."""
    return f"/{PAGE_OF[period.kind]}/{period.key}"


def feed_url(period: Period, fmt: str = "xml") -> str:
    return f"/feeds/{PAGE_OF[period.kind]}/{period.key}.{fmt}"


def _parts(period: Period) -> list[Period]:
    """What a period page links down to: the days of a week, the weeks that touch a month."""
    if period.kind == "week":
        return [period_of("day", day) for day in period.days]
    weeks: list[Period] = []
    for day in period.days:
        week = period_of("week", day)
        if not weeks or weeks[-1] != week:
            weeks.append(week)
    return weeks


def _page(
    request: Request, pf: PaperfeedDep, user: UserDep, period: Period, sort: str, page: int
) -> Response:
    result = period_lists.period_list(
        pf.store,
        pf.settings.categories,
        period,
        sort=sort,
        limit=PER_PAGE,
        offset=(page - 1) * PER_PAGE,
        now=pf.clock.now(),
    )
    shown = [e.paper.paper_id for e in result.entries]
    prev_url, next_url = pager_urls(request, page, result.has_more)
    return render(
        request,
        "period.html",
        {
            "nav": "weekly",
            "result": result,
            "period": period,
            "parts": _parts(period),
            "up": period_of("month", period.first) if period.kind == "week" else None,
            "voted": pf.store.votes.voted_by(user.id, shown) if user else set(),
            "marks": marks_for(pf, user, shown),
            "badges": paper_badges(pf, shown),
            "prev_url": prev_url,
            "next_url": next_url,
            "rank_from": (page - 1) * PER_PAGE + 1,
            "period_url": period_url,
            "feed_url": feed_url,
        },
    )


@router.get("/weekly", response_class=HTMLResponse)
def latest_week(
    request: Request, pf: PaperfeedDep, user: UserDep, sort: SortQuery = "trending", page: PageQuery = 1
) -> Response:
    """The week of the newest papers."""
    period = period_lists.latest_period(pf.store, pf.settings.categories, "week", today=pf.clock.now().date())
    return _page(request, pf, user, period, sort, page)


@router.get("/weekly/{week}", response_class=HTMLResponse)
def week_page(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    week: str,
    sort: SortQuery = "trending",
    page: PageQuery = 1,
) -> Response:
    return _page(request, pf, user, parse_key("week", week), sort, page)


@router.get("/monthly", response_class=HTMLResponse)
def latest_month(
    request: Request, pf: PaperfeedDep, user: UserDep, sort: SortQuery = "trending", page: PageQuery = 1
) -> Response:
    """The month of the newest papers."""
    period = period_lists.latest_period(
        pf.store, pf.settings.categories, "month", today=pf.clock.now().date()
    )
    return _page(request, pf, user, period, sort, page)


@router.get("/monthly/{month}", response_class=HTMLResponse)
def month_page(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    month: str,
    sort: SortQuery = "trending",
    page: PageQuery = 1,
) -> Response:
    return _page(request, pf, user, parse_key("month", month), sort, page)
