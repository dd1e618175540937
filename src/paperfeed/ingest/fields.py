"""Turn a loosely-typed mapping (a JSON object, a CSV row) into a :class:`PaperRecord`.

JSON lines and CSV files share one documented field vocabulary (see ``docs/formats.md``), so the
field rules live here once and the two readers only differ in how they split a line into fields.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping
from datetime import datetime
from typing import Any, TextIO

import orjson

from paperfeed.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.records import (
    PaperRecord,
    RecordError,
    RecordInvalid,
    Version,
    finalize,
    parse_datetime,
)

# "A, B and C", "A and B", "A, B, and C": commas and a final "and" separate authors.
_AUTHOR_SEP = re.compile(r"\s*,\s*(?:and\s+)?|\s+and\s+")
_VERSION = re.compile(r"^v?(\d+)$", re.IGNORECASE)

SplitList = Callable[[str], list[str]]


def first_present(obj: Mapping[str, Any], *keys: str) -> Any:
    """The value of the first key that is present and not empty (``None``, ``""``, ``[]``)."""
    for key in keys:
        value = obj.get(key)
        if value not in (None, "", [], {}):
            return value
    return None


def split_authors(value: Any, split_list: SplitList | None = None) -> list[str]:
    """Authors from a list or from ``"A, B and C"`` (or a custom list syntax, e.g. CSV's ``;``)."""
    if value is None:
        return []
    if isinstance(value, list):
        return [str(a) for a in value]
    text = str(value)
    if split_list is not None:
        items = split_list(text)
        if len(items) > 1:
            return items
    return [a for a in _AUTHOR_SEP.split(text) if a.strip()]


def parse_version_number(value: Any) -> int:
    """``2``, ``"2"`` or ``"v2"`` → 2; anything else is :class:`RecordInvalid`."""
    if isinstance(value, int) and not isinstance(value, bool):
        number = value
    else:
        match = _VERSION.match(str(value).strip())
        if match is None:
            raise RecordInvalid(f"bad version {value!r}")
        number = int(match.group(1))
    if number < 1:
        raise RecordInvalid(f"bad version {value!r}: versions start at 1")
    return number


def parse_versions(value: Any) -> list[Version]:
    """``[{"version": "v1", "created": "..."}, ...]`` or a list of dates (v1, v2, … in order)."""
    if value is None:
        return []
    if not isinstance(value, list):
        raise RecordInvalid(f"versions must be a list, got {type(value).__name__}")
    versions = []
    for index, item in enumerate(value, start=1):
        if isinstance(item, Mapping):
            number = parse_version_number(item.get("version", index))
            created = item.get("created") or item.get("submitted") or item.get("date")
            versions.append(Version(number, parse_datetime(str(created)) if created else None))
        else:
            versions.append(Version(index, parse_datetime(str(item))))
    return versions


def _as_list(value: Any, split_list: SplitList | None) -> list[str] | str | None:
    if value is None or isinstance(value, list):
        return value
    text = str(value)
    if split_list is not None:
        items = split_list(text)
        if len(items) > 1:
            return items
    return text


def _date(value: Any) -> datetime | None:
    return parse_datetime(str(value)) if value is not None else None


def record_from_mapping(
    obj: Mapping[str, Any], *, source: str, split_list: SplitList | None = None
) -> PaperRecord:
    """Build and :func:`finalize` a record from the documented field names.

    Raises :class:`RecordInvalid`, :class:`InvalidArxivId` or ``ValueError``; the readers turn
    those into a :class:`RecordError` naming the line.
    """
    if not isinstance(obj, Mapping):
        raise RecordInvalid(f"expected an object, got {type(obj).__name__}")
    paper_id = ""
    version: int | None = None
    raw_id = first_present(obj, "id", "arxiv_id")
    if raw_id is not None:
        arxiv_id = parse_arxiv_id(str(raw_id))
        paper_id, version = arxiv_id.base, arxiv_id.version
    explicit_version = first_present(obj, "version")
    if explicit_version is not None:
        version = parse_version_number(explicit_version)

    raw_versions = first_present(obj, "versions")
    if isinstance(raw_versions, str):
        raw_versions = (
            orjson.loads(raw_versions)
            if raw_versions.lstrip().startswith("[")
            else (split_list(raw_versions) if split_list else raw_versions.split())
        )
    versions = parse_versions(raw_versions)
    published = _date(first_present(obj, "published", "published_date"))
    updated = _date(first_present(obj, "updated", "updated_date"))
    if not versions and published is not None and (version is None or version >= 1):
        # ``published`` is the first version's date by definition (arXiv's own meaning).
        versions = [Version(1, published)]
    if version is not None and version not in {v.number for v in versions} and updated is not None:
        versions.append(Version(version, updated))

    categories = _as_list(first_present(obj, "categories"), split_list)
    category_list: list[str] = (
        [] if categories is None else categories.split() if isinstance(categories, str) else categories
    )
    primary = first_present(obj, "primary_category")
    if primary:
        category_list = [str(primary), *category_list]

    code_links = _as_list(first_present(obj, "code_links"), split_list)
    record = PaperRecord(
        paper_id=paper_id,
        title=str(obj.get("title") or ""),
        abstract=str(first_present(obj, "abstract", "summary") or ""),
        authors=split_authors(first_present(obj, "authors"), split_list),
        categories=category_list,
        version=version,
        versions=versions,
        published=published,
        updated=updated,
        doi=_str_or_none(first_present(obj, "doi")),
        comment=_str_or_none(first_present(obj, "comment", "comments")),
        journal_ref=_str_or_none(first_present(obj, "journal_ref", "journal-ref")),
        code_links=(
            [] if code_links is None else code_links.split() if isinstance(code_links, str) else code_links
        ),
        source=source,
    )
    return finalize(record)


def _str_or_none(value: Any) -> str | None:
    return None if value is None else str(value)


RECORD_FAILURES: tuple[type[Exception], ...] = (
    RecordInvalid,
    InvalidArxivId,
    KeyError,
    ValueError,
    TypeError,
)
"""What a malformed record can raise while being parsed; anything else is a bug and propagates."""


def error_for(where: str, exc: Exception) -> RecordError:
    """A :class:`RecordError` whose reason reads well in a CLI summary."""
    if isinstance(exc, KeyError):
        return RecordError(where, f"missing field {exc.args[0]!r}")
    return RecordError(where, str(exc) or type(exc).__name__)


MAX_RECORD_CHARS = 8 * 1024 * 1024
"""The longest line (one record) a line-based reader takes: far above any real paper (a record of a
3,000-author collaboration is ~200 KB), and what bounds a reader's memory whatever the file holds."""


def too_long(number: int) -> RecordError:
    return RecordError(
        f"line {number}",
        f"the line is longer than {MAX_RECORD_CHARS // (1024 * 1024)} MB ({MAX_RECORD_CHARS:,} characters), "
        "too long for one paper: skipped (is the file really one record per line?)",
    )


def bounded_lines(fh: TextIO, limit: int = MAX_RECORD_CHARS) -> Iterator[tuple[int, str | None]]:
    """``(line number, line)`` pairs, 1-based; ``None`` for a line longer than ``limit`` characters.

    A long line is read and dropped ``limit`` characters at a time, never held whole: a 2 GB file
    with no newline costs ``limit`` characters of memory, not gigabytes.
    """
    readline = fh.readline
    number = 0
    while True:
        line = readline(limit)
        if not line:
            return
        number += 1
        if len(line) >= limit and line[-1] not in "\r\n":
            while True:
                rest = readline(limit)
                if not rest or rest[-1] in "\r\n":
                    break
            yield number, None
            continue
        yield number, line


def iter_numbered(fh: TextIO) -> Iterator[tuple[int, str | None]]:
    """:func:`bounded_lines` without the blank lines."""
    for number, line in bounded_lines(fh):
        if line is None or line.strip():
            yield number, line
