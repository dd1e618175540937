"""The JSON API under ``/api/v1``: papers, daily, trending, search, similar, votes, submissions.

Lists page with an opaque ``cursor`` (``next_cursor`` in each answer; absent on the last page).
Errors always have one shape: ``{"error": {"status", "code", "message", "details"}}`` (see
:mod:`paperfeed.web.errors`); each route documents the statuses it can answer with, and unknown
query parameters are refused (:mod:`paperfeed.web.api_contract`). Write endpoints need a personal
token (``Authorization: Bearer pf_…``, from ``paperfeed users token EMAIL``), or a browser session
together with its ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from paperfeed import papers
from paperfeed.community import actions
from paperfeed.community import daily as daily_lib
from paperfeed.papers_json import paper_json
from paperfeed.search.finder import find, similar_papers
from paperfeed.search.query import MAX_QUERY_CHARS
from paperfeed.web.api_contract import ApiCurator, ApiMember, errors, reject_unknown_query_params
from paperfeed.web.common import SEARCH_PARAM_MAX, AuthorQuery, CategoryQuery, DateQuery, DayPath, WindowQuery
from paperfeed.web.deps import PaperfeedDep
from paperfeed.web.highlight import mark
from paperfeed.web.routers import make_router

router = make_router(
    prefix="/api/v1",
    tags=["api"],
    dependencies=[Depends(reject_unknown_query_params)],
    responses=errors(422),
)

LimitQuery = Annotated[int, Query(ge=1, le=100, description="Items per page.")]
CursorQuery = Annotated[str | None, Query(max_length=200, description="`next_cursor` of the previous page.")]


def decode_cursor(cursor: str | None) -> int:
    """The offset inside a cursor; a malformed cursor is the client's error (422), never a 500."""
    if cursor is None:
        return 0
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode("ascii") + b"==="))
        offset = int(data["o"])
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeEncodeError):
        raise HTTPException(
            status_code=422, detail="cursor is malformed: pass back next_cursor unchanged"
        ) from None
    if offset < 0 or offset > 1_000_000:
        raise HTTPException(status_code=422, detail="cursor is out of range")
    return offset


def encode_cursor(offset: int) -> str:
    return base64.urlsafe_b64encode(json.dumps({"o": offset}).encode()).decode().rstrip("=")


def _page(
    items: list[dict[str, Any]], offset: int, limit: int, has_more: bool, **extra: Any
) -> dict[str, Any]:
    return {"items": items, "next_cursor": encode_cursor(offset + limit) if has_more else None, **extra}


def _listed_json(items: list[actions.ListedPaper]) -> list[dict[str, Any]]:
    return [paper_json(item.paper) | {"upvotes": item.upvotes} for item in items]


@router.get("/papers", summary="List papers, newest first")
def list_papers(
    pf: PaperfeedDep,
    category: CategoryQuery = None,
    author: AuthorQuery = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> dict[str, Any]:
    offset = decode_cursor(cursor)
    listed, has_more = actions.list_papers(
        pf, None, category=category, author=author, limit=limit, offset=offset
    )
    return _page(_listed_json(listed), offset, limit, has_more)


@router.get("/papers/{paper_id:path}/similar", summary="Papers similar to one paper", responses=errors(404))
def similar(pf: PaperfeedDep, paper_id: str, limit: LimitQuery = 10) -> dict[str, Any]:
    paper = papers.get_paper(pf, paper_id)
    return {"items": _listed_json(actions.with_votes(pf, similar_papers(pf, paper, limit=limit), None))}


@router.post(
    "/papers/{paper_id:path}/vote", summary="Upvote a paper (idempotent)", responses=errors(401, 403, 404)
)
def vote(pf: PaperfeedDep, paper_id: str, user: ApiMember) -> dict[str, Any]:
    result = actions.cast_vote(pf, user, paper_id, up=True)
    return {"paper_id": result.paper_id, "upvotes": result.upvotes, "voted": result.voted}


@router.delete(
    "/papers/{paper_id:path}/vote", summary="Withdraw an upvote (idempotent)", responses=errors(401, 403, 404)
)
def unvote(pf: PaperfeedDep, paper_id: str, user: ApiMember) -> dict[str, Any]:
    result = actions.cast_vote(pf, user, paper_id, up=False)
    return {"paper_id": result.paper_id, "upvotes": result.upvotes, "voted": result.voted}


@router.get("/papers/{paper_id:path}", summary="One paper", responses=errors(404))
def get_paper(pf: PaperfeedDep, paper_id: str) -> dict[str, Any]:
    return _listed_json(actions.with_votes(pf, [papers.get_paper(pf, paper_id)], None))[0]


def _daily(pf: PaperfeedDep, day: date, limit: int, cursor: str | None) -> dict[str, Any]:
    offset = decode_cursor(cursor)
    page = daily_lib.daily_page(pf.store, pf.settings.categories, day, limit=limit, offset=offset)
    featured = (
        [paper_json(f.paper) | {"upvotes": f.votes, "featured_by": f.entry.source} for f in page.featured]
        if offset == 0
        else []
    )
    new = [paper_json(p) | {"upvotes": page.votes.get(p.paper_id, 0)} for p in page.new_papers]
    return {
        "day": day.isoformat(),
        "featured": featured,
        "new_papers": new,
        "new_total": page.new_total,
        "previous_day": page.previous_day.isoformat() if page.previous_day else None,
        "next_day": page.next_day.isoformat() if page.next_day else None,
        "next_cursor": encode_cursor(offset + limit) if offset + limit < page.new_total else None,
    }


@router.get("/daily", summary="The latest day's featured and new papers")
def daily_latest(pf: PaperfeedDep, limit: LimitQuery = 50, cursor: CursorQuery = None) -> dict[str, Any]:
    day = daily_lib.latest_day(pf.store, pf.settings.categories) or pf.clock.now().date()
    return _daily(pf, day, limit, cursor)


@router.get("/daily/{day}", summary="One day's featured and new papers")
def daily_day(
    pf: PaperfeedDep, day: DayPath, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> dict[str, Any]:
    return _daily(pf, day, limit, cursor)


@router.get("/trending", summary="Papers ranked by upvotes with time decay")
def trending_list(
    pf: PaperfeedDep, window: WindowQuery = "week", category: CategoryQuery = None, limit: LimitQuery = 20
) -> dict[str, Any]:
    entries = actions.trending_papers(pf, None, window=window, category=category, limit=limit)
    items = [paper_json(e.paper) | {"upvotes": e.upvotes, "score": round(e.score or 0.0, 6)} for e in entries]
    return {"window": window, "category": category, "items": items}


@router.get(
    "/search",
    summary="Search papers",
    description=(
        "One page of results, best first: `items`, `next_cursor`, `mode`, `notices`, `total` and "
        "`total_exact`. A keyword search whose words surely match more than 10,000 papers stops "
        'counting: `total` is then 10,000 and `total_exact` false (read it as "more than 10,000").'
    ),
)
def search(
    pf: PaperfeedDep,
    q: Annotated[
        str,
        Query(
            min_length=1,
            max_length=SEARCH_PARAM_MAX,
            description=f"Search terms; the first {MAX_QUERY_CHARS:,} characters are read.",
        ),
    ],
    category: CategoryQuery = None,
    since: DateQuery = None,
    until: DateQuery = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> dict[str, Any]:
    offset = decode_cursor(cursor)
    result = find(pf, q, category=category, since=since, until=until, limit=limit, offset=offset)
    counts = pf.store.votes.counts([h.paper.paper_id for h in result.hits])
    items = [
        paper_json(h.paper)
        | {
            "upvotes": counts.get(h.paper.paper_id, 0),
            "snippet_html": str(mark(h.snippet, h.snippet_spans)),
            "score": h.score,
        }
        for h in result.hits
    ]
    return _page(
        items,
        offset,
        limit,
        offset + limit < result.total,
        total=result.total,
        total_exact=result.total_exact,
        mode=result.mode,
        notices=result.notices,
    )


class SubmissionIn(BaseModel):
    paper: str = Field(min_length=1, max_length=300, description="arXiv id or URL", examples=["2602.18409"])


@router.post(
    "/submissions",
    summary="Submit a paper to today's daily page",
    status_code=201,
    responses=errors(400, 401, 403, 429, 502),
)
def submit(request: Request, pf: PaperfeedDep, body: SubmissionIn, user: ApiMember) -> dict[str, Any]:
    result = actions.submit_paper(pf, user, body.paper, fetch=request.app.state.arxiv_fetcher)
    return {
        "day": result.day.isoformat(),
        "created": result.created,
        "fetched": result.fetched,
        "paper": paper_json(result.paper),
    }


class FeatureIn(BaseModel):
    day: date
    paper: str = Field(min_length=1, max_length=300)
    action: str = Field(default="feature", pattern="^(feature|unfeature|hide|unhide)$")


@router.post(
    "/featured",
    summary="Curators: feature, unfeature, hide or unhide a paper on a day",
    responses=errors(400, 401, 403, 404, 502),
)
def curate(request: Request, pf: PaperfeedDep, body: FeatureIn, user: ApiCurator) -> dict[str, Any]:
    result = actions.curate(
        pf, user, body.day, body.paper, body.action, fetch=request.app.state.arxiv_fetcher
    )
    return {
        "day": result.day.isoformat(),
        "paper_id": result.paper_id,
        "action": result.action,
        "changed": result.changed,
    }


@router.get("/me", summary="The user of the token", responses=errors(401))
def me(user: ApiMember) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "role": user.role}
