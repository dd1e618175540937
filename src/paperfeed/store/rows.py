"""A paper as the store's rows, ready for ``executemany``: the form records travel in on big imports.

Turning a record into rows (content hash, title key, one tuple per author, category, version and
link, dates in the driver's form) costs about as much Python time as SQLite spends storing them.
The parallel file reader therefore does it in the parsing process, and the writing process hands
the tuples straight to the driver. :func:`from_rows` turns rows back into a record for the rarer
paths that merge with what is stored.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, NamedTuple

from paperfeed.ids import is_title_id, normalize_title
from paperfeed.records import PaperRecord, Version
from paperfeed.store.merge import content_hash


class PaperRows(NamedTuple):
    """One paper's rows, without the store-assigned columns (change_seq, first_seen_at).

    ``paper`` holds the ``papers`` columns from ``id_kind`` to ``source`` in table order.
    """

    paper_id: str
    digest: str
    title_key: str
    paper: tuple[Any, ...]
    authors: list[tuple[str, int, str]]
    categories: list[tuple[str, int, str]]
    versions: list[tuple[str, int, Any]]
    links: list[tuple[str, int, str]]


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


def to_rows(record: PaperRecord, *, sqlite_dates: bool, digest: str | None = None) -> PaperRows:
    """The rows of ``record``; ``sqlite_dates`` writes dates as SQLite strings, else naive datetimes."""
    as_db = sqlite_datetime if sqlite_dates else naive_utc
    pid = record.paper_id
    title_key = normalize_title(record.title)
    return PaperRows(
        paper_id=pid,
        digest=digest or content_hash(record),
        title_key=title_key,
        paper=(
            "title" if is_title_id(pid) else "arxiv",
            record.title,
            title_key,
            record.abstract,
            record.primary_category,
            record.version,
            as_db(record.published),
            as_db(record.updated),
            record.doi,
            record.comment,
            record.journal_ref,
            record.source,
        ),
        authors=[(pid, i, name) for i, name in enumerate(record.authors)],
        categories=[(pid, i, category) for i, category in enumerate(record.categories)],
        versions=[(pid, v.number, as_db(v.submitted)) for v in record.versions],
        links=[(pid, i, url) for i, url in enumerate(record.code_links)],
    )


def from_rows(rows: PaperRows) -> PaperRecord:
    """The record that :func:`to_rows` was given (dates come back as aware UTC)."""
    (
        _kind,
        title,
        _key,
        abstract,
        _primary,
        version,
        published,
        updated,
        doi,
        comment,
        journal_ref,
        source,
    ) = rows.paper
    return PaperRecord(
        paper_id=rows.paper_id,
        title=title,
        abstract=abstract,
        authors=[name for _, _, name in rows.authors],
        categories=[category for _, _, category in rows.categories],
        version=version,
        versions=[Version(number, _from_db_datetime(when)) for _, number, when in rows.versions],
        published=_from_db_datetime(published),
        updated=_from_db_datetime(updated),
        doi=doi,
        comment=comment,
        journal_ref=journal_ref,
        code_links=[url for _, _, url in rows.links],
        source=source,
    )
