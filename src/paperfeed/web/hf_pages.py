"""Hugging Face's page addresses, answered by paperfeed's pages.

A reader, a bookmark or a scraper written for Hugging Face's Daily Papers pages asks for
``/papers/date/2026-02-20``, ``/papers/week/2026-W08``, ``/papers/month/2026-02``,
``/papers/trending`` or ``/papers?date=2026-02-20``. Each is redirected to the paperfeed page that
shows the same list (the daily page with its featured papers first, the week's and month's top
lists, trending), where papers are linked as ``/papers/{id}`` as on Hugging Face. A malformed date,
week or month is a 422 page naming it, as on the canonical pages.

The router is included before :mod:`paperfeed.web.pages`, whose ``/papers/{paper_id:path}`` would
otherwise read ``date/2026-02-20`` as a paper id.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Query
from fastapi.responses import RedirectResponse

from paperfeed.community.daily import latest_day
from paperfeed.periods import parse_key, parse_period
from paperfeed.web.common import DayPath
from paperfeed.web.deps import PaperfeedDep
from paperfeed.web.period_pages import period_url
from paperfeed.web.routers import make_router

router = make_router(include_in_schema=False)

PeriodParam = Annotated[str | None, Query(max_length=40)]


@router.get("/papers")
def papers_index(
    pf: PaperfeedDep, date: PeriodParam = None, week: PeriodParam = None, month: PeriodParam = None
) -> RedirectResponse:
    """``/papers?date=…`` (``week``, ``month``): that period's page; without one, the latest day."""
    period = parse_period(day=(date or "").strip(), week=(week or "").strip(), month=(month or "").strip())
    if period is None:
        day = latest_day(pf.store, pf.settings.categories) or pf.clock.now().date()
        return RedirectResponse(f"/daily/{day.isoformat()}", status_code=302)
    return RedirectResponse(period_url(period), status_code=302)


@router.get("/papers/date/{day}")
def papers_of_a_day(day: DayPath) -> RedirectResponse:
    return RedirectResponse(f"/daily/{day.isoformat()}", status_code=301)


@router.get("/papers/week/{week}")
def papers_of_a_week(week: str) -> RedirectResponse:
    return RedirectResponse(period_url(parse_key("week", week)), status_code=301)


@router.get("/papers/month/{month}")
def papers_of_a_month(month: str) -> RedirectResponse:
    return RedirectResponse(period_url(parse_key("month", month)), status_code=301)


@router.get("/papers/trending")
def papers_trending() -> RedirectResponse:
    return RedirectResponse("/trending", status_code=301)
