"""BibTeX entries for papers, in the shape arXiv's own "Export BibTeX citation" gives.

``@misc`` with ``eprint``/``archivePrefix``/``primaryClass`` is what biblatex and Zotero read as an
arXiv preprint; a journal reference or DOI, when known, is added. Braces in titles are balanced and
special characters escaped so that one odd title cannot break a whole .bib file; every other field
is made safe too (a DOI ``10.1/x}, note={PWNED`` stays one DOI), and keys are unique in linear time.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from paperfeed.formats.latex import latex_text
from paperfeed.ids import is_title_id
from paperfeed.records import PaperRecord

_SPECIAL = {"&": r"\&", "%": r"\%", "#": r"\#", "_": r"\_"}
_STOPWORDS = {"a", "an", "the", "on", "of", "for", "in", "and", "to", "with", "towards", "toward"}


def escape_text(text: str) -> str:
    """Escape LaTeX specials outside math and make the braces safe (titles, names, abstracts).

    Two readers must agree on where the value ends: BibTeX counts every brace; bibtexparser (and
    biber) skip a brace right after a backslash. So plain braces and escaped braces (``\\{``) are
    each balanced on their own (an unmatched closer is dropped, an unclosed opener closed at the
    end), which balances them under both counts; a ``\\\\`` (a LaTeX line break) before a brace or at
    the end gets a space, so that its second backslash escapes nothing; and a trailing lone
    backslash, which would escape the value's closing brace, is dropped. ``{BERT}`` and
    ``$\\{x\\}$`` keep their meaning (see :func:`balanced_both_ways`)."""
    out: list[str] = []
    plain = escaped = 0
    in_math = False
    i, n = 0, len(text)
    while i < n:
        ch = text[i]
        if ch == "\\":
            if i + 1 >= n:  # a lone backslash at the end would swallow the closing brace
                break
            nxt = text[i + 1]
            if nxt == "{":
                escaped += 1
            elif nxt == "}":
                if escaped == 0:
                    i += 2
                    continue
                escaped -= 1
            out.append(ch + nxt)
            i += 2
            continue
        if ch == "$":
            in_math = not in_math
        elif ch == "{":
            plain += 1
        elif ch == "}":
            if plain == 0:
                i += 1
                continue
            plain -= 1
        if ch in "{}" and out and out[-1].endswith("\\"):
            out.append(" ")  # after a ``\\\\`` line break, a plain brace must stay a plain brace
        out.append(_SPECIAL.get(ch, ch) if not in_math else ch)
        i += 1
    body = "".join(out)
    if body.endswith("\\"):  # a line break (``\\\\``) last: its backslash must not touch a brace
        body += " "
    return body + "\\}" * escaped + "}" * plain


def verbatim_value(text: str) -> str:
    """A value that is an identifier, not prose (DOI, eprint, URL, class, year): braces, backslashes
    and line breaks removed, because none belongs in one and each could end the field early."""
    return "".join(ch for ch in text if ch not in "{}\\" and ch.isprintable()).strip()


_KEY_CHARS = re.compile(r"[^A-Za-z0-9_:.+/-]+")


def safe_key(key: str) -> str:
    """A citation key BibTeX and biber read as one key: letters, digits and ``_:.+/-`` only (an
    imported key such as ``a}, note={x`` would otherwise end the entry's head)."""
    return _KEY_CHARS.sub("", key)[:120]


def balanced_both_ways(value: str) -> bool:
    """Whether a field value is safe between ``{`` and ``}``: balanced when every brace counts
    (BibTeX) and when a brace right after a backslash does not (bibtexparser), and not ending in a
    backslash (which would hide the closing brace from bibtexparser)."""
    raw = parsed = 0
    for i, ch in enumerate(value):
        if ch not in "{}":
            continue
        step = 1 if ch == "{" else -1
        raw += step
        if i == 0 or value[i - 1] != "\\":
            parsed += step
        if raw < 0 or parsed < 0:
            return False
    return raw == 0 and parsed == 0 and not value.endswith("\\")


def field_value(value: str) -> str:
    """``value`` as it goes between the field's braces: as given when it is safe (see
    :func:`balanced_both_ways`), else without any brace or backslash: one odd value never breaks the
    entry, let alone the file."""
    if balanced_both_ways(value):
        return value
    return "".join(ch for ch in value if ch not in "{}\\")


_LINE_START_AT = re.compile(r"(\n[^\S\n]*)@")


def guard_line_starts(value: str) -> str:
    """``{}`` before an ``@`` that starts a line of a value: bibtexparser takes such a line for the
    start of the next entry (``\n@article{x,`` in an abstract). ``{}`` is empty in LaTeX."""
    return _LINE_START_AT.sub(r"\1{}@", value) if "@" in value else value


def unique_keys(keys: Sequence[str]) -> list[str]:
    """Keys made unique with ``a``, ``b``, … ``z``, ``aa``, … suffixes (first use keeps the key).

    Linear: each key remembers the last suffix it used, so the thousandth "smith2026deep" does not
    try the 999 taken ones again (a 100,000-entry export took minutes)."""
    taken = set(keys)
    used: set[str] = set()
    last: dict[str, int] = {}
    out: list[str] = []
    for key in keys:
        if key not in used:
            used.add(key)
            out.append(key)
            continue
        n = last.get(key, 0)
        while True:
            n += 1
            candidate = key + _suffix(n)
            if candidate not in used and candidate not in taken:
                break
        last[key] = n
        used.add(candidate)
        out.append(candidate)
    return out


def _suffix(n: int) -> str:
    """1 → a, 26 → z, 27 → aa, …"""
    suffix = ""
    while n:
        n, digit = divmod(n - 1, 26)
        suffix = chr(ord("a") + digit) + suffix
    return suffix


def _ascii_word(text: str) -> str:
    return re.sub(
        r"[^a-z0-9]", "", unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()
    )


def citation_key(paper: PaperRecord) -> str:
    """``<first author's surname><year><first title word>``, like Google Scholar's keys; without
    known authors, the first two significant title words (``principlesscaling``), never a made-up
    "anon" author."""
    surname = _ascii_word(paper.authors[0].split()[-1]) if paper.authors else ""
    year = str(paper.published.year) if paper.published else ""
    title = latex_text(paper.title)  # "\textbf{D}ynamic" is the word "dynamic"
    words = [w for w in (_ascii_word(w) for w in title.split()) if w and w not in _STOPWORDS]
    if surname:
        return f"{surname}{year}{words[0] if words else ''}"
    return "".join(words[:2]) + year or "untitled"


def bibtex_entry(paper: PaperRecord, *, key: str | None = None, extra: Sequence[tuple[str, str]] = ()) -> str:
    """One ``@misc`` entry; ``key`` replaces the citation key, ``extra`` adds fields whose values are
    already BibTeX (a library export's keywords and notes). Every value is made safe to sit between
    braces (:func:`field_value`), identifiers lose braces and backslashes (:func:`verbatim_value`),
    and the key keeps only key characters (:func:`safe_key`)."""
    fields: list[tuple[str, str]] = [("title", "{" + escape_text(paper.title) + "}")]
    if paper.authors:  # papers known by title only have none: no invented "Unknown" author
        fields.append(("author", " and ".join(escape_text(a) for a in paper.authors)))
    if paper.published:
        fields.append(("year", str(paper.published.year)))
    if not is_title_id(paper.paper_id):
        eprint = verbatim_value(paper.paper_id)
        fields += [
            ("eprint", eprint),
            ("archivePrefix", "arXiv"),
        ]
        if paper.primary_category:
            fields.append(("primaryClass", verbatim_value(paper.primary_category)))
        fields.append(("url", f"https://arxiv.org/abs/{eprint}"))
    if paper.doi and (doi := verbatim_value(paper.doi)):
        fields.append(("doi", doi))
    if paper.journal_ref:
        fields.append(("journal", escape_text(paper.journal_ref)))
    fields += list(extra)
    body = ",\n".join(f"  {name} = {{{guard_line_starts(field_value(value))}}}" for name, value in fields)
    chosen = safe_key(key or "") or citation_key(paper)
    return f"@misc{{{chosen},\n{body}\n}}\n"


def bibtex(papers: Iterable[PaperRecord]) -> str:
    """Entries for several papers; repeated keys get a, b, c, … suffixes so the file stays valid."""
    listed = list(papers)
    keys = unique_keys([citation_key(paper) for paper in listed])
    return "\n".join(bibtex_entry(paper, key=key) for paper, key in zip(listed, keys, strict=True))
