"""The maths of a paper map: 2-D positions, clusters and their labels. Pure: arrays in, arrays out.

- **Positions**: the papers' features (embeddings, or TF-IDF rows) are reduced to at most 50
  dimensions (PCA for dense embeddings, truncated SVD for sparse TF-IDF) and laid out in 2-D by
  scikit-learn's t-SNE (Barnes-Hut), which keeps neighbours together: papers about the same thing
  end up near each other. Small sets (fewer than :data:`TSNE_MIN` papers) are shown by PCA alone.
  Each axis is then scaled to 0…1.
- **Clusters**: k-means on the 2-D positions, so a colour is a region of the map as the reader sees
  it; ``k`` grows with the number of papers (:func:`cluster_count`), at most :data:`MAX_CLUSTERS`.
  Clusters are numbered by size, largest first, and their order is stable for the same input.
- **Labels**: the terms most over-represented in a cluster: its mean TF-IDF row minus the mean row
  of the whole map, top terms first, a word dropped when a chosen phrase already holds it.

Everything is seeded, so the same papers give the same map.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import scipy.sparse as sp

MAX_CLUSTERS = 12
TSNE_MIN = 40
"""Below this many papers t-SNE has too few neighbours to mean anything: PCA places them."""
REDUCED_DIMS = 50
TSNE_ITERATIONS = 400
"""With perplexity 30 and Barnes-Hut angle 0.8: 1.9 s of CPU for 2,000 embedded papers and a
trustworthiness (10 neighbours) of 0.931, against 2.5 s and 0.936 for 500 iterations at angle 0.7
and 0.727 for PCA alone (benchmarks/maps.py, docs/benchmarks.md)."""
LABEL_TERMS = 3
SEED = 0


@dataclass(slots=True)
class Layout:
    positions: np.ndarray  # (n, 2) in [0, 1]
    clusters: np.ndarray  # (n,) cluster index, 0 = the largest
    method: str  # "t-SNE", "PCA" or "none"


def _scale_unit(points: np.ndarray) -> np.ndarray:
    """Each column scaled to [0, 1] (a constant column sits at 0.5)."""
    out = np.full(points.shape, 0.5, dtype=np.float64)
    for axis in range(points.shape[1]):
        column = points[:, axis]
        low, high = float(column.min()), float(column.max())
        if high - low > 1e-12:
            out[:, axis] = (column - low) / (high - low)
    return out


def reduce(features: np.ndarray | sp.spmatrix, dims: int = REDUCED_DIMS) -> np.ndarray:
    """At most ``dims`` dimensions: PCA of dense rows, truncated SVD of sparse ones."""
    n = features.shape[0]
    width = features.shape[1]
    if sp.issparse(features):
        from sklearn.decomposition import TruncatedSVD

        keep = min(dims, n - 1, width - 1)
        if keep < 2:
            dense = np.asarray(sp.csr_matrix(features).toarray(), dtype=np.float64)
            return dense[:, : max(1, min(width, 2))]
        return np.asarray(TruncatedSVD(keep, random_state=SEED).fit_transform(features), dtype=np.float64)
    from sklearn.decomposition import PCA

    dense = np.asarray(features, dtype=np.float64)
    keep = min(dims, n, width)
    if keep < 2:
        return dense[:, : max(1, min(width, 2))]
    return np.asarray(PCA(keep, random_state=SEED).fit_transform(dense), dtype=np.float64)


def project(features: np.ndarray | sp.spmatrix) -> tuple[np.ndarray, str]:
    """2-D positions in [0, 1] for the rows of ``features``, and the method used.

    On one thread: on a busy 2-core machine OpenMP and BLAS threads spin-wait for each other, and
    the same t-SNE took three to four times as long with them (measured)."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        return _project(features)


def _project(features: np.ndarray | sp.spmatrix) -> tuple[np.ndarray, str]:
    n = features.shape[0]
    if n == 0:
        return np.zeros((0, 2)), "none"
    if n == 1:
        return np.full((1, 2), 0.5), "none"
    reduced = reduce(features)
    if reduced.shape[1] < 2:
        reduced = np.hstack([reduced, np.zeros((n, 2 - reduced.shape[1]))])
    if n < TSNE_MIN:
        return _scale_unit(reduced[:, :2]), "PCA"
    from sklearn.manifold import TSNE

    tsne = TSNE(
        n_components=2,
        perplexity=min(30.0, (n - 1) / 3.0),
        init="pca",
        learning_rate="auto",
        max_iter=TSNE_ITERATIONS,
        angle=0.8,
        random_state=SEED,
        n_jobs=1,
    )
    return _scale_unit(np.asarray(tsne.fit_transform(reduced), dtype=np.float64)), "t-SNE"


def cluster_count(n: int) -> int:
    """About √(n/4) clusters (5 for 100 papers, 12 for 600 and more), at least 2 when n ≥ 4."""
    if n < 4:
        return 1
    return int(max(2, min(MAX_CLUSTERS, round((n / 4) ** 0.5))))


def cluster(positions: np.ndarray, k: int | None = None) -> np.ndarray:
    """k-means clusters of the 2-D positions, renumbered largest first (ties: lower mean x first)."""
    n = positions.shape[0]
    k = cluster_count(n) if k is None else k
    if n == 0:
        return np.zeros(0, dtype=np.int64)
    if k <= 1 or n <= k:
        return np.zeros(n, dtype=np.int64) if k <= 1 else np.arange(n, dtype=np.int64)
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        raw = KMeans(n_clusters=k, n_init=4, random_state=SEED).fit_predict(positions)
    order = sorted(range(k), key=lambda c: (-int((raw == c).sum()), float(positions[raw == c, 0].mean())))
    renumber = np.empty(k, dtype=np.int64)
    for new, old in enumerate(order):
        renumber[old] = new
    return renumber[raw]


def layout(features: np.ndarray | sp.spmatrix) -> Layout:
    positions, method = project(features)
    return Layout(positions, cluster(positions), method)


def distinctive_terms(
    rows: sp.csr_matrix, members: np.ndarray, terms: Sequence[str], count: int = LABEL_TERMS
) -> list[str]:
    """The ``count`` terms whose mean weight in the rows ``members`` (a boolean mask) most exceeds
    their mean over all rows. Terms share no word: a phrase among the candidates replaces the words
    of it already chosen, any other term sharing a word with a chosen one is skipped."""
    if rows.shape[0] == 0 or not members.any():
        return []
    inside = np.asarray(rows[members].mean(axis=0)).ravel()
    overall = np.asarray(rows.mean(axis=0)).ravel()
    score = inside - overall
    score[inside <= 0] = -np.inf
    chosen: list[str] = []
    for column in np.argsort(-score, kind="stable")[: count * 8]:
        if not np.isfinite(score[column]) or score[column] <= 0:
            break
        term = terms[int(column)]
        words = set(term.split())
        overlapping = [c for c in chosen if words & set(c.split())]
        if not overlapping:
            if len(chosen) < count:
                chosen.append(term)
            continue
        if all(set(c.split()) < words for c in overlapping):
            # "reinforcement learning" replaces "learning" and "reinforcement": a phrase says more
            at = chosen.index(overlapping[0])
            chosen = [c for c in chosen if c not in overlapping]
            chosen.insert(min(at, len(chosen)), term)
    return chosen


def centres(positions: np.ndarray, clusters: np.ndarray) -> dict[int, tuple[float, float]]:
    """Where each cluster's label goes: its member nearest the cluster's mean (never empty space)."""
    out: dict[int, tuple[float, float]] = {}
    for c in np.unique(clusters):
        mine = positions[clusters == c]
        mean = mine.mean(axis=0)
        nearest = mine[int(np.argmin(((mine - mean) ** 2).sum(axis=1)))]
        out[int(c)] = (float(nearest[0]), float(nearest[1]))
    return out
