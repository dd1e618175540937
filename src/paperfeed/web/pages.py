"""The HTML pages: daily, trending, search, paper, author, category, submit, votes and curation.

Each route parses its input, calls one library function and renders a template; the rules (who may
vote, the submission limit, curation) live in :mod:`paperfeed.community.actions`, shared with the
JSON API, and refusals are typed errors rendered by :mod:`paperfeed.web.errors`.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperfeed.community import actions
from paperfeed.community import daily as daily_lib
from paperfeed.community.trending import WINDOWS
from paperfeed.enrich.view import enrichment_of, github_url, project_page
from paperfeed.errors import NotFound, PaperfeedError
from paperfeed.formats import bibtex as bib
from paperfeed.ingest.fetch import FETCH_TIMEOUT
from paperfeed.library import follows as follows_lib
from paperfeed.library.collections import public_collections_of
from paperfeed.library.marks import marks_for, paper_state
from paperfeed.papers import get_paper
from paperfeed.papers_json import arxiv_urls
from paperfeed.periods import parse_period, period_of
from paperfeed.search.finder import find, similar_papers
from paperfeed.web import small_charts
from paperfeed.web.badges import paper_badges
from paperfeed.web.common import (
    CATEGORY_PATTERN,
    PER_PAGE,
    CategoryQuery,
    DateQuery,
    DayPath,
    PageQuery,
    SearchQuery,
    WindowQuery,
    pager_urls,
)
from paperfeed.web.deps import CsrfChecked, CurrentCurator, CurrentMember, PaperfeedDep, UserDep, render
from paperfeed.web.discussion_pages import section_context
from paperfeed.web.period_pages import period_url
from paperfeed.web.routers import make_router
from paperfeed.web.security import safe_next

router = make_router(include_in_schema=False)


@router.get("/", response_class=HTMLResponse)
def home(request: Request, pf: PaperfeedDep, user: UserDep) -> Response:
    """The daily page of the latest day that has papers (or featured entries)."""
    day = daily_lib.latest_day(pf.store, pf.settings.categories) or pf.clock.now().date()
    return _daily(request, pf, user, day, "featured", 1)


@router.get("/daily", response_class=HTMLResponse)
def daily_pick(
    pf: PaperfeedDep,
    date_: Annotated[str | None, Query(alias="date", max_length=40)] = None,
    week: Annotated[str | None, Query(max_length=40)] = None,
    month: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The date form's target, and the API's spellings (``?week=2026-W08``, ``?month=2026-02``):
    redirect to the canonical page of that day, week or month; with none given (or blank), the
    latest day."""
    period = parse_period(day=(date_ or "").strip(), week=(week or "").strip(), month=(month or "").strip())
    if period is None:
        day = daily_lib.latest_day(pf.store, pf.settings.categories) or pf.clock.now().date()
        return RedirectResponse(f"/daily/{day.isoformat()}", status_code=303)
    return RedirectResponse(period_url(period), status_code=303)


@router.get("/daily/{day}.bib")
def daily_bibtex(pf: PaperfeedDep, day: DayPath) -> Response:
    result = daily_lib.daily_page(pf.store, pf.settings.categories, day, limit=500)
    papers = [f.paper for f in result.featured] or result.new_papers
    return Response(bib.bibtex(papers), media_type="application/x-bibtex; charset=utf-8")


@router.get("/daily/{day}", response_class=HTMLResponse)
def daily(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    day: DayPath,
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
    voted = pf.store.votes.voted_by(user.id, shown) if user else set()
    # Nothing featured: the page shows the day's new papers, so that is the tab that is selected.
    shown_tab = "new" if tab == "featured" and not result.featured else tab
    return render(
        request,
        "daily.html",
        {
            "nav": "daily",
            "page": result,
            "tab": tab,
            "shown_tab": shown_tab,
            "future": day > pf.clock.now().date(),
            "voted": voted,
            "marks": marks_for(pf, user, shown),
            "badges": paper_badges(pf, shown),
            "prev_url": prev_url,
            "next_url": next_url,
            "week": period_of("week", day),
            "month": period_of("month", day),
            "period_url": period_url,
            "day_strip": small_charts.daily_strip(pf, day, result.latest_day),
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
    entries = actions.trending_papers(pf, user, window=window, category=category, limit=50)
    context = {
        "nav": "trending",
        "entries": entries,
        "window": window,
        "windows": list(WINDOWS),
        "category": category,
        "marks": marks_for(pf, user, [e.paper.paper_id for e in entries]),
        "badges": paper_badges(pf, [e.paper.paper_id for e in entries]),
        "sparklines": small_charts.trending_sparklines(pf, [e.paper.paper_id for e in entries], window),
    }
    return render(request, "trending.html", context)


@router.get("/search", response_class=HTMLResponse)
def search_page(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    q: SearchQuery = "",
    category: CategoryQuery = None,
    since: DateQuery = None,
    until: DateQuery = None,
    page: PageQuery = 1,
) -> Response:
    """Search with filters; an HTMX request (typing) gets just the results fragment, and the
    ``HX-Push-Url`` header puts the query in the address bar (so Back and reload keep it)."""
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
            "votes": pf.store.votes.counts(ids),
            "voted": pf.store.votes.voted_by(user.id, ids) if user else set(),
            "marks": marks_for(pf, user, ids),
            "badges": paper_badges(pf, ids),
            "prev_url": prev_url,
            "next_url": next_url,
            "bib_url": "/search.bib" + (f"?{bib_query}" if bib_query else ""),
        }
    context["result"] = result
    if not request.headers.get("hx-request"):
        return render(request, "search.html", context)
    response = render(request, "partials/search_results.html", context)
    filled = [(key, value) for key, value in request.query_params.multi_items() if value.strip()]
    response.headers["HX-Push-Url"] = request.url.path + (f"?{urlencode(filled)}" if filled else "")
    return response


@router.get("/papers/{paper_id:path}.bib")
def paper_bibtex(pf: PaperfeedDep, paper_id: str) -> Response:
    paper = get_paper(pf, paper_id)
    return Response(bib.bibtex_entry(paper), media_type="application/x-bibtex; charset=utf-8")


@router.get("/papers/{paper_id:path}/similar", response_class=HTMLResponse)
def similar_fragment(request: Request, pf: PaperfeedDep, user: UserDep, paper_id: str) -> Response:
    """Similar papers, loaded by HTMX after the paper page."""
    paper = get_paper(pf, paper_id)
    similar = actions.with_votes(pf, similar_papers(pf, paper, limit=5), user)
    ids = [item.paper.paper_id for item in similar]
    context = {"similar": similar, "marks": marks_for(pf, user, ids), "badges": paper_badges(pf, ids)}
    return render(request, "partials/similar.html", context)


@router.get("/papers/{paper_id:path}", response_class=HTMLResponse)
def paper_page(request: Request, pf: PaperfeedDep, user: UserDep, paper_id: str) -> Response:
    paper = get_paper(pf, paper_id)
    if paper.paper_id != paper_id:  # a versioned id, a URL-ish spelling or a merged title id
        return RedirectResponse(f"/papers/{paper.paper_id}", status_code=301)
    listed = actions.with_votes(pf, [paper], user)[0]
    enriched = enrichment_of(pf, [paper.paper_id]).get(paper.paper_id)
    return render(
        request,
        "paper.html",
        {
            "paper": paper,
            "links": arxiv_urls(paper),
            "votes": listed.upvotes,
            "voted": listed.voted,
            "bibtex": bib.bibtex_entry(paper),
            "library": paper_state(pf, user, paper.paper_id),
            "enriched": enriched,
            "github": github_url(enriched) if enriched else None,
            "project_page": project_page(enriched) if enriched else None,
            "public_collections": public_collections_of(pf, paper.paper_id),
            **section_context(pf, user, paper),
            "votes_chart": small_charts.votes_chart(pf, paper.paper_id),
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
    category: str | None = None,
    author: str | None = None,
) -> Response:
    listed, has_more = actions.list_papers(
        pf, user, category=category, author=author, limit=PER_PAGE, offset=(page - 1) * PER_PAGE
    )
    prev_url, next_url = pager_urls(request, page, has_more)
    follow = ("author", author) if author else ("category", category) if category else None
    followed = follows_lib.following(pf, user, *follow) if follow else None
    return render(
        request,
        "listing.html",
        {
            "heading": heading,
            "subtitle": subtitle,
            "papers": listed,
            "page": page,
            "prev_url": prev_url,
            "next_url": next_url,
            "feed_url": feed_url,
            "marks": marks_for(pf, user, [item.paper.paper_id for item in listed]),
            "badges": paper_badges(pf, [item.paper.paper_id for item in listed]),
            "follow": follow,
            "trend": small_charts.listing_trend(pf, category=category, author=author) if page == 1 else None,
            "followed": followed,
        },
    )


@router.get("/authors/{name:path}", response_class=HTMLResponse)
def author_page(
    request: Request, pf: PaperfeedDep, user: UserDep, name: str, page: PageQuery = 1
) -> Response:
    name = name.strip()
    if not name:
        raise NotFound("no author name in the address: /authors/<name>, or search with author:<name>")
    return _listing(
        request,
        pf,
        user,
        heading=name,
        subtitle="Papers by this author (names that contain it, as search's author: matches), newest first",
        page=page,
        feed_url=None,
        author=name,
    )


@router.get("/categories/{category}", response_class=HTMLResponse)
def category_page(
    request: Request, pf: PaperfeedDep, user: UserDep, category: str, page: PageQuery = 1
) -> Response:
    if not re.fullmatch(CATEGORY_PATTERN, category) or len(category) > 32:
        raise NotFound(f"{category!r} is not an arXiv category")
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
    user: UserDep,
    paper_id: Annotated[str, Form(max_length=64)],
    undo: Annotated[str, Form(pattern="^[01]$")] = "0",
    _csrf: CsrfChecked = None,
) -> Response:
    """Upvote (or withdraw); HTMX gets the new button, a plain form post is sent back to the page."""
    result = actions.cast_vote(pf, user, paper_id, up=undo != "1")
    if not request.headers.get("hx-request"):
        referer = request.headers.get("referer", "")
        path = "/" + referer.split("://", 1)[-1].split("/", 1)[-1] if "://" in referer else "/"
        return RedirectResponse(safe_next(path), status_code=303)
    return render(
        request,
        "partials/vote.html",
        {"paper_id": result.paper_id, "count": result.upvotes, "voted": result.voted, "user": user},
    )


def _fetch_wait(request: Request) -> dict[str, object]:
    settings = request.app.state.paperfeed.settings
    return {"fetch_timeout": f"{min(settings.arxiv_timeout, FETCH_TIMEOUT):.0f}"}


@router.get("/submit", response_class=HTMLResponse)
def submit_form(request: Request, pf: PaperfeedDep) -> Response:
    today = pf.clock.now().date()
    return render(request, "submit.html", {"nav": "submit", "today": today, **_fetch_wait(request)})


@router.post("/submit", response_class=HTMLResponse)
def submit_post(
    request: Request,
    pf: PaperfeedDep,
    user: CurrentMember,
    paper: Annotated[str, Form(max_length=300)],
    _csrf: CsrfChecked = None,
) -> Response:
    context: dict[str, object] = {
        "nav": "submit",
        "today": pf.clock.now().date(),
        "submitted": paper,
        **_fetch_wait(request),
    }
    try:
        result = actions.submit_paper(pf, user, paper, fetch=request.app.state.arxiv_fetcher)
    except PaperfeedError as exc:  # shown on the form, with the status the error's kind has
        from paperfeed.web.errors import STATUS_OF

        status = next((code for kind, code in STATUS_OF if isinstance(exc, kind)), 400)
        return render(
            request, "submit.html", context | {"message": str(exc), "error": True}, status_code=status
        )
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
    user: CurrentCurator,
    day: Annotated[date, Form()],
    paper_id: Annotated[str, Form(max_length=300)],
    action: Annotated[str, Form(pattern="^(feature|unfeature|hide|unhide)$")],
    _csrf: CsrfChecked = None,
) -> Response:
    """Curators feature or unfeature a paper on a day, or hide a spam submission."""
    actions.curate(pf, user, day, paper_id, action, fetch=request.app.state.arxiv_fetcher)
    return RedirectResponse(f"/daily/{day.isoformat()}", status_code=303)
