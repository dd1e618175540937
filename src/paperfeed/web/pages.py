"""The HTML pages: daily, trending, search, paper, author, category, submit, votes and curation.

Each route parses its input, calls one library function and renders a template; the work lives in
:mod:`paperfeed.community`.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Form, HTTPException, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperfeed.community import bibtex as bib
from paperfeed.community import daily as daily_lib
from paperfeed.community import submissions, votes
from paperfeed.community.clock import utcnow
from paperfeed.community.finder import find, similar_papers
from paperfeed.community.ratelimit import hit
from paperfeed.community.trending import WINDOWS, trending
from paperfeed.papers_json import arxiv_urls
from paperfeed.web.common import (
    PER_PAGE,
    CategoryQuery,
    DateQuery,
    PageQuery,
    SearchQuery,
    WindowQuery,
    pager_urls,
    paper_key,
)
from paperfeed.web.deps import PaperfeedDep, UserDep, current_user, not_found, render
from paperfeed.web.security import csrf_ok

router = APIRouter(include_in_schema=False)

SUBMISSIONS_PER_HOUR = 20


def _require_csrf(request: Request, token: str | None) -> None:
    if not csrf_ok(request, token):
        raise HTTPException(
            status_code=403, detail="the form expired or came from another site; reload and retry"
        )


@router.get("/", response_class=HTMLResponse)
def home(request: Request, pf: PaperfeedDep, user: UserDep) -> Response:
    """The daily page of the latest day that has papers (or featured entries)."""
    day = daily_lib.latest_day(pf.store.engine, pf.settings.categories) or utcnow().date()
    return _daily(request, pf, user, day, "featured", 1)


@router.get("/daily", response_class=HTMLResponse)
def daily_pick(date_: Annotated[date, Query(alias="date")]) -> Response:
    """The calendar form's target: redirect to the canonical day URL."""
    return RedirectResponse(f"/daily/{date_.isoformat()}", status_code=303)


@router.get("/daily/{day}.bib")
def daily_bibtex(pf: PaperfeedDep, day: date) -> Response:
    result = daily_lib.daily_page(pf.store, pf.settings.categories, day, limit=500)
    papers = [f.paper for f in result.featured] or result.new_papers
    return Response(bib.bibtex(papers), media_type="application/x-bibtex; charset=utf-8")


@router.get("/daily/{day}", response_class=HTMLResponse)
def daily(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    day: date,
    tab: Annotated[str, Query(pattern="^(featured|new)$")] = "featured",
    page: PageQuery = 1,
) -> Response:
    return _daily(request, pf, user, day, tab, page)


def _daily(request: Request, pf: PaperfeedDep, user: UserDep, day: date, tab: str, page: int) -> Response:
    result = daily_lib.daily_page(
        pf.store, pf.settings.categories, day, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
    )
    shown = [f.paper.paper_id for f in result.featured] + [p.paper_id for p in result.new_papers]
    has_more = page * PER_PAGE < result.new_total
    base = f"/daily/{day.isoformat()}?tab=new"
    prev_url = (f"{base}&page={page - 1}" if page > 2 else base) if page > 1 else None
    next_url = f"{base}&page={page + 1}" if has_more else None
    return render(
        request,
        "daily.html",
        {
            "nav": "daily",
            "page": result,
            "tab": tab,
            "voted": votes.voted_by(pf.store.engine, user, shown),
            "prev_url": prev_url,
            "next_url": next_url,
        },
    )


@router.get("/trending", response_class=HTMLResponse)
def trending_page(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    window: WindowQuery = "week",
    category: CategoryQuery = None,
) -> Response:
    entries = trending(pf.store.engine, window=window, category=category, limit=50)
    loaded = pf.store.get_many([e.paper_id for e in entries])
    pairs = [(e, loaded[e.paper_id]) for e in entries if e.paper_id in loaded]
    return render(
        request,
        "trending.html",
        {
            "nav": "trending",
            "entries": pairs,
            "window": window,
            "windows": list(WINDOWS),
            "category": category,
            "voted": votes.voted_by(pf.store.engine, user, [e.paper_id for e in entries]),
        },
    )


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    q: SearchQuery = "",
    category: Annotated[str | None, Query(max_length=32)] = None,
    since: DateQuery = None,
    until: DateQuery = None,
    page: PageQuery = 1,
) -> Response:
    """Search with filters; an HTMX request (typing) gets just the results fragment."""
    category = (category or "").strip() or None
    if category is not None:
        import re

        from paperfeed.web.common import CATEGORY_PATTERN

        if not re.fullmatch(CATEGORY_PATTERN, category):
            raise _invalid("category", f"not an arXiv category: {category!r} (example: cs.LG)")
    result = None
    context: dict[str, object] = {
        "nav": "search",
        "q": q,
        "category": category,
        "since": since,
        "until": until,
    }
    if q.strip():
        result = find(
            pf, q, category=category, since=since, until=until, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
        )
        ids = [h.paper.paper_id for h in result.hits]
        prev_url, next_url = pager_urls(request, page, page * PER_PAGE < result.total)
        bib_query = request.url.query
        context |= {
            "votes": votes.vote_counts(pf.store.engine, ids),
            "voted": votes.voted_by(pf.store.engine, user, ids),
            "prev_url": prev_url,
            "next_url": next_url,
            "bib_url": "/search.bib" + (f"?{bib_query}" if bib_query else ""),
        }
    context["result"] = result
    template = "partials/search_results.html" if request.headers.get("hx-request") else "search.html"
    return render(request, template, context)


def _invalid(field: str, message: str) -> HTTPException:
    from fastapi.exceptions import RequestValidationError

    raise RequestValidationError([{"loc": ("query", field), "msg": message, "type": "value_error"}])


@router.get("/papers/{paper_id:path}.bib")
def paper_bibtex(pf: PaperfeedDep, paper_id: str) -> Response:
    paper = pf.store.get(paper_key(paper_id))
    if paper is None:
        raise not_found(f"no paper {paper_id}")
    return Response(bib.bibtex_entry(paper), media_type="application/x-bibtex; charset=utf-8")


@router.get("/papers/{paper_id:path}/similar", response_class=HTMLResponse)
def similar_fragment(request: Request, pf: PaperfeedDep, user: UserDep, paper_id: str) -> Response:
    """Similar papers, loaded by HTMX after the paper page (TF-IDF similarity takes ~0.2 s)."""
    paper = pf.store.get(paper_key(paper_id))
    if paper is None:
        raise not_found(f"no paper {paper_id}")
    similar = similar_papers(pf, paper, limit=5)
    ids = [p.paper_id for p in similar]
    context = {
        "similar": similar,
        "votes": votes.vote_counts(pf.store.engine, ids),
        "voted": votes.voted_by(pf.store.engine, user, ids),
    }
    return render(request, "partials/similar.html", context)


@router.get("/papers/{paper_id:path}", response_class=HTMLResponse)
def paper_page(request: Request, pf: PaperfeedDep, user: UserDep, paper_id: str) -> Response:
    key = paper_key(paper_id)
    paper = pf.store.get(key)
    if paper is None:
        raise not_found(f"no paper {key} here (it may not be imported yet; members can submit it)")
    if paper.paper_id != paper_id:  # a versioned id, a URL-ish spelling or a merged title id
        return RedirectResponse(f"/papers/{paper.paper_id}", status_code=301)
    engine = pf.store.engine
    counts = votes.vote_counts(engine, [paper.paper_id])
    return render(
        request,
        "paper.html",
        {
            "paper": paper,
            "links": arxiv_urls(paper),
            "votes": counts.get(paper.paper_id, 0),
            "voted": paper.paper_id in votes.voted_by(engine, user, [paper.paper_id]),
            "bibtex": bib.bibtex_entry(paper),
        },
    )


def _listing(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    *,
    heading: str,
    subtitle: str,
    page: int,
    feed_url: str | None,
    **filters: str,
) -> Response:
    found = pf.store.list_papers(limit=PER_PAGE + 1, offset=(page - 1) * PER_PAGE, **filters)  # type: ignore[arg-type]
    shown = found[:PER_PAGE]
    ids = [p.paper_id for p in shown]
    prev_url, next_url = pager_urls(request, page, len(found) > PER_PAGE)
    return render(
        request,
        "listing.html",
        {
            "heading": heading,
            "subtitle": subtitle,
            "papers": shown,
            "page": page,
            "votes": votes.vote_counts(pf.store.engine, ids),
            "voted": votes.voted_by(pf.store.engine, user, ids),
            "prev_url": prev_url,
            "next_url": next_url,
            "feed_url": feed_url,
        },
    )


@router.get("/authors/{name:path}", response_class=HTMLResponse)
def author_page(
    request: Request, pf: PaperfeedDep, user: UserDep, name: str, page: PageQuery = 1
) -> Response:
    return _listing(
        request,
        pf,
        user,
        heading=name,
        subtitle="Papers by this author, newest first",
        page=page,
        feed_url=None,
        author=name,
    )


@router.get("/categories/{category}", response_class=HTMLResponse)
def category_page(
    request: Request, pf: PaperfeedDep, user: UserDep, category: str, page: PageQuery = 1
) -> Response:
    import re

    from paperfeed.web.common import CATEGORY_PATTERN

    if not re.fullmatch(CATEGORY_PATTERN, category) or len(category) > 32:
        raise not_found(f"{category!r} is not an arXiv category")
    return _listing(
        request,
        pf,
        user,
        heading=category,
        subtitle="Papers in this category, newest first",
        page=page,
        feed_url=f"/feeds/categories/{category}.xml",
        category=category,
    )


@router.get("/search.bib")
def search_bibtex(
    pf: PaperfeedDep,
    q: SearchQuery,
    category: CategoryQuery = None,
    since: DateQuery = None,
    until: DateQuery = None,
    page: PageQuery = 1,
) -> Response:
    result = find(
        pf, q, category=category, since=since, until=until, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
    )
    return Response(
        bib.bibtex(h.paper for h in result.hits), media_type="application/x-bibtex; charset=utf-8"
    )


# ------------------------------------------------------------------------------ writes
@router.post("/vote", response_class=HTMLResponse)
def vote_form(
    request: Request,
    pf: PaperfeedDep,
    paper_id: Annotated[str, Form(max_length=64)],
    undo: Annotated[str, Form(pattern="^[01]$")] = "0",
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Upvote (or withdraw); HTMX gets the new button, a plain form post is sent back to the page."""
    _require_csrf(request, csrf_token)
    user = current_user(request)
    if user is None:
        raise HTTPException(status_code=401, detail="sign in to upvote")
    key = paper_key(paper_id)
    if pf.store.resolve_id(key) is None:
        raise not_found(f"no paper {key}")
    count = (votes.unvote if undo == "1" else votes.vote)(pf.store.engine, user, key)
    if not request.headers.get("hx-request"):
        from paperfeed.web.security import safe_next

        referer = request.headers.get("referer", "")
        path = "/" + referer.split("://", 1)[-1].split("/", 1)[-1] if "://" in referer else "/"
        return RedirectResponse(safe_next(path), status_code=303)
    return render(
        request, "partials/vote.html", {"paper_id": key, "count": count, "voted": undo != "1", "user": user}
    )


@router.get("/submit", response_class=HTMLResponse)
def submit_form(request: Request) -> Response:
    return render(request, "submit.html", {"nav": "submit", "today": utcnow().date()})


@router.post("/submit", response_class=HTMLResponse)
def submit_post(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    paper: Annotated[str, Form(max_length=300)],
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    _require_csrf(request, csrf_token)
    context: dict[str, object] = {"nav": "submit", "today": utcnow().date(), "submitted": paper}
    if user is None:
        raise HTTPException(status_code=401, detail="sign in to submit papers")
    if not hit(pf.store.engine, f"submit:user:{user.id}", limit=SUBMISSIONS_PER_HOUR, window_seconds=3600):
        return render(
            request,
            "submit.html",
            context | {"message": "Too many submissions this hour; try later.", "error": True},
            status_code=429,
        )
    fetch = request.app.state.arxiv_fetcher
    try:
        result = submissions.submit(pf, user, paper, fetch=fetch)
    except submissions.SubmissionError as exc:
        return render(request, "submit.html", context | {"message": str(exc), "error": True}, status_code=422)
    except submissions.FetchFailed as exc:
        return render(request, "submit.html", context | {"message": str(exc), "error": True}, status_code=502)
    message = (
        f"Featured on {result.day.isoformat()}:"
        if result.created
        else f"Already featured on {result.day.isoformat()} (nothing added):"
    )
    return render(
        request, "submit.html", context | {"message": message, "paper": result.paper, "submitted": ""}
    )


@router.post("/curate")
def curate(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    day: Annotated[date, Form()],
    paper_id: Annotated[str, Form(max_length=300)],
    action: Annotated[str, Form(pattern="^(feature|unfeature|hide|unhide)$")],
    csrf_token: Annotated[str | None, Form()] = None,
) -> Response:
    """Curators feature or unfeature a paper on a day, or hide a spam submission."""
    _require_csrf(request, csrf_token)
    if user is None or not user.is_curator:
        raise HTTPException(status_code=403, detail="only curators can change featured papers")
    engine = pf.store.engine
    if action == "feature":
        try:
            found, _ = submissions.resolve_paper(pf, paper_id, fetch=request.app.state.arxiv_fetcher)
        except submissions.SubmissionError as exc:
            raise HTTPException(status_code=422, detail=str(exc)) from None
        submissions.feature(engine, day, found.paper_id, user, source="curator")
    else:
        key = paper_key(paper_id)
        if action == "unfeature":
            submissions.unfeature(engine, day, key, user)
        else:
            submissions.set_hidden(engine, day, key, user, hidden=action == "hide")
    return RedirectResponse(f"/daily/{day.isoformat()}", status_code=303)
