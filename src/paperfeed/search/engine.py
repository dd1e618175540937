"""One search function for the CLI, the web app and the eval harness.

Public API (the web app calls this)::

    search(app, query, *, mode=None, category=None, since=None, until=None, limit=20, offset=0,
           syntax=True) -> SearchResults(query, mode, requested_mode, hits[SearchHit], total, notice, took_ms)

    SearchHit(paper_id, score, title_html, snippet_html, keyword_rank, semantic_rank)

``mode`` is "keyword", "semantic", "hybrid" or None (the default: hybrid when an embedder is
installed and papers are embedded, because the harness measured it better on SciFact train: nDCG@10
0.732 against 0.701 for keyword, see docs/benchmarks.md; keyword otherwise). When the asked-for mode cannot run, the search runs keyword
only and ``notice`` says why, instead of failing. ``title_html``/``snippet_html`` are HTML-escaped
with ``<mark>`` around matched terms, safe to insert in a page. ``since``/``until`` are inclusive
dates of the paper's first version. Any query string is valid (see :mod:`paperfeed.search.query`).
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from html import escape
from typing import Any

from paperfeed.context import Paperfeed
from paperfeed.search.fusion import weighted
from paperfeed.search.lexical import LexicalIndex
from paperfeed.search.query import ParsedQuery, parse

MODES = ("keyword", "semantic", "hybrid")
HYBRID_DEPTH = 100
"""How many results of each list hybrid fusion looks at."""
HYBRID_KEYWORD_WEIGHT = 0.6
"""Hybrid = 0.6 x min-max(BM25) + 0.4 x min-max(cosine) over each list's top 100. On SciFact train
(docs/benchmarks.md) this gave nDCG@10 0.732 (0.731 at 0.5, 0.725 at 0.7, 0.707 at 0.3), above the
best reciprocal-rank fusion (0.717 at k=10, 0.710 at the customary k=60), keyword alone (0.701) and
semantic alone (0.660)."""
CATCH_UP_MAX = 20_000
"""A search indexes at most this many pending papers itself (well under a second per thousand); a
bigger backlog (a deferred bulk import) is left to ``paperfeed index rebuild`` and the search says so."""
SUBSET_MAX = 5000
"""With constraints (author:, cat:, -x, dates) met by at most this many papers, semantic search ranks
exactly those papers."""
CONSTRAINED_SEMANTIC_DEPTH = 1000
"""Otherwise: nearest candidates fetched, then filtered by the constraints."""


class SearchUnavailable(RuntimeError):
    """The keyword index does not exist yet (run ``paperfeed index rebuild``)."""


@dataclass(slots=True)
class SearchHit:
    paper_id: str
    score: float
    title_html: str = ""
    snippet_html: str = ""
    keyword_rank: int | None = None
    semantic_rank: int | None = None


@dataclass(slots=True)
class SearchResults:
    query: str
    mode: str
    requested_mode: str | None
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0
    notice: str | None = None
    took_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_lexical: dict[str, LexicalIndex] = {}


def open_lexical(app: Paperfeed, *, catch_up: bool = True) -> LexicalIndex:
    """The keyword index, brought up to date with the store first (``catch_up``), opened once per
    process and reopened when rebuilt under a new id.

    Catching up here is what makes ``--defer-index`` safe: papers ingested without indexing are
    indexed by the next search. When nothing changed it costs two tiny reads of the store's state;
    when another process holds the index writer, we search what is indexed so far.
    """
    from paperfeed.search.lexical import IndexBusy
    from paperfeed.search.maintenance import lexical_path, update_lexical

    path = lexical_path(app)
    if catch_up:
        with contextlib.suppress(IndexBusy):
            update_lexical(app, max_changes=CATCH_UP_MAX)
    if not LexicalIndex.exists(path):
        raise SearchUnavailable("no keyword index yet: run `paperfeed index rebuild`")
    index_id = (path / "INDEX_ID").read_text().strip()
    index = _lexical.get(str(path))
    if index is None or index.index_id != index_id:
        index = LexicalIndex(path)
        _lexical[str(path)] = index
    return index


def semantic_available(app: Paperfeed) -> tuple[Any, Any, str | None]:
    """(embedder, vector store, None) when semantic search can run, else (None, None, why not)."""
    from paperfeed.search.embedders import try_load_configured
    from paperfeed.search.vectors import open_vectors

    vectors = open_vectors(app)
    if vectors is None or len(vectors) == 0:
        return None, None, "no papers are embedded yet (paperfeed index rebuild with the semantic extra)"
    embedder, why = try_load_configured(app.settings)
    if embedder is None:
        return None, None, why
    if embedder.dim != vectors.dim:
        return None, None, f"stored vectors have {vectors.dim} dimensions, the model {embedder.dim}: rebuild"
    return embedder, vectors, None


def _has_constraints(
    parsed: ParsedQuery, category: str | None, since: date | None, until: date | None
) -> bool:
    return bool(parsed.required or parsed.excluded or category or since or until)


def semantic_ranking(
    app: Paperfeed,
    lexical: LexicalIndex,
    embedder: Any,
    vectors: Any,
    parsed: ParsedQuery,
    *,
    depth: int,
    category: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> list[tuple[str, float]]:
    """Papers nearest to the query's free text, with its constraints applied through the keyword index."""
    text = parsed.free_text
    if not text.strip():
        return []
    query_vector = embedder.encode([text])[0]
    constrained = _has_constraints(parsed, category, since, until)
    if constrained:
        # Few papers meet the constraints (a week, an author): rank exactly those. Many: filter the
        # nearest candidates, which is only approximate for selective filters.
        allowed_ids = lexical.constrained_ids(
            parsed, category=category, since=since, until=until, cap=SUBSET_MAX
        )
        if allowed_ids is not None:
            return [(h.paper_id, h.score) for h in vectors.search_subset(query_vector, allowed_ids, depth)]
    hits = vectors.search(query_vector, max(depth, CONSTRAINED_SEMANTIC_DEPTH) if constrained else depth)
    if constrained:
        allowed = lexical.matching_ids(
            [h.paper_id for h in hits], parsed, category=category, since=since, until=until
        )
        hits = [h for h in hits if h.paper_id in allowed]
    return [(h.paper_id, h.score) for h in hits[:depth]]


def search(
    app: Paperfeed,
    query: str,
    *,
    mode: str | None = None,
    category: str | None = None,
    since: date | None = None,
    until: date | None = None,
    limit: int = 20,
    offset: int = 0,
    syntax: bool = True,
) -> SearchResults:
    """Search the papers (see the module docstring). Raises ValueError for an unknown ``mode``, and
    :class:`SearchUnavailable` only when no keyword index exists and none can be built right now."""
    started = time.perf_counter()
    if mode is not None and mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    limit = max(0, min(limit, 1000))
    offset = max(0, offset)
    lexical = open_lexical(app)
    parsed = parse(query, syntax=syntax)
    results = SearchResults(query=query, mode="keyword", requested_mode=mode)
    behind = lexical_backlog(app)
    effective = mode or "hybrid"
    embedder = vectors = None
    if effective != "keyword":
        embedder, vectors, why = semantic_available(app)
        if embedder is None:
            if mode is not None:
                results.notice = f"{mode} search unavailable, showing keyword results: {why}"
            else:
                results.notice = f"keyword search only: {why}"
            effective = "keyword"
        elif not parsed.free_text.strip():
            effective = "keyword"  # only filters or exclusions: nothing to embed
    results.mode = effective
    if effective == "keyword":
        found = lexical.search(
            parsed, category=category, since=since, until=until, limit=limit, offset=offset
        )
        results.total = found.total
        results.hits = [
            SearchHit(h.paper_id, h.score, h.title_html, h.snippet_html, keyword_rank=offset + i + 1)
            for i, h in enumerate(found.hits)
        ]
    else:
        depth = max(HYBRID_DEPTH, limit + offset)
        semantic = semantic_ranking(
            app, lexical, embedder, vectors, parsed, depth=depth, category=category, since=since, until=until
        )
        keyword: list[tuple[str, float]] = []
        if effective == "hybrid":
            found = lexical.search(
                parsed, category=category, since=since, until=until, limit=depth, snippets=False
            )
            keyword = [(h.paper_id, h.score) for h in found.hits]
            fused = weighted([keyword, semantic], [HYBRID_KEYWORD_WEIGHT, 1.0 - HYBRID_KEYWORD_WEIGHT])
        else:
            fused = list(semantic)
        keyword_rank = {pid: i + 1 for i, (pid, _) in enumerate(keyword)}
        semantic_rank = {pid: i + 1 for i, (pid, _) in enumerate(semantic)}
        results.total = len(fused)
        page = fused[offset : offset + limit]
        snippets = lexical_snippets(lexical, parsed, [pid for pid, _ in page])
        results.hits = [
            SearchHit(
                pid,
                score,
                *snippets.get(pid, ("", "")),
                keyword_rank=keyword_rank.get(pid),
                semantic_rank=semantic_rank.get(pid),
            )
            for pid, score in page
        ]
    if behind:
        lag = f"{behind:,} papers are not in the keyword index yet: run `paperfeed index rebuild`"
        results.notice = f"{results.notice}; {lag}" if results.notice else lag
    results.took_ms = round((time.perf_counter() - started) * 1000, 2)
    return results


def lexical_backlog(app: Paperfeed) -> int:
    """Papers changed since the keyword index's mark (0 when current: one cheap state read)."""
    from paperfeed.search.maintenance import LEXICAL_MARK, changed_count, read_mark

    mark = read_mark(app, LEXICAL_MARK)
    if mark is None:
        return app.store.count()
    if mark.seq >= app.store.current_seq():
        return 0
    return changed_count(app, mark.seq)


def lexical_snippets(
    lexical: LexicalIndex, parsed: ParsedQuery, paper_ids: list[str]
) -> dict[str, tuple[str, str]]:
    """Highlighted title and snippet for given papers; those the words do not match get plain text."""
    if not paper_ids:
        return {}
    out: dict[str, tuple[str, str]] = {}
    restricted = ParsedQuery(words=parsed.words, required=[], excluded=[])
    found = lexical.search_in(restricted, paper_ids)
    for hit in found:
        out[hit.paper_id] = (hit.title_html, hit.snippet_html)
    missing = [pid for pid in paper_ids if pid not in out]
    for pid, doc in lexical.stored(missing).items():
        title = str((doc.get("title") or [""])[0])
        abstract = str((doc.get("abstract") or [""])[0])
        out[pid] = (escape(title), escape(abstract[:300]))
    return out
