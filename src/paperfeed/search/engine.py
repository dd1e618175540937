"""One search function for the CLI, the web app and the eval harness.

Public API (the web app calls this)::

    search(app, query, *, mode=None, category=None, since=None, until=None, limit=20, offset=0,
           syntax=True, all_words=False) -> SearchResults(query, mode, requested_mode, hits[SearchHit], total, notice, took_ms)

    SearchHit(paper_id, score, title_spans, snippet, snippet_spans, keyword_rank, semantic_rank)

``mode`` is "keyword", "semantic", "hybrid" or None (the default: hybrid when an embedder is
installed and papers are embedded, because the harness measured it better on SciFact train: nDCG@10
0.732 against 0.701 for keyword, see docs/benchmarks.md; keyword otherwise). When the asked-for mode cannot run, the search runs keyword
only and ``notice`` says why, instead of failing. ``title_spans`` are character spans of matched
words in the paper's title; ``snippet`` is a window of the abstract with its own ``snippet_spans``
(plain text: the web layer turns spans into markup). ``since``/``until`` are inclusive dates of the
paper's first version. Any query string is valid (see :mod:`paperfeed.search.query`). ``all_words``
makes every plain word required (an alert's "matches", as in the digests) instead of ranking papers
that have any of them.

Searching never writes: the indexes are opened read-only and kept current by the indexer
(:mod:`paperfeed.search.indexer`); a search says how many papers the index has not caught up with.
"""

from __future__ import annotations

import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any

from paperfeed.context import Paperfeed
from paperfeed.errors import Unavailable
from paperfeed.search.fusion import calibrated
from paperfeed.search.index_updates import lexical_path
from paperfeed.search.lexical import LexicalIndex, Spans, stored_text
from paperfeed.search.marks import directory_id, valid_mark
from paperfeed.search.query import Clause, ParsedQuery, parse

MODES = ("keyword", "semantic", "hybrid")
HYBRID_DEPTH = 100
"""How many results of each list hybrid fusion looks at."""
HYBRID_KEYWORD_WEIGHT = 0.5
"""Hybrid = 0.5 x min-max(BM25) + 0.5 x min-max(cosine) over the union of both lists' top 100, with
every candidate's cosine (:func:`hybrid_fusion`). On SciFact train (docs/benchmarks.md, weight
chosen on two thirds of the queries) nDCG@10 0.735 against 0.732 for the previous fusion
(0.6/0.4 with a list's missing scores taken as 0), above reciprocal-rank fusion (0.717 at k=10),
keyword alone (0.701) and semantic alone (0.660)."""
SUBSET_MAX = 5000
"""With constraints (author:, cat:, -x, dates) met by at most this many papers, semantic search ranks
exactly those papers."""
CONSTRAINED_SEMANTIC_DEPTH = 1000
"""Otherwise: nearest candidates fetched, then filtered by the constraints."""


class SearchUnavailable(Unavailable):
    """The keyword index does not exist yet (the indexer is building it, or nobody runs one)."""


@dataclass(slots=True)
class SearchHit:
    paper_id: str
    score: float
    title_spans: Spans = field(default_factory=list)
    snippet: str = ""
    snippet_spans: Spans = field(default_factory=list)
    keyword_rank: int | None = None
    semantic_rank: int | None = None


@dataclass(slots=True)
class SearchResults:
    query: str
    mode: str
    requested_mode: str | None
    hits: list[SearchHit] = field(default_factory=list)
    total: int = 0
    total_exact: bool = True
    """False when ``total`` is a floor: more papers match than were counted (keyword search stops
    counting at ``paperfeed.search.lexical.COUNT_CAP``)."""
    notice: str | None = None
    took_ms: float = 0.0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


_lexical: dict[str, LexicalIndex] = {}
_lexical_lock = threading.Lock()


def open_lexical(app: Paperfeed) -> LexicalIndex:
    """The keyword index, opened read-only once per process and reopened when the indexer has
    rebuilt it under a new id. Never writes: new commits are visible at each search (reload)."""
    path = lexical_path(app)
    index_id = directory_id(path) if LexicalIndex.exists(path) else None
    if index_id is None:
        raise SearchUnavailable(
            "no keyword index yet: it is being built by the indexer (`paperfeed serve` runs one) "
            "or run `paperfeed index rebuild`"
        )
    with _lexical_lock:
        index = _lexical.get(str(path))
        if index is None or index.index_id != index_id:
            index = LexicalIndex.open_reader(path)
            _lexical[str(path)] = index
    return index


def semantic_available(app: Paperfeed) -> tuple[Any, Any, str | None]:
    """(embedder, vector store, None) when semantic search can run, else (None, None, why not)."""
    from paperfeed.search.embedders import fingerprint_of, try_load_configured
    from paperfeed.search.vectors import open_vectors

    vectors = open_vectors(app)
    if vectors is None or len(vectors) == 0:
        return None, None, NOTHING_EMBEDDED
    embedder, why = try_load_configured(app.settings)
    if embedder is None:
        return None, None, why
    if embedder.dim != vectors.dim:
        return None, None, f"stored vectors have {vectors.dim} dimensions, the model {embedder.dim}: rebuild"
    installed = fingerprint_of(embedder)
    if vectors.fingerprint and installed and vectors.fingerprint != installed:
        return None, None, _other_version(vectors.model, vectors.fingerprint, installed)
    return embedder, vectors, None


NOTHING_EMBEDDED = "no papers are embedded yet (paperfeed index rebuild with the semantic extra)"


def _other_version(model: str, stored: str, installed: str) -> str:
    return (
        f"the stored vectors were made by another version of {model} (model files "
        f"{stored}, installed {installed}): run `paperfeed index rebuild --full`"
    )


def semantic_ready(app: Paperfeed) -> str | None:
    """Why semantic search could not run here (None: it can), judged from what is installed and
    stored without loading the model: for a line such as ``paperfeed demo``'s "semantic search
    ready", where importing torch and loading the weights (~9 s on two cores) only to print it made
    the demo's first run half as long again. A search still loads the model, and says so if that
    fails (a broken weights file is only found by loading it)."""
    import importlib.util

    from paperfeed.search.embedders import (
        SEMANTIC_EXTRA,
        EmbedderUnavailable,
        model_fingerprint,
        resolve_model,
    )
    from paperfeed.search.vectors import open_vectors

    if (app.settings.embedding_device or "cpu") != "cpu":
        return semantic_available(app)[2]  # whether a GPU is usable is only known by trying it
    vectors = open_vectors(app)
    if vectors is None or len(vectors) == 0:
        return NOTHING_EMBEDDED
    for name in ("torch", "sentence_transformers"):
        try:
            found = importlib.util.find_spec(name)
        except ImportError:  # a finder that refuses it, a half-installed package
            found = None
        if found is None:
            return SEMANTIC_EXTRA
    try:
        path = resolve_model(app.settings.embedding_model)
    except EmbedderUnavailable as exc:
        return str(exc)
    installed = model_fingerprint(path)
    if vectors.fingerprint and installed and vectors.fingerprint != installed:
        return _other_version(vectors.model, vectors.fingerprint, installed)
    return None


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
    query_vector: Any = None,
) -> list[tuple[str, float]]:
    """Papers nearest to the query's free text, with its constraints applied through the keyword
    index (``query_vector``: the text already encoded)."""
    text = parsed.free_text
    if not text.strip():
        return []
    if query_vector is None:
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
    snippets: bool = True,
    all_words: bool = False,
) -> SearchResults:
    """Search the papers (see the module docstring). Raises ValueError for an unknown ``mode``, and
    :class:`SearchUnavailable` only when no keyword index exists and none can be built right now.
    ``snippets=False`` skips the title spans and snippets (a caller that only wants ids, such as the
    follows feed: they are most of a long result list's time)."""
    started = time.perf_counter()
    if mode is not None and mode not in MODES:
        raise ValueError(f"mode must be one of {', '.join(MODES)}, not {mode!r}")
    limit = max(0, min(limit, 1000))
    offset = max(0, offset)
    lexical = open_lexical(app)
    parsed = parse(query, syntax=syntax)
    if all_words and parsed.words:
        parsed = ParsedQuery(
            words=[],
            required=[*parsed.required, *(Clause(w) for w in parsed.words)],
            excluded=parsed.excluded,
        )
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
    if effective != "keyword" and (unembedded := vectors_backlog(app)):
        partial = (
            f"the semantic part of the ranking covers only embedded papers: {unembedded:,} are not "
            "embedded yet (embedding in progress)"
        )
        results.notice = f"{results.notice}; {partial}" if results.notice else partial
    if effective == "keyword":
        found = lexical.search(
            parsed, category=category, since=since, until=until, limit=limit, offset=offset, snippets=snippets
        )
        results.total = found.total
        results.total_exact = found.total_exact
        results.hits = [
            SearchHit(
                h.paper_id, h.score, h.title_spans, h.snippet, h.snippet_spans, keyword_rank=offset + i + 1
            )
            for i, h in enumerate(found.hits)
        ]
    else:
        depth = max(HYBRID_DEPTH, limit + offset)
        assert embedder is not None  # effective != "keyword": semantic_available gave one
        query_vector = embedder.encode([parsed.free_text])[0]
        semantic = semantic_ranking(
            app, lexical, embedder, vectors, parsed, depth=depth, category=category, since=since,
            until=until, query_vector=query_vector,
        )  # fmt: skip
        keyword: list[tuple[str, float]] = []
        if effective == "hybrid":
            found = lexical.search(
                parsed, category=category, since=since, until=until, limit=depth, snippets=False
            )
            keyword = [(h.paper_id, h.score) for h in found.hits]
            fused = hybrid_fusion(vectors, keyword, semantic, query_vector)
        else:
            fused = list(semantic)
        keyword_rank = {pid: i + 1 for i, (pid, _) in enumerate(keyword)}
        semantic_rank = {pid: i + 1 for i, (pid, _) in enumerate(semantic)}
        results.total = len(fused)
        page = fused[offset : offset + limit]
        spans = lexical_snippets(lexical, parsed, [pid for pid, _ in page]) if snippets else {}
        results.hits = [
            SearchHit(
                pid,
                score,
                *spans.get(pid, ([], "", [])),
                keyword_rank=keyword_rank.get(pid),
                semantic_rank=semantic_rank.get(pid),
            )
            for pid, score in page
        ]
    if behind:
        lag = f"{behind:,} new papers are not in the keyword index yet (the indexer is catching up)"
        results.notice = f"{results.notice}; {lag}" if results.notice else lag
    results.took_ms = round((time.perf_counter() - started) * 1000, 2)
    return results


def hybrid_fusion(
    vectors: Any,
    keyword: list[tuple[str, float]],
    semantic: list[tuple[str, float]],
    query_vector: Any,
) -> list[tuple[str, float]]:
    """Both lists' candidates fused by :func:`paperfeed.search.fusion.calibrated`, every candidate
    with its cosine (keyword-only ones read from their stored vectors: a memory read, no model);
    semantic-only candidates keep BM25 0 (scoring them by the keyword query too ranked the same on
    SciFact train, 0.7351 against 0.7347, and read every one of their documents: 19 ms a query)."""
    import numpy as np

    cosine = dict(semantic)
    unembedded = [pid for pid, _ in keyword if pid not in cosine]
    stored = vectors.get(unembedded) if unembedded else {}
    if stored:
        q = np.asarray(query_vector, dtype=np.float32).reshape(-1)
        cosine.update((pid, float(v @ q)) for pid, v in stored.items())
    return calibrated(dict(keyword), cosine, HYBRID_KEYWORD_WEIGHT)


def lexical_backlog(app: Paperfeed) -> int:
    """Papers changed since the keyword index's mark (0 when current: two cheap reads)."""
    mark = valid_mark(lexical_path(app))
    if mark is None:
        return app.store.papers.count()
    if mark.seq >= app.store.papers.current_seq():
        return 0
    return app.store.papers.changed_count(mark.seq)


def vectors_backlog(app: Paperfeed) -> int:
    """Papers the vectors do not hold yet (0 when current: two cheap reads, like the keyword index)."""
    from paperfeed.search.vectors import vectors_path

    mark = valid_mark(vectors_path(app.settings, app.settings.embedding_model))
    if mark is None:
        return app.store.papers.count()
    if mark.complete and mark.seq >= app.store.papers.current_seq():
        return 0
    return app.store.papers.changed_count(mark.seq, mark.after_id)


def lexical_snippets(
    lexical: LexicalIndex, parsed: ParsedQuery, paper_ids: list[str]
) -> dict[str, tuple[Spans, str, Spans]]:
    """Title spans, snippet and snippet spans for given papers; those the words do not match get
    the start of their abstract without spans."""
    if not paper_ids:
        return {}
    out: dict[str, tuple[Spans, str, Spans]] = {}
    restricted = ParsedQuery(words=parsed.words, required=[], excluded=[])
    for hit in lexical.search_in(restricted, paper_ids):
        out[hit.paper_id] = (hit.title_spans, hit.snippet, hit.snippet_spans)
    missing = [pid for pid in paper_ids if pid not in out]
    for pid, doc in lexical.stored(missing).items():
        abstract = stored_text(doc, "abstract")
        out[pid] = ([], abstract[:300], [])
    return out
