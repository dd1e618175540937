"""The papers a personal feed ranks: every paper whose first version falls in a window, with its
features, read from the indexes (never computed here).

TF-IDF rows come from the features index the indexer keeps (:mod:`paperfeed.search.tfidf_index`);
embeddings, when the vectors index exists, from :func:`paperfeed.search.vectors.open_vectors`.
Every member ranks the same candidates for the same window, so a process keeps the last few
windows it built (:data:`CACHED_WINDOWS`), keyed by the indexes' state: a page view for a window
already built costs no gathering at all, and the first view after an indexer round rebuilds it.

The *background* (the "average recent paper" a member model is contrasted with) is the mean of
the candidates' own rows: the recent unlabelled papers of the issue's design.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import numpy as np
import scipy.sparse as sp

from paperfeed.context import Paperfeed
from paperfeed.recommend.blend import heaviest_terms
from paperfeed.recommend.model import Background
from paperfeed.search.tfidf_index import TfidfSnapshot, open_tfidf
from paperfeed.search.vectors import VectorStore, open_vectors

CACHED_WINDOWS = 4
MIN_DENSE_SHARE = 0.5
"""Embeddings join the ranking when at least this share of the candidates is embedded (the rest
get the candidates' mean vector, which neither helps nor hurts them)."""


@dataclass(slots=True)
class Candidates:
    """One window's papers (newest first) and their features; shared by every member's ranking."""

    since: datetime
    until: datetime
    ids: list[str]
    row_of: dict[str, int]
    published: np.ndarray
    tfidf: sp.csr_matrix
    background: Background
    features: TfidfSnapshot
    dense: np.ndarray | None = None
    vectors: VectorStore | None = None
    _matching: sp.csr_matrix | None = None

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def matching(self) -> sp.csr_matrix:
        """The candidates' heaviest TF-IDF terms (:func:`~paperfeed.recommend.blend.heaviest_terms`),
        made once per window and shared by every member's per-positive best match."""
        if self._matching is None:
            self._matching = heaviest_terms(self.tfidf)
        return self._matching

    def positive_rows(self, paper_ids: list[str]) -> tuple[sp.csr_matrix, np.ndarray | None]:
        """TF-IDF rows (and embeddings, when the candidates have them) of papers such as a member's
        saved ones; ids the features index lacks give zero rows."""
        found, rows = self.features.rows(paper_ids)
        place = {pid: i for i, pid in enumerate(found)}
        order = np.array([place.get(pid, -1) for pid in paper_ids], dtype=np.int64)
        matrix = sp.csr_matrix((len(paper_ids), self.features.width), dtype=np.float32)
        if len(found):
            padded = sp.vstack(
                [rows, sp.csr_matrix((1, self.features.width), dtype=np.float32)], format="csr"
            )
            matrix = sp.csr_matrix(padded[np.where(order >= 0, order, len(found))], dtype=np.float32)
        dense: np.ndarray | None = None
        if self.dense is not None and self.vectors is not None:
            stored = self.vectors.get(paper_ids)
            dense = np.zeros((len(paper_ids), self.dense.shape[1]), dtype=np.float32)
            for i, pid in enumerate(paper_ids):
                if pid in stored:
                    dense[i] = stored[pid]
        return matrix, dense


_cache: OrderedDict[tuple[Any, ...], Candidates] = OrderedDict()
_lock = threading.Lock()


def _dense_for(vectors: VectorStore, ids: list[str]) -> tuple[np.ndarray | None, np.ndarray | None]:
    stored = vectors.get(ids)
    if not ids or len(stored) < MIN_DENSE_SHARE * len(ids):
        return None, None
    present = np.stack([stored[pid] for pid in ids if pid in stored]).astype(np.float32)
    mean = present.mean(axis=0).astype(np.float32)
    dense = np.empty((len(ids), present.shape[1]), dtype=np.float32)
    for i, pid in enumerate(ids):
        dense[i] = stored.get(pid, mean)
    return dense, mean


def candidates_for(app: Paperfeed, since: datetime, until: datetime) -> Candidates | None:
    """The papers first published in ``[since, until)`` (naive UTC) with their features, or
    ``None`` while the indexer has not built the features index yet."""
    features = open_tfidf(app.settings.index_dir)
    if features is None:
        return None
    vectors = open_vectors(app)
    vectors_key = (vectors.index_id, len(vectors.row_ids)) if vectors is not None else None
    key = (
        str(app.settings.index_dir),
        features.generation,
        features.seq,
        tuple(features.manifest.segments),
        vectors_key,
        since,
        until,
    )
    with _lock:
        found = _cache.get(key)
        if found is not None:
            _cache.move_to_end(key)
            return found
    ids, published, rows = features.window(since, until)
    dense = dense_mean = None
    if vectors is not None and ids:
        dense, dense_mean = _dense_for(vectors, ids)
    background = Background(
        tfidf=np.asarray(rows.mean(axis=0), dtype=np.float32).ravel()
        if rows.shape[0]
        else np.zeros(features.width, dtype=np.float32),
        dense=dense_mean,
    )
    built = Candidates(
        since=since,
        until=until,
        ids=ids,
        row_of={pid: i for i, pid in enumerate(ids)},
        published=published,
        tfidf=rows,
        background=background,
        features=features,
        dense=dense,
        vectors=vectors if dense is not None else None,
    )
    with _lock:
        _cache[key] = built
        while len(_cache) > CACHED_WINDOWS:
            _cache.popitem(last=False)
    return built
