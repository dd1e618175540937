"""The "For you" JSON API: ``/api/v1/recommendations`` and its drivers, resets and feed address.

The same use cases as the page (:mod:`paperfeed.recommend.service`,
:mod:`paperfeed.recommend.feed_tokens`), rendered as JSON; every route is the member's own and
needs a personal token (``Authorization: Bearer pf_…``) or a session.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Path, Query
from pydantic import BaseModel, Field, StrictBool

from paperfeed.papers_json import paper_json
from paperfeed.recommend import feed_tokens
from paperfeed.recommend import service as foryou
from paperfeed.recommend.reasons import DriverView, ReasonView
from paperfeed.web.api_contract import errors, reject_unknown_query_params
from paperfeed.web.deps import CurrentMember, PaperfeedDep
from paperfeed.web.routers import make_router

router = make_router(
    prefix="/api/v1",
    tags=["recommendations"],
    dependencies=[Depends(reject_unknown_query_params)],
    responses=errors(400, 401, 403, 404, 422),
)


def reason_json(reason: ReasonView) -> dict[str, Any]:
    return {
        "driver": reason.driver,
        "text": reason.text,
        "paper_id": reason.paper_id,
        "collection_id": reason.collection_id,
        "follow": reason.follow,
    }


def driver_json(view: DriverView) -> dict[str, Any]:
    return {
        "name": view.name,
        "label": view.label,
        "description": view.description,
        "enabled": view.enabled,
        "brought": view.brought,
        "share": None if view.share is None else round(view.share, 3),
        "detail": view.detail,
    }


@router.get("/recommendations", summary="New papers ranked for you, each with its reason")
def recommendations(
    pf: PaperfeedDep,
    user: CurrentMember,
    days: Annotated[
        int, Query(ge=1, le=foryou.MAX_DAYS, description="The last N days.")
    ] = foryou.DEFAULT_DAYS,
    limit: Annotated[int, Query(ge=1, le=foryou.MAX_LIMIT)] = foryou.DEFAULT_LIMIT,
    record: Annotated[bool, Query(description="Count the listed papers as shown to you.")] = True,
) -> dict[str, Any]:
    page = foryou.for_you(pf, user, days=days, limit=limit, record=record)
    return {
        "since": page.since.isoformat(),
        "until": page.until.isoformat(),
        "notices": page.notices,
        "cold_start": page.cold_start,
        "model": {
            "positives": page.positives,
            "negatives": page.negatives,
            "follows": page.follows,
            "trained_at": page.trained_at.isoformat() if page.trained_at else None,
        },
        "items": [
            paper_json(i.paper) | {"score": round(i.score, 4), "reason": reason_json(i.reason)}
            for i in page.items
        ],
        "drivers": [driver_json(d) for d in page.drivers],
    }


class DriverIn(BaseModel):
    enabled: StrictBool


@router.get("/recommendations/drivers", summary="Every driver of your feed and whether it is on")
def list_drivers(pf: PaperfeedDep, user: CurrentMember) -> dict[str, Any]:
    return {"drivers": foryou.driver_states(pf, user)}


@router.put("/recommendations/drivers/{driver}", summary="Switch a driver of your feed on or off")
def put_driver(
    pf: PaperfeedDep,
    user: CurrentMember,
    driver: Annotated[str, Path(max_length=100, examples=["co_saves", "collection:12"])],
    body: DriverIn,
) -> dict[str, Any]:
    return {"drivers": foryou.set_driver(pf, user, driver, body.enabled)}


class ResetIn(BaseModel):
    what: list[str] = Field(min_length=1, max_length=3, examples=[["feedback", "impressions"]])


@router.post("/recommendations/reset", summary="Forget your feedback, impressions and/or switches")
def post_reset(pf: PaperfeedDep, user: CurrentMember, body: ResetIn) -> dict[str, Any]:
    done = foryou.reset(pf, user, body.what)
    return {
        "feedback_removed": done.feedback,
        "impressions_removed": done.impressions,
        "drivers_reset": done.drivers,
    }


@router.post("/recommendations/feed", summary="Make a new secret address for your RSS feed (shown once)")
def new_feed(pf: PaperfeedDep, user: CurrentMember) -> dict[str, Any]:
    token = feed_tokens.new_feed_token(pf, user)
    return {"url": f"{pf.settings.base_url.rstrip('/')}/feeds/for-you/{token}.xml"}


@router.delete("/recommendations/feed", summary="Turn your RSS feed off")
def delete_feed(pf: PaperfeedDep, user: CurrentMember) -> dict[str, Any]:
    return {"deleted": feed_tokens.revoke_feed_token(pf, user)}
