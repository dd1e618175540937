"""Community tables: accounts, sessions, magic-link tokens, API tokens, votes, featured papers, rate limits.

They live on the same metadata as the papers, so that a merge of a title-only paper into its arXiv
record re-points their ``paper_id`` columns too (the store walks every table of that metadata). Secrets (session ids, login and API tokens) are stored only as SHA-256
hashes: a copy of the database does not let anyone sign in.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, Date, DateTime, ForeignKey, Index, Integer, String, Table, Text

from paperfeed.store.schema.base import metadata

ROLES = ("member", "curator", "admin")

users = Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("email", String(320), nullable=False, unique=True),
    Column("role", String(16), nullable=False, default="member"),
    Column("created_at", DateTime, nullable=False),
    # The public name a member chose (lower case, unique); shown instead of the email, never derived from it.
    Column("handle", String(32)),
    Index("ux_users_handle", "handle", unique=True),
)

login_tokens = Table(
    "login_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("email", String(320), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    # Set once when the link is used: a second use finds it non-null and fails (single use).
    Column("used_at", DateTime),
)

sessions = Table(
    "sessions",
    metadata,
    Column("session_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("expires_at", DateTime, nullable=False),
    Index("ix_sessions_user_id", "user_id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("last_used_at", DateTime),
)

votes = Table(
    "votes",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", String(64), primary_key=True),
    Column("created_at", DateTime, nullable=False),
    Index("ix_votes_paper_id", "paper_id"),
    Index("ix_votes_created_at", "created_at"),
)

# One row per paper featured on a day's page, by a member's submission or a curator's pick.
featured = Table(
    "featured",
    metadata,
    Column("day", Date, primary_key=True),
    Column("paper_id", String(64), primary_key=True),
    Column("source", String(16), nullable=False),  # "submission" or "curator"
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("created_at", DateTime, nullable=False),
    Column("hidden", Boolean, nullable=False, default=False),
    Index("ix_featured_paper_id", "paper_id"),
)

curator_actions = Table(
    "curator_actions",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="SET NULL")),
    Column("action", String(16), nullable=False),  # feature, unfeature, hide, unhide
    Column("paper_id", String(64), nullable=False),
    Column("day", Date, nullable=False),
    Column("created_at", DateTime, nullable=False),
    Column("note", Text),
)

# Fixed-window counters, stored so that every worker process sees the same counts.
rate_limits = Table(
    "rate_limits",
    metadata,
    Column("key", String(400), primary_key=True),
    Column("window_start", Integer, primary_key=True),
    Column("count", Integer, nullable=False),
)
