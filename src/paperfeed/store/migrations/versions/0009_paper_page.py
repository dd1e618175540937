"""The paper page: discussion (comments, reports, reply-notice choices) and enrichment (links,
keywords, GitHub stars, language-model summaries).

Revision ID: 0009_paper_page
Revises: 0008_recommend
"""

import sqlalchemy as sa
from alembic import op

revision = "0009_paper_page"
down_revision = "0008_recommend"
branch_labels = None
depends_on = None


def _users(name: str, *, ondelete: str, primary_key: bool = False) -> sa.Column[int]:
    return sa.Column(
        name,
        sa.Integer,
        sa.ForeignKey("users.id", ondelete=ondelete),
        primary_key=primary_key,
        nullable=not primary_key,
    )


def upgrade() -> None:
    op.create_table(
        "comments",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("paper_id", sa.String(64), nullable=False),
        _users("user_id", ondelete="SET NULL"),
        sa.Column("parent_id", sa.Integer, sa.ForeignKey("comments.id", ondelete="CASCADE")),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("edited_at", sa.DateTime),
        sa.Column("edits", sa.Integer, nullable=False),
        sa.Column("deleted_at", sa.DateTime),
        sa.Column("hidden", sa.Boolean, nullable=False),
        _users("hidden_by", ondelete="SET NULL"),
        sa.Column("hidden_at", sa.DateTime),
    )
    op.create_index("ix_comments_paper_id_created_at", "comments", ["paper_id", "created_at"])
    op.create_index("ix_comments_parent_id", "comments", ["parent_id"])
    op.create_index("ix_comments_user_id_created_at", "comments", ["user_id", "created_at"])
    op.create_table(
        "comment_reports",
        sa.Column(
            "comment_id",
            sa.Integer,
            sa.ForeignKey("comments.id", ondelete="CASCADE"),
            primary_key=True,
            nullable=False,
        ),
        _users("user_id", ondelete="CASCADE", primary_key=True),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("resolved_at", sa.DateTime),
    )
    op.create_index("ix_comment_reports_resolved_at", "comment_reports", ["resolved_at"])
    op.create_table(
        "discussion_settings",
        _users("user_id", ondelete="CASCADE", primary_key=True),
        sa.Column("reply_notices", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "paper_enrichment",
        sa.Column("paper_id", sa.String(64), primary_key=True),
        sa.Column("content_hash", sa.String(40), nullable=False),
        sa.Column("github_repo", sa.String(200)),
        sa.Column("project_page", sa.Text),
        sa.Column("keywords", sa.Text, nullable=False, server_default="[]"),
        sa.Column("keywords_generation", sa.String(64)),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_paper_enrichment_github_repo", "paper_enrichment", ["github_repo"])
    op.create_table(
        "github_repos",
        sa.Column("repo", sa.String(200), primary_key=True),
        sa.Column("full_name", sa.String(200)),
        sa.Column("stars", sa.Integer),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("etag", sa.String(200)),
        sa.Column("checked_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_github_repos_checked_at", "github_repos", ["checked_at"])
    op.create_table(
        "paper_summaries",
        sa.Column("paper_id", sa.String(64), primary_key=True),
        sa.Column("content_hash", sa.String(40), nullable=False),
        sa.Column("summary", sa.Text),
        sa.Column("model", sa.String(200)),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("detail", sa.Text),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("paper_summaries")
    op.drop_index("ix_github_repos_checked_at", "github_repos")
    op.drop_table("github_repos")
    op.drop_index("ix_paper_enrichment_github_repo", "paper_enrichment")
    op.drop_table("paper_enrichment")
    op.drop_table("discussion_settings")
    op.drop_index("ix_comment_reports_resolved_at", "comment_reports")
    op.drop_table("comment_reports")
    op.drop_index("ix_comments_user_id_created_at", "comments")
    op.drop_index("ix_comments_parent_id", "comments")
    op.drop_index("ix_comments_paper_id_created_at", "comments")
    op.drop_table("comments")
