"""Libraries as BibTeX: read a reference manager's export, write one that reads back the same.

Reading reuses the project's BibTeX reader (:func:`paperfeed.ingest.bibtex.entry_record`: arXiv id
from ``eprint``, an arxiv.org ``url`` or an ``arXiv:`` journal or note; LaTeX decoded in titles and
names) and adds what a library carries: ``keywords`` (tags, comma-separated as Zotero, JabRef and
Better BibTeX write them), ``annote`` (the note) and JabRef's ``readstatus``. Two quirks of real
files are read instead of rejected: an entry whose key repeats an earlier one (files merged by
hand) is still an entry, and a field given twice keeps its first value.

Writing reuses arXiv's entry shape (:func:`paperfeed.formats.bibtex.bibtex_entry`) plus the
abstract, tags, note and read mark; repeated keys get ``a``, ``b``, … suffixes.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime

import bibtexparser
from bibtexparser.library import Library
from bibtexparser.middlewares import RemoveEnclosingMiddleware
from bibtexparser.model import Block, DuplicateBlockKeyBlock, Entry

from paperfeed.formats import bibtex_text as latex
from paperfeed.formats.bibtex import bibtex_entry, citation_key, escape_text, safe_key, unique_keys
from paperfeed.ids import is_title_id, title_id
from paperfeed.ingest.bibtex import entry_record
from paperfeed.ingest.fields import RECORD_FAILURES, error_for
from paperfeed.library.references import (
    ReadProblem,
    Reference,
    arxiv_id_in,
    clean_doi,
    published_date,
    split_tags,
    user_note,
)
from paperfeed.records import PaperRecord

__all__ = ["read_bibtex", "record_for", "reference_of", "unique_keys", "write_bibtex"]

READ_STATUSES = ("read", "skimmed")
"""JabRef's ``readstatus`` values that mean the paper was read."""


_DATE = re.compile(r"^\s*(?P<y>\d{4})(?:-(?P<m>\d{1,2})(?:-(?P<d>\d{1,2}))?)?")


def _entry_of(block: Block, library: Library) -> Entry | None:
    if isinstance(block, Entry):
        return block
    inner = getattr(block, "ignore_error_block", None)  # duplicate key or duplicate field
    if not isinstance(inner, Entry):
        return None
    # The parser skips its clean-up for blocks it rejected: remove the values' braces here.
    return RemoveEnclosingMiddleware().transform_entry(inner, library)


def _biblatex_date(value: str | None) -> datetime | None:
    """biblatex's ``date = {2026-02-20}`` (used instead of year and month)."""
    match = _DATE.match(value or "")
    if match is None:
        return None
    month, day = int(match["m"] or 1), int(match["d"] or 1)
    try:
        return datetime(int(match["y"]), month, day, tzinfo=UTC)
    except ValueError:
        return datetime(int(match["y"]), 1, 1, tzinfo=UTC)


def reference_of(entry: Entry, where: str, *, abstract: bool = True) -> Reference:
    """One parsed entry as a reference (raises what :func:`entry_record` raises on a missing title).

    ``abstract=False`` leaves the abstract out: decoding LaTeX in long abstracts is most of the
    reading time, and matching an import to the store never needs it."""
    if not abstract:
        kept = [f for f in entry.fields if f.key.lower() != "abstract"]
        entry = Entry(entry.entry_type, entry.key, kept, entry.start_line, entry.raw)
    record = entry_record(entry)
    fields = {key.lower(): str(f.value) for key, f in entry.fields_dict.items()}
    arxiv_id = None if is_title_id(record.paper_id) else record.paper_id
    doi = clean_doi(fields.get("doi"))
    published = record.published or _biblatex_date(fields.get("date"))
    has_month = bool(fields.get("month") or (fields.get("date") and len(fields["date"].strip()) >= 7))
    read_status = fields.get("readstatus", "").strip().lower()
    return Reference(
        title=record.title,
        authors=list(record.authors),
        year=published.year if published else None,
        month=published.month if published and has_month else None,
        arxiv_id=arxiv_id or arxiv_id_in(doi, fields.get("number"), fields.get("archiveprefix")),
        doi=doi,
        abstract=record.abstract,
        url=fields.get("url") or None,
        journal=record.journal_ref,
        categories=list(record.categories),
        tags=split_tags(latex.unescape(fields.get("keywords", ""))),
        note=user_note(latex.unescape(fields["annote"])) if fields.get("annote") else None,
        read=read_status in READ_STATUSES,
        key=entry.key,
        where=where,
    )


def read_bibtex(text: str, *, abstracts: bool = True) -> tuple[list[Reference], list[ReadProblem]]:
    """Every entry of a BibTeX file, in file order, and the blocks that could not be read
    (``abstracts=False``: without abstracts, several times faster)."""
    library = bibtexparser.parse_string(text)
    blocks = sorted([*library.entries, *library.failed_blocks], key=lambda b: b.start_line or 0)
    references: list[Reference] = []
    problems: list[ReadProblem] = []
    for block in blocks:
        line = (block.start_line or 0) + 1
        entry = _entry_of(block, library)
        if entry is None:
            error = getattr(block, "error", None)
            detail = " ".join(str(getattr(error, "abort_reason", None) or error or "").split())
            problems.append(ReadProblem(f"line {line}", f"unreadable BibTeX: {detail or 'syntax error'}"))
            continue
        where = f"line {line} ({entry.key})"
        if isinstance(block, DuplicateBlockKeyBlock):
            where += ", a repeated key"
        try:
            references.append(reference_of(entry, where, abstract=abstracts))
        except RECORD_FAILURES as exc:
            problem = error_for(where, exc)
            problems.append(ReadProblem(problem.where, problem.reason))
    return references, problems


def record_for(ref: Reference) -> PaperRecord:
    """The paper a reference describes, in the form the BibTeX writer takes."""
    return PaperRecord(
        paper_id=ref.arxiv_id or title_id(ref.title),
        title=ref.title,
        abstract=ref.abstract,
        authors=list(ref.authors),
        categories=list(ref.categories),
        published=published_date(ref),
        doi=ref.doi,
        journal_ref=ref.journal,
    )


def write_bibtex(references: Sequence[Reference]) -> str:
    """A BibTeX file of ``references`` that :func:`read_bibtex` reads back to the same papers,
    tags, notes and read marks."""
    records = [record_for(ref) for ref in references]
    keys = unique_keys(
        [
            safe_key(ref.key or "") or citation_key(record)
            for ref, record in zip(references, records, strict=True)
        ]
    )
    entries = []
    for ref, record, key in zip(references, records, keys, strict=True):
        extra: list[tuple[str, str]] = []
        if ref.abstract:
            extra.append(("abstract", escape_text(ref.abstract)))
        if ref.tags:
            extra.append(("keywords", latex.escape(", ".join(ref.tags))))
        if ref.note:
            extra.append(("annote", latex.escape(ref.note)))
        if ref.read:
            extra.append(("readstatus", "read"))
        entries.append(bibtex_entry(record, key=key, extra=extra))
    return "\n".join(entries)
