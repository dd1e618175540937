"""The per-member recommender, as pure functions: feature rows in, scores and reasons out.

**The model.** A member model is a linear one, trained by Rocchio's rule rather than by an
iterative solver::

    w = mean(positives) − β · mean(background) − γ · weighted mean(not-interested)

computed separately on TF-IDF rows and, when they exist, on embedding rows. Positives are the
member's library and "more like this" papers, the background is recent papers in general (the same
for every member, so its part is computed once per candidate batch), and "not interested" papers
are explicit, weighted negatives. A candidate's content score is its dot product with ``w``.

Why Rocchio and not a per-member SVM or logistic regression: on the categories benchmark in
docs/benchmarks.md a linear SVM or a logistic regression trained against the same background ranked
no better (within ±0.01 recall@100 and nDCG@10), and Rocchio beats arxiv-sanity's SVM against the
whole corpus on both benchmarks, while training costs one sparse mean (about 4 ms) instead of a
solver run (about 5 s per member for arxiv-sanity's SVM over 20k papers on this machine).
Subtracting the background mean is what lifts it above the plain centroid: words every paper uses
("model", "results") stop counting as evidence of interest.

**The blend.** Each driver gives one score per candidate; each is standardised over the candidate
set (z-scores, so their scales compare) and added with a weight (:class:`ModelConfig`):

* ``library``: content similarity to the positives (TF-IDF, plus embeddings when present);
* ``not_interested``: the negative part of ``w`` (pushes a dismissed paper's neighbours down);
* ``co_saves``: "readers who saved X also saved Y", from other members' libraries
  (:mod:`paperfeed.recommend.co_saves`), passed in as a per-candidate vector;
* ``follows``: authors, categories or saved queries the member follows, passed in as per-candidate
  vectors in [0, 1] (a followed author's paper is 1); not z-scored, so a follow is a fixed boost.

A switched-off driver (:class:`Drivers`) is simply not computed: it contributes exactly nothing.

**Reasons.** For each candidate the driver with the largest positive contribution is its reason;
for ``library`` the reason names the positive paper most similar to the candidate ("because you
saved X"), for ``co_saves`` the caller can name the linked paper
(:meth:`~paperfeed.recommend.co_saves.SaveMatrix.strongest_link`), for ``follows`` the follow.

**Speed.** Scoring many members at once (:func:`score_members`) is one sparse-times-sparse product
for the TF-IDF parts and one dense product for the embedding parts; see benchmarks/recommend.py.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from paperfeed.recommend.blend import (
    DEFAULT_WEIGHTS,
    DRIVER_OF,
    FEATURES,
    BlendWeights,
    calibrate,
    contributions,
    evidence,
    raw_features,
)

DRIVERS = ("library", "not_interested", "co_saves", "follows")


@dataclass(frozen=True, slots=True)
class Drivers:
    """Which drivers contribute (the member's switches in "what drives my feed")."""

    library: bool = True
    not_interested: bool = True
    co_saves: bool = True
    follows: bool = True


@dataclass(frozen=True, slots=True)
class ModelConfig:
    """Weights of the model; defaults chosen on the authors benchmark, checked on the categories one."""

    background: float = 1.0  # β: how much of the average paper is subtracted
    negative: float = 0.5  # γ: weight of the "not interested" mean in w
    tfidf_weight: float = 1.0
    dense_weight: float = 1.0
    co_save_weight: float = 2.0
    follow_weight: float = 1.5  # added per unit of follow score, in z units of the other drivers
    max_terms: int | None = 1000  # keep the largest TF-IDF weights only (memory for many members)


@dataclass(slots=True)
class MemberModel:
    """A member's trained state: positive and negative directions, per feature kind.

    ``positive_ids`` keeps the positives (in row order of the training input) so reasons can name
    them; the background is not stored here (it is shared; pass a :class:`Background` to score).
    """

    tfidf_positive: sp.csr_matrix  # 1 × vocabulary
    tfidf_negative: sp.csr_matrix  # 1 × vocabulary (all zero without negatives)
    dense_positive: np.ndarray | None = None
    dense_negative: np.ndarray | None = None
    positive_ids: list[str] = field(default_factory=list)
    has_positives: bool = False
    has_negatives: bool = False


@dataclass(slots=True)
class Background:
    """Mean rows of recent papers (shared by all members; recompute when the window moves)."""

    tfidf: np.ndarray
    dense: np.ndarray | None = None

    @classmethod
    def from_rows(cls, tfidf: sp.csr_matrix, dense: np.ndarray | None = None) -> Background:
        mean = np.asarray(tfidf.mean(axis=0), dtype=np.float32).ravel()
        dense_mean = None if dense is None or len(dense) == 0 else dense.mean(axis=0).astype(np.float32)
        return cls(mean, dense_mean)


@dataclass(slots=True)
class Reason:
    """Why a candidate is recommended: a driver, and the paper or follow behind it."""

    driver: str  # one of DRIVERS, or "none" when nothing speaks for it
    paper_id: str | None = None  # the positive paper (library) that drove it
    follow: str | None = None  # the follow's label (follows)
    contribution: float = 0.0


@dataclass(slots=True)
class Scored:
    """Scores per candidate (in input order) and each candidate's top reason."""

    scores: np.ndarray
    reasons: list[Reason]


def _sparse_mean(rows: sp.csr_matrix, weights: np.ndarray | None, max_terms: int | None) -> sp.csr_matrix:
    width = rows.shape[1]
    if rows.shape[0] == 0:
        return sp.csr_matrix((1, width), dtype=np.float32)
    w = np.ones(rows.shape[0], dtype=np.float32) if weights is None else np.asarray(weights, np.float32)
    mean = sp.csr_matrix(sp.csr_matrix(w / w.sum()) @ rows, dtype=np.float32)
    if max_terms is not None and mean.nnz > max_terms:
        keep = np.argpartition(-np.abs(mean.data), max_terms - 1)[:max_terms]
        mean = sp.csr_matrix(
            (mean.data[keep], (np.zeros(max_terms, dtype=np.int64), mean.indices[keep])), shape=(1, width)
        )
    return mean


def _dense_mean(rows: np.ndarray | None, weights: np.ndarray | None) -> np.ndarray | None:
    if rows is None or len(rows) == 0:
        return None
    w = np.ones(len(rows), dtype=np.float32) if weights is None else np.asarray(weights, np.float32)
    return np.asarray((w / w.sum()) @ rows, dtype=np.float32)


def train_member(
    positives: sp.csr_matrix,
    *,
    negatives: sp.csr_matrix | None = None,
    negative_weights: np.ndarray | None = None,
    dense_positives: np.ndarray | None = None,
    dense_negatives: np.ndarray | None = None,
    positive_ids: list[str] | None = None,
    config: ModelConfig = ModelConfig(),
) -> MemberModel:
    """A member's model from their positive rows and (optionally weighted) negative rows.

    Run it when the member's feedback changes and cache the result; scoring never retrains."""
    width = positives.shape[1]
    negatives = negatives if negatives is not None else sp.csr_matrix((0, width), dtype=np.float32)
    return MemberModel(
        tfidf_positive=_sparse_mean(sp.csr_matrix(positives), None, config.max_terms),
        tfidf_negative=_sparse_mean(sp.csr_matrix(negatives), negative_weights, config.max_terms),
        dense_positive=_dense_mean(dense_positives, None),
        dense_negative=_dense_mean(dense_negatives, negative_weights),
        positive_ids=list(positive_ids or []),
        has_positives=positives.shape[0] > 0,
        has_negatives=negatives.shape[0] > 0,
    )


def standardise(values: np.ndarray) -> np.ndarray:
    """z-scores over the candidates (column-wise for a matrix); a constant column becomes 0."""
    values = np.asarray(values, dtype=np.float32)
    mean = values.mean(axis=0, keepdims=True)
    std = values.std(axis=0, keepdims=True)
    safe = np.where(std > 0, std, 1.0)
    return np.where(std > 0, (values - mean) / safe, 0.0).astype(np.float32)


def content_raw(
    model: MemberModel,
    candidates: sp.csr_matrix,
    background: Background,
    *,
    dense_candidates: np.ndarray | None = None,
    drivers: Drivers = Drivers(),
    config: ModelConfig = ModelConfig(),
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Unstandardised content scores (TF-IDF, dense) of the candidates, None where nothing applies."""
    use_pos = drivers.library and model.has_positives
    use_neg = drivers.not_interested and model.has_negatives
    if not (use_pos or use_neg):
        return None, None
    tfidf = np.zeros(candidates.shape[0], dtype=np.float32)
    if use_pos:
        tfidf += np.asarray(candidates @ model.tfidf_positive.T.toarray()).ravel()
        tfidf -= config.background * np.asarray(candidates @ background.tfidf).ravel()
    if use_neg:
        tfidf -= config.negative * np.asarray(candidates @ model.tfidf_negative.T.toarray()).ravel()
    dense: np.ndarray | None = None
    if dense_candidates is not None and (
        model.dense_positive is not None or model.dense_negative is not None
    ):
        dense = np.zeros(dense_candidates.shape[0], dtype=np.float32)
        if use_pos and model.dense_positive is not None:
            dense += dense_candidates @ model.dense_positive
            if background.dense is not None:
                dense -= config.background * (dense_candidates @ background.dense)
        if use_neg and model.dense_negative is not None:
            dense -= config.negative * (dense_candidates @ model.dense_negative)
    return tfidf, dense


@dataclass(slots=True)
class Parts:
    """Each driver's contribution per candidate (already weighted), and which follow gave it."""

    values: dict[str, np.ndarray]
    follow_index: np.ndarray  # per candidate: index into follow_labels, -1 for none
    follow_labels: list[str]
    #: per driver, how strongly it speaks for each candidate (:func:`~.blend.evidence`; the follows'
    #: is their boost): the top reason and "listed only when some driver speaks for it" read this
    speaks: dict[str, np.ndarray] = field(default_factory=dict)

    def total(self, n: int) -> np.ndarray:
        if not self.values:
            return np.zeros(n, dtype=np.float32)
        return np.asarray(np.sum(list(self.values.values()), axis=0), dtype=np.float32)


def follow_weights(weights: BlendWeights, present: Iterable[str] | None = None) -> dict[str, float]:
    """What one unit of each kind of follow adds to a score, on the blend's scale.

    * ``author``: more than the whole range the rest of the score can span (every feature's weight
      in absolute value, the not-interested one included, plus the query and category boosts), so a
      followed author's new paper is above every paper no author follow speaks for, whatever the
      other features say of either;
    * ``query``: 1.25 × the most the library features can give (times the match's strength, 1 for
      a match today), so a followed query's match is above a library match of the same strength;
    * ``category``: 2% of the blend's positive range, a tie-breaker: a followed category orders
      papers the other drivers find (nearly) equal, it does not flood the list.

    ``present`` names the features the member's blend has (default: all): the range is theirs."""
    names = FEATURES if present is None else [n for n in present if n in FEATURES]
    positive = {name: max(weights.weight(name), 0.0) for name in names}
    negative = sum(max(-weights.weight(name), 0.0) for name in names)
    everything = sum(positive.values())
    library = sum(v for k, v in positive.items() if DRIVER_OF[k] == "library")
    scale = everything if everything > 0 else 1.0
    query = 1.25 * (library if library > 0 else scale)
    category = 0.02 * scale
    dismissed = abs(weights.weight("not_interested"))
    return {
        "author": scale + negative + dismissed + query + category + 1.0,
        "query": query,
        "category": category,
    }


def follow_kind(label: str) -> str:
    """A follow label is ``kind:value`` (:func:`paperfeed.recommend.ranking.follow_label`)."""
    return label.split(":", 1)[0]


def driver_parts(
    model: MemberModel,
    candidates: sp.csr_matrix,
    background: Background,
    *,
    dense_candidates: np.ndarray | None = None,
    positives: sp.csr_matrix | None = None,
    dense_positives: np.ndarray | None = None,
    match_candidates: sp.csr_matrix | None = None,
    co_saves: np.ndarray | None = None,
    co_counts: np.ndarray | None = None,
    readers: np.ndarray | None = None,
    follows: Mapping[str, np.ndarray] | None = None,
    drivers: Drivers = Drivers(),
    config: ModelConfig = ModelConfig(),
    weights: BlendWeights = DEFAULT_WEIGHTS,
) -> Parts:
    """Each switched-on driver's contribution for every candidate: the calibrated blend's terms
    (:mod:`~paperfeed.recommend.blend`) grouped by driver, plus the follows' boosts.

    ``positives`` / ``dense_positives`` are the member's positive rows (for the per-positive
    maximum; without them only the model's mean direction is used); ``readers`` counts, per
    candidate, the other members who saved it; ``follows`` maps a follow's label (``kind:value``)
    to its strength per candidate in [0, 1]."""
    n = candidates.shape[0]
    use_pos = drivers.library and model.has_positives
    use_neg = drivers.not_interested and model.has_negatives
    use_dense = dense_candidates is not None and model.dense_positive is not None
    social = drivers.co_saves and (co_saves is not None and bool(np.any(co_saves)))
    raw = raw_features(
        candidates,
        match_candidates=match_candidates,
        centroid=model.tfidf_positive if use_pos else None,
        positives=positives if use_pos and positives is not None and positives.shape[0] else None,
        background=background.tfidf if use_pos else None,
        dense_candidates=dense_candidates if use_dense and use_pos else None,
        dense_centroid=model.dense_positive if use_pos else None,
        dense_positives=dense_positives if use_pos else None,
        co_saves=co_saves if social else None,
        co_counts=co_counts if social else None,
        readers=readers if social else None,
        negative=model.tfidf_negative if use_neg else None,
        dense_negative=model.dense_negative if use_neg and use_dense else None,
    )
    calibrated = calibrate(raw)
    values = {k: v for k, v in contributions(calibrated, weights).items() if np.any(v)}
    speaks = {k: v for k, v in evidence(calibrated, weights).items() if k in values}
    labels = list(follows or {})
    follow_index = np.full(n, -1, dtype=np.int64)
    if drivers.follows and follows:
        boosts = follow_weights(weights, raw)
        stacked = np.vstack(
            [boosts.get(follow_kind(k), 0.0) * np.asarray(follows[k], dtype=np.float32) for k in labels]
        )
        best = stacked.max(axis=0)
        follow_index = np.where(best > 0, stacked.argmax(axis=0), -1)
        if np.any(best):
            values["follows"] = speaks["follows"] = best.astype(np.float32)
    return Parts(values, follow_index, labels, speaks)


def explain(
    model: MemberModel,
    parts: Parts,
    rows: np.ndarray,
    candidates: sp.csr_matrix,
    *,
    positives: sp.csr_matrix | None = None,
    dense_candidates: np.ndarray | None = None,
    dense_positives: np.ndarray | None = None,
    similarity: np.ndarray | None = None,
) -> list[Reason]:
    """Top reasons of the candidates ``rows`` (row numbers into ``candidates`` and ``parts``).

    The driver with the largest positive contribution wins; a library reason names the positive
    paper most similar to the candidate (``positives`` are the rows of ``model.positive_ids``).
    ``similarity`` (``len(rows)`` × positives), when given, is used instead of computing it: the
    batch path computes candidate × saved-paper similarities once for many members."""
    reasons = parts.speaks or parts.values
    names = list(reasons)
    if not names or len(rows) == 0:
        return [Reason("none") for _ in rows]
    matrix = np.vstack([reasons[k][rows] for k in names])
    if similarity is not None:
        closest = similarity.argmax(axis=1) if model.has_positives and similarity.shape[1] else None
    else:
        closest = _closest_positive(
            model,
            candidates[rows],
            positives,
            None if dense_candidates is None else dense_candidates[rows],
            dense_positives,
        )
    out: list[Reason] = []
    for j, row in enumerate(rows):
        k = int(matrix[:, j].argmax())
        driver, value = names[k], float(matrix[k, j])
        if value <= 0:
            out.append(Reason("none"))
        elif driver == "library":
            # a candidate lifted only by being unlike the dismissed papers has no paper to name
            has_paper = closest is not None and bool(model.positive_ids)
            pid = model.positive_ids[int(closest[j])] if has_paper and closest is not None else None
            out.append(Reason(driver, paper_id=pid, contribution=value))
        elif driver == "follows":
            index = int(parts.follow_index[row])
            label = parts.follow_labels[index] if index >= 0 else None
            out.append(Reason(driver, follow=label, contribution=value))
        else:
            out.append(Reason(driver, contribution=value))
    return out


def score_member(
    model: MemberModel,
    candidates: sp.csr_matrix,
    background: Background,
    *,
    dense_candidates: np.ndarray | None = None,
    dense_positives: np.ndarray | None = None,
    positives: sp.csr_matrix | None = None,
    co_saves: np.ndarray | None = None,
    co_counts: np.ndarray | None = None,
    readers: np.ndarray | None = None,
    follows: Mapping[str, np.ndarray] | None = None,
    drivers: Drivers = Drivers(),
    config: ModelConfig = ModelConfig(),
    weights: BlendWeights = DEFAULT_WEIGHTS,
    reasons: bool = True,
) -> Scored:
    """Scores of the candidate rows for one member, and each candidate's top reason.

    ``positives`` / ``dense_positives`` (the positive rows, in ``model.positive_ids`` order) are
    only needed for reasons: the library reason names the most similar positive. ``co_saves`` is
    one value per candidate (see :mod:`~paperfeed.recommend.co_saves`); ``follows`` maps a follow's
    label to one value per candidate in [0, 1]."""
    parts = driver_parts(
        model,
        candidates,
        background,
        dense_candidates=dense_candidates,
        positives=positives,
        dense_positives=dense_positives,
        co_saves=co_saves,
        co_counts=co_counts,
        readers=readers,
        follows=follows,
        drivers=drivers,
        config=config,
        weights=weights,
    )
    scores = parts.total(candidates.shape[0])
    if not reasons:
        return Scored(scores, [])
    every = np.arange(candidates.shape[0])
    why = explain(
        model,
        parts,
        every,
        candidates,
        positives=positives,
        dense_candidates=dense_candidates,
        dense_positives=dense_positives,
    )
    return Scored(scores, why)


def _closest_positive(
    model: MemberModel,
    candidates: sp.csr_matrix,
    positives: sp.csr_matrix | None,
    dense_candidates: np.ndarray | None,
    dense_positives: np.ndarray | None,
) -> np.ndarray | None:
    """Per candidate, the index (into the positives) of its most similar positive paper."""
    if not model.has_positives:
        return None
    similarity: np.ndarray | None = None
    if positives is not None and positives.shape[0]:
        similarity = np.asarray((candidates @ positives.T).toarray(), dtype=np.float32)
    if dense_candidates is not None and dense_positives is not None and len(dense_positives):
        dense_sim = dense_candidates @ dense_positives.T
        similarity = dense_sim if similarity is None else similarity + dense_sim
    return None if similarity is None else similarity.argmax(axis=1)
