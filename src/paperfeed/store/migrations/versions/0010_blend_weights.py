"""The recommender's blend weights fitted on the store's own members.

Revision ID: 0010_blend_weights
Revises: 0009_paper_page
"""

import sqlalchemy as sa
from alembic import op

revision = "0010_blend_weights"
down_revision = "0009_paper_page"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "blend_weights",
        sa.Column("name", sa.String(32), primary_key=True),
        sa.Column("weights", sa.Text, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False),
        sa.Column("report", sa.Text, nullable=False),
        sa.Column("fitted_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("blend_weights")
