"""Papers, authors, categories, versions, code links, aliases, tombstones, checkpoints, state.

Revision ID: 0001_papers
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001_papers"
down_revision = None
branch_labels = None
depends_on = None


def _paper_fk() -> sa.ForeignKey:
    return sa.ForeignKey("papers.id", ondelete="CASCADE")


def upgrade() -> None:
    op.create_table(
        "papers",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("id_kind", sa.String(8), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("title_key", sa.Text, nullable=False),
        sa.Column("abstract", sa.Text, nullable=False),
        sa.Column("primary_category", sa.String(32)),
        sa.Column("latest_version", sa.Integer),
        sa.Column("published_at", sa.DateTime),
        sa.Column("updated_at", sa.DateTime),
        sa.Column("doi", sa.Text),
        sa.Column("comment", sa.Text),
        sa.Column("journal_ref", sa.Text),
        sa.Column("source", sa.String(32), nullable=False),
        sa.Column("content_hash", sa.String(40), nullable=False),
        sa.Column("change_seq", sa.Integer, nullable=False),
        sa.Column("first_seen_at", sa.DateTime, nullable=False),
    )
    op.create_index("ix_papers_published_at", "papers", ["published_at"])
    op.create_index("ix_papers_change_seq", "papers", ["change_seq"])
    op.create_index("ix_papers_title_key", "papers", ["title_key"])
    op.create_index("ix_papers_primary_category_published", "papers", ["primary_category", "published_at"])

    op.create_table(
        "paper_authors",
        sa.Column("paper_id", sa.String(64), _paper_fk(), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
    )
    op.create_index("ix_paper_authors_name", "paper_authors", ["name"])

    op.create_table(
        "paper_categories",
        sa.Column("paper_id", sa.String(64), _paper_fk(), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("category", sa.String(32), nullable=False),
    )
    op.create_index("ix_paper_categories_category", "paper_categories", ["category", "paper_id"])

    op.create_table(
        "paper_versions",
        sa.Column("paper_id", sa.String(64), _paper_fk(), primary_key=True),
        sa.Column("version", sa.Integer, primary_key=True),
        sa.Column("submitted_at", sa.DateTime),
    )
    op.create_table(
        "paper_links",
        sa.Column("paper_id", sa.String(64), _paper_fk(), primary_key=True),
        sa.Column("position", sa.Integer, primary_key=True),
        sa.Column("url", sa.Text, nullable=False),
    )
    op.create_table(
        "paper_aliases",
        sa.Column("alias", sa.String(64), primary_key=True),
        sa.Column("paper_id", sa.String(64), _paper_fk(), nullable=False),
    )
    op.create_table(
        "paper_tombstones",
        sa.Column("paper_id", sa.String(64), primary_key=True),
        sa.Column("change_seq", sa.Integer, nullable=False),
    )
    op.create_index("ix_paper_tombstones_change_seq", "paper_tombstones", ["change_seq"])
    op.create_table(
        "ingest_checkpoints",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("value", sa.Text),
        sa.Column("updated_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "store_state",
        sa.Column("key", sa.String(100), primary_key=True),
        sa.Column("value", sa.Text, nullable=False),
    )


def downgrade() -> None:
    for table in (
        "store_state",
        "ingest_checkpoints",
        "paper_tombstones",
        "paper_aliases",
        "paper_links",
        "paper_versions",
        "paper_categories",
        "paper_authors",
        "papers",
    ):
        op.drop_table(table)
