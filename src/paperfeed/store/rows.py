"""A paper as the store's rows, ready for ``executemany``: the form records travel in on big imports.

Turning a record into rows (content hash, title key, the lists as JSON, the look-up keys, dates in
the driver's form) costs about as much Python time as SQLite spends storing them.
The parallel file reader therefore does it in the parsing process, and the writing process hands
the tuples straight to the driver. :func:`from_rows` turns rows back into a record for the rarer
paths that merge with what is stored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from hashlib import blake2b
from typing import Any, NamedTuple

import orjson

from paperfeed.ids import is_title_id, normalize_title
from paperfeed.records import PaperRecord, Version
from paperfeed.store.merge import content_hash


class PaperRows(NamedTuple):
    """One paper's rows, without the store-assigned columns (change_seq, first_seen_at).

    ``paper`` holds the ``papers`` columns from ``id_kind`` to ``links`` in table order (the lists as
    JSON text); ``author_keys``, ``categories`` and ``published_ts`` are what the look-up tables need.
    """

    paper_id: str
    digest: str
    title_key: str
    paper: tuple[Any, ...]
    author_keys: list[int]
    categories: list[str]
    published_ts: int


def key_hash(text: str) -> int:
    """A stable signed 64-bit hash of ``text`` (author names, title keys): what the integer indexes hold."""
    return int.from_bytes(blake2b(text.encode("utf-8"), digest_size=8).digest(), "big", signed=True)


def epoch_seconds(value: datetime | None) -> int:
    """Whole seconds since the epoch of an aware or naive-UTC datetime; 0 for unknown."""
    if value is None:
        return 0
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    return int(value.timestamp())


def naive_utc(value: datetime | None) -> datetime | None:
    """Datetimes are stored as naive UTC (SQLite has no time zones); aware ones are converted."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None) if value.tzinfo else value


def sqlite_datetime(value: datetime | None) -> str | None:
    """A datetime as SQLAlchemy's SQLite dialect stores it, so raw and Core writes compare equal."""
    if value is None:
        return None
    if value.tzinfo is UTC:  # what every source produces: skip the conversion (hot on big imports)
        return value.isoformat(sep=" ", timespec="microseconds")[:26]
    naive = naive_utc(value)
    return None if naive is None else naive.isoformat(sep=" ", timespec="microseconds")


def _from_db_datetime(value: Any) -> datetime | None:
    if value is None:
        return None
    parsed = datetime.fromisoformat(value) if isinstance(value, str) else value
    return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)


def _dumps(value: Any) -> str:
    return orjson.dumps(value).decode()


def to_rows(record: PaperRecord, *, sqlite_dates: bool, digest: str | None = None) -> PaperRows:
    """The rows of ``record``; ``sqlite_dates`` writes dates as SQLite strings, else naive datetimes."""
    as_db = sqlite_datetime if sqlite_dates else naive_utc
    pid = record.paper_id
    title_key = normalize_title(record.title)
    versions = [[v.number, _utc(v.submitted)] for v in record.versions]
    return PaperRows(
        paper_id=pid,
        digest=digest or content_hash(record),
        title_key=title_key,
        paper=(
            "title" if is_title_id(pid) else "arxiv",
            record.title,
            title_key,
            key_hash(title_key),
            record.abstract,
            record.primary_category,
            record.version,
            as_db(record.published),
            as_db(record.updated),
            record.doi,
            record.comment,
            record.journal_ref,
            record.source,
            _dumps(record.authors),
            _dumps(record.categories),
            _dumps(versions),
            _dumps(record.code_links),
        ),
        author_keys=sorted({key_hash(name) for name in record.authors}),
        categories=sorted(set(record.categories)),
        published_ts=epoch_seconds(record.published),
    )


def _utc(value: datetime | None) -> datetime | None:
    """A version's date for the JSON column, aware UTC (orjson writes it as RFC 3339; read back by
    :func:`parse_versions`)."""
    if value is None or value.tzinfo is UTC:
        return value
    return value.astimezone(UTC) if value.tzinfo else value.replace(tzinfo=UTC)


def parse_versions(text: str) -> list[Version]:
    """The ``versions`` JSON column as :class:`Version` objects."""
    return [
        Version(number, datetime.fromisoformat(when) if when else None) for number, when in orjson.loads(text)
    ]


def from_rows(rows: PaperRows) -> PaperRecord:
    """The record that :func:`to_rows` was given (dates come back as aware UTC)."""
    (
        _kind,
        title,
        _key,
        _hash,
        abstract,
        _primary,
        version,
        published,
        updated,
        doi,
        comment,
        journal_ref,
        source,
        authors,
        categories,
        versions,
        links,
    ) = rows.paper
    return PaperRecord(
        paper_id=rows.paper_id,
        title=title,
        abstract=abstract,
        authors=orjson.loads(authors),
        categories=orjson.loads(categories),
        version=version,
        versions=parse_versions(versions),
        published=_from_db_datetime(published),
        updated=_from_db_datetime(updated),
        doi=doi,
        comment=comment,
        journal_ref=journal_ref,
        code_links=orjson.loads(links),
        source=source,
    )
