"""The store's tables, as SQLAlchemy Core metadata: every table of every feature, in one place.

The schema itself is created and upgraded by the Alembic migrations in ``store/migrations``; these
definitions are what the store's queries are written against, and a test checks that the migrated
database and this metadata agree. Only :mod:`paperfeed.store` imports this package.
"""

from __future__ import annotations

from paperfeed.store.schema.base import metadata
from paperfeed.store.schema.community import (
    ROLES,
    api_tokens,
    curator_actions,
    featured,
    login_tokens,
    rate_limits,
    sessions,
    users,
    votes,
)
from paperfeed.store.schema.digest import (
    FOLLOW_KINDS as DIGEST_FOLLOW_KINDS,
)
from paperfeed.store.schema.digest import (
    SEND_STATUSES,
    SUBSCRIPTION_STATUSES,
    digest_follows,
    digest_sends,
    digest_subscriptions,
    leases,
    scheduled_runs,
)
from paperfeed.store.schema.discussion import comment_reports, comments, discussion_settings
from paperfeed.store.schema.enrichment import github_repos, paper_enrichment, paper_summaries
from paperfeed.store.schema.library import (
    FEEDBACK_KINDS,
    FOLLOW_KINDS,
    VISIBILITIES,
    collection_entries,
    collections,
    feed_drivers,
    feedback,
    follows,
    impressions,
    library_items,
    library_tags,
)
from paperfeed.store.schema.papers import (
    PAPER_CHILD_TABLES,
    ingest_checkpoints,
    paper_aliases,
    paper_authors,
    paper_categories,
    paper_tombstones,
    papers,
    store_state,
)
from paperfeed.store.schema.recommend import blend_weights, feed_tokens, member_models

__all__ = [
    "DIGEST_FOLLOW_KINDS",
    "FEEDBACK_KINDS",
    "FOLLOW_KINDS",
    "PAPER_CHILD_TABLES",
    "ROLES",
    "SEND_STATUSES",
    "SUBSCRIPTION_STATUSES",
    "VISIBILITIES",
    "api_tokens",
    "blend_weights",
    "collection_entries",
    "collections",
    "comment_reports",
    "comments",
    "curator_actions",
    "digest_follows",
    "digest_sends",
    "digest_subscriptions",
    "discussion_settings",
    "featured",
    "feed_drivers",
    "feed_tokens",
    "feedback",
    "follows",
    "github_repos",
    "impressions",
    "ingest_checkpoints",
    "leases",
    "library_items",
    "library_tags",
    "login_tokens",
    "member_models",
    "metadata",
    "paper_aliases",
    "paper_authors",
    "paper_categories",
    "paper_enrichment",
    "paper_summaries",
    "paper_tombstones",
    "papers",
    "rate_limits",
    "scheduled_runs",
    "sessions",
    "store_state",
    "users",
    "votes",
]
