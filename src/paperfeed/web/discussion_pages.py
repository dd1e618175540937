"""The discussion under a paper: comment, reply, edit, delete, report, hide; the comments feed; the
curators' reports page; the one-click stop of reply notices.

The section is part of the paper page (server-rendered, so it works without JavaScript: every
button is a form that posts and comes back to ``/papers/{id}#comment-N``). With HTMX the same
forms post in place and get the refreshed section back; a refusal (an empty comment, the hourly
limit) is then shown inside the section, because HTMX does not swap error answers. Each route
calls one use case of :mod:`paperfeed.discussion.comments`; a reply notice is mailed after the
answer has gone out (a background task), never while the member waits.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import BackgroundTasks, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperfeed.discussion import comments as discussion
from paperfeed.discussion.feed import comments_atom
from paperfeed.discussion.notify import send_reply_notice, stop_reply_notices, user_of_stop_token
from paperfeed.errors import NotFound, PaperfeedError
from paperfeed.papers import get_paper
from paperfeed.records import PaperRecord
from paperfeed.store import User
from paperfeed.web.deps import CsrfChecked, CurrentMember, PaperfeedDep, UserDep, render
from paperfeed.web.routers import make_router

router = make_router(include_in_schema=False)

BodyForm = Annotated[str, Form(max_length=20_000)]
CommentPath = Annotated[int, Path(ge=1, le=2**31 - 1)]
StopToken = Annotated[str, Path(max_length=200)]


def section_context(pf: PaperfeedDep, user: User | None, paper: PaperRecord) -> dict[str, object]:
    """What ``partials/discussion.html`` needs (also used by the paper page)."""
    return {
        "discussion": discussion.discussion_of(pf, paper, user),
        "reply_notices": discussion.reply_notices_on(pf, user) if user else False,
        "stamp": discussion.stamp,
    }


def _section(
    request: Request, pf: PaperfeedDep, user: User | None, paper: PaperRecord, **extra: object
) -> Response:
    return render(request, "partials/discussion.html", section_context(pf, user, paper) | extra)


def _act(
    request: Request,
    pf: PaperfeedDep,
    user: User | None,
    paper: PaperRecord,
    action: Callable[[], str],
    *,
    draft: str = "",
) -> Response:
    """Run ``action`` (which returns the anchor to come back to); HTMX gets the section (with the
    refusal, if any), a plain form post is sent back to the paper page."""
    htmx = bool(request.headers.get("hx-request"))
    try:
        anchor = action()
    except PaperfeedError as exc:
        if not htmx:
            raise
        return _section(request, pf, user, paper, message=str(exc), error=True, draft=draft)
    if htmx:
        return _section(request, pf, user, paper)
    return RedirectResponse(f"/papers/{paper.paper_id}#{anchor}", status_code=303)


def _paper_of_comment(pf: PaperfeedDep, user: User | None, comment_id: int) -> PaperRecord:
    row = pf.store.discussion.get(comment_id)
    if row is None or (row.hidden and not (user and user.is_curator)):
        raise NotFound(f"no comment {comment_id}")
    return get_paper(pf, row.paper_id)


@router.get("/papers/{paper_id:path}/discussion", response_class=HTMLResponse)
def discussion_fragment(request: Request, pf: PaperfeedDep, user: UserDep, paper_id: str) -> Response:
    """The section alone (HTMX refreshes it; a browser without JavaScript may open it too)."""
    return _section(request, pf, user, get_paper(pf, paper_id))


@router.get("/papers/{paper_id:path}/comments.atom")
def comments_feed(pf: PaperfeedDep, paper_id: str) -> Response:
    paper = get_paper(pf, paper_id)
    body = comments_atom(
        paper,
        pf.store.discussion.for_paper(paper.paper_id),
        base_url=pf.settings.base_url,
        built=pf.clock.now(),
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@router.post("/papers/{paper_id:path}/comments", response_class=HTMLResponse)
def post_comment(
    request: Request,
    background: BackgroundTasks,
    pf: PaperfeedDep,
    user: CurrentMember,
    paper_id: str,
    body: BodyForm,
    parent: Annotated[int | None, Form(ge=1, le=2**31 - 1)] = None,
    _csrf: CsrfChecked = None,
) -> Response:
    paper = get_paper(pf, paper_id)

    def act() -> str:
        posted = discussion.post_comment(pf, user, paper.paper_id, body, parent=parent)
        if posted.notice is not None:
            background.add_task(send_reply_notice, pf, posted.notice)
        return f"comment-{posted.comment.id}"

    return _act(request, pf, user, paper, act, draft=body)


@router.post("/comments/{comment_id}/edit", response_class=HTMLResponse)
def edit_comment(
    request: Request,
    pf: PaperfeedDep,
    user: CurrentMember,
    comment_id: CommentPath,
    body: BodyForm,
    _csrf: CsrfChecked = None,
) -> Response:
    paper = _paper_of_comment(pf, user, comment_id)
    return _act(
        request,
        pf,
        user,
        paper,
        lambda: f"comment-{discussion.edit_comment(pf, user, comment_id, body).id}",
        draft=body,
    )


@router.post("/comments/{comment_id}/delete", response_class=HTMLResponse)
def delete_comment(
    request: Request,
    pf: PaperfeedDep,
    user: CurrentMember,
    comment_id: CommentPath,
    _csrf: CsrfChecked = None,
) -> Response:
    paper = _paper_of_comment(pf, user, comment_id)
    return _act(
        request, pf, user, paper, lambda: f"comment-{discussion.delete_comment(pf, user, comment_id).id}"
    )


@router.post("/comments/{comment_id}/report", response_class=HTMLResponse)
def report_comment(
    request: Request,
    pf: PaperfeedDep,
    user: CurrentMember,
    comment_id: CommentPath,
    reason: Annotated[str, Form(max_length=2000)] = "",
    _csrf: CsrfChecked = None,
) -> Response:
    paper = _paper_of_comment(pf, user, comment_id)

    def act() -> str:
        discussion.report_comment(pf, user, comment_id, reason)
        return f"comment-{comment_id}"

    return _act(request, pf, user, paper, act)


@router.post("/comments/{comment_id}/moderate", response_class=HTMLResponse)
def moderate_comment(
    request: Request,
    pf: PaperfeedDep,
    user: CurrentMember,
    comment_id: CommentPath,
    action: Annotated[str, Form(pattern="^(hide|unhide|dismiss)$")],
    back: Annotated[str, Form(pattern="^(paper|reports)$")] = "paper",
    _csrf: CsrfChecked = None,
) -> Response:
    """Curators: hide or show a comment again, or dismiss its reports; from the reports page
    (``back=reports``) they come back there."""
    paper = _paper_of_comment(pf, user, comment_id)

    def act() -> str:
        if action == "dismiss":
            discussion.dismiss_reports(pf, user, comment_id)
        else:
            discussion.hide_comment(pf, user, comment_id, hidden=action == "hide")
        return f"comment-{comment_id}"

    if back == "reports":
        act()
        return RedirectResponse("/discussion/reports", status_code=303)
    return _act(request, pf, user, paper, act)


@router.post("/discussion/settings", response_class=HTMLResponse)
def reply_notice_setting(
    request: Request,
    pf: PaperfeedDep,
    user: CurrentMember,
    paper_id: Annotated[str, Form(max_length=300)],
    reply_notices: Annotated[str, Form(pattern="^(on|off)$")],
    _csrf: CsrfChecked = None,
) -> Response:
    """A member turns reply notices on or off (from under any discussion)."""
    paper = get_paper(pf, paper_id)

    def act() -> str:
        discussion.set_reply_notices(pf, user, reply_notices == "on")
        return "discussion"

    return _act(request, pf, user, paper, act)


@router.get("/discussion/reports", response_class=HTMLResponse)
def reports_page(request: Request, pf: PaperfeedDep, user: CurrentMember) -> Response:
    """Curators: comments members reported and nobody has dealt with yet."""
    reports = discussion.open_reports(pf, user)
    titles = pf.store.papers.titles([r.comment.paper_id for r in reports])
    return render(
        request,
        "discussion_reports.html",
        {"reports": reports, "titles": titles, "stamp": discussion.stamp, "nav": "reports"},
    )


@router.get("/discussion/stop/{token}", response_class=HTMLResponse)
def stop_page(request: Request, pf: PaperfeedDep, token: StopToken) -> Response:
    user_of_stop_token(pf.settings, token)  # a broken link is said at once, not after the click
    return render(request, "discussion_stop.html", {"token": token, "done": False})


@router.post("/discussion/stop/{token}", response_class=HTMLResponse)
def stop_post(request: Request, pf: PaperfeedDep, token: StopToken) -> Response:
    """Stop reply notices: the signed token is the authority (no session, no CSRF token), so the
    mail client's RFC 8058 one-click POST works too; 200, never a redirect."""
    stop_reply_notices(pf, token)
    return render(request, "discussion_stop.html", {"token": token, "done": True})
