"""The Kaggle snapshot straight from line bytes to the store's SQLite rows, in one pass.

The generic path turns a line into a ``PaperRecord`` (:func:`paperfeed.ingest.kaggle.kaggle_record`),
finalizes it, then turns the record into rows (:func:`paperfeed.store.rows.to_rows`): three passes
over every field, each with its own objects. On a bulk import that was most of the parsing
process's time, and the parsing process is one of the two halves of the import. This module does
the common case — a plain new-style id, versions ``v1…vN`` in order with RFC 2822 dates, parsed
authors, no URL in the abstract or comment, text within the size limits — in one pass from the
bytes ``orjson`` reads, and hands anything else to the generic path, so the two give byte-identical
rows (``tests/test_ingest_kaggle_rows.py`` checks that on odd records as well as common ones).
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from datetime import UTC, datetime
from hashlib import blake2b
from typing import IO, Any

import orjson

from paperfeed.ids import normalize_title
from paperfeed.ingest.fields import MAX_RECORD_CHARS, RECORD_FAILURES, error_for, too_long
from paperfeed.ingest.kaggle import _MONTHS, _PLAIN_NEW_ID, _RFC2822, kaggle_record
from paperfeed.records import (
    MAX_ABSTRACT_CHARS,
    MAX_AUTHOR_CHARS,
    MAX_AUTHORS,
    MAX_COMMENT_CHARS,
    MAX_TITLE_CHARS,
    RecordError,
)
from paperfeed.store.rows import PaperRows, key_hash, to_rows

SOURCE = "kaggle"
_BOM = b"\xef\xbb\xbf"


def _clean(text: Any) -> str | None:
    """:func:`paperfeed.records.clean_text` but for its last case: ``None`` when the generic path must
    decide (control or bidi characters to drop, a non-string)."""
    if text is None:
        return ""
    if type(text) is not str:
        return None
    unwrapped = text.strip().replace("\n", " ")
    if "  " not in unwrapped and unwrapped.isprintable():
        return unwrapped
    joined = " ".join(unwrapped.split())  # hard wraps with indentation: most real titles
    return joined if joined.isprintable() else None


def _created(text: Any) -> datetime | None:
    if type(text) is not str:
        return None
    match = _RFC2822.fullmatch(text)
    if match is None:
        return None
    day, month, year, hour, minute, second = match.groups()
    number = _MONTHS.get(month)
    if number is None:
        return None
    try:
        return datetime(int(year), number, int(day), int(hour), int(minute), int(second), tzinfo=UTC)
    except ValueError:
        return None


def fast_rows(obj: Any) -> PaperRows | None:
    """The SQLite rows of one snapshot object, or ``None`` when it is not the common case."""
    if type(obj) is not dict:
        return None
    paper_id = obj.get("id")
    if type(paper_id) is not str or not _PLAIN_NEW_ID.fullmatch(paper_id):
        return None
    versions: list[tuple[int, datetime]] = []
    for item in obj.get("versions") or ():
        if type(item) is not dict:
            return None
        label = item.get("version")
        if type(label) is not str or label[:1] != "v" or not label[1:].isdigit():
            return None
        number = int(label[1:])
        when = _created(item.get("created"))
        if when is None or (versions and number <= versions[-1][0]):
            return None
        versions.append((number, when))
    if not versions:
        return None
    title = _clean(obj.get("title"))
    abstract = _clean(obj.get("abstract"))
    comment = _clean(obj.get("comments"))
    journal_ref = _clean(obj.get("journal-ref"))
    doi = _clean(obj.get("doi"))
    if not title or abstract is None or comment is None or journal_ref is None or doi is None:
        return None
    if (
        len(title) > MAX_TITLE_CHARS
        or len(abstract) > MAX_ABSTRACT_CHARS
        or len(comment) > MAX_COMMENT_CHARS
        or len(journal_ref) > MAX_COMMENT_CHARS
        or "://" in abstract
        or "://" in comment
    ):
        return None
    parsed = obj.get("authors_parsed")
    if type(parsed) is not list or not parsed or len(parsed) > MAX_AUTHORS:
        return None
    for parts in parsed:
        if (
            type(parts) is not list
            or len(parts) != 3
            or parts[2]
            or type(parts[1]) is not str
            or not parts[1]
        ):
            return None
    authors = [f"{parts[1]} {parts[0]}" for parts in parsed]
    # Every name as clean_text leaves it (one check over all of them): no newline, no edge or
    # double spaces, printable, not too long; else the generic path cleans them.
    joined = "\n".join(authors)
    if (
        joined.count("\n") != len(authors) - 1
        or "  " in joined
        or "\n " in joined
        or " \n" in joined
        or joined[:1] == " "
        or joined[-1:] == " "
        or not joined.replace("\n", " ").isprintable()
    ):
        cleaned = [_clean(name) for name in authors]
        if not all(cleaned):
            return None
        authors = [name for name in cleaned if name]
    if max(map(len, authors)) > MAX_AUTHOR_CHARS:
        return None
    raw_categories = obj.get("categories")
    if type(raw_categories) is not str:
        return None
    categories = list(dict.fromkeys(raw_categories.split()))
    if not "".join(categories).isprintable():
        return None
    version = versions[-1][0]
    published = versions[0][1] if versions[0][0] == 1 else None
    updated = versions[-1][1]
    if published is None and version == 1:
        published = updated
    published_ts = int(published.timestamp()) if published is not None else None
    updated_ts = int(updated.timestamp())
    doi_value = doi or None
    comment_value = comment or None
    journal_value = journal_ref or None
    digest = hashlib.sha1(
        orjson.dumps(
            [
                title,
                abstract,
                authors,
                categories,
                version,
                [(number, int(when.timestamp())) for number, when in versions],
                published_ts,
                updated_ts,
                doi_value,
                comment_value,
                journal_value,
                [],
            ]
        )
    ).hexdigest()
    title_key = normalize_title(title)
    return PaperRows(
        paper_id=paper_id,
        digest=digest,
        title_key=title_key,
        paper=(
            "arxiv",
            title,
            title_key,
            key_hash(title_key),
            abstract,
            categories[0] if categories else None,
            version,
            _sqlite(published),
            _sqlite(updated),
            doi_value,
            comment_value,
            journal_value,
            SOURCE,
            orjson.dumps(authors).decode(),
            orjson.dumps(categories).decode(),
            orjson.dumps([[number, when] for number, when in versions]).decode(),
            "[]",
        ),
        author_keys=sorted(
            {int.from_bytes(blake2b(n.encode(), digest_size=8).digest(), "big", signed=True) for n in authors}
        ),  # key_hash inlined: the call cost as much as the hash
        categories=sorted(set(categories)),
        published_ts=published_ts or 0,
    )


def _sqlite(value: datetime | None) -> str | None:
    """:func:`paperfeed.store.rows.sqlite_datetime` of an aware UTC datetime."""
    return None if value is None else value.isoformat(sep=" ", timespec="microseconds")[:26]


def _slow(line: bytes, number: int) -> PaperRows | RecordError | None:
    """The generic path for one line, exactly as :func:`paperfeed.ingest.kaggle.read_kaggle` reads
    text: undecodable bytes become U+FFFD first."""
    text = line.decode("utf-8", "replace")
    try:
        obj = orjson.loads(text)
    except orjson.JSONDecodeError as exc:
        if not text.strip():
            return None
        return RecordError(f"line {number}", f"invalid JSON: {exc}")
    try:
        return to_rows(kaggle_record(obj), sqlite_dates=True)
    except RECORD_FAILURES as exc:
        where = obj.get("id") if isinstance(obj, dict) else None
        return error_for(f"id {where}" if isinstance(where, str) else f"line {number}", exc)
    except AttributeError:
        return RecordError(f"line {number}", "not a snapshot record (wrong field types)")


def read_kaggle_rows(raw: IO[bytes]) -> Iterator[PaperRows | RecordError]:
    """SQLite rows (or errors) for each line of a snapshot opened in binary mode, lazily.

    The same records, errors and line numbers as ``read_kaggle`` followed by ``to_rows``; lines are
    read at most :data:`MAX_RECORD_CHARS` bytes at a time, so a file without newlines costs no more
    memory than in the text reader.
    """
    loads = orjson.loads
    readline = raw.readline
    number = 0
    while True:
        line = readline(MAX_RECORD_CHARS)
        if not line:
            return
        number += 1
        if number == 1 and line.startswith(_BOM):
            line = line[len(_BOM) :]
        if len(line) >= MAX_RECORD_CHARS and line[-1:] not in (b"\n", b"\r"):
            while True:
                rest = readline(MAX_RECORD_CHARS)
                if not rest or rest[-1:] in (b"\n", b"\r"):
                    break
            yield too_long(number)
            continue
        try:
            rows = fast_rows(loads(line))
        except orjson.JSONDecodeError:
            rows = None
        item = rows if rows is not None else _slow(line, number)
        if item is not None:
            yield item
