"""A map of papers: gather their features, lay them out off the request path, cache, mark.

Features: the papers' embeddings when at least half of them are embedded (the others are placed
beside the embedded paper nearest to them by TF-IDF, and the map says so); otherwise their TF-IDF
rows from the features index; otherwise (no features index yet) TF-IDF fitted on these papers'
titles and abstracts. Cluster labels always come from TF-IDF terms (words people can read).

Computing a layout of 2,000 papers takes seconds (t-SNE), so it runs on one background thread per
process (:data:`_worker`, never two layouts at once on a small machine) and its result is kept in
memory, keyed by the papers and the state of the indexes it read: a request that finds it waits at
most ``wait`` seconds and otherwise gets ``None`` ("still drawing", the pages reload, the API
answers 202). Nothing is written anywhere: the indexes belong to the indexer.

The layout is the same for everyone; what is personal (saved papers, papers of followed authors
and queries) is marked per viewer after the cache, in two cheap reads.
"""

from __future__ import annotations

import hashlib
import threading
import time
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np
import scipy.sparse as sp

from paperfeed.context import Paperfeed
from paperfeed.errors import Unavailable
from paperfeed.formats.latex import latex_text
from paperfeed.library.marks import marks_for
from paperfeed.maps import layout as maths
from paperfeed.search.engine import SearchUnavailable, open_lexical
from paperfeed.search.query import parse
from paperfeed.search.tfidf import TfidfConfig, fit_tfidf, paper_text
from paperfeed.search.tfidf_index import TfidfSnapshot, open_tfidf
from paperfeed.search.vectors import VectorStore, open_vectors
from paperfeed.store import User

EMBEDDED_SHARE = 0.5
"""Embeddings are the basis when at least this share of the papers has one."""
NEIGHBOURS = 3
CACHE_SIZE = 32
MAX_PENDING = 4
"""Layouts queued or running at once; more are refused (503) rather than queued without end."""
OTHER_CATEGORY = "other"
CATEGORY_COLOURS = 11  # the 11 commonest categories get a colour each, the rest share one


@dataclass(slots=True)
class MapPoint:
    paper_id: str
    title: str  # plain text (LaTeX markup converted)
    x: float
    y: float
    cluster: int
    category: str
    placed_by_words: bool = False  # no embedding: put beside its nearest embedded paper
    marks: tuple[str, ...] = ()  # "saved", "followed"


@dataclass(slots=True)
class MapCluster:
    id: int
    label: str
    size: int
    x: float
    y: float


@dataclass(slots=True)
class PaperMap:
    points: list[MapPoint]
    clusters: list[MapCluster]
    basis: str  # "embeddings", "tfidf" or "words" ("none" for no papers)
    method: str  # "t-SNE", "PCA", "none"
    seconds: float
    notices: list[str] = field(default_factory=list)

    @property
    def categories(self) -> list[str]:
        """The coloured categories, commonest first (then :data:`OTHER_CATEGORY` when used)."""
        counts: dict[str, int] = {}
        for point in self.points:
            counts[point.category] = counts.get(point.category, 0) + 1
        ordered = sorted(counts, key=lambda c: (-counts[c], c))
        return ordered[:CATEGORY_COLOURS] + ([OTHER_CATEGORY] if len(ordered) > CATEGORY_COLOURS else [])

    def category_colour(self, category: str) -> int:
        named = self.categories
        return named.index(category) if category in named else len(named) - 1

    def to_dict(self) -> dict[str, Any]:
        return {
            "points": [
                {
                    "paper_id": p.paper_id,
                    "title": p.title,
                    "x": round(p.x, 5),
                    "y": round(p.y, 5),
                    "cluster": p.cluster,
                    "category": p.category,
                    "marks": list(p.marks),
                }
                for p in self.points
            ],
            "clusters": [{"id": c.id, "label": c.label, "size": c.size} for c in self.clusters],
            "basis": self.basis,
            "method": self.method,
            "notices": self.notices,
        }


# ------------------------------------------------------------------------------ features
@dataclass(slots=True)
class Features:
    ids: list[str]
    matrix: np.ndarray | sp.csr_matrix
    basis: str
    words: sp.csr_matrix  # TF-IDF rows of ``ids`` (labels, placing unembedded papers)
    terms: list[str]
    unembedded: list[int] = field(default_factory=list)  # rows of ``ids`` placed by words
    notices: list[str] = field(default_factory=list)


def _word_rows(
    app: Paperfeed, ids: list[str], snapshot: TfidfSnapshot | None
) -> tuple[list[str], sp.csr_matrix, list[str], str]:
    """TF-IDF rows: from the features index when it has every paper, else fitted on their text."""
    if snapshot is not None:
        found, rows = snapshot.rows(ids)
        if len(found) == len(ids):
            return found, rows, snapshot.vocabulary.terms, "tfidf"
    loaded = app.store.papers.get_many(ids)
    kept = [i for i in ids if i in loaded]
    texts = [paper_text(loaded[i].title, loaded[i].abstract) for i in kept]
    if not texts:
        return [], sp.csr_matrix((0, 1), dtype=np.float32), [""], "words"
    vectorizer, rows = fit_tfidf(texts, TfidfConfig(max_features=20_000, min_df=2, max_df=0.5))
    terms = [str(t) for t in vectorizer.get_feature_names_out()]
    return kept, rows, terms, "words"


def gather(app: Paperfeed, ids: Sequence[str]) -> Features:
    """The features of ``ids`` the map is drawn from (see the module docstring)."""
    ids = list(dict.fromkeys(ids))
    snapshot = open_tfidf(app.settings.index_dir)
    kept, words, terms, word_basis = _word_rows(app, ids, snapshot)
    notices = []
    if len(kept) < len(ids):
        notices.append(f"{len(ids) - len(kept):,} papers are not in the store any more and are left out")
    vectors: VectorStore | None = open_vectors(app)
    embedded = vectors.get(kept) if vectors is not None else {}
    if kept and len(embedded) >= max(2, EMBEDDED_SHARE * len(kept)):
        matrix = np.stack([embedded.get(i, np.zeros(vectors.dim, np.float32)) for i in kept])  # type: ignore[union-attr]
        missing = [row for row, i in enumerate(kept) if i not in embedded]
        if missing:
            notices.append(
                f"{len(missing):,} papers are not embedded yet: each sits beside the embedded paper "
                "nearest to it by its words"
            )
        return Features(kept, matrix, "embeddings", words, terms, missing, notices)
    if vectors is not None and embedded:
        notices.append(
            f"only {len(embedded):,} of {len(kept):,} papers are embedded: placed by their words instead"
        )
    return Features(kept, words, word_basis, words, terms, [], notices)


def _place_by_words(positions: np.ndarray, features: Features) -> np.ndarray:
    """Unembedded papers at the mean position of their nearest embedded papers by TF-IDF cosine."""
    if not features.unembedded:
        return positions
    missing = np.array(features.unembedded)
    placed = np.setdiff1d(np.arange(len(features.ids)), missing)
    similarity = (features.words[missing] @ features.words[placed].T).toarray()
    out = positions.copy()
    rng = np.random.default_rng(maths.SEED)
    for row, scores in zip(missing, similarity, strict=True):
        nearest = placed[np.argsort(-scores, kind="stable")[:NEIGHBOURS]]
        out[row] = positions[nearest].mean(axis=0) + rng.normal(0, 0.006, 2)
    return np.clip(out, 0.0, 1.0)


# ------------------------------------------------------------------------------ building
def build_map(app: Paperfeed, ids: Sequence[str]) -> PaperMap:
    """Lay out ``ids`` (the slow part: run it through :func:`paper_map`, which caches)."""
    from threadpoolctl import threadpool_limits

    started = time.perf_counter()
    with threadpool_limits(limits=1):  # BLAS/OpenMP threads fight on a busy 2-core machine
        features = gather(app, ids)
        embedded_rows = np.setdiff1d(np.arange(len(features.ids)), features.unembedded)
        matrix = features.matrix
        if features.unembedded:
            matrix = np.asarray(matrix)[embedded_rows]
        positions, method = maths.project(matrix)
        if features.unembedded:
            full = np.zeros((len(features.ids), 2))
            full[embedded_rows] = positions
            positions = _place_by_words(full, features)
        clusters = maths.cluster(positions)
        loaded = app.store.papers.get_many(features.ids)
        points = [
            MapPoint(
                paper_id=pid,
                title=latex_text(loaded[pid].title) if pid in loaded else pid,
                x=float(positions[row, 0]),
                y=float(positions[row, 1]),
                cluster=int(clusters[row]),
                category=(loaded[pid].primary_category or OTHER_CATEGORY)
                if pid in loaded
                else OTHER_CATEGORY,
                placed_by_words=row in set(features.unembedded),
            )
            for row, pid in enumerate(features.ids)
        ]
        where = maths.centres(positions, clusters) if len(points) else {}
        summary = []
        for c in sorted(where):
            members = clusters == c
            terms = maths.distinctive_terms(features.words, members, features.terms)
            label = ", ".join(terms) if terms else f"group {c + 1}"
            summary.append(MapCluster(c, label, int(members.sum()), *where[c]))
    return PaperMap(
        points, summary, features.basis, method, round(time.perf_counter() - started, 3), features.notices
    )


# ------------------------------------------------------------------------------ cache + worker
_cache: OrderedDict[tuple[Any, ...], PaperMap] = OrderedDict()
_pending: dict[tuple[Any, ...], Future[PaperMap]] = {}
_lock = threading.Lock()
_worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="paperfeed-map")


def _state(app: Paperfeed) -> tuple[Any, ...]:
    """What a layout depends on besides its papers: the vectors and the features index's version."""
    vectors = open_vectors(app)
    snapshot = open_tfidf(app.settings.index_dir)
    return (
        str(app.settings.index_dir),
        (vectors.index_id, len(vectors.row_ids)) if vectors is not None else None,
        (snapshot.generation, snapshot.seq) if snapshot is not None else None,
    )


def cache_key(app: Paperfeed, ids: Sequence[str]) -> tuple[Any, ...]:
    digest = hashlib.sha256("\n".join(ids).encode("utf-8")).hexdigest()
    return (digest, *_state(app))


def _run(app: Paperfeed, key: tuple[Any, ...], ids: list[str]) -> PaperMap:
    try:
        result = build_map(app, ids)
        with _lock:
            _cache[key] = result
            _cache.move_to_end(key)
            while len(_cache) > CACHE_SIZE:
                _cache.popitem(last=False)
        return result
    finally:
        with _lock:
            _pending.pop(key, None)


def layout_of(app: Paperfeed, ids: Sequence[str], *, wait: float) -> PaperMap | None:
    """The cached layout of ``ids``, or one computed on the map thread within ``wait`` seconds;
    ``None`` while it is still being computed (ask again)."""
    ids = list(dict.fromkeys(ids))
    key = cache_key(app, ids)
    with _lock:
        cached = _cache.get(key)
        if cached is not None:
            _cache.move_to_end(key)
            return cached
        future = _pending.get(key)
        if future is None:
            if len(_pending) >= MAX_PENDING:
                raise Unavailable(
                    f"{len(_pending)} maps are being drawn right now; try again in a few seconds"
                )
            future = _worker.submit(_run, app, key, ids)
            _pending[key] = future
    try:
        return future.result(timeout=max(0.0, wait))
    except FutureTimeout:
        return None


# ------------------------------------------------------------------------------ per viewer
def followed_ids(app: Paperfeed, user: User, paper_ids: Sequence[str]) -> set[str]:
    """The papers among ``paper_ids`` by an author the member follows or matching a followed query
    (followed categories would mark whole regions, so they do not mark papers)."""
    follows = [f for f in app.store.signals.follows_of(user.id, enabled_only=True) if f.kind != "category"]
    if not follows or not paper_ids:
        return set()
    try:
        lexical = open_lexical(app)
    except SearchUnavailable:
        return set()
    found: set[str] = set()
    for follow in follows:
        text = f'author:"{follow.value.replace(chr(34), " ")}"' if follow.kind == "author" else follow.value
        hits = lexical.search(parse(text), only_ids=list(paper_ids), limit=len(paper_ids), snippets=False)
        found.update(h.paper_id for h in hits.hits)
    return found


def with_marks(app: Paperfeed, paper_map: PaperMap, viewer: User | None) -> PaperMap:
    """A copy of the map with the viewer's saved and followed papers marked (the cached one stays
    unmarked)."""
    if viewer is None or not paper_map.points:
        return paper_map
    ids = [p.paper_id for p in paper_map.points]
    saved = {pid for pid, m in marks_for(app, viewer, ids).items() if m.in_library}
    followed = followed_ids(app, viewer, ids)
    points = [
        replace(
            p,
            marks=tuple(
                name
                for name, on in (("saved", p.paper_id in saved), ("followed", p.paper_id in followed))
                if on
            ),
        )
        for p in paper_map.points
    ]
    return replace(paper_map, points=points)


def paper_map(
    app: Paperfeed, ids: Sequence[str], viewer: User | None = None, *, wait: float = 3.0
) -> PaperMap | None:
    """The map of ``ids`` for ``viewer`` (see :func:`layout_of`); ``None`` while still computing."""
    if not ids:
        return PaperMap([], [], basis="none", method="none", seconds=0.0)
    found = layout_of(app, ids, wait=wait)
    return None if found is None else with_marks(app, found, viewer)
