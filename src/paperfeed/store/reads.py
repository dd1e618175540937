"""Reading papers: whole records with their children, in a handful of queries per batch of ids."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, select

from paperfeed.records import PaperRecord, Version
from paperfeed.store.schema import paper_authors, paper_categories, paper_links, paper_versions, papers

_CHUNK = 500


def aware(value: datetime | None) -> datetime | None:
    """Stored datetimes are naive UTC; records carry aware ones."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


def load_papers(conn: Connection, ids: Sequence[str]) -> dict[str, PaperRecord]:
    """Full records for ``ids`` (those that exist), children included, in a handful of queries."""
    found: dict[str, PaperRecord] = {}
    for chunk in _chunks(list(ids)):
        for row in conn.execute(select(papers).where(papers.c.id.in_(chunk))):
            found[row.id] = record_from_row(row)
        if not found:
            continue
        present = [i for i in chunk if i in found]
        for row in conn.execute(
            select(paper_authors.c.paper_id, paper_authors.c.name)
            .where(paper_authors.c.paper_id.in_(present))
            .order_by(paper_authors.c.paper_id, paper_authors.c.position)
        ):
            found[row.paper_id].authors.append(row.name)
        for row in conn.execute(
            select(paper_categories.c.paper_id, paper_categories.c.category)
            .where(paper_categories.c.paper_id.in_(present))
            .order_by(paper_categories.c.paper_id, paper_categories.c.position)
        ):
            found[row.paper_id].categories.append(row.category)
        for row in conn.execute(
            select(paper_versions)
            .where(paper_versions.c.paper_id.in_(present))
            .order_by(paper_versions.c.paper_id, paper_versions.c.version)
        ):
            found[row.paper_id].versions.append(Version(row.version, aware(row.submitted_at)))
        for row in conn.execute(
            select(paper_links.c.paper_id, paper_links.c.url)
            .where(paper_links.c.paper_id.in_(present))
            .order_by(paper_links.c.paper_id, paper_links.c.position)
        ):
            found[row.paper_id].code_links.append(row.url)
    return found


def record_from_row(row: Row[Any]) -> PaperRecord:
    return PaperRecord(
        paper_id=row.id,
        title=row.title,
        abstract=row.abstract,
        version=row.latest_version,
        published=aware(row.published_at),
        updated=aware(row.updated_at),
        doi=row.doi,
        comment=row.comment,
        journal_ref=row.journal_ref,
        source=row.source,
    )
