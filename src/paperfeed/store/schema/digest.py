"""Digest tables: subscriptions and what they follow, the send ledger, and leases.

A subscription belongs to an email address (members and non-members alike). Its secrets (the
pending confirmation nonce) are stored only as SHA-256 hashes. The send ledger has one row per
(subscription, period): it is what makes delivery exactly-once (see ``docs/digest.md``). Leases are
short-lived named locks in the store, shared by every process and instance: the scheduler holds one,
and each running digest send holds one that says its claims are still alive.
"""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from paperfeed.store.schema.base import metadata

SUBSCRIPTION_STATUSES = ("pending", "active", "paused", "unsubscribed")
FOLLOW_KINDS = ("trending", "category", "author", "query", "recommended")
SEND_STATUSES = ("queued", "sending", "sent", "failed", "skipped")

digest_subscriptions = Table(
    "digest_subscriptions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False),
    Column("frequency", String(8), nullable=False),  # daily or weekly
    Column("trending", Boolean, nullable=False),
    Column("max_papers", Integer, nullable=False),
    Column("status", String(16), nullable=False),  # one of SUBSCRIPTION_STATUSES
    # SHA-256 of the nonce in the pending confirmation link; a new link replaces it.
    Column("confirm_hash", String(64)),
    Column("confirm_sent_at", DateTime),
    Column("created_at", DateTime, nullable=False),
    Column("confirmed_at", DateTime),
    Column("unsubscribed_at", DateTime),
    # Permanent delivery failures in a row; at PAUSE_AFTER the subscription is paused.
    Column("failure_streak", Integer, nullable=False, default=0),
    Column("paused_at", DateTime),
    Column("last_error", Text),
    Index("ix_digest_subscriptions_email", "email"),
    Index("ix_digest_subscriptions_status_frequency", "status", "frequency"),
)

# What a subscription follows, in the order given: trending categories (none: site-wide), categories,
# authors, keyword queries, and ("recommended", "") when it wants the member's personal
# recommendations. One table, so that new kind needed no migration.
digest_follows = Table(
    "digest_follows",
    metadata,
    Column(
        "subscription_id",
        Integer,
        ForeignKey("digest_subscriptions.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("kind", String(16), primary_key=True),  # one of FOLLOW_KINDS
    Column("value", String(500), primary_key=True),
    Column("position", Integer, nullable=False),
)

# The send ledger: one row per (subscription, period), from queued to sent, failed or skipped.
digest_sends = Table(
    "digest_sends",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "subscription_id",
        Integer,
        ForeignKey("digest_subscriptions.id", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("period", String(24), nullable=False),  # "daily:2026-02-20", "weekly:2026-W08"
    Column("status", String(16), nullable=False),  # one of SEND_STATUSES
    # The run that claimed the row ("sending"), or that last tried it (a temporary failure).
    Column("run_id", String(64)),
    Column("claimed_at", DateTime),
    Column("attempts", Integer, nullable=False, default=0),
    # Fixed before the first try, reused by every retry: a duplicate is recognisably the same mail.
    Column("message_id", String(255)),
    # The digest as composed (JSON: paper ids, sections, reasons): resends and "view in browser".
    Column("content", Text),
    Column("code", Integer),
    Column("detail", Text),
    Column("created_at", DateTime, nullable=False),
    Column("updated_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
    UniqueConstraint("subscription_id", "period", name="uq_digest_sends_subscription_period"),
    Index("ix_digest_sends_period_status", "period", "status"),
)

# Named leases: whoever holds an unexpired row holds the lease; holders renew before it expires.
leases = Table(
    "leases",
    metadata,
    Column("name", String(100), primary_key=True),
    Column("holder", String(200), nullable=False),
    Column("acquired_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
)

# One row per scheduled job and day: done, or running (a holder that died leaves "running").
scheduled_runs = Table(
    "scheduled_runs",
    metadata,
    Column("job", String(32), primary_key=True),
    Column("day", String(10), primary_key=True),  # YYYY-MM-DD (UTC)
    Column("status", String(16), nullable=False),  # running, done, failed
    Column("started_at", DateTime, nullable=False),
    Column("finished_at", DateTime),
    Column("detail", Text),
)
