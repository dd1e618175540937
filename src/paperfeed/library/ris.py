"""Libraries as RIS, the tagged format every reference manager reads and writes.

A record runs from ``TY  - `` to ``ER  - ``; each line is a two-character tag, two spaces, a dash,
a space and a value. Real files bend this, and the reader follows what Zotero's own RIS translator
accepts: one or two spaces before the dash, a byte-order mark, CRLF line ends, lines without a tag
continuing the previous value, several ``AU``/``KW``/``N1``/``UR`` lines, tags in one ``KW`` split by
semicolons or line breaks. Fields read: title (``TI``/``T1``/``CT``), authors (``AU``/``A1``,
``Last, First``), date (``DA``/``PY``/``Y1``, ``YYYY/MM/DD/``), ``DO``, ``UR``, abstract
(``AB``/``N2``), journal (``T2``/``JO``/``JF``/``JA``), tags (``KW``), notes (``N1``; HTML tags
stripped, Zotero's ``arXiv:… [cs]`` line dropped), ``ID``.

RIS has no read mark: it is not written (the BibTeX export keeps it).
"""

from __future__ import annotations

import html
import re
from collections import defaultdict
from collections.abc import Sequence

from paperfeed.formats.bibtex import citation_key
from paperfeed.library.bibtex import record_for, unique_keys
from paperfeed.library.references import (
    ReadProblem,
    Reference,
    arxiv_id_in,
    clean_doi,
    split_tags,
    user_note,
)
from paperfeed.records import clean_text

_LINE = re.compile(r"^(?P<tag>[A-Z][A-Z0-9]) {1,2}-(?: (?P<value>.*))?$")
_DATE = re.compile(r"^\s*(?P<y>\d{4})(?:[/-](?P<m>\d{0,2})(?:[/-](?P<d>\d{0,2}))?)?")
_HTML_TAG = re.compile(r"<[^>]+>")
_PARAGRAPH_END = re.compile(r"</p>", re.IGNORECASE)
_LINE_BREAK = re.compile(r"<br\s*/?>", re.IGNORECASE)
MULTI = ("AU", "A1", "KW", "N1", "UR")


def _split_records(text: str) -> list[tuple[int, dict[str, list[str]]]]:
    """(line number of ``TY``, tag → values) for every record; text outside records is ignored."""
    records: list[tuple[int, dict[str, list[str]]]] = []
    current: dict[str, list[str]] | None = None
    last_tag: str | None = None
    for number, raw in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        line = raw.rstrip()
        match = _LINE.match(line)
        if match is None:
            if current is not None and last_tag is not None and line.strip():
                values = current[last_tag]
                joiner = "\n" if last_tag in ("AB", "N1", "N2", "KW") else " "
                values[-1] = (values[-1] + joiner + line.strip()).strip()
            continue
        tag, value = match["tag"], (match["value"] or "").strip()
        if tag == "TY":
            current = defaultdict(list)
            records.append((number, current))
            current["TY"].append(value)
            last_tag = "TY"
        elif tag == "ER":
            current, last_tag = None, None
        elif current is not None:
            current[tag].append(value)
            last_tag = tag
    return records


def _first(fields: dict[str, list[str]], *tags: str) -> str:
    for tag in tags:
        for value in fields.get(tag, []):
            if value.strip():
                return clean_text(value)
    return ""


def _name(value: str) -> str:
    """``Vaswani, Ashish`` → ``Ashish Vaswani``; ``Last, Suffix, First`` keeps the suffix last."""
    parts = [p.strip() for p in value.split(",")]
    if len(parts) == 2 and parts[1]:
        return clean_text(f"{parts[1]} {parts[0]}")
    if len(parts) == 3 and parts[2]:
        return clean_text(f"{parts[2]} {parts[0]}, {parts[1]}")
    return clean_text(value.replace(",", " "))


def _note_text(value: str) -> str:
    """A note as plain text: Zotero writes notes as HTML (``<p>…</p>``)."""
    text = _LINE_BREAK.sub("\n", _PARAGRAPH_END.sub("\n\n", value))
    return html.unescape(_HTML_TAG.sub("", text)).strip()


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and int(value) > 0 else None


def record_reference(fields: dict[str, list[str]], where: str) -> Reference:
    """One RIS record as a reference; raises ``ValueError`` without a title."""
    title = _first(fields, "TI", "T1", "CT", "BT")
    if not title:
        raise ValueError("no title (TI)")
    year = month = day = None
    for tag in ("DA", "PY", "Y1"):
        match = _DATE.match(_first(fields, tag))
        if match:
            year, month, day = int(match["y"]), _int(match["m"]), _int(match["d"])
            break
    doi = clean_doi(_first(fields, "DO", "M3"))
    urls = [u.strip() for u in fields.get("UR", []) if u.strip()]
    notes = [n for n in (user_note(_note_text(v)) for v in fields.get("N1", [])) if n]
    tags = [t for value in fields.get("KW", []) for t in split_tags(value)]
    if len(fields.get("KW", [])) == 1 and len(tags) == 1:
        tags = split_tags(fields["KW"][0].replace(",", ";"))  # one KW line: maybe comma-separated
    return Reference(
        title=title,
        authors=[n for n in (_name(a) for a in [*fields.get("AU", []), *fields.get("A1", [])]) if n],
        year=year,
        month=month,
        day=day,
        arxiv_id=arxiv_id_in(doi, *urls, *fields.get("N1", []), *fields.get("M1", []), *fields.get("AN", [])),
        doi=doi,
        abstract=_first(fields, "AB", "N2"),
        url=urls[0] if urls else None,
        journal=_first(fields, "T2", "JO", "JF", "JA") or None,
        tags=list(dict.fromkeys(tags)),
        note="\n\n".join(notes) or None,
        key=_first(fields, "ID") or None,
        where=where,
    )


def read_ris(text: str) -> tuple[list[Reference], list[ReadProblem]]:
    """Every record of a RIS file, and the records that could not be read."""
    references: list[Reference] = []
    problems: list[ReadProblem] = []
    for line, fields in _split_records(text):
        where = f"line {line}"
        key = _first(fields, "ID")
        if key:
            where += f" ({key[:80]})"
        try:
            references.append(record_reference(fields, where))
        except ValueError as exc:
            problems.append(ReadProblem(where, str(exc)))
    return references, problems


def _value(text: str) -> str:
    """One line's value: RIS has no escaping, so line breaks become spaces."""
    return " ".join(text.split())


def write_ris(references: Sequence[Reference]) -> str:
    """A RIS file of ``references`` (``GEN`` for preprints as Zotero writes them, ``JOUR`` with a
    journal); notes go into ``N1`` as HTML paragraphs, so their line breaks survive."""
    records = [record_for(ref) for ref in references]
    keys = unique_keys([ref.key or citation_key(r) for ref, r in zip(references, records, strict=True)])
    lines: list[str] = []
    for ref, key in zip(references, keys, strict=True):

        def put(tag: str, value: str) -> None:
            lines.append(f"{tag}  - {value}")

        put("TY", "JOUR" if ref.journal else "GEN")
        put("ID", key)
        put("TI", _value(ref.title))
        for name in ref.authors:
            words = name.split()
            put("AU", f"{words[-1]}, {' '.join(words[:-1])}" if len(words) > 1 else name)
        if ref.year:
            put("PY", str(ref.year))
            if ref.month:
                put(
                    "DA",
                    f"{ref.year:04d}/{ref.month:02d}/{ref.day:02d}/"
                    if ref.day
                    else f"{ref.year:04d}/{ref.month:02d}//",
                )
        if ref.journal:
            put("T2", _value(ref.journal))
        if ref.abstract:
            put("AB", _value(ref.abstract))
        if ref.doi:
            put("DO", ref.doi)
        if ref.arxiv_id:
            put("UR", f"https://arxiv.org/abs/{ref.arxiv_id}")
            put("M1", f"arXiv:{ref.arxiv_id}")
        elif ref.url:
            put("UR", ref.url)
        for tag in ref.tags:
            put("KW", _value(tag))
        if ref.note:
            paragraphs = [html.escape(p).replace("\n", "<br/>") for p in ref.note.split("\n\n")]
            put("N1", "".join(f"<p>{p}</p>" for p in paragraphs))
        put("ER", "")
        lines.append("")
    return "\n".join(lines)
