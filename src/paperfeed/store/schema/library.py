"""Library tables: members' collections, their papers, annotations, follows, feedback, impressions.

The shape follows reference managers (Zotero): a paper is *in a collection* (``collection_entries``,
many to many), while what a member writes about a paper (note, read, tags: ``library_items`` and
``library_tags``) belongs to the member and the paper, whichever collections hold it. Taking a
paper out of a collection therefore never loses its note.

The rest is what a recommender reads about a member: ``follows`` (authors, categories, queries, each
with its own switch), ``feedback`` ("more like this" / "not interested", one per member and paper,
the latest wins), ``impressions`` (how often a paper was shown, for "no re-recommendations") and
``feed_drivers`` (a member's switches for whole drivers of a feed; a missing row means on).

Every paper reference is a ``paper_id`` column inside the primary key, so a merge of a title-only
paper into its arXiv record moves these rows and drops the duplicates (see ``paper_writes._absorb``).
No foreign key points at ``papers``: rows name papers by id, as votes do.
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
from paperfeed.store.schema.papers import papers

VISIBILITIES = ("private", "public")
FOLLOW_KINDS = ("author", "category", "query")
FEEDBACK_KINDS = ("more", "not_interested")

collections = Table(
    "collections",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("name", String(200), nullable=False),
    # Lowercase ASCII words joined by "-": the readable part of /library/{id}-{slug}.
    Column("slug", String(80), nullable=False),
    Column("visibility", String(16), nullable=False, default="private"),
    Column("description", Text),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("user_id", "slug", name="uq_collections_user_slug"),
)

collection_entries = Table(
    "collection_entries",
    metadata,
    Column("collection_id", Integer, ForeignKey("collections.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", String(64), primary_key=True),
    Column("added_at", DateTime, nullable=False),
    Index("ix_collection_entries_paper_id", "paper_id"),
)

library_items = Table(
    "library_items",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", String(64), primary_key=True),
    Column("note", Text),
    Column("read_at", DateTime),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_library_items_paper_id", "paper_id"),
)

library_tags = Table(
    "library_tags",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", String(64), primary_key=True),
    Column("tag", String(100), primary_key=True),
    Index("ix_library_tags_user_tag", "user_id", "tag"),
    Index("ix_library_tags_paper_id", "paper_id"),
)

follows = Table(
    "follows",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
    Column("kind", String(16), nullable=False),
    Column("value", String(500), nullable=False),
    Column("enabled", Boolean, nullable=False, default=True),
    Column("created_at", DateTime, nullable=False),
    UniqueConstraint("user_id", "kind", "value", name="uq_follows_user_kind_value"),
)

feedback = Table(
    "feedback",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", String(64), primary_key=True),
    Column("kind", String(16), nullable=False),
    Column("created_at", DateTime, nullable=False),
    Index("ix_feedback_paper_id", "paper_id"),
)

impressions = Table(
    "impressions",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("paper_id", String(64), primary_key=True),
    Column("times_shown", Integer, nullable=False),
    Column("first_shown_at", DateTime, nullable=False),
    Column("last_shown_at", DateTime, nullable=False),
    Index("ix_impressions_paper_id", "paper_id"),
)

feed_drivers = Table(
    "feed_drivers",
    metadata,
    Column("user_id", Integer, ForeignKey("users.id", ondelete="CASCADE"), primary_key=True),
    Column("driver", String(100), primary_key=True),
    Column("enabled", Boolean, nullable=False),
    Column("updated_at", DateTime, nullable=False),
)

# Imports match references by DOI: without an index that is a scan of every paper per import.
ix_papers_doi = Index("ix_papers_doi", papers.c.doi)
