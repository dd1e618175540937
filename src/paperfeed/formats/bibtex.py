"""BibTeX entries for papers, in the shape arXiv's own "Export BibTeX citation" gives.

``@misc`` with ``eprint``/``archivePrefix``/``primaryClass`` is what biblatex and Zotero read as an
arXiv preprint; a journal reference or DOI, when known, is added. Braces in titles are balanced and
special characters escaped so that one odd title cannot break a whole .bib file.
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
    """Escape LaTeX specials outside math, and drop unbalanced braces (titles, names, abstracts)."""
    out: list[str] = []
    depth = 0
    in_math = False
    for ch in text:
        if ch == "$":
            in_math = not in_math
        if ch == "{":
            depth += 1
        elif ch == "}":
            if depth == 0:
                continue
            depth -= 1
        out.append(_SPECIAL.get(ch, ch) if not in_math else ch)
    out.append("}" * depth)
    return "".join(out)


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
    already BibTeX (a library export's keywords and notes)."""
    fields: list[tuple[str, str]] = [("title", "{" + escape_text(paper.title) + "}")]
    if paper.authors:  # papers known by title only have none: no invented "Unknown" author
        fields.append(("author", " and ".join(escape_text(a) for a in paper.authors)))
    if paper.published:
        fields.append(("year", str(paper.published.year)))
    if not is_title_id(paper.paper_id):
        fields += [
            ("eprint", paper.paper_id),
            ("archivePrefix", "arXiv"),
        ]
        if paper.primary_category:
            fields.append(("primaryClass", paper.primary_category))
        fields.append(("url", f"https://arxiv.org/abs/{paper.paper_id}"))
    if paper.doi:
        fields.append(("doi", paper.doi))
    if paper.journal_ref:
        fields.append(("journal", escape_text(paper.journal_ref)))
    fields += list(extra)
    body = ",\n".join(f"  {name} = {{{value}}}" for name, value in fields)
    return f"@misc{{{key or citation_key(paper)},\n{body}\n}}\n"


def bibtex(papers: Iterable[PaperRecord]) -> str:
    """Entries for several papers; repeated keys get a, b, c suffixes so the file stays valid."""
    seen: dict[str, int] = {}
    entries = []
    for paper in papers:
        entry = bibtex_entry(paper)
        key = citation_key(paper)
        count = seen.get(key, 0)
        seen[key] = count + 1
        if count:
            entry = entry.replace("{" + key + ",", "{" + key + chr(ord("a") + min(count, 25)) + ",", 1)
        entries.append(entry)
    return "\n".join(entries)
