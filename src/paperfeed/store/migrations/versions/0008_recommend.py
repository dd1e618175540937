"""Recommendation tables: cached member models and personal feed tokens.

Revision ID: 0008_recommend
Revises: 0007_scale
"""

import sqlalchemy as sa
from alembic import op

revision = "0008_recommend"
down_revision = "0007_scale"
branch_labels = None
depends_on = None


def _user_id() -> sa.Column[int]:
    return sa.Column(
        "user_id",
        sa.Integer,
        sa.ForeignKey("users.id", ondelete="CASCADE"),
        primary_key=True,
        nullable=False,
    )


def upgrade() -> None:
    op.create_table(
        "member_models",
        _user_id(),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("positives", sa.Integer, nullable=False),
        sa.Column("negatives", sa.Integer, nullable=False),
        sa.Column("model", sa.LargeBinary, nullable=False),
        sa.Column("trained_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "feed_tokens",
        _user_id(),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", sa.DateTime, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("feed_tokens")
    op.drop_table("member_models")
