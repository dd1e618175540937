"""The baselines paperfeed's recommender is measured against (pure functions over feature rows).

* **popularity**: how many train libraries hold a paper; the same list for everyone. A strong
  baseline wherever co-saving exists, and the floor any personal model must clear.
* **TF-IDF centroid**: cosine between a candidate and the mean of the member's library rows; what
  "similar to my library" means in the simplest content-based tools (zotero-arxiv-daily ranks by
  embedding similarity to the library in the same spirit).
* **content-kNN**: the mean cosine to the library's papers (the centroid without re-normalising:
  the same order as the centroid's cosine, kept under the name the issue's table uses).
* **arxiv-sanity SVM**: arxiv-sanity-lite's per-tag classifier, as its ``serve.py`` trains it: a
  ``LinearSVC(C=0.01, class_weight="balanced")`` with the library as positives and *every other
  paper of the corpus* as negatives, candidates ranked by the decision function. Its features are
  arxiv-sanity-lite's TF-IDF (10k uni+bigrams, min_df 5, max_df 0.5; :data:`~paperfeed.recommend.
  features.ARXIV_SANITY`). One fit per member over the whole corpus: fine at 30k papers, too slow to
  redo per request, which is one reason paperfeed caches member models instead.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable

import numpy as np
import scipy.sparse as sp

ARXIV_SANITY_C = 0.01


def popularity(n_papers: int, libraries: Iterable[np.ndarray]) -> np.ndarray:
    """Per paper row: in how many libraries it is (a row listed twice in one library counts once)."""
    counts = np.zeros(n_papers, dtype=np.float64)
    for rows in libraries:
        counts[np.unique(rows)] += 1.0
    return counts


def centroid_scores(matrix: sp.csr_matrix | np.ndarray, positives: np.ndarray) -> np.ndarray:
    """Cosine of every row with the (re-normalised) mean of the ``positives`` rows; 0s without any."""
    if len(positives) == 0:
        return np.zeros(matrix.shape[0], dtype=np.float64)
    centre = np.asarray(matrix[positives].mean(axis=0)).ravel()
    norm = float(np.linalg.norm(centre))
    if norm == 0.0:
        return np.zeros(matrix.shape[0], dtype=np.float64)
    return np.asarray(matrix @ (centre / norm), dtype=np.float64).ravel()


def mean_cosine_scores(matrix: sp.csr_matrix, positives: np.ndarray) -> np.ndarray:
    """Content-kNN: the mean cosine of every row with the ``positives`` rows (rows L2-normalised:
    the dot product with their plain mean); 0s without any."""
    if len(positives) == 0:
        return np.zeros(matrix.shape[0], dtype=np.float64)
    centre = np.asarray(matrix[positives].mean(axis=0)).ravel()
    return np.asarray(matrix @ centre, dtype=np.float64).ravel()


def svm_scores(matrix: sp.csr_matrix, positives: np.ndarray, *, c: float = ARXIV_SANITY_C) -> np.ndarray:
    """arxiv-sanity-lite's ranking: a balanced linear SVM, library vs every other row of ``matrix``."""
    labels = np.zeros(matrix.shape[0], dtype=np.int64)
    labels[positives] = 1
    if labels.sum() in (0, len(labels)):
        return np.zeros(matrix.shape[0], dtype=np.float64)
    # imported here: scikit-learn costs every command ~1.3 s of start-up, and few fit an SVM
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.svm import LinearSVC

    classifier = LinearSVC(class_weight="balanced", C=c, max_iter=10_000, tol=1e-6)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", ConvergenceWarning)
        classifier.fit(matrix, labels)
    return np.asarray(classifier.decision_function(matrix), dtype=np.float64)
