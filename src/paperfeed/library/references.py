"""A bibliographic reference as every library format carries it, independent of the format.

The three readers (BibTeX, CSL JSON, RIS) produce :class:`Reference` objects and report what they
cannot read as :class:`ReadProblem` (where + why), so one bad entry never stops an import; the three
writers take references built from stored papers and the member's annotations
(:func:`reference_for`). Identity clues are normalised here once: an arXiv id hidden in a URL, in
arXiv's own DOI (``10.48550/arXiv.2602.18409``) or in a Zotero "Extra" line (``arXiv:2602.18409
[cs]``) becomes ``arxiv_id``; DOIs lose their ``https://doi.org/`` prefix.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from paperfeed.ids import InvalidArxivId, find_arxiv_id, is_title_id, parse_arxiv_id
from paperfeed.records import PaperRecord
from paperfeed.store import Annotation

_DOI_PREFIX = re.compile(r"^(?:https?://(?:dx\.)?doi\.org/|doi:\s*)", re.IGNORECASE)
_ARXIV_DOI = re.compile(r"^10\.48550/arxiv\.(?P<id>.+)$", re.IGNORECASE)
_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/(?P<id>[^\s?#]+)", re.IGNORECASE)
_ARXIV_MARK = re.compile(r"\barxiv:\s*(?P<id>[a-z\-.]*/?\d{4}\.?\d{3,5}(?:v\d+)?)", re.IGNORECASE)
_ARXIV_EXTRA_LINE = re.compile(r"^\s*arxiv:\s*\S+(?:\s+\[[^\]]*\])?\s*$", re.IGNORECASE)


@dataclass(slots=True)
class Reference:
    """One entry of a reference file (or one stored paper on its way out)."""

    title: str
    authors: list[str] = field(default_factory=list)
    year: int | None = None
    month: int | None = None
    day: int | None = None
    arxiv_id: str | None = None
    doi: str | None = None
    abstract: str = ""
    url: str | None = None
    journal: str | None = None
    categories: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    note: str | None = None
    read: bool = False
    key: str | None = None
    where: str = ""


@dataclass(frozen=True, slots=True)
class ReadProblem:
    """An entry that could not be read: ``where`` names the line or item, ``reason`` says why."""

    where: str
    reason: str


def clean_doi(value: str | None) -> str | None:
    """A bare DOI (``10.x/y``) from a DOI, a doi.org URL or ``doi:…``; ``None`` when it is not one."""
    if not value:
        return None
    text = _DOI_PREFIX.sub("", value.strip()).strip()
    return text if text.startswith("10.") and "/" in text else None


def arxiv_id_in(*clues: str | None) -> str | None:
    """The first arXiv base id among clues: a bare id, arXiv's DOI, an arxiv.org URL, ``arXiv:…``."""
    for clue in clues:
        if not clue:
            continue
        text = clue.strip()
        doi = clean_doi(text)
        candidates = []
        if doi is not None:
            match = _ARXIV_DOI.match(doi)
            if match is None:
                continue  # another publisher's DOI says nothing about arXiv
            candidates.append(match.group("id"))
        else:
            candidates.append(text)
            candidates += [m.group("id") for m in _ARXIV_URL.finditer(text)]
            candidates += [m.group("id") for m in _ARXIV_MARK.finditer(text)]
        for candidate in candidates:
            try:
                return parse_arxiv_id(candidate.rstrip(".,;")).base
            except InvalidArxivId:
                continue
        if "arxiv" in text.lower():
            found = find_arxiv_id(text)
            if found is not None:
                return found.base
    return None


def user_note(text: str | None) -> str | None:
    """A note without the lines reference managers add on their own (Zotero's ``arXiv:… [cs]``)."""
    if text is None:
        return None
    kept = [line for line in text.replace("\r\n", "\n").split("\n") if not _ARXIV_EXTRA_LINE.match(line)]
    note = "\n".join(kept).strip()
    return note or None


def split_tags(text: str | None) -> list[str]:
    """Tags from a keyword field: separated by commas, semicolons or line breaks; blanks dropped."""
    if not text:
        return []
    return list(dict.fromkeys(t for t in (" ".join(p.split()) for p in re.split(r"[,;\n\r]", text)) if t))


def published_date(ref: Reference) -> datetime | None:
    """The reference's date as far as it is known (missing month or day count as the first)."""
    if ref.year is None:
        return None
    month = ref.month if ref.month and 1 <= ref.month <= 12 else 1
    day = ref.day if ref.day and 1 <= ref.day <= 31 else 1
    try:
        return datetime(ref.year, month, day, tzinfo=UTC)
    except ValueError:
        return datetime(ref.year, month, 1, tzinfo=UTC)


def reference_for(paper: PaperRecord, annotation: Annotation | None = None) -> Reference:
    """The reference of a stored paper, with the member's tags, note and read mark."""
    arxiv_id = None if is_title_id(paper.paper_id) else paper.paper_id
    when = paper.published
    return Reference(
        title=paper.title,
        authors=list(paper.authors),
        year=when.year if when else None,
        month=when.month if when else None,
        day=when.day if when else None,
        arxiv_id=arxiv_id,
        doi=paper.doi,
        abstract=paper.abstract,
        url=f"https://arxiv.org/abs/{arxiv_id}" if arxiv_id else None,
        journal=paper.journal_ref,
        categories=list(paper.categories),
        tags=list(annotation.tags) if annotation else [],
        note=annotation.note if annotation else None,
        read=annotation.read if annotation else False,
        key=None,
        where=paper.paper_id,
    )
