"""The discussion in the JSON API (``/api/v1``): a paper's comments, posting and replying, editing,
deleting, reporting, and the curators' hiding and reports.

Writes need a personal token (``Authorization: Bearer pf_…``) or the session cookie with its
``X-CSRF-Token`` header, like every API write; the rules are the pages' (one use case each in
:mod:`paperfeed.discussion.comments`). A comment is ``{"id", "paper_id", "parent", "author",
"body", "html", "created_at", "edited_at", "edited", "deleted", "hidden", "replies"}``: ``body``
is the Markdown as written, ``html`` the safe rendering the page shows.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import BackgroundTasks, Depends, Path
from pydantic import BaseModel, Field, StrictBool

from paperfeed.discussion import comments as discussion
from paperfeed.discussion.comments import Comment
from paperfeed.discussion.markup import MAX_BODY_CHARS, render
from paperfeed.discussion.notify import send_reply_notice
from paperfeed.papers import get_paper
from paperfeed.store import CommentRow
from paperfeed.web.api_contract import ApiCurator, ApiMember, errors, reject_unknown_query_params
from paperfeed.web.deps import PaperfeedDep, UserDep
from paperfeed.web.routers import make_router

router = make_router(
    prefix="/api/v1",
    tags=["discussion"],
    dependencies=[Depends(reject_unknown_query_params)],
    responses=errors(422),
)

CommentId = Annotated[int, Path(ge=1, le=2**31 - 1, description="A comment's id.")]


def _iso(row: CommentRow, name: str) -> str | None:
    value = getattr(row, name)
    return None if value is None else value.isoformat() + "Z"


def row_json(row: CommentRow) -> dict[str, Any]:
    deleted = row.deleted_at is not None
    return {
        "id": row.id,
        "paper_id": row.paper_id,
        "parent": row.parent_id,
        "author": row.author,
        "body": "" if deleted else row.body,
        "html": "" if deleted else str(render(row.body)),
        "created_at": _iso(row, "created_at"),
        "edited_at": _iso(row, "edited_at"),
        "edited": row.edits > 0 and not deleted,
        "deleted": deleted,
        "hidden": row.hidden,
    }


def comment_json(comment: Comment) -> dict[str, Any]:
    return row_json(comment.row) | {"replies": [comment_json(reply) for reply in comment.replies]}


class CommentIn(BaseModel):
    body: str = Field(min_length=1, max_length=2 * MAX_BODY_CHARS, description="Markdown (the safe subset).")
    parent: int | None = Field(
        default=None, ge=1, le=2**31 - 1, description="The comment this one answers (a reply)."
    )


class CommentEdit(BaseModel):
    body: str = Field(min_length=1, max_length=2 * MAX_BODY_CHARS)


class ReportIn(BaseModel):
    reason: str = Field(default="", max_length=2000)


class HideIn(BaseModel):
    hidden: StrictBool = True


class DiscussionSettings(BaseModel):
    reply_notices: StrictBool


@router.get(
    "/papers/{paper_id:path}/comments", summary="A paper's comments, in threads", responses=errors(404)
)
def list_comments(pf: PaperfeedDep, user: UserDep, paper_id: str) -> dict[str, Any]:
    """Threads oldest first, replies oldest first; hidden comments only for curators."""
    found = discussion.discussion_of(pf, get_paper(pf, paper_id), user)
    return {
        "paper_id": found.paper.paper_id,
        "count": found.count,
        "items": [comment_json(thread) for thread in found.threads],
    }


@router.post(
    "/papers/{paper_id:path}/comments",
    summary="Comment on a paper, or reply to a comment",
    status_code=201,
    responses=errors(400, 401, 403, 404, 429),
)
def post_comment(
    background: BackgroundTasks, pf: PaperfeedDep, paper_id: str, body: CommentIn, user: ApiMember
) -> dict[str, Any]:
    posted = discussion.post_comment(pf, user, paper_id, body.body, parent=body.parent)
    if posted.notice is not None:
        background.add_task(send_reply_notice, pf, posted.notice)
    return row_json(posted.comment)


@router.patch("/comments/{comment_id}", summary="Edit your comment", responses=errors(400, 401, 403, 404))
def edit_comment(
    pf: PaperfeedDep, comment_id: CommentId, body: CommentEdit, user: ApiMember
) -> dict[str, Any]:
    return row_json(discussion.edit_comment(pf, user, comment_id, body.body))


@router.delete("/comments/{comment_id}", summary="Delete your comment", responses=errors(401, 403, 404))
def delete_comment(pf: PaperfeedDep, comment_id: CommentId, user: ApiMember) -> dict[str, Any]:
    return row_json(discussion.delete_comment(pf, user, comment_id))


@router.post(
    "/comments/{comment_id}/report",
    summary="Report a comment to the curators",
    responses=errors(400, 401, 403, 404, 429),
)
def report_comment(
    pf: PaperfeedDep, comment_id: CommentId, body: ReportIn, user: ApiMember
) -> dict[str, Any]:
    created = discussion.report_comment(pf, user, comment_id, body.reason)
    return {"comment_id": comment_id, "reported": True, "new": created}


@router.put(
    "/comments/{comment_id}/hidden",
    summary="Curators: hide a comment, or show it again",
    responses=errors(400, 401, 403, 404),
)
def hide_comment(pf: PaperfeedDep, comment_id: CommentId, body: HideIn, user: ApiCurator) -> dict[str, Any]:
    return row_json(discussion.hide_comment(pf, user, comment_id, hidden=body.hidden))


@router.get("/comment-reports", summary="Curators: comments with open reports", responses=errors(401, 403))
def open_reports(pf: PaperfeedDep, user: ApiCurator) -> dict[str, Any]:
    items = [
        row_json(r.comment)
        | {"reports": r.reports, "reasons": r.reasons, "first_reported": r.first_reported.isoformat() + "Z"}
        for r in discussion.open_reports(pf, user)
    ]
    return {"items": items}


@router.put(
    "/me/discussion",
    summary="Your discussion settings (reply notices by mail)",
    responses=errors(400, 401, 403),
)
def discussion_settings(pf: PaperfeedDep, body: DiscussionSettings, user: ApiMember) -> dict[str, Any]:
    discussion.set_reply_notices(pf, user, body.reply_notices)
    return {"reply_notices": discussion.reply_notices_on(pf, user)}
