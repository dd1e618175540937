"""Recommendation tables: each member's cached model, and the secret of their personal feed.

``member_models`` holds one trained model per member (:mod:`paperfeed.recommend.member_models`):
a compact binary of the model's weights and the *fingerprint* of what it was trained on (the
member's positive and negative papers, the features generation). A page view compares fingerprints
and only scores; a changed fingerprint (feedback, a save, a switch) retrains once and replaces the
row. The row is a cache: deleting it costs one retraining.

``feed_tokens`` holds the SHA-256 of each member's personal RSS feed token (the token itself is
shown once, when made): a copy of the database does not reveal anyone's feed address.

``blend_weights`` holds the recommender's blend weights fitted on the store's own members
(:mod:`paperfeed.recommend.fitting`, run by ``paperfeed recommend fit`` and the scheduler, never by
a request): one row per blend name, the weights as JSON, whether they are in use (``active``: only
when they beat the hand-set defaults on held-out members) and the fit's report as JSON. No row, or
an inactive one, means the defaults rank.
"""

from __future__ import annotations

from sqlalchemy import Boolean, Column, DateTime, ForeignKey, Integer, LargeBinary, String, Table, Text

from paperfeed.store.schema.base import metadata

member_models = Table(
    "member_models",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("fingerprint", String(64), nullable=False),
    Column("positives", Integer, nullable=False),
    Column("negatives", Integer, nullable=False),
    Column("model", LargeBinary, nullable=False),
    Column("trained_at", DateTime, nullable=False),
)

feed_tokens = Table(
    "feed_tokens",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime, nullable=False),
)

blend_weights = Table(
    "blend_weights",
    metadata,
    Column("name", String(32), primary_key=True),
    Column("weights", Text, nullable=False),
    Column("active", Boolean, nullable=False),
    Column("report", Text, nullable=False),
    Column("fitted_at", DateTime, nullable=False),
)
