"""The JSON API of the pictures: ``GET /api/v1/trends`` (counts over time) and ``GET /api/v1/map``
(a map of papers). Same use cases as the pages (:mod:`paperfeed.search.trends`,
:mod:`paperfeed.maps`), same error shape and unknown-parameter check as the rest of ``/api/v1``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, Field

from paperfeed.errors import InvalidInput
from paperfeed.maps.service import paper_map
from paperfeed.search.trends import trends
from paperfeed.web.api_contract import errors, reject_unknown_query_params
from paperfeed.web.common import SEARCH_PARAM_MAX, CategoryQuery, DateQuery
from paperfeed.web.deps import PaperfeedDep, UserDep
from paperfeed.web.map_pages import CollectionParam, PeriodParam, map_period, map_selection
from paperfeed.web.routers import make_router

router = make_router(
    prefix="/api/v1",
    tags=["api"],
    dependencies=[Depends(reject_unknown_query_params)],
    responses=errors(422),
)

API_MAP_WAIT_SECONDS = 10.0
RETRY_AFTER_SECONDS = 3


class MapPending(BaseModel):
    """The map is being computed: ask again after ``retry_after`` seconds."""

    status: str = Field(examples=["computing"])
    retry_after: int
    papers: int


@router.get("/trends", summary="Papers per week or month matching up to five queries", responses=errors(503))
def trends_api(
    pf: PaperfeedDep,
    q: Annotated[
        list[str],
        Query(
            min_length=1,
            max_length=5,
            description="Up to five queries in the search syntax (repeat the parameter: q=a&q=b).",
        ),
    ],
    interval: Annotated[str, Query(pattern="^(week|month)$", description="week or month.")] = "week",
    since: DateQuery = None,
    until: DateQuery = None,
) -> dict[str, Any]:
    for text in q:
        if len(text) > SEARCH_PARAM_MAX:
            raise InvalidInput(f"q: a query may have at most {SEARCH_PARAM_MAX:,} characters")
    return trends(pf, q, interval=interval, since=since, until=until).to_dict()


@router.get(
    "/map",
    summary="A map of papers: 2-D positions by content, clusters and their labels",
    responses={
        **errors(401, 403, 404, 503),
        202: {"model": MapPending, "description": "Still being computed; retry after Retry-After seconds."},
    },
)
def map_api(
    pf: PaperfeedDep,
    user: UserDep,
    q: Annotated[str | None, Query(max_length=SEARCH_PARAM_MAX, description="A search to map.")] = None,
    category: CategoryQuery = None,
    since: DateQuery = None,
    until: DateQuery = None,
    date_: Annotated[str | None, Query(alias="date", max_length=40, description="A day: 2026-02-20.")] = None,
    week: PeriodParam = None,
    month: PeriodParam = None,
    collection: CollectionParam = None,
    for_you: Annotated[bool, Query(description="Your For you list (needs a token).")] = False,
) -> Any:
    selection = map_selection(
        pf,
        user,
        q=q,
        category=category,
        since=since,
        until=until,
        period=map_period(date_, week, month),
        collection=collection,
        for_you=for_you,
    )
    found = paper_map(pf, selection.ids, user, wait=API_MAP_WAIT_SECONDS)
    if found is None:
        return JSONResponse(
            {"status": "computing", "retry_after": RETRY_AFTER_SECONDS, "papers": len(selection.ids)},
            status_code=202,
            headers={"Retry-After": str(RETRY_AFTER_SECONDS)},
        )
    return found.to_dict() | {
        "title": selection.title,
        "total": selection.total,
        "notices": selection.notices + found.notices,
    }
