"""Libraries as CSL JSON, the citation format Zotero, Mendeley and pandoc share.

Reading takes a list of items (or ``{"items": [...]}``, or one item). Real exports vary, so each
field is read leniently: ``issued`` as ``date-parts`` (numbers or strings), ``raw`` or ``literal``;
names as ``family``/``given`` (with particles) or ``literal``; the arXiv id from ``number``
(``arXiv:2602.18409``), arXiv's DOI, the URL or the ``note`` that Zotero fills with its "Extra"
field. ``keyword`` carries tags (comma-separated) and ``note`` the member's note, minus the lines
Zotero adds itself. An item that is not an object, or has no title, is reported, not fatal.

CSL JSON has no read mark: it is not written, and the BibTeX export keeps it.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from typing import Any

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

_RAW_DATE = re.compile(r"^\s*(?P<y>\d{4})(?:[-/](?P<m>\d{1,2})(?:[-/](?P<d>\d{1,2}))?)?")


class CslJsonError(ValueError):
    """The text is not JSON, or not a list of CSL items."""


MAX_DEPTH = 32
"""How deeply a CSL JSON file may nest lists and objects. Real exports nest five levels (the list,
an item, ``issued``, ``date-parts`` and its inner list); a file nested hundreds of levels deep is
an attack on the parser (Python's ``json`` gives up with a RecursionError near 1,000)."""


def _too_deep(data: Any, limit: int = MAX_DEPTH) -> bool:
    """Whether ``data`` nests more than ``limit`` lists and objects (walked without recursion)."""
    stack: list[tuple[Any, int]] = [(data, 1)]
    while stack:
        value, depth = stack.pop()
        children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else ()
        for child in children:
            if isinstance(child, dict | list):
                if depth + 1 > limit:
                    return True
                stack.append((child, depth + 1))
    return False


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return " ".join(_text(v) for v in value)
    return clean_text(str(value))


def _name(person: Any) -> str:
    if isinstance(person, str):
        return clean_text(person)
    if not isinstance(person, dict):
        return ""
    if person.get("literal"):
        return _text(person["literal"])
    parts = [
        person.get("given"),
        person.get("dropping-particle"),
        person.get("non-dropping-particle"),
        person.get("family"),
    ]
    name = " ".join(_text(p) for p in parts if p)
    if person.get("suffix"):
        name += ", " + _text(person["suffix"])
    return name


def _int(value: Any) -> int | None:
    try:
        return int(str(value).strip())
    except (TypeError, ValueError):
        return None


def _date(issued: Any) -> tuple[int | None, int | None, int | None]:
    """(year, month, day) of a CSL date, as far as it goes."""
    if not isinstance(issued, dict):
        return None, None, None
    parts = issued.get("date-parts")
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        first = [_int(p) for p in parts[0][:3]] + [None, None]
        return first[0], first[1], first[2]
    for key in ("raw", "literal"):
        match = _RAW_DATE.match(str(issued.get(key) or ""))
        if match:
            return int(match["y"]), _int(match["m"]), _int(match["d"])
    return None, None, None


def item_reference(item: dict[str, Any], where: str) -> Reference:
    """One CSL item as a reference; raises ``ValueError`` without a title."""
    title = _text(item.get("title"))
    if not title:
        raise ValueError("no title")
    doi = clean_doi(_text(item.get("DOI")))
    url = _text(item.get("URL")) or None
    note = item.get("note")
    year, month, day = _date(item.get("issued"))
    authors = item.get("author")
    categories = [c for c in _text(item.get("archive_location")).split() if "." in c][:1]
    return Reference(
        title=title,
        authors=[n for n in (_name(p) for p in (authors if isinstance(authors, list) else [])) if n],
        year=year,
        month=month,
        day=day,
        arxiv_id=arxiv_id_in(_text(item.get("number")), doi, url, _text(note)),
        doi=doi,
        abstract=_text(item.get("abstract")),
        url=url,
        journal=_text(item.get("container-title")) or None,
        categories=categories,
        tags=split_tags(_text(item.get("keyword"))),
        note=user_note(str(note)) if isinstance(note, str) else None,
        key=_text(item.get("id")) or None,
        where=where,
    )


def read_csl_json(text: str) -> tuple[list[Reference], list[ReadProblem]]:
    """Every item of a CSL JSON export, and the items that could not be read."""
    deep = f"lists and objects nested more than {MAX_DEPTH} levels deep (a CSL export nests five)"
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise CslJsonError(f"not JSON: {exc.msg} at line {exc.lineno}, column {exc.colno}") from None
    except RecursionError:
        raise CslJsonError(deep) from None
    if _too_deep(data):
        raise CslJsonError(deep)
    if isinstance(data, dict):
        data = data.get("items", [data]) if "title" not in data else [data]
    if not isinstance(data, list):
        raise CslJsonError("CSL JSON is a list of items (objects with a title)")
    references: list[Reference] = []
    problems: list[ReadProblem] = []
    for number, item in enumerate(data, start=1):
        label = f"item {number}"
        if not isinstance(item, dict):
            problems.append(ReadProblem(label, f"not an object but {type(item).__name__}"))
            continue
        if item.get("id") not in (None, ""):
            label += f" ({_text(item.get('id'))[:80]})"
        try:
            references.append(item_reference(item, label))
        except ValueError as exc:
            problems.append(ReadProblem(label, str(exc)))
    return references, problems


def _issued(ref: Reference) -> dict[str, Any] | None:
    if ref.year is None:
        return None
    parts = [ref.year] + ([ref.month] if ref.month else []) + ([ref.day] if ref.month and ref.day else [])
    return {"date-parts": [parts]}


def _person(name: str) -> dict[str, str]:
    """A name as CSL wants it: family = the last word, given = the rest (``literal`` for one word)."""
    words = name.split()
    if len(words) < 2:
        return {"literal": name}
    return {"family": words[-1], "given": " ".join(words[:-1])}


def write_csl_json(references: Sequence[Reference]) -> str:
    """A CSL JSON list of ``references`` (preprints as ``article``, with their arXiv number)."""
    records = [record_for(ref) for ref in references]
    keys = unique_keys([ref.key or citation_key(r) for ref, r in zip(references, records, strict=True)])
    items = []
    for ref, key in zip(references, keys, strict=True):
        item: dict[str, Any] = {"id": key, "type": "article-journal" if ref.journal else "article"}
        item["title"] = ref.title
        if ref.authors:
            item["author"] = [_person(name) for name in ref.authors]
        issued = _issued(ref)
        if issued:
            item["issued"] = issued
        if ref.arxiv_id:
            item["number"] = f"arXiv:{ref.arxiv_id}"
            item["publisher"] = "arXiv"
            item["URL"] = f"https://arxiv.org/abs/{ref.arxiv_id}"
        elif ref.url:
            item["URL"] = ref.url
        if ref.categories:
            item["archive_location"] = ref.categories[0]
        if ref.doi:
            item["DOI"] = ref.doi
        if ref.journal:
            item["container-title"] = ref.journal
        if ref.abstract:
            item["abstract"] = ref.abstract
        if ref.tags:
            item["keyword"] = ", ".join(ref.tags)
        if ref.note:
            item["note"] = ref.note
        items.append(item)
    return json.dumps(items, ensure_ascii=False, indent=2) + "\n"
