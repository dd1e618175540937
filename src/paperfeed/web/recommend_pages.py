"""The "For you" page, its drivers panel (switches, resets), the personal feed's secret address,
and the personal RSS feed itself.

Each route parses its input, calls one use case of :mod:`paperfeed.recommend.service` or
:mod:`paperfeed.recommend.feed_tokens` (the JSON API in :mod:`paperfeed.web.recommend_api` calls
the same ones) and renders. Every post carries the CSRF token.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Form, Path, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperfeed.community import actions
from paperfeed.formats import feeds
from paperfeed.library.marks import marks_for
from paperfeed.recommend import feed_tokens
from paperfeed.recommend import service as foryou
from paperfeed.web.badges import paper_badges
from paperfeed.web.deps import CsrfChecked, PaperfeedDep, UserDep, render, sign_in_redirect
from paperfeed.web.routers import make_router

router = make_router(include_in_schema=False)
DaysQuery = Annotated[int, Query(ge=1, le=foryou.MAX_DAYS, description="The last N days.")]
DriverForm = Annotated[str, Form(max_length=100, pattern=r"^[a-z_]+(:\d{1,12})?$")]


def _page(request: Request, pf: PaperfeedDep, user: UserDep, page: foryou.ForYou) -> HTMLResponse:
    papers = [i.paper for i in page.items]
    listed = actions.with_votes(pf, papers, user)
    seeds = actions.with_votes(pf, page.seeds, user)
    ids = [p.paper_id for p in papers + page.seeds]
    context = {
        "nav": "for-you",
        "page": page,
        "listed": list(zip(listed, page.items, strict=True)),
        "seeds": seeds,
        "marks": marks_for(pf, user, ids),
        "badges": paper_badges(pf, ids),
        "shown_times": foryou.SHOWN_TIMES,
    }
    return render(request, "for_you.html", context)


@router.get("/for-you", response_class=HTMLResponse)
def for_you_page(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    days: DaysQuery = foryou.DEFAULT_DAYS,
    seed: Annotated[str | None, Query(max_length=300)] = None,
) -> Response:
    """New papers of the last days ranked for the member, each with its reason; the panel."""
    if user is None:
        return sign_in_redirect(request)
    page = foryou.for_you(pf, user, days=days, seed_query=seed)
    return _page(request, pf, user, page)


@router.post("/for-you/drivers")
def driver_form(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    driver: DriverForm,
    enabled: Annotated[str, Form(pattern="^[01]$")],
    _csrf: CsrfChecked = None,
) -> Response:
    """Switch one driver of the feed on or off."""
    foryou.set_driver(pf, user, driver, enabled == "1")
    return RedirectResponse("/for-you?drivers=1#drivers", status_code=303)


@router.post("/for-you/reset")
def reset_form(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    what: Annotated[str, Form(pattern="^(feedback|impressions|drivers)$")],
    _csrf: CsrfChecked = None,
) -> Response:
    """Forget the member's feedback, what was shown to them, or their switches."""
    foryou.reset(pf, user, [what])
    return RedirectResponse("/for-you?drivers=1#drivers", status_code=303)


@router.post("/for-you/feed-token", response_class=HTMLResponse)
def feed_token_form(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    action: Annotated[str, Form(pattern="^(new|revoke)$")],
    _csrf: CsrfChecked = None,
) -> Response:
    """Make a new secret feed address (shown once, on the page this answers with) or turn it off."""
    if action == "revoke":
        feed_tokens.revoke_feed_token(pf, user)
        return RedirectResponse("/for-you#feed", status_code=303)
    token = feed_tokens.new_feed_token(pf, user)
    url = f"{pf.settings.base_url.rstrip('/')}/feeds/for-you/{token}.xml"
    return render(request, "for_you_feed.html", {"nav": "for-you", "feed_url": url})


@router.get("/feeds/for-you/{token}.xml")
def personal_feed(
    pf: PaperfeedDep,
    token: Annotated[str, Path(max_length=200)],
    days: DaysQuery = foryou.DEFAULT_DAYS,
) -> Response:
    """The member's "For you" list as RSS 2.0, behind the secret in the address (404 otherwise)."""
    owner, page = feed_tokens.personal_feed(pf, token, days=days)
    base = pf.settings.base_url.rstrip("/")
    reasons = {i.paper.paper_id: i.reason.text for i in page.items}
    body = feeds.rss(
        f"paperfeed: for {owner.handle or 'you'}",
        f"{base}/for-you",
        "New papers picked for you, each with the reason it was picked.",
        [(i.paper, None) for i in page.items],  # dated by the papers themselves
        base + "/papers/{id}",
        notes=reasons,
        built=pf.clock.now(),
    )
    return Response(
        body, media_type="application/rss+xml; charset=utf-8", headers={"Cache-Control": "private"}
    )
