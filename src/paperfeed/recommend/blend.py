"""The calibrated blend: every signal on one scale, weights learned from held-out saves.

Each driver's evidence is a handful of *features* per candidate (raw values, :func:`raw_features`):

* ``content_mean``: mean TF-IDF cosine to the member's positives (the centroid's dot product);
* ``content_max``: the best TF-IDF cosine to any one positive (per-member kNN: a member with two
  interests is not averaged into neither);
* ``generic``: cosine to the average paper (the Rocchio background; a paper like every paper is
  weak evidence of a particular interest);
* ``dense_mean`` / ``dense_max``: the same two on sentence embeddings, where vectors exist;
* ``co_saves``: item-item cosine over members' libraries summed over the positives
  (:mod:`~paperfeed.recommend.co_saves`);
* ``co_counts``: log(1 + the same co-occurrence without the cosine's normalisation): over the
  other members, how many of the member's positives each shares with them, summed over those who
  saved the candidate (user-based kNN with overlap weights);
* ``popularity``: log(1 + how many *other* members saved the candidate);
* ``not_interested``: the TF-IDF (and embedding) similarity to the weighted mean of dismissed
  papers.

**Calibration.** Raw values live on different scales (a cosine, a sum of cosines, a log count), and
their spread differs per member. :func:`calibrate` maps each feature to [0, 1] per member, over
the candidates that member can be shown (min-max: 1 is this member's best candidate on that
feature); a constant feature becomes 0. The blend is then a weighted sum of calibrated features,
a logistic regression's logit (:func:`fit_weights`), so the weights are comparable and each
driver's part of a score is exactly the sum of its features' terms (the drivers panel uses that).

**Weights.** Learned, not hand-set: :func:`fit_weights` fits a logistic regression on pooled
candidates of members whose held-out saves are known (in ``eval recommend``: users of the other
fold of the same benchmark; in the product: the store's own members, their latest saves held
out, when enough exist). Only the candidates some feature ranks near the top of the member's list
(:func:`pool_rows`) are used as examples: that is where the blend has to order things, and it
keeps the positives and negatives drawn from the same place (drawing positives from everywhere
teaches the model that a high score means *not* relevant). :data:`DEFAULT_WEIGHTS` are used when
nothing has been fitted; ``not_interested`` has no held-out labels anywhere and keeps a fixed
weight, half the library features' (:data:`NOT_INTERESTED_SHARE`, Rocchio's γ).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

FEATURES = (
    "content_mean",
    "content_max",
    "generic",
    "dense_mean",
    "dense_max",
    "co_saves",
    "co_counts",
    "popularity",
)
#: which driver (the member's switches, the drivers panel) each feature belongs to
DRIVER_OF = {
    "content_mean": "library",
    "content_max": "library",
    "generic": "library",
    "dense_mean": "library",
    "dense_max": "library",
    "co_saves": "co_saves",
    "co_counts": "co_saves",
    "popularity": "co_saves",
    "not_interested": "not_interested",
}
NOT_INTERESTED_SHARE = 0.5
"""The not-interested feature's weight, as a share of the library features' (Rocchio's γ)."""
MATCH_TERMS = 32
"""``content_max`` compares a candidate's :data:`MATCH_TERMS` heaviest TF-IDF terms with the
positives (:func:`heaviest_terms`): the few distinctive words decide the best match, and dropping
the common ones makes the candidates × saved papers product several times cheaper (the digest
computes it for 10,000 members a day)."""
POOL_DEPTH = 200
"""Per member and feature, how many of the best candidates go into the fitting pool."""


@dataclass(frozen=True, slots=True)
class BlendWeights:
    """One weight per calibrated feature (missing = 0) and where they came from."""

    weights: Mapping[str, float]
    source: str = "default"
    examples: int = 0  # pooled candidates the fit saw (0 for the defaults)
    members: int = 0  # members they came from

    def weight(self, name: str) -> float:
        if name == "not_interested" and name not in self.weights:
            library = sum(
                max(float(w), 0.0) for k, w in self.weights.items() if DRIVER_OF.get(k) == "library"
            )
            return NOT_INTERESTED_SHARE * -(library if library > 0 else 1.0)
        return float(self.weights.get(name, 0.0))

    def to_json(self) -> str:
        return json.dumps(
            {
                "weights": {k: round(float(v), 6) for k, v in self.weights.items()},
                "source": self.source,
                "examples": self.examples,
                "members": self.members,
            },
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, text: str) -> BlendWeights:
        data = json.loads(text)
        weights = {str(k): float(v) for k, v in dict(data["weights"]).items() if k in DRIVER_OF}
        return cls(
            weights,
            str(data.get("source", "fitted")),
            int(data.get("examples", 0)),
            int(data.get("members", 0)),
        )


DEFAULT_WEIGHTS = BlendWeights(
    {
        "content_mean": 3.0,
        "content_max": 1.0,
        "generic": -1.0,
        "dense_mean": 3.0,
        "dense_max": 1.0,
        "co_saves": 3.0,
        "co_counts": 1.0,
        "popularity": 0.5,
    },
    source="default",
)
"""The product's weights: the signs and rough sizes the fits on the four benchmarks of
docs/benchmarks.md ("Recommendations") agree on. Where they disagree (popularity: strongly negative
on the cold-start benchmarks, where the papers to find are by construction the ones nobody saved;
positive on one in-matrix benchmark, negative on the other) the default stays small. The library
weights are on the cautious side of the fits (``generic`` −1 where they fit −1.3 to −3.6): with a
library of one or two papers the content features are noisy, and a strong pull towards
"unusual" papers then beats the similarity itself (tests/test_recommend_service.py)."""


def _as_dense_vector(row: sp.spmatrix | np.ndarray) -> np.ndarray:
    if isinstance(row, sp.spmatrix | sp.sparray):
        return np.asarray(row.toarray(), dtype=np.float32).ravel()
    return np.asarray(row, dtype=np.float32).ravel()


def heaviest_terms(rows: sp.csr_matrix, k: int = MATCH_TERMS) -> sp.csr_matrix:
    """Each row's ``k`` largest entries (the rest dropped); rows with fewer are kept whole."""
    rows = sp.csr_matrix(rows, dtype=np.float32)
    lengths = np.diff(rows.indptr)
    if not len(lengths) or lengths.max() <= k:
        return rows
    keep = np.zeros(rows.nnz, dtype=bool)
    for i in np.flatnonzero(lengths > 0):
        start, end = rows.indptr[i], rows.indptr[i + 1]
        if end - start <= k:
            keep[start:end] = True
        else:
            keep[start + np.argpartition(-rows.data[start:end], k - 1)[:k]] = True
    counts = np.add.reduceat(keep.astype(np.int64), rows.indptr[:-1]) if rows.nnz else lengths
    counts = np.where(lengths > 0, counts, 0)
    indptr = np.concatenate([[0], np.cumsum(counts)])
    return sp.csr_matrix((rows.data[keep], rows.indices[keep], indptr), shape=rows.shape)


def raw_features(
    candidates: sp.csr_matrix,
    *,
    match_candidates: sp.csr_matrix | None = None,
    centroid: sp.spmatrix | np.ndarray | None = None,
    positives: sp.csr_matrix | None = None,
    background: np.ndarray | None = None,
    dense_candidates: np.ndarray | None = None,
    dense_centroid: np.ndarray | None = None,
    dense_positives: np.ndarray | None = None,
    co_saves: np.ndarray | None = None,
    co_counts: np.ndarray | None = None,
    readers: np.ndarray | None = None,
    negative: sp.spmatrix | np.ndarray | None = None,
    dense_negative: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Raw feature values per candidate row; a feature is present only when its inputs are.

    ``centroid`` is the mean of the positives' TF-IDF rows (the cached model's direction; computed
    from ``positives`` when not given); ``positives`` gives the per-positive maximum; ``readers``
    is, per candidate, how many other members saved it; ``match_candidates`` are the candidates'
    :func:`heaviest_terms` (computed here when not given: pass them when scoring many members)."""
    out: dict[str, np.ndarray] = {}
    if centroid is None and positives is not None and positives.shape[0]:
        centroid = np.asarray(positives.mean(axis=0), dtype=np.float32).ravel()
    if centroid is not None:
        out["content_mean"] = np.asarray(candidates @ _as_dense_vector(centroid), dtype=np.float32).ravel()
    if positives is not None and positives.shape[0]:
        matching = match_candidates if match_candidates is not None else heaviest_terms(candidates)
        sims = matching @ positives.T
        out["content_max"] = np.asarray(sims.max(axis=1).toarray(), dtype=np.float32).ravel()
    if background is not None and "content_mean" in out:
        out["generic"] = np.asarray(candidates @ background, dtype=np.float32).ravel()
    if dense_candidates is not None:
        if dense_centroid is None and dense_positives is not None and len(dense_positives):
            dense_centroid = dense_positives.mean(axis=0)
        if dense_centroid is not None:
            out["dense_mean"] = np.asarray(dense_candidates @ dense_centroid, dtype=np.float32)
        if dense_positives is not None and len(dense_positives):
            out["dense_max"] = np.asarray((dense_candidates @ dense_positives.T).max(axis=1), np.float32)
    if co_saves is not None:
        out["co_saves"] = np.asarray(co_saves, dtype=np.float32)
    if co_counts is not None:
        out["co_counts"] = np.log1p(np.maximum(np.asarray(co_counts, dtype=np.float32), 0.0))
    if readers is not None:
        out["popularity"] = np.log1p(np.maximum(np.asarray(readers, dtype=np.float32), 0.0))
    if negative is not None:
        value = np.asarray(candidates @ _as_dense_vector(negative), dtype=np.float32).ravel()
        if dense_candidates is not None and dense_negative is not None:
            value = value + np.asarray(dense_candidates @ dense_negative, dtype=np.float32)
        out["not_interested"] = value
    return out


def minmax_columns(values: np.ndarray, allowed: np.ndarray | None = None) -> np.ndarray:
    """Min-max scaling of a vector, or of each column of a candidates × members matrix, over the
    ``allowed`` candidates (a mask of rows; all when None); a constant column becomes 0."""
    v = np.asarray(values, dtype=np.float32)
    seen = v if allowed is None else v[allowed]
    if not len(seen):
        return np.zeros_like(v)
    low = seen.min(axis=0)
    span = seen.max(axis=0) - low
    safe = np.where(span > 0, span, 1.0)
    return np.where(span > 0, np.clip((v - low) / safe, 0.0, 1.0), 0.0).astype(np.float32)


def calibrate(raw: Mapping[str, np.ndarray], allowed: np.ndarray | None = None) -> dict[str, np.ndarray]:
    """Each feature min-max scaled to [0, 1] over the ``allowed`` candidates (boolean mask; all
    when None), per member (a matrix is scaled column by column); a feature constant over them
    becomes 0 (it carries no ordering)."""
    return {name: minmax_columns(values, allowed) for name, values in raw.items()}


def contributions(calibrated: Mapping[str, np.ndarray], weights: BlendWeights) -> dict[str, np.ndarray]:
    """Per driver, the sum of its features' weighted terms (one value per candidate)."""
    out: dict[str, np.ndarray] = {}
    for name, values in calibrated.items():
        weight = weights.weight(name)
        if weight == 0.0:
            continue
        driver = DRIVER_OF[name]
        term = np.float32(weight) * values
        out[driver] = out[driver] + term if driver in out else term.astype(np.float32)
    return out


def evidence(calibrated: Mapping[str, np.ndarray], weights: BlendWeights) -> dict[str, np.ndarray]:
    """Per driver, how strongly it *speaks for* each candidate (what the reason and the "listed
    only when some driver speaks for it" rule read; the score is :func:`contributions`' sum):

    * ``library``: its positively weighted terms less their mean over the candidates (above zero:
      more like the member's papers than the average candidate is);
    * ``co_saves``: the co-saves term alone (popularity is no reason to name a paper);
    * ``not_interested``: never (it only pushes down)."""
    out: dict[str, np.ndarray] = {}
    library = [
        weights.weight(n) * v
        for n, v in calibrated.items()
        if DRIVER_OF[n] == "library" and weights.weight(n) > 0
    ]
    if library:
        total = np.sum(library, axis=0, dtype=np.float32)
        out["library"] = (total - total.mean(axis=0, keepdims=True)).astype(np.float32)
    if "co_saves" in calibrated and weights.weight("co_saves") > 0:
        out["co_saves"] = (weights.weight("co_saves") * calibrated["co_saves"]).astype(np.float32)
    return out


def blend(calibrated: Mapping[str, np.ndarray], weights: BlendWeights, n: int) -> np.ndarray:
    """The blended score per candidate (the logit, less the constant)."""
    parts = contributions(calibrated, weights)
    if not parts:
        return np.zeros(n, dtype=np.float32)
    return np.asarray(np.sum(list(parts.values()), axis=0), dtype=np.float32)


def pool_rows(
    calibrated: Mapping[str, np.ndarray], allowed: np.ndarray, depth: int = POOL_DEPTH
) -> np.ndarray:
    """The union of each feature's ``depth`` best allowed candidates (the fitting examples)."""
    rows = np.flatnonzero(allowed)
    chosen: set[int] = set()
    for values in calibrated.values():
        v = values[rows]
        top = rows[np.argpartition(-v, depth - 1)[:depth]] if len(v) > depth else rows
        chosen.update(top.tolist())
    return np.array(sorted(chosen), dtype=np.int64)


@dataclass(slots=True)
class FitExamples:
    """Pooled, calibrated examples from members with known held-out saves."""

    names: tuple[str, ...] = FEATURES
    rows: list[np.ndarray] = field(default_factory=list)
    labels: list[np.ndarray] = field(default_factory=list)
    members: int = 0

    def add(self, calibrated: Mapping[str, np.ndarray], allowed: np.ndarray, relevant: np.ndarray) -> None:
        """One member: ``relevant`` are the row numbers of their held-out saves."""
        pool = pool_rows(calibrated, allowed)
        if not len(pool):
            return
        zero = np.zeros(len(pool), dtype=np.float32)
        self.rows.append(
            np.column_stack([calibrated[n][pool] if n in calibrated else zero for n in self.names])
        )
        self.labels.append(np.isin(pool, relevant).astype(np.int8))
        self.members += 1


def fit_weights(examples: FitExamples, *, source: str, c: float = 1.0) -> BlendWeights:
    """A logistic regression on the pooled examples (L2, ``c`` its inverse strength): its
    coefficients are the blend's weights. Too few positives to learn from: the defaults."""
    from sklearn.linear_model import LogisticRegression

    if not examples.rows:
        return DEFAULT_WEIGHTS
    x = np.vstack(examples.rows)
    y = np.concatenate(examples.labels)
    if y.sum() < 10 or y.sum() == len(y):
        return DEFAULT_WEIGHTS
    used = [j for j in range(x.shape[1]) if np.ptp(x[:, j]) > 0]
    model = LogisticRegression(C=c, max_iter=1000)
    model.fit(x[:, used], y)
    weights = {examples.names[j]: float(w) for j, w in zip(used, model.coef_.ravel(), strict=True)}
    return BlendWeights(weights, source=source, examples=len(y), members=examples.members)


def feature_matrix(
    calibrated: Mapping[str, np.ndarray], names: Sequence[str], rows: np.ndarray
) -> np.ndarray:
    """The calibrated values of ``rows`` as a rows × names matrix (0 where a feature is absent)."""
    zero = np.zeros(len(rows), dtype=np.float32)
    return np.column_stack([calibrated[n][rows] if n in calibrated else zero for n in names])
