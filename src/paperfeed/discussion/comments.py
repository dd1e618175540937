"""The use cases of a paper's discussion, shared by the pages and the APIs.

Rules, each written once here:

- Only members comment (no anonymous posting), within ``PAPERFEED_COMMENTS_PER_HOUR`` per member
  (:mod:`paperfeed.ratelimit`, shared by every instance); a comment is 1 to 10,000 characters of
  the Markdown subset of :mod:`paperfeed.discussion.markup`.
- Threads are one level deep: a reply names the comment it answers; a reply to a reply joins that
  reply's thread (the answered member is still the one notified).
- Members edit and delete their own comments. An edited comment says so; a deleted one loses its
  text and, when replies hang under it, leaves a "deleted" mark so the thread still reads.
- Curators hide comments (hidden ones disappear for everyone else; hiding the first comment of a
  thread hides the thread) and deal with members' reports.
- ``numComments`` (the counts on listings) is what everyone sees: comments neither deleted nor
  hidden, in threads that are not hidden.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from markupsafe import Markup

from paperfeed.context import Paperfeed
from paperfeed.discussion.markup import MAX_BODY_CHARS, render
from paperfeed.errors import Forbidden, InvalidInput, NotFound, SignInRequired
from paperfeed.papers import get_paper
from paperfeed.ratelimit import require
from paperfeed.records import PaperRecord, drop_unsafe_chars
from paperfeed.store import CommentRow, ReportRow, User

MAX_REASON_CHARS = 500
REPORTS_PER_HOUR = 30


@dataclass(slots=True)
class Comment:
    """A comment as a reader sees it: its text as safe HTML, and what the viewer may do with it."""

    row: CommentRow
    html: Markup
    mine: bool = False
    replies: list[Comment] = field(default_factory=list)

    @property
    def id(self) -> int:
        return self.row.id

    @property
    def deleted(self) -> bool:
        return self.row.deleted_at is not None

    @property
    def edited(self) -> bool:
        return self.row.edits > 0 and not self.deleted


@dataclass(slots=True)
class Discussion:
    """A paper's threads (oldest first, replies oldest first) as the viewer may see them."""

    paper: PaperRecord
    threads: list[Comment]
    count: int  # visible comments (numComments)
    viewer: User | None = None

    @property
    def can_moderate(self) -> bool:
        return self.viewer is not None and self.viewer.is_curator


@dataclass(frozen=True, slots=True)
class ReplyNotice:
    """A member answered ``recipient``'s comment; sent when the recipient chose reply notices."""

    recipient: User
    reply: CommentRow
    answered: CommentRow
    paper: PaperRecord


@dataclass(frozen=True, slots=True)
class Posted:
    comment: CommentRow
    paper: PaperRecord
    notice: ReplyNotice | None


def _member(user: User | None, what: str) -> User:
    if user is None:
        raise SignInRequired(f"sign in to {what}")
    return user


def clean_body(body: str) -> str:
    """The text to store: control and bidirectional characters dropped, blank edges trimmed;
    empty or longer than :data:`MAX_BODY_CHARS` is refused."""
    text = drop_unsafe_chars(body.replace("\r\n", "\n")).strip()
    if not text:
        raise InvalidInput("body: a comment needs some text")
    if len(text) > MAX_BODY_CHARS:
        raise InvalidInput(
            f"body: a comment is at most {MAX_BODY_CHARS:,} characters (this one has {len(text):,})"
        )
    return text


def _comment(app: Paperfeed, comment_id: int, viewer: User | None) -> CommentRow:
    """A comment the viewer may see (a hidden one only for curators)."""
    row = app.store.discussion.get(comment_id)
    if row is None or (row.hidden and not (viewer is not None and viewer.is_curator)):
        raise NotFound(f"no comment {comment_id}")
    return row


def post_comment(
    app: Paperfeed, user: User | None, paper: str, body: str, *, parent: int | None = None
) -> Posted:
    """A member's comment on ``paper`` (any spelling of its id), or a reply to comment ``parent``."""
    member = _member(user, "comment")
    found = get_paper(app, paper)
    text = clean_body(body)
    answered: CommentRow | None = None
    thread: int | None = None
    if parent is not None:
        answered = _comment(app, parent, member)
        if answered.paper_id != found.paper_id:
            raise InvalidInput(f"parent: comment {parent} is about another paper")
        thread = answered.parent_id or answered.id
        head = answered if answered.parent_id is None else app.store.discussion.get(thread)
        if head is None or (head.hidden and not member.is_curator):
            raise NotFound(f"no comment {parent}")
    require(
        app,
        f"comment:user:{member.id}",
        limit=app.settings.comments_per_hour,
        window_seconds=3600,
        message=f"too many comments this hour (at most {app.settings.comments_per_hour}); try again later",
    )
    row = app.store.discussion.add(found.paper_id, member.id, text, parent_id=thread, now=app.clock.now())
    return Posted(row, found, _notice(app, member, row, answered, found))


def _notice(
    app: Paperfeed, author: User, reply: CommentRow, answered: CommentRow | None, paper: PaperRecord
) -> ReplyNotice | None:
    """Whom to tell about ``reply``: the answered comment's author, if they asked to be told."""
    if answered is None or answered.user_id is None or answered.user_id == author.id:
        return None
    if not app.store.discussion.reply_notices([answered.user_id]).get(answered.user_id, False):
        return None
    recipient = app.store.accounts.get_user(user_id=answered.user_id)
    return ReplyNotice(recipient, reply, answered, paper) if recipient is not None else None


def edit_comment(app: Paperfeed, user: User | None, comment_id: int, body: str) -> CommentRow:
    member = _member(user, "edit comments")
    row = _comment(app, comment_id, member)
    if row.user_id != member.id:
        raise Forbidden("you can edit only your own comments")
    if row.deleted_at is not None:
        raise InvalidInput(f"comment {comment_id} is deleted")
    app.store.discussion.edit(comment_id, member.id, clean_body(body), now=app.clock.now())
    return _comment(app, comment_id, member)


def delete_comment(app: Paperfeed, user: User | None, comment_id: int) -> CommentRow:
    member = _member(user, "delete comments")
    row = _comment(app, comment_id, member)
    if row.user_id != member.id:
        raise Forbidden("you can delete only your own comments (curators hide others')")
    app.store.discussion.delete(comment_id, member.id, now=app.clock.now())
    return _comment(app, comment_id, member)


def hide_comment(app: Paperfeed, user: User | None, comment_id: int, *, hidden: bool = True) -> CommentRow:
    """Curators hide a comment (or show it again); its open reports are dealt with."""
    member = _member(user, "moderate comments")
    if not member.is_curator:
        raise Forbidden("only curators can hide comments")
    _comment(app, comment_id, member)
    app.store.discussion.set_hidden(comment_id, hidden=hidden, by=member.id, now=app.clock.now())
    return _comment(app, comment_id, member)


def dismiss_reports(app: Paperfeed, user: User | None, comment_id: int) -> int:
    """Curators close a comment's open reports and leave it shown; how many were closed."""
    member = _member(user, "moderate comments")
    if not member.is_curator:
        raise Forbidden("only curators can deal with reports")
    _comment(app, comment_id, member)
    return app.store.discussion.dismiss_reports(comment_id, now=app.clock.now())


def report_comment(app: Paperfeed, user: User | None, comment_id: int, reason: str = "") -> bool:
    """A member flags a comment for the curators (once per member and comment); ``False`` when
    they had reported it already."""
    member = _member(user, "report comments")
    row = _comment(app, comment_id, member)
    if row.user_id == member.id:
        raise InvalidInput("you cannot report your own comment; edit or delete it")
    require(
        app,
        f"report:user:{member.id}",
        limit=REPORTS_PER_HOUR,
        window_seconds=3600,
        message=f"too many reports this hour (at most {REPORTS_PER_HOUR}); try again later",
    )
    text = " ".join(drop_unsafe_chars(reason).split())[:MAX_REASON_CHARS]
    return app.store.discussion.report(comment_id, member.id, text, now=app.clock.now())


def open_reports(app: Paperfeed, user: User | None) -> list[ReportRow]:
    member = _member(user, "see reports")
    if not member.is_curator:
        raise Forbidden("only curators see reports")
    return app.store.discussion.open_reports()


def _shown(row: CommentRow, viewer: User | None) -> bool:
    return not row.hidden or (viewer is not None and viewer.is_curator)


def threads_of(rows: Sequence[CommentRow], viewer: User | None) -> list[Comment]:
    """Rows (oldest first) as threads the viewer may see. Pure.

    A hidden comment is left out for everyone but curators (with the replies under it); a deleted
    one is left out unless replies the viewer sees hang under it (then it stays as a mark)."""
    me = viewer.id if viewer is not None else None
    heads: dict[int, Comment] = {}
    order: list[Comment] = []
    for row in rows:
        if row.parent_id is None and _shown(row, viewer):
            comment = Comment(
                row, render(row.body) if row.deleted_at is None else Markup(""), row.user_id == me
            )
            heads[row.id] = comment
            order.append(comment)
    for row in rows:
        head = heads.get(row.parent_id) if row.parent_id is not None else None
        if head is not None and row.deleted_at is None and _shown(row, viewer):
            head.replies.append(Comment(row, render(row.body), row.user_id == me))
    return [c for c in order if not c.deleted or c.replies]


def visible_count(rows: Sequence[CommentRow]) -> int:
    """What everyone sees: comments neither deleted nor hidden, outside hidden threads. Pure."""
    hidden_heads = {r.id for r in rows if r.parent_id is None and r.hidden}
    return sum(1 for r in rows if r.visible and r.parent_id not in hidden_heads)


def discussion_of(app: Paperfeed, paper: PaperRecord, viewer: User | None) -> Discussion:
    rows = app.store.discussion.for_paper(paper.paper_id)
    return Discussion(paper, threads_of(rows, viewer), visible_count(rows), viewer)


def comment_counts(app: Paperfeed, paper_ids: Sequence[str]) -> dict[str, int]:
    """``numComments`` of each paper (absent: none), in one query."""
    return app.store.discussion.counts(paper_ids)


def newest_first(rows: Sequence[CommentRow]) -> list[CommentRow]:
    """Visible comments newest first (the comments feed). Pure."""
    hidden_heads = {r.id for r in rows if r.parent_id is None and r.hidden}
    shown = [r for r in rows if r.visible and r.parent_id not in hidden_heads]
    return sorted(shown, key=lambda r: (r.created_at, r.id), reverse=True)


def set_reply_notices(app: Paperfeed, user: User | None, enabled: bool) -> None:
    member = _member(user, "choose reply notices")
    app.store.discussion.set_reply_notices(member.id, enabled, now=app.clock.now())


def reply_notices_on(app: Paperfeed, user: User) -> bool:
    return app.store.discussion.reply_notices([user.id]).get(user.id, False)


def stamp(moment: datetime) -> str:
    """A comment's time for people: ``2026-02-20 09:30 UTC``."""
    return moment.strftime("%Y-%m-%d %H:%M UTC")
