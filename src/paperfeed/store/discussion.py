"""Comments on papers in the store: threads, edits, soft deletion, hiding, reports, counts.

The rules (who may edit, what a reply may answer, rate limits) are the discussion feature's
(:mod:`paperfeed.discussion`); this module only reads and writes rows, each change in one
conditional statement so that two requests cannot interleave a check and a write.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, or_, select, update

from paperfeed.store.database import Database
from paperfeed.store.schema import comment_reports, comments, discussion_settings, users


@dataclass(frozen=True, slots=True)
class CommentRow:
    """One comment as stored; ``author`` is the member's handle (``None``: no handle, or gone)."""

    id: int
    paper_id: str
    user_id: int | None
    author: str | None
    parent_id: int | None
    body: str
    created_at: datetime
    edited_at: datetime | None
    edits: int
    deleted_at: datetime | None
    hidden: bool

    @property
    def visible(self) -> bool:
        """Shown to everyone: neither deleted nor hidden."""
        return self.deleted_at is None and not self.hidden


@dataclass(frozen=True, slots=True)
class ReportRow:
    comment: CommentRow
    reports: int
    reasons: list[str]
    first_reported: datetime


def _selected() -> Any:
    return select(comments, users.c.handle.label("author")).outerjoin(users, users.c.id == comments.c.user_id)


def _row(row: Any) -> CommentRow:
    return CommentRow(
        id=int(row.id),
        paper_id=str(row.paper_id),
        user_id=row.user_id,
        author=row.author,
        parent_id=row.parent_id,
        body=str(row.body),
        created_at=row.created_at,
        edited_at=row.edited_at,
        edits=int(row.edits or 0),
        deleted_at=row.deleted_at,
        hidden=bool(row.hidden),
    )


class DiscussionStore:
    """Comments, reports and members' reply-notice settings."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._engine = database.engine

    # ------------------------------------------------------------------ comments
    def add(
        self, paper_id: str, user_id: int, body: str, *, parent_id: int | None, now: datetime
    ) -> CommentRow:
        with self._engine.begin() as conn:
            new_id = conn.execute(
                insert(comments)
                .values(
                    paper_id=paper_id,
                    user_id=user_id,
                    parent_id=parent_id,
                    body=body,
                    created_at=now,
                    edits=0,
                    hidden=False,
                )
                .returning(comments.c.id)
            ).scalar_one()
            return _row(conn.execute(_selected().where(comments.c.id == new_id)).one())

    def get(self, comment_id: int) -> CommentRow | None:
        with self._engine.connect() as conn:
            row = conn.execute(_selected().where(comments.c.id == comment_id)).first()
        return _row(row) if row is not None else None

    def for_paper(self, paper_id: str) -> list[CommentRow]:
        """Every comment of the paper (deleted and hidden ones too), oldest first."""
        query = (
            _selected().where(comments.c.paper_id == paper_id).order_by(comments.c.created_at, comments.c.id)
        )
        with self._engine.connect() as conn:
            return [_row(row) for row in conn.execute(query)]

    def edit(self, comment_id: int, user_id: int, body: str, *, now: datetime) -> bool:
        """Replace the text of the member's own, not deleted comment; ``False`` when it is not theirs."""
        statement = (
            update(comments)
            .where(
                comments.c.id == comment_id, comments.c.user_id == user_id, comments.c.deleted_at.is_(None)
            )
            .values(body=body, edited_at=now, edits=comments.c.edits + 1)
        )
        with self._engine.begin() as conn:
            return bool(conn.execute(statement).rowcount)

    def delete(self, comment_id: int, user_id: int, *, now: datetime) -> bool:
        """Mark the member's own comment deleted (its text goes; replies stay under it)."""
        statement = (
            update(comments)
            .where(
                comments.c.id == comment_id, comments.c.user_id == user_id, comments.c.deleted_at.is_(None)
            )
            .values(deleted_at=now, body="")
        )
        with self._engine.begin() as conn:
            return bool(conn.execute(statement).rowcount)

    def set_hidden(self, comment_id: int, *, hidden: bool, by: int, now: datetime) -> bool:
        """A curator hides (or shows again) a comment; its open reports are resolved either way."""
        with self._engine.begin() as conn:
            changed = conn.execute(
                update(comments)
                .where(comments.c.id == comment_id, comments.c.hidden.is_(not hidden))
                .values(hidden=hidden, hidden_by=by if hidden else None, hidden_at=now if hidden else None)
            ).rowcount
            conn.execute(
                update(comment_reports)
                .where(comment_reports.c.comment_id == comment_id, comment_reports.c.resolved_at.is_(None))
                .values(resolved_at=now)
            )
        return bool(changed)

    def counts(self, paper_ids: Sequence[str]) -> dict[str, int]:
        """Visible comments per paper (neither deleted nor hidden, not in a hidden thread); papers
        without any are absent."""
        wanted = list(dict.fromkeys(paper_ids))
        if not wanted:
            return {}
        found: dict[str, int] = {}
        head = comments.alias("head")
        with self._engine.connect() as conn:
            for start in range(0, len(wanted), 500):
                query = (
                    select(comments.c.paper_id, func.count().label("n"))
                    .select_from(comments.outerjoin(head, head.c.id == comments.c.parent_id))
                    .where(
                        comments.c.paper_id.in_(wanted[start : start + 500]),
                        comments.c.deleted_at.is_(None),
                        comments.c.hidden.is_(False),
                        or_(head.c.id.is_(None), head.c.hidden.is_(False)),  # not in a hidden thread
                    )
                    .group_by(comments.c.paper_id)
                )
                found.update({row.paper_id: int(row.n) for row in conn.execute(query)})
        return found

    def recent_count(self, user_id: int, *, since: datetime) -> int:
        query = select(func.count()).where(comments.c.user_id == user_id, comments.c.created_at >= since)
        with self._engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    # ------------------------------------------------------------------ reports
    def report(self, comment_id: int, user_id: int, reason: str, *, now: datetime) -> bool:
        """A member reports a comment, once (a second report by the same member is ignored)."""
        statement = (
            self._db.insert(comment_reports)
            .values(comment_id=comment_id, user_id=user_id, reason=reason, created_at=now)
            .on_conflict_do_nothing(index_elements=["comment_id", "user_id"])
            .returning(comment_reports.c.comment_id)
        )
        with self._engine.begin() as conn:
            return conn.execute(statement).first() is not None

    def dismiss_reports(self, comment_id: int, *, now: datetime) -> int:
        statement = (
            update(comment_reports)
            .where(comment_reports.c.comment_id == comment_id, comment_reports.c.resolved_at.is_(None))
            .values(resolved_at=now)
        )
        with self._engine.begin() as conn:
            return int(conn.execute(statement).rowcount)

    def open_reports(self, *, limit: int = 200) -> list[ReportRow]:
        """Comments with reports no curator has dealt with yet, most reported first."""
        open_ = comment_reports.c.resolved_at.is_(None)
        grouped = (
            select(
                comment_reports.c.comment_id,
                func.count().label("n"),
                func.min(comment_reports.c.created_at).label("first"),
            )
            .where(open_)
            .group_by(comment_reports.c.comment_id)
            .order_by(func.count().desc(), func.min(comment_reports.c.created_at))
            .limit(limit)
        )
        with self._engine.connect() as conn:
            heads = list(conn.execute(grouped))
            ids = [int(row.comment_id) for row in heads]
            rows = {int(r.id): _row(r) for r in conn.execute(_selected().where(comments.c.id.in_(ids)))}
            reasons: dict[int, list[str]] = {}
            for row in conn.execute(
                select(comment_reports.c.comment_id, comment_reports.c.reason).where(
                    open_, comment_reports.c.comment_id.in_(ids)
                )
            ):
                if row.reason:
                    reasons.setdefault(int(row.comment_id), []).append(str(row.reason))
        return [
            ReportRow(rows[int(h.comment_id)], int(h.n), reasons.get(int(h.comment_id), []), h.first)
            for h in heads
            if int(h.comment_id) in rows
        ]

    # ------------------------------------------------------------------ settings
    def reply_notices(self, user_ids: Sequence[int]) -> dict[int, bool]:
        """Each member's choice (absent: never chose, which means off)."""
        if not user_ids:
            return {}
        query = select(discussion_settings).where(discussion_settings.c.user_id.in_(list(set(user_ids))))
        with self._engine.connect() as conn:
            return {int(row.user_id): bool(row.reply_notices) for row in conn.execute(query)}

    def set_reply_notices(self, user_id: int, enabled: bool, *, now: datetime) -> None:
        statement = (
            self._db.insert(discussion_settings)
            .values(user_id=user_id, reply_notices=enabled, updated_at=now)
            .on_conflict_do_update(
                index_elements=["user_id"], set_={"reply_notices": enabled, "updated_at": now}
            )
        )
        with self._engine.begin() as conn:
            conn.execute(statement)
