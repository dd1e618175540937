"""Several instances on one store: a partial index on title-only ids and a seeded change counter.

The change counter row exists from the start, so every writer locks and bumps the same row
(``SELECT … FOR UPDATE`` on PostgreSQL): changes commit in counter order and an indexer following
the feed never skips one that commits late.

Revision ID: 0003_instances
Revises: 0002_community
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_instances"
down_revision = "0002_community"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_papers_title_ids",
        "papers",
        ["id"],
        sqlite_where=sa.text("id_kind = 'title'"),
        postgresql_where=sa.text("id_kind = 'title'"),
    )
    state = sa.table("store_state", sa.column("key", sa.String), sa.column("value", sa.Text))
    connection = op.get_bind()
    exists = connection.execute(sa.select(state.c.key).where(state.c.key == "change_seq")).first()
    if exists is None:
        op.bulk_insert(state, [{"key": "change_seq", "value": "0"}])


def downgrade() -> None:
    op.drop_index("ix_papers_title_ids", table_name="papers")
