"""Discussion tables: comments on papers (with one level of replies), members' reports of
comments, and each member's choice about reply notices.

A comment is never deleted by its author, only marked (``deleted_at``): replies keep their place
under it, and a page shows "deleted" where its text was. Curators hide comments (``hidden``);
hidden comments disappear for everyone but curators. ``paper_id`` follows a title-only paper
into its arXiv record on a merge, like every ``paper_id`` column of the store.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Index, Integer, String, Table, Text

from paperfeed.store.schema.base import metadata

comments = Table(
    "comments",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("paper_id", String(64), nullable=False),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    # A reply names its thread's first comment (one level: a reply to a reply joins that thread).
    Column("parent_id", Integer, ForeignKey("comments.id", ondelete="CASCADE")),
    Column("body", Text, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("edited_at", DateTime),
    Column("edits", Integer, nullable=False, default=0),
    Column("deleted_at", DateTime),
    Column("hidden", Boolean, nullable=False, default=False),
    Column("hidden_by", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("hidden_at", DateTime),
    Index("ix_comments_paper_id_created_at", "paper_id", "created_at"),
    Index("ix_comments_parent_id", "parent_id"),
    Index("ix_comments_user_id_created_at", "user_id", "created_at"),
)

comment_reports = Table(
    "comment_reports",
    metadata,
    Column("comment_id", Integer, ForeignKey("comments.id", ondelete="CASCADE"), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("reason", Text, nullable=False, default=""),
    Column("created_at", DateTime, nullable=False),
    # Set when a curator dealt with it (hid the comment, or dismissed the report).
    Column("resolved_at", DateTime),
    Index("ix_comment_reports_resolved_at", "resolved_at"),
)

discussion_settings = Table(
    "discussion_settings",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("reply_notices", Boolean, nullable=False, default=False),
    Column("updated_at", DateTime, nullable=False),
)
