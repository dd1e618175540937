"""BibTeX files (a reference manager's export, a paper's ``.bib``), parsed whole with bibtexparser v2.

The arXiv id comes from, in order: ``eprint`` (when ``archivePrefix`` is arXiv or absent and the
value parses as an arXiv id), an arxiv.org URL in ``url``, or a ``journal`` like
``arXiv preprint arXiv:1412.6980``; otherwise the paper gets a ``title:`` id. Authors
``"Last, First and First Last"`` become ``["First Last", ...]`` and LaTeX (``Sch{\\"o}lkopf``,
``{BERT}``) is decoded in titles, names and abstracts. ``year``/``month`` give the
``published`` date (first of the month) because a bibliography has nothing more precise.

Blocks bibtexparser cannot parse, and entries without a title, become :class:`RecordError`\\ s
naming the line and the entry key.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TextIO

import bibtexparser
from bibtexparser.model import Entry
from pylatexenc.latex2text import LatexNodes2Text

from paperfeed.ids import ArxivId, InvalidArxivId, find_arxiv_id, parse_arxiv_id
from paperfeed.ingest.fields import RECORD_FAILURES, error_for
from paperfeed.records import PaperRecord, RecordError, SourceItem, finalize

SOURCE = "bibtex"
_MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ],
        start=1,
    )
    for name in names
}
_ARXIV_URL = re.compile(r"arxiv\.org/(?:abs|pdf)/\S+", re.IGNORECASE)
_ARXIV_JOURNAL = re.compile(r"arxiv[:\s]*(\S+)", re.IGNORECASE)
_LATEX = LatexNodes2Text(math_mode="verbatim")


_LATEX_SYNTAX = re.compile(r"[\\$~%]|--|``|''|[?!]`")


def _decode(text: str) -> str:
    if _LATEX_SYNTAX.search(text) is None:
        # Only braces (``{BERT}``), which group and protect case: what LaTeX makes of it is the text
        # without them. Most names and titles are like this; pylatexenc is slow, so skip it.
        return text.replace("{", "").replace("}", "")
    try:
        return _LATEX.latex_to_text(text)
    except Exception:  # pylatexenc is lenient, but a malformed macro must not lose the entry
        return text.replace("{", "").replace("}", "")


def split_names(field: str) -> list[str]:
    """``"Vaswani, Ashish and Noam Shazeer"`` → ``["Ashish Vaswani", "Noam Shazeer"]``.

    Splits on `` and `` only outside braces, so ``{Barnes and Noble}`` stays one (corporate) name.
    """
    names, depth, start = [], 0, 0
    lowered = field.lower()
    i = 0
    while i < len(field):
        char = field[i]
        if char == "{":
            depth += 1
        elif char == "}":
            depth -= 1
        elif depth == 0 and lowered.startswith(" and ", i):
            names.append(field[start:i])
            i += 5
            start = i
            continue
        i += 1
    names.append(field[start:])
    result = []
    for raw in names:
        name = " ".join(_decode(raw).split())
        if not name or name.lower() == "others":
            continue
        parts = [p.strip() for p in name.split(",")]
        if len(parts) == 2:  # "Last, First"
            name = f"{parts[1]} {parts[0]}".strip()
        elif len(parts) == 3:  # "Last, Jr, First"
            name = f"{parts[2]} {parts[0]} {parts[1]}".strip()
        result.append(name)
    return result


def _arxiv_id(fields: dict[str, str]) -> ArxivId | None:
    eprint = fields.get("eprint", "").strip()
    prefix = fields.get("archiveprefix", "arxiv").strip().lower()
    if eprint and prefix == "arxiv":
        try:
            return parse_arxiv_id(eprint)
        except InvalidArxivId:
            pass
    url_match = _ARXIV_URL.search(fields.get("url", ""))
    if url_match:
        try:
            return parse_arxiv_id(url_match.group(0))
        except InvalidArxivId:
            pass
    for key in ("journal", "note", "howpublished"):
        value = fields.get(key, "")
        if "arxiv" in value.lower():
            found = find_arxiv_id(value)
            if found is not None:
                return found
    return None


def _published(fields: dict[str, str]) -> datetime | None:
    year = fields.get("year", "").strip()
    if not year.isdigit():
        return None
    month_text = fields.get("month", "").strip().lower().rstrip(".")
    month = int(month_text) if month_text.isdigit() else _MONTHS.get(month_text, 1)
    if not 1 <= month <= 12:
        month = 1
    return datetime(int(year), month, 1, tzinfo=UTC)


def entry_record(entry: Entry) -> PaperRecord:
    """One parsed entry → a finalized record (raises on a missing title)."""
    fields = {key.lower(): str(field.value) for key, field in entry.fields_dict.items()}
    arxiv_id = _arxiv_id(fields)
    categories = [fields["primaryclass"]] if fields.get("primaryclass") else []
    record = PaperRecord(
        paper_id=arxiv_id.base if arxiv_id else "",
        title=_decode(fields.get("title", "")),
        abstract=_decode(fields.get("abstract", "")),
        authors=split_names(fields.get("author", "")),
        categories=categories,
        version=arxiv_id.version if arxiv_id else None,
        published=_published(fields),
        doi=fields.get("doi"),
        comment=fields.get("note") or None,
        journal_ref=None
        if arxiv_id and "arxiv" in fields.get("journal", "").lower()
        else (_decode(fields["journal"]) if fields.get("journal") else None),
        source=SOURCE,
    )
    return finalize(record)


def read_bibtex(fh: TextIO) -> Iterator[SourceItem]:
    """Parse the whole file (BibTeX has no record boundaries to stream on), then yield per entry."""
    library = bibtexparser.parse_string(fh.read())
    blocks = sorted([*library.entries, *library.failed_blocks], key=lambda b: b.start_line or 0)
    for block in blocks:
        line = (block.start_line or 0) + 1
        if isinstance(block, Entry):
            try:
                yield entry_record(block)
            except RECORD_FAILURES as exc:
                yield error_for(f"line {line} ({block.key})", exc)
        else:
            error = getattr(block, "error", None)
            detail = " ".join(str(getattr(error, "abort_reason", None) or error or "").split())
            yield RecordError(f"line {line}", f"unparseable BibTeX block: {detail or 'syntax error'}")
