"""Search and "similar papers" as the web and the API need them: one call, stored papers plus snippets.

This module is the seam between the shells and :mod:`paperfeed.search`: it runs the search and
turns its hits into stored papers with a snippet (plain text plus the character spans of matched
words; the web layer alone turns spans into markup). While no keyword index exists yet (a fresh
install whose indexer is still building it) it falls back to the store's substring match over titles
and abstracts and says so in ``notices``: slow on a big store, never wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from paperfeed.context import Paperfeed
from paperfeed.periods import day_start
from paperfeed.records import PaperRecord
from paperfeed.search.engine import SearchUnavailable, open_lexical, search
from paperfeed.search.lexical import Spans
from paperfeed.search.query import MAX_QUERY_CHARS, parse
from paperfeed.search.similar import SimilarError, similar
from paperfeed.store import Window

SNIPPET_CHARS = 320


@dataclass(slots=True)
class FoundHit:
    paper: PaperRecord
    snippet: str
    snippet_spans: Spans = field(default_factory=list)
    title_spans: Spans = field(default_factory=list)
    score: float | None = None


@dataclass(slots=True)
class FoundPage:
    query: str
    hits: list[FoundHit]
    total: int
    notices: list[str] = field(default_factory=list)
    mode: str = "keyword"
    total_exact: bool = True
    """False when ``total`` is a floor ("more than 10,000 results")."""


def query_terms(query: str) -> list[str]:
    """The plain words of a query, for the substring fallback and its spans."""
    return [t for t in re.findall(r"\w+", query.lower()) if len(t) > 1][:12]


def term_spans(text: str, terms: list[str]) -> Spans:
    """Character spans of ``terms`` (case-insensitive substrings) in ``text``, left to right."""
    if not terms or not text:
        return []
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    return [(m.start(), m.end()) for m in pattern.finditer(text)]


def snippet_around(text: str, terms: list[str], limit: int = SNIPPET_CHARS) -> tuple[str, Spans]:
    """A window of ``text`` around the first matched term, with the spans inside it."""
    lowered = text.lower()
    first = min((p for p in (lowered.find(t) for t in terms) if p >= 0), default=0)
    start = max(0, first - limit // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    window = text[start : start + limit]
    prefix = "… " if start else ""
    suffix = " …" if start + limit < len(text) else ""
    spans = [(a + len(prefix), b + len(prefix)) for a, b in term_spans(window, terms)]
    return prefix + window + suffix, spans


def cut_query(query: str) -> tuple[str, str | None]:
    """The part of ``query`` search reads, and a notice when a longer query had to be cut."""
    if len(query) <= MAX_QUERY_CHARS:
        return query, None
    return query[:MAX_QUERY_CHARS], (
        f"the query was {len(query):,} characters long; only its first {MAX_QUERY_CHARS:,} were searched"
    )


def find(
    app: Paperfeed,
    query: str,
    *,
    category: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 20,
    offset: int = 0,
) -> FoundPage:
    """One page of results for ``query`` with filters: hybrid or keyword search from the index.

    The search package decides the mode (hybrid when papers are embedded, keyword otherwise) and
    says in its notice when it had to fall back; that notice is shown to the user as is. A query
    longer than search reads is cut, and the page says so.
    """
    query, cut = cut_query(query)
    page = _find(app, query, category, since, until, limit, offset)
    if cut:
        page.notices.insert(0, cut)
    return page


def _find(
    app: Paperfeed,
    query: str,
    category: str | None,
    since: date | None,
    until: date | None,
    limit: int,
    offset: int,
) -> FoundPage:
    try:
        results = search(app, query, category=category, since=since, until=until, limit=limit, offset=offset)
    except SearchUnavailable as exc:
        return _substring(app, query, category, since, until, limit, offset, str(exc))
    loaded = app.store.papers.get_many([h.paper_id for h in results.hits])
    hits = [
        FoundHit(loaded[h.paper_id], h.snippet, h.snippet_spans, h.title_spans, h.score)
        for h in results.hits
        if h.paper_id in loaded
    ]
    notices = [results.notice] if results.notice else []
    return FoundPage(
        query=query,
        hits=hits,
        total=results.total,
        notices=notices,
        mode=results.mode,
        total_exact=results.total_exact,
    )


def _substring(
    app: Paperfeed,
    query: str,
    category: str | None,
    since: date | None,
    until: date | None,
    limit: int,
    offset: int,
    why: str,
) -> FoundPage:
    terms = query_terms(query)
    window = Window(
        categories=(category,) if category else (),
        since=day_start(since) if since else None,
        until=day_start(until + timedelta(days=1)) if until else None,
        terms=tuple(terms),
    )
    ids = app.store.papers.window_ids(window, limit=limit, offset=offset)
    total = app.store.papers.window_count(window)
    loaded = app.store.papers.get_many(ids)
    hits = []
    for paper_id in ids:
        if paper_id in loaded:
            paper = loaded[paper_id]
            snippet, spans = snippet_around(paper.abstract, terms)
            hits.append(FoundHit(paper, snippet, spans, term_spans(paper.title, terms)))
    notice = f"simple substring search, newest first ({why})"
    return FoundPage(query=query, hits=hits, total=total, notices=[notice], mode="substring")


def author_page_ids(
    app: Paperfeed, name: str, *, category: str | None = None, limit: int, offset: int = 0
) -> list[str] | None:
    """One page (newest first) of the papers by ``name``, matched the way search's ``author:"…"``
    matches (any part of a name, case and accents folded: "LeCun" finds "Yann LeCun"); ``None``
    without a keyword index."""
    try:
        lexical = open_lexical(app)
    except SearchUnavailable:
        return None
    quoted = name.replace('"', " ")
    return lexical.newest_constrained_ids(
        parse(f'author:"{quoted}"'), category=category, limit=limit, offset=offset
    )


def similar_papers(app: Paperfeed, paper: PaperRecord, *, limit: int = 5) -> list[PaperRecord]:
    """Papers like ``paper`` (embeddings when stored, else TF-IDF); empty when search cannot answer."""
    try:
        results = similar(app, [paper.paper_id], limit=limit)
    except (SimilarError, SearchUnavailable):
        return []
    loaded = app.store.papers.get_many([h.paper_id for h in results.hits])
    return [loaded[h.paper_id] for h in results.hits if h.paper_id in loaded]
