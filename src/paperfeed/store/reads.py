"""Reading papers: whole records in one query per batch of ids (the lists are JSON in the row)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import orjson
from sqlalchemy import Connection, Row, select

from paperfeed.records import PaperRecord
from paperfeed.store.rows import parse_versions
from paperfeed.store.schema import papers

_CHUNK = 500


def aware(value: datetime | str | None) -> datetime | None:
    """Stored datetimes are naive UTC; records carry aware ones."""
    if value is None:
        return None
    if isinstance(value, str):  # a raw SQLite read
        value = datetime.fromisoformat(value)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _chunks(items: list[str]) -> list[list[str]]:
    return [items[i : i + _CHUNK] for i in range(0, len(items), _CHUNK)]


def load_papers(conn: Connection, ids: Sequence[str]) -> dict[str, PaperRecord]:
    """Full records for ``ids`` (those that exist)."""
    found: dict[str, PaperRecord] = {}
    for chunk in _chunks(list(ids)):
        for row in conn.execute(select(papers).where(papers.c.id.in_(chunk))):
            found[row.id] = record_from_row(row)
    return found


def record_from_row(row: Row[Any]) -> PaperRecord:
    """A record from a full ``papers`` row."""
    return PaperRecord(
        paper_id=row.id,
        title=row.title,
        abstract=row.abstract,
        authors=orjson.loads(row.authors),
        categories=orjson.loads(row.categories),
        version=row.latest_version,
        versions=parse_versions(row.versions),
        published=aware(row.published_at),
        updated=aware(row.updated_at),
        doi=row.doi,
        comment=row.comment,
        journal_ref=row.journal_ref,
        code_links=orjson.loads(row.links),
        source=row.source,
    )
