"""How two descriptions of one paper combine: pure functions, no I/O.

The rules, which make every import idempotent and order-independent for versions:

* The version history is the union of both histories; a known date beats an unknown one.
* The text (title, abstract, authors, categories, comment, journal ref) comes from the newer
  version (see :func:`incoming_is_newer`). An unversioned, undated record (saved HF page, BibTeX)
  counts as older than any versioned one, so it never overwrites arXiv's text; it only fills fields
  that are still empty.
* With equal versions the incoming record wins field by field where it has a value, so a
  correction from the same version is taken and re-importing the same record changes nothing.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime

import orjson

from paperfeed.records import PaperRecord, Version


def content_hash(record: PaperRecord) -> str:
    """A fingerprint of everything the store keeps about a paper (not where it came from)."""
    canonical = [
        record.title,
        record.abstract,
        record.authors,
        record.categories,
        record.version,
        [(v.number, _iso(v.submitted)) for v in record.versions],
        _iso(record.published),
        _iso(record.updated),
        record.doi,
        record.comment,
        record.journal_ref,
        record.code_links,
    ]
    return hashlib.sha1(orjson.dumps(canonical)).hexdigest()


def _iso(value: datetime | None) -> int | None:
    """Whole seconds since the epoch: cheaper than text, and what every source's precision allows."""
    return None if value is None else int(value.timestamp())


def merge_versions(first: list[Version], second: list[Version]) -> list[Version]:
    """Union of two version histories by number; a known submission date wins over ``None``."""
    merged: dict[int, Version] = {v.number: v for v in first}
    for version in second:
        known = merged.get(version.number)
        if known is None or (known.submitted is None and version.submitted is not None):
            merged[version.number] = version
    return [merged[n] for n in sorted(merged)]


def incoming_is_newer(existing: PaperRecord, incoming: PaperRecord) -> bool:
    """Whether ``incoming`` describes the same or a later version than ``existing``.

    Version numbers decide when both have one. Otherwise the update dates decide (OAI-PMH gives a
    date but no version number), compared by day because some sources only give the day; on the
    same day, or without dates, a versioned record beats an unversioned one.
    """
    if incoming.version is not None and existing.version is not None:
        return incoming.version >= existing.version
    if (
        incoming.updated is not None
        and existing.updated is not None
        and incoming.updated.date() != existing.updated.date()
    ):
        return incoming.updated > existing.updated
    if incoming.version is None and existing.version is None:
        # Two undated copies (the same paper on two saved pages): pick by content, not by arrival
        # order, so importing the pages in any order, any number of times, ends in the same state.
        return (len(incoming.abstract), incoming.abstract) >= (len(existing.abstract), existing.abstract)
    return incoming.version is not None


def merge_records(existing: PaperRecord, incoming: PaperRecord) -> PaperRecord:
    """The stored record after ``incoming`` arrives for a paper already stored as ``existing``."""
    if incoming_is_newer(existing, incoming):
        newer, older = incoming, existing
    else:
        newer, older = existing, incoming
    merged = replace(
        newer,
        paper_id=existing.paper_id,
        title=newer.title or older.title,
        abstract=newer.abstract or older.abstract,
        authors=list(newer.authors or older.authors),
        categories=list(newer.categories or older.categories),
        doi=newer.doi or older.doi,
        comment=newer.comment or older.comment,
        journal_ref=newer.journal_ref or older.journal_ref,
        code_links=list(dict.fromkeys([*newer.code_links, *older.code_links])),
        versions=merge_versions(existing.versions, incoming.versions),
        source=newer.source or older.source,
    )
    # Dates: v1's date is the publication date; the text's version date is the update date.
    by_number = {v.number: v.submitted for v in merged.versions}
    published_candidates = [d for d in (by_number.get(1), existing.published, incoming.published) if d]
    merged.published = by_number.get(1) or (min(published_candidates) if published_candidates else None)
    if merged.version is not None and by_number.get(merged.version) is not None:
        merged.updated = by_number[merged.version]
    else:
        merged.updated = newer.updated or older.updated or merged.published
    return merged
