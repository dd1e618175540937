"""The papers and everything that belongs to one paper: authors, categories, versions, links, aliases.

Every table that refers to a paper names the column ``paper_id``: when a paper known only by its
title is merged into its arXiv record, the store re-points every such column, in any feature's table.
"""

from __future__ import annotations

from sqlalchemy import (
    BigInteger,
    Column,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    text,
)

from paperfeed.store.schema.base import metadata

papers = Table(
    "papers",
    metadata,
    Column("id", String(64), primary_key=True),
    # "arxiv" or "title": title-keyed papers can be absorbed by an arXiv record later.
    Column("id_kind", String(8), nullable=False),
    Column("title", Text, nullable=False),
    Column("title_key", Text, nullable=False),
    # A 64-bit hash of title_key: matching titles goes through a small integer index, not a text one.
    Column("title_hash", BigInteger, nullable=False),
    Column("abstract", Text, nullable=False, default=""),
    Column("primary_category", String(32)),
    Column("latest_version", Integer),
    Column("published_at", DateTime),
    Column("updated_at", DateTime),
    Column("doi", Text),
    Column("comment", Text),
    Column("journal_ref", Text),
    Column("source", String(32), nullable=False, default=""),
    # The lists of a paper as JSON text, in the paper's own row: one row per paper to write and
    # to read back (see store/rows.py). Author and category look-ups have their own tables below.
    Column("authors", Text, nullable=False, server_default="[]"),
    Column("categories", Text, nullable=False, server_default="[]"),
    Column("versions", Text, nullable=False, server_default="[]"),
    Column("links", Text, nullable=False, server_default="[]"),
    Column("content_hash", String(40), nullable=False),
    # Monotonic change counter: derived indexes catch up by reading rows above their own mark.
    Column("change_seq", Integer, nullable=False),
    Column("first_seen_at", DateTime, nullable=False),
    Index("ix_papers_published_at", "published_at"),
    # (change_seq, id): the change feed pages through it by keyset, one range scan per batch (a
    # change_seq-only index made each batch read every later change: quadratic at 2.7M papers).
    Index("ix_papers_change_seq_id", "change_seq", "id"),
    Index("ix_papers_title_hash", "title_hash"),
    # Only title-only papers (few or none): "is there any?" is answered without a scan on any backend.
    Index(
        "ix_papers_title_ids",
        "id",
        sqlite_where=text("id_kind = 'title'"),
        postgresql_where=text("id_kind = 'title'"),
    ),
)

# Look-ups for the author and category pages, written with the paper in the same transaction. Each
# is ONE b-tree (WITHOUT ROWID on SQLite), keyed so that "newest papers of X" is a range scan:
# (key, published_ts, paper_id). ``published_ts`` is the first version's time in epoch seconds (0
# when unknown). Authors are keyed by a 64-bit hash of the exact name (an integer key costs a third
# of a text one to maintain, measured in docs/benchmarks.md); readers check the name in the paper.
paper_authors = Table(
    "paper_authors",
    metadata,
    Column("author_key", BigInteger, primary_key=True, autoincrement=False),
    Column("published_ts", BigInteger, primary_key=True, autoincrement=False),
    Column("paper_id", String(64), primary_key=True),
    sqlite_with_rowid=False,
)

paper_categories = Table(
    "paper_categories",
    metadata,
    Column("category", String(32), primary_key=True),
    Column("published_ts", BigInteger, primary_key=True, autoincrement=False),
    Column("paper_id", String(64), primary_key=True),
    sqlite_with_rowid=False,
)

# Old ids that now resolve to another paper (a title id merged into its arXiv record).
paper_aliases = Table(
    "paper_aliases",
    metadata,
    Column("alias", String(64), primary_key=True),
    Column("paper_id", String(64), ForeignKey("papers.id", ondelete="CASCADE"), nullable=False),
)

# Ids that disappeared (merged away); indexes delete them when they catch up past change_seq.
paper_tombstones = Table(
    "paper_tombstones",
    metadata,
    Column("paper_id", String(64), primary_key=True),
    Column("change_seq", Integer, nullable=False),
    Index("ix_paper_tombstones_change_seq", "change_seq"),
)

ingest_checkpoints = Table(
    "ingest_checkpoints",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text),
    Column("updated_at", DateTime, nullable=False),
)

# Small key/value state of the store itself (the change counter) and of derived indexes.
store_state = Table(
    "store_state",
    metadata,
    Column("key", String(100), primary_key=True),
    Column("value", Text, nullable=False),
)

# Tables whose rows belong to one paper and move with it on a merge (besides ``papers`` itself).
PAPER_CHILD_TABLES = (paper_authors, paper_categories)
