"""A paper as a Markdown document: what ``huggingface_hub``'s ``read_paper`` returns, for people,
scripts and language models that read papers as text.

Paper text comes from outside (arXiv metadata, imported files) and is treated as hostile: every
character that could start Markdown markup is backslash-escaped (CommonMark renders ``\\*`` as a
plain ``*``), raw HTML cannot form (``<`` and ``&`` are escaped), and the spellings renderers turn
into links on their own (``https://``, ``www.``, ``name@host``) are broken with an escape too. The
only links in the document are the ones built here: arXiv, the PDF, the paperfeed page, the DOI and
code links that are plain http(s) URLs.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from urllib.parse import quote

from paperfeed.papers_json import arxiv_urls
from paperfeed.records import PaperRecord

_INLINE = re.compile(r"[\\`*_\[\]<>#!|~&@]|(?<=[A-Za-z]):(?=//)|(?<=\b[Ww]{3})\.")
_LINE_START = re.compile(r"^(\d{1,9})([.)])|^([-+=])")
_SAFE_URL = re.compile(r"^https?://[^\s<>\\`]+$")


def escape(text: str, *, starts_line: bool = False) -> str:
    """``text`` on one line, with everything that Markdown would read as markup escaped;
    ``starts_line`` also escapes what only means something at the start of a line (``1.``, ``-``)."""
    flat = " ".join(text.split())
    escaped = _INLINE.sub(lambda m: "\\" + m.group(0), flat)
    if not starts_line:
        return escaped
    return _LINE_START.sub(lambda m: f"{m[1]}\\{m[2]}" if m[1] else f"\\{m[3]}", escaped)


def _link(label: str, url: str) -> str | None:
    return f"- {label}: <{url}>" if _SAFE_URL.match(url) else None


def paper_markdown(
    paper: PaperRecord,
    *,
    upvotes: int,
    page_url: str,
    featured_on: date | None = None,
    submitter: str | None = None,
) -> str:
    """The paper's title, authors, dates, identifiers, links and abstract, as Markdown."""
    facts: list[str] = []
    if paper.authors:
        facts.append("**Authors:** " + ", ".join(escape(name) for name in paper.authors))
    urls = arxiv_urls(paper)
    if urls["abs"]:
        version = f" (version {paper.version})" if paper.version else ""
        facts.append(f"**arXiv:** {escape(paper.paper_id)}{version}")
    if paper.published:
        facts.append(f"**Published:** {paper.published.date().isoformat()} (first version)")
    if paper.updated and paper.published and paper.updated.date() != paper.published.date():
        facts.append(f"**Updated:** {paper.updated.date().isoformat()}")
    if paper.categories:
        facts.append("**Categories:** " + ", ".join(escape(c) for c in paper.categories))
    facts.append(f"**Upvotes:** {upvotes}")
    if featured_on is not None:
        by = f", submitted by {escape(submitter)}" if submitter else ""
        facts.append(f"**Featured:** {featured_on.isoformat()}{by}")
    if paper.comment:
        facts.append(f"**Comments:** {escape(paper.comment)}")
    if paper.journal_ref:
        facts.append(f"**Journal reference:** {escape(paper.journal_ref)}")
    if paper.doi:
        facts.append(f"**DOI:** {escape(paper.doi)}")

    links: list[str | None] = []
    if urls["abs"] and urls["pdf"]:
        links += [_link("arXiv", urls["abs"]), _link("PDF", urls["pdf"])]
    links.append(_link("paperfeed", page_url))
    links += [_link("Code", url) for url in paper.code_links]
    if paper.doi:
        links.append(_link("DOI", "https://doi.org/" + quote(paper.doi, safe="/:;()._-")))

    parts: list[str] = [f"# {escape(paper.title)}", _bullets(facts)]
    shown = [line for line in links if line]
    if shown:
        parts += ["## Links", "\n".join(shown)]
    parts += ["## Abstract", escape(paper.abstract, starts_line=True) if paper.abstract else "(no abstract)"]
    return "\n\n".join(parts) + "\n"


def _bullets(lines: Sequence[str]) -> str:
    return "\n".join(f"- {line}" for line in lines)
