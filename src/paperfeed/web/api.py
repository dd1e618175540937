"""The JSON API under ``/api/v1``: papers, daily, trending, search, similar, votes, submissions.

Lists page with an opaque ``cursor`` (``next_cursor`` in each answer; absent on the last page).
Errors always have one shape: ``{"error": {"status", "code", "message", "details"}}`` (see
:mod:`paperfeed.web.errors`). Write endpoints need a personal token
(``Authorization: Bearer pf_…``, from ``paperfeed users token EMAIL``).
"""

from __future__ import annotations

import base64
import binascii
import json
from datetime import date
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query, Request
from pydantic import BaseModel, Field

from paperfeed.community import daily as daily_lib
from paperfeed.community import submissions, votes
from paperfeed.community.accounts import User
from paperfeed.community.clock import utcnow
from paperfeed.community.finder import find, similar_papers
from paperfeed.community.ratelimit import hit
from paperfeed.community.trending import trending
from paperfeed.papers_json import paper_json
from paperfeed.web.common import CategoryQuery, DateQuery, WindowQuery, paper_key
from paperfeed.web.deps import PaperfeedDep, current_user

router = APIRouter(prefix="/api/v1", tags=["api"])

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


def require_user(request: Request) -> User:
    user = current_user(request)
    if user is None:
        raise HTTPException(
            status_code=401, detail="send Authorization: Bearer <token> (paperfeed users token EMAIL)"
        )
    return user


def _with_votes(pf: PaperfeedDep, papers: list[Any]) -> list[dict[str, Any]]:
    counts = votes.vote_counts(pf.store.engine, [p.paper_id for p in papers])
    return [paper_json(p) | {"upvotes": counts.get(p.paper_id, 0)} for p in papers]


@router.get("/papers", summary="List papers, newest first")
def list_papers(
    pf: PaperfeedDep,
    category: CategoryQuery = None,
    author: Annotated[str | None, Query(max_length=300)] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> dict[str, Any]:
    offset = decode_cursor(cursor)
    found = pf.store.list_papers(category=category, author=author, limit=limit + 1, offset=offset)
    return _page(_with_votes(pf, found[:limit]), offset, limit, len(found) > limit)


@router.get("/papers/{paper_id:path}/similar", summary="Papers similar to one paper")
def similar(pf: PaperfeedDep, paper_id: str, limit: LimitQuery = 10) -> dict[str, Any]:
    paper = pf.store.get(paper_key(paper_id))
    if paper is None:
        raise HTTPException(status_code=404, detail=f"no paper {paper_id}")
    return {"items": _with_votes(pf, similar_papers(pf, paper, limit=limit))}


@router.post("/papers/{paper_id:path}/vote", summary="Upvote a paper (idempotent)")
def vote(pf: PaperfeedDep, paper_id: str, user: Annotated[User, Depends(require_user)]) -> dict[str, Any]:
    key = pf.store.resolve_id(paper_key(paper_id))
    if key is None:
        raise HTTPException(status_code=404, detail=f"no paper {paper_id}")
    return {"paper_id": key, "upvotes": votes.vote(pf.store.engine, user, key), "voted": True}


@router.delete("/papers/{paper_id:path}/vote", summary="Withdraw an upvote (idempotent)")
def unvote(pf: PaperfeedDep, paper_id: str, user: Annotated[User, Depends(require_user)]) -> dict[str, Any]:
    key = pf.store.resolve_id(paper_key(paper_id))
    if key is None:
        raise HTTPException(status_code=404, detail=f"no paper {paper_id}")
    return {"paper_id": key, "upvotes": votes.unvote(pf.store.engine, user, key), "voted": False}


@router.get("/papers/{paper_id:path}", summary="One paper")
def get_paper(pf: PaperfeedDep, paper_id: str) -> dict[str, Any]:
    paper = pf.store.get(paper_key(paper_id))
    if paper is None:
        raise HTTPException(status_code=404, detail=f"no paper {paper_id}")
    return _with_votes(pf, [paper])[0]


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
    day = daily_lib.latest_day(pf.store.engine, pf.settings.categories) or utcnow().date()
    return _daily(pf, day, limit, cursor)


@router.get("/daily/{day}", summary="One day's featured and new papers")
def daily_day(
    pf: PaperfeedDep, day: date, limit: LimitQuery = 50, cursor: CursorQuery = None
) -> dict[str, Any]:
    return _daily(pf, day, limit, cursor)


@router.get("/trending", summary="Papers ranked by upvotes with time decay")
def trending_list(
    pf: PaperfeedDep, window: WindowQuery = "week", category: CategoryQuery = None, limit: LimitQuery = 20
) -> dict[str, Any]:
    entries = trending(pf.store.engine, window=window, category=category, limit=limit)
    loaded = pf.store.get_many([e.paper_id for e in entries])
    items = [
        paper_json(loaded[e.paper_id]) | {"upvotes": e.votes, "score": round(e.score, 6)}
        for e in entries
        if e.paper_id in loaded
    ]
    return {"window": window, "category": category, "items": items}


@router.get("/search", summary="Search papers")
def search(
    pf: PaperfeedDep,
    q: Annotated[str, Query(min_length=1, max_length=500)],
    category: CategoryQuery = None,
    since: DateQuery = None,
    until: DateQuery = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> dict[str, Any]:
    offset = decode_cursor(cursor)
    result = find(pf, q, category=category, since=since, until=until, limit=limit, offset=offset)
    counts = votes.vote_counts(pf.store.engine, [h.paper.paper_id for h in result.hits])
    items = [
        paper_json(h.paper)
        | {"upvotes": counts.get(h.paper.paper_id, 0), "snippet_html": str(h.snippet), "score": h.score}
        for h in result.hits
    ]
    return _page(
        items,
        offset,
        limit,
        offset + limit < result.total,
        total=result.total,
        mode=result.mode,
        notices=result.notices,
    )


class SubmissionIn(BaseModel):
    paper: str = Field(min_length=1, max_length=300, description="arXiv id or URL", examples=["2602.18409"])


@router.post("/submissions", summary="Submit a paper to today's daily page", status_code=201)
def submit(
    request: Request, pf: PaperfeedDep, body: SubmissionIn, user: Annotated[User, Depends(require_user)]
) -> dict[str, Any]:
    if not hit(pf.store.engine, f"submit:user:{user.id}", limit=20, window_seconds=3600):
        raise HTTPException(status_code=429, detail="too many submissions this hour")
    try:
        result = submissions.submit(pf, user, body.paper, fetch=request.app.state.arxiv_fetcher)
    except submissions.SubmissionError as exc:
        raise HTTPException(status_code=422, detail=str(exc)) from None
    except submissions.FetchFailed as exc:
        raise HTTPException(status_code=502, detail=str(exc)) from None
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


@router.post("/featured", summary="Curators: feature, unfeature, hide or unhide a paper on a day")
def curate(
    request: Request, pf: PaperfeedDep, body: FeatureIn, user: Annotated[User, Depends(require_user)]
) -> dict[str, Any]:
    if not user.is_curator:
        raise HTTPException(status_code=403, detail="only curators can change featured papers")
    engine = pf.store.engine
    if body.action == "feature":
        try:
            paper, _ = submissions.resolve_paper(pf, body.paper, fetch=request.app.state.arxiv_fetcher)
        except submissions.SubmissionError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        changed = submissions.feature(engine, body.day, paper.paper_id, user, source="curator")
        key = paper.paper_id
    else:
        key = paper_key(body.paper)
        if body.action == "unfeature":
            changed = submissions.unfeature(engine, body.day, key, user)
        else:
            changed = submissions.set_hidden(engine, body.day, key, user, hidden=body.action == "hide")
    return {"day": body.day.isoformat(), "paper_id": key, "action": body.action, "changed": changed}


@router.get("/me", summary="The user of the token")
def me(user: Annotated[User, Depends(require_user)]) -> dict[str, Any]:
    return {"id": user.id, "email": user.email, "role": user.role}
