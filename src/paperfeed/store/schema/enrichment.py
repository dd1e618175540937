"""Enrichment tables: what paperfeed derives about a paper besides its indexes, kept by the
enrichment job (``paperfeed enrich``, the indexer, the scheduler), never by a request.

- ``paper_enrichment``: from the paper's own text, recomputed when it changes (``content_hash`` is
  the paper's at the time): its GitHub repository and project page as the paper links them, and
  its keywords (ranked by the TF-IDF features index's generation ``keywords_generation``).
- ``github_repos``: one row per repository papers link (``repo``, lower-cased ``owner/name``):
  the stars GitHub's REST API last gave, its current name (renamed repositories answer under the
  new one), the ETag for conditional requests, and when it was asked.
- ``paper_summaries``: a language model's summary of a paper, with the model's name, for the
  paper text it was made from; failed tries are counted so a paper the model cannot handle is not
  asked about forever.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, Index, Integer, String, Table, Text

from paperfeed.store.schema.base import metadata

paper_enrichment = Table(
    "paper_enrichment",
    metadata,
    Column("paper_id", String(64), primary_key=True),
    Column("content_hash", String(40), nullable=False),
    Column("github_repo", String(200)),
    Column("project_page", Text),
    Column("keywords", Text, nullable=False, server_default="[]"),
    Column("keywords_generation", String(64)),
    Column("updated_at", DateTime, nullable=False),
    Index("ix_paper_enrichment_github_repo", "github_repo"),
)

github_repos = Table(
    "github_repos",
    metadata,
    Column("repo", String(200), primary_key=True),
    Column("full_name", String(200)),
    Column("stars", Integer),
    Column("status", String(16), nullable=False),  # ok, not_found
    Column("etag", String(200)),
    Column("checked_at", DateTime, nullable=False),
    Index("ix_github_repos_checked_at", "checked_at"),
)

paper_summaries = Table(
    "paper_summaries",
    metadata,
    Column("paper_id", String(64), primary_key=True),
    Column("content_hash", String(40), nullable=False),
    Column("summary", Text),
    Column("model", String(200)),
    Column("status", String(16), nullable=False),  # ok, failed
    Column("attempts", Integer, nullable=False, default=0),
    Column("detail", Text),
    Column("updated_at", DateTime, nullable=False),
)
