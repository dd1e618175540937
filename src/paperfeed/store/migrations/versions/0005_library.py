"""Library tables: collections, entries, annotations, tags, follows, feedback, impressions, feed drivers.

Also an index on ``papers.doi``, which library imports match references by.

Revision ID: 0005_library
Revises: 0004_handles
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_library"
down_revision = "0004_handles"
branch_labels = None
depends_on = None


def _user_id(primary_key: bool = False) -> sa.Column[int]:
    return sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=primary_key,
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "collections",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _user_id(),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("slug", sa.String(80), nullable=False),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("user_id", "slug", name="uq_collections_user_slug"),
    )
    op.create_table(
        "collection_entries",
        sa.Column(
            "collection_id",
            sa.Integer,
            sa.ForeignKey("collections.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("paper_id", sa.String(64), primary_key=True),
        sa.Column("added_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_collection_entries_paper_id", "collection_entries", ["paper_id"])
    op.create_table(
        "library_items",
        _user_id(primary_key=True),
        sa.Column("paper_id", sa.String(64), primary_key=True),
        sa.Column("note", sa.Text),
        sa.Column("read_at", sa.DateTime),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_library_items_paper_id", "library_items", ["paper_id"])
    op.create_table(
        "library_tags",
        _user_id(primary_key=True),
        sa.Column("paper_id", sa.String(64), primary_key=True),
        sa.Column("tag", sa.String(100), primary_key=True),
    )
    op.create_index("ix_library_tags_user_tag", "library_tags", ["user_id", "tag"])
    op.create_index("ix_library_tags_paper_id", "library_tags", ["paper_id"])
    op.create_table(
        "follows",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        _user_id(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("value", sa.String(500), nullable=False),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.UniqueConstraint("user_id", "kind", "value", name="uq_follows_user_kind_value"),
    )
    op.create_table(
        "feedback",
        _user_id(primary_key=True),
        sa.Column("paper_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_feedback_paper_id", "feedback", ["paper_id"])
    op.create_table(
        "impressions",
        _user_id(primary_key=True),
        sa.Column("paper_id", sa.String(64), primary_key=True),
        sa.Column("times_shown", sa.Integer, nullable=False),
        sa.Column("first_shown_at", sa.DateTime, nullable=False),
        sa.Column("last_shown_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_impressions_paper_id", "impressions", ["paper_id"])
    op.create_table(
        "feed_drivers",
        _user_id(primary_key=True),
        sa.Column("driver", sa.String(100), primary_key=True),
        sa.Column("enabled", sa.Boolean, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_papers_doi", "papers", ["doi"])


def downgrade() -> None:
    op.drop_index("ix_papers_doi", table_name="papers")
    for name in (
        "feed_drivers",
        "impressions",
        "feedback",
        "follows",
        "library_tags",
        "library_items",
        "collection_entries",
        "collections",
    ):
        op.drop_table(name)
