"""The Kaggle bulk dump ``arxiv-metadata-oai-snapshot.json`` (JSON lines, ~2.7M records, 4+ GB).

Per line: ``id`` (unversioned base id), ``authors`` (a LaTeX-escaped string, ignored in favour of
``authors_parsed`` = ``[[keyname, forenames, suffix], ...]`` which is already Unicode),
``title``, ``abstract``, ``categories`` (space-separated, primary first), ``comments``,
``journal-ref``, ``doi``, ``versions`` = ``[{"version": "v1", "created": "Mon, 2 Apr 2007 19:18:42
GMT"}, ...]`` (the full history) and ``update_date`` (when the *metadata* last changed, not a
version date, so it is not used).

The title and abstract are those of the latest version, so ``version`` is the last entry of
``versions``. The whole import has to run at 20k records/s on two cores, so this reader avoids
the generic field mapping: it uses orjson, a precompiled RFC 2822 pattern for the version dates and a
fast path for the plain base ids the dump uses.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any, TextIO

import orjson

from paperfeed.ids import parse_arxiv_id
from paperfeed.ingest.fields import RECORD_FAILURES, bounded_lines, error_for, too_long
from paperfeed.records import PaperRecord, RecordError, RecordInvalid, SourceItem, Version, finalize
from paperfeed.records import parse_datetime as _slow_parse_datetime

SOURCE = "kaggle"
_RFC2822 = re.compile(r"\w{3}, (\d{1,2}) (\w{3}) (\d{4}) (\d{2}):(\d{2}):(\d{2}) GMT")
_MONTHS = {
    m: i
    for i, m in enumerate(
        ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"], 1
    )
}
_PLAIN_NEW_ID = re.compile(r"\d{4}\.\d{4,5}")


def _created(text: str) -> datetime | None:
    """``Mon, 2 Apr 2007 19:18:42 GMT`` → aware UTC datetime, ~10x faster than ``email.utils``."""
    match = _RFC2822.fullmatch(text)
    if match is None or match.group(2) not in _MONTHS:
        return _slow_parse_datetime(text)
    day, month, year, hour, minute, second = match.groups()
    return datetime(int(year), _MONTHS[month], int(day), int(hour), int(minute), int(second), tzinfo=UTC)


def _author(parts: list[str]) -> str:
    """``[keyname, forenames, suffix]`` → ``"Forenames Keyname Suffix"``."""
    if len(parts) == 3 and not parts[2] and parts[1]:
        return f"{parts[1]} {parts[0]}"  # the common case, kept cheap
    return " ".join(p for p in (*parts[1:2], *parts[:1], *parts[2:3]) if p)


def kaggle_record(obj: dict[str, Any]) -> PaperRecord:
    """One snapshot object → a finalized record (raises on a malformed object)."""
    raw_id = obj["id"]
    if _PLAIN_NEW_ID.fullmatch(raw_id):
        paper_id, id_version = raw_id, None
    else:
        parsed = parse_arxiv_id(raw_id)
        paper_id, id_version = parsed.base, parsed.version
    versions = []
    for item in obj.get("versions") or ():
        label = item["version"]
        if label[:1] not in "vV" or not label[1:].isdigit():
            raise RecordInvalid(f"bad version {label!r}")
        versions.append(Version(int(label[1:]), _created(item["created"]) if item.get("created") else None))
    parsed_authors = obj.get("authors_parsed")
    if parsed_authors:
        authors = [_author(parts) for parts in parsed_authors]
    else:
        authors = [a for a in re.split(r",\s*|\s+and\s+", obj.get("authors") or "") if a.strip()]
    record = PaperRecord(
        paper_id=paper_id,
        title=obj.get("title") or "",
        abstract=obj.get("abstract") or "",
        authors=authors,
        categories=(obj.get("categories") or "").split(),
        version=id_version if id_version is not None else (versions[-1].number if versions else None),
        versions=versions,
        doi=obj.get("doi"),
        comment=obj.get("comments"),
        journal_ref=obj.get("journal-ref"),
        source=SOURCE,
    )
    return finalize(record)


def read_kaggle(fh: TextIO) -> Iterator[SourceItem]:
    """Yield one record (or error) per line of the snapshot, lazily."""
    loads = orjson.loads
    for number, line in bounded_lines(fh):
        if line is None:
            yield too_long(number)
            continue
        try:
            obj = loads(line)
        except orjson.JSONDecodeError as exc:
            if not line.strip():
                continue
            yield RecordError(f"line {number}", f"invalid JSON: {exc}")
            continue
        try:
            yield kaggle_record(obj)
        except RECORD_FAILURES as exc:
            where = obj.get("id") if isinstance(obj, dict) else None
            yield error_for(f"id {where}" if isinstance(where, str) else f"line {number}", exc)
        except AttributeError:
            yield RecordError(f"line {number}", "not a snapshot record (wrong field types)")
