"""Search and "similar papers" as the web and the API need them: one call, papers plus snippets.

This module is the seam between the web and :mod:`paperfeed.search`: it calls the search package's
library functions and turns their results into stored papers with highlighted snippets. When the
search package is not importable (a trimmed install) it falls back to a plain SQL substring match
over titles and abstracts and says so in ``notice`` -- slow on a big store, but never wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from html import escape

from markupsafe import Markup
from sqlalchemy import and_, func, or_, select

from paperfeed.context import Paperfeed
from paperfeed.records import PaperRecord
from paperfeed.store.schema import paper_categories, papers

SNIPPET_CHARS = 320


@dataclass(slots=True)
class FoundHit:
    paper: PaperRecord
    snippet: Markup  # safe HTML: escaped text with <mark> around matched terms
    score: float | None = None
    title: Markup | None = None  # highlighted title (safe HTML) when the index gives one


@dataclass(slots=True)
class FoundPage:
    query: str
    hits: list[FoundHit]
    total: int
    notices: list[str] = field(default_factory=list)
    mode: str = "keyword"


def _terms(query: str) -> list[str]:
    return [t for t in re.findall(r"\w+", query.lower()) if len(t) > 1][:12]


def highlight(text: str, terms: list[str], limit: int = SNIPPET_CHARS) -> Markup:
    """An escaped window of ``text`` around the first matched term, matches wrapped in ``<mark>``."""
    if not text:
        return Markup("")
    lowered = text.lower()
    first = min((p for p in (lowered.find(t) for t in terms) if p >= 0), default=0)
    start = max(0, first - limit // 3)
    if start:
        space = text.find(" ", start)
        start = space + 1 if 0 <= space < first else start
    window = text[start : start + limit]
    pattern = re.compile("|".join(re.escape(t) for t in sorted(terms, key=len, reverse=True)), re.IGNORECASE)
    pieces: list[str] = []
    last = 0
    if terms:
        for match in pattern.finditer(window):
            pieces.append(escape(window[last : match.start()]))
            pieces.append(f"<mark>{escape(match.group(0))}</mark>")
            last = match.end()
    pieces.append(escape(window[last:]))
    prefix = "… " if start else ""
    suffix = " …" if start + limit < len(text) else ""
    return Markup(prefix + "".join(pieces) + suffix)


def _day_start(day: date) -> datetime:
    return datetime.combine(day, time.min)


def _fallback_search(
    app: Paperfeed,
    query: str,
    *,
    category: str | None,
    since: date | None,
    until: date | None,
    limit: int,
    offset: int,
) -> tuple[list[str], int]:
    terms = _terms(query)
    conditions = []
    for term in terms:
        like = f"%{term}%"
        conditions.append(
            or_(func.lower(papers.c.title).like(like), func.lower(papers.c.abstract).like(like))
        )
    if category:
        conditions.append(
            papers.c.id.in_(
                select(paper_categories.c.paper_id).where(paper_categories.c.category == category)
            )
        )
    if since:
        conditions.append(papers.c.published_at >= _day_start(since))
    if until:
        conditions.append(papers.c.published_at < _day_start(until + timedelta(days=1)))
    where = and_(*conditions) if conditions else papers.c.id.isnot(None)
    with app.store.engine.connect() as conn:
        ids = [
            row.id
            for row in conn.execute(
                select(papers.c.id)
                .where(where)
                .order_by(papers.c.published_at.desc(), papers.c.id.desc())
                .limit(limit)
                .offset(offset)
            )
        ]
        total = int(conn.execute(select(func.count()).select_from(papers).where(where)).scalar_one())
    return ids, total


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
    """One page of results for ``query`` with filters: hybrid/keyword search when the index exists.

    The search package decides the mode (hybrid when papers are embedded, keyword otherwise) and
    says in its notice when it had to fall back; that notice is shown to the user as is.
    """
    try:
        from paperfeed.search.engine import SearchUnavailable, search
    except ImportError:  # pragma: no cover - a build without the search package
        return _substring(app, query, category, since, until, limit, offset, "search package not installed")
    try:
        results = search(app, query, category=category, since=since, until=until, limit=limit, offset=offset)
    except SearchUnavailable as exc:
        return _substring(app, query, category, since, until, limit, offset, str(exc))
    loaded = app.store.get_many([h.paper_id for h in results.hits])
    hits = [
        FoundHit(
            loaded[h.paper_id],
            Markup(h.snippet_html),
            h.score,
            Markup(h.title_html) if h.title_html else None,
        )
        for h in results.hits
        if h.paper_id in loaded
    ]
    notices = [results.notice] if results.notice else []
    return FoundPage(query=query, hits=hits, total=results.total, notices=notices, mode=results.mode)


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
    ids, total = _fallback_search(
        app, query, category=category, since=since, until=until, limit=limit, offset=offset
    )
    loaded = app.store.get_many(ids)
    terms = _terms(query)
    hits = [FoundHit(loaded[i], highlight(loaded[i].abstract, terms)) for i in ids if i in loaded]
    notice = f"simple substring search, newest first ({why})"
    return FoundPage(query=query, hits=hits, total=total, notices=[notice], mode="substring")


def similar_papers(app: Paperfeed, paper: PaperRecord, *, limit: int = 5) -> list[PaperRecord]:
    """Papers like ``paper`` (embeddings when stored, else TF-IDF); empty when search cannot answer."""
    try:
        from paperfeed.search.engine import SearchUnavailable
        from paperfeed.search.similar import SimilarError, similar
    except ImportError:  # pragma: no cover - a build without the search package
        return []
    try:
        results = similar(app, [paper.paper_id], limit=limit)
    except (SimilarError, SearchUnavailable):
        return []
    loaded = app.store.get_many([h.paper_id for h in results.hits])
    return [loaded[h.paper_id] for h in results.hits if h.paper_id in loaded]
