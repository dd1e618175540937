"""Email digests: subscriptions, their follows, the send ledger, leases and scheduled runs.

Revision ID: 0006_digest
Revises: 0005_library
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_digest"
down_revision = "0005_library"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_subscriptions",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("frequency", sa.String(8), nullable=False),
        sa.Column("trending", sa.Boolean, nullable=False),
        sa.Column("max_papers", sa.Integer, nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("confirm_hash", sa.String(64)),
        sa.Column("confirm_sent_at", sa.DateTime),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("confirmed_at", sa.DateTime),
        sa.Column("unsubscribed_at", sa.DateTime),
        sa.Column("failure_streak", sa.Integer, nullable=False),
        sa.Column("paused_at", sa.DateTime),
        sa.Column("last_error", sa.Text),
    )
    op.create_index("ix_digest_subscriptions_email", "digest_subscriptions", ["email"])
    op.create_index(
        "ix_digest_subscriptions_status_frequency", "digest_subscriptions", ["status", "frequency"]
    )
    op.create_table(
        "digest_follows",
        sa.Column(
            "subscription_id",
            sa.Integer,
            sa.ForeignKey("digest_subscriptions.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("kind", sa.String(16), primary_key=True),
        sa.Column("value", sa.String(500), primary_key=True),
        sa.Column("position", sa.Integer, nullable=False),
    )
    op.create_table(
        "digest_sends",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
        sa.Column(
            "subscription_id",
            sa.Integer,
            sa.ForeignKey("digest_subscriptions.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("period", sa.String(24), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("run_id", sa.String(64)),
        sa.Column("claimed_at", sa.DateTime),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("message_id", sa.String(255)),
        sa.Column("content", sa.Text),
        sa.Column("code", sa.Integer),
        sa.Column("detail", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime),
        sa.UniqueConstraint("subscription_id", "period", name="uq_digest_sends_subscription_period"),
    )
    op.create_index("ix_digest_sends_period_status", "digest_sends", ["period", "status"])
    op.create_table(
        "leases",
        sa.Column("name", sa.String(100), primary_key=True),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("acquired_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
    )
    op.create_table(
        "scheduled_runs",
        sa.Column("job", sa.String(32), primary_key=True),
        sa.Column("day", sa.String(10), primary_key=True),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.Column("detail", sa.Text),
    )


def downgrade() -> None:
    for name in ("scheduled_runs", "leases", "digest_sends", "digest_follows", "digest_subscriptions"):
        op.drop_table(name)
