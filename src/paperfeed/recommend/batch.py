"""Scoring many members at once: the daily "recommend the new papers to everyone" step.

Member models (:class:`~paperfeed.recommend.model.MemberModel`) are stacked into sparse matrices
(members × vocabulary) and dense ones (members × embedding dims), so one day's candidates are
scored for every member with a handful of matrix products::

    T = C · Pᵀ − β (C · b) 1ᵀ − γ C · Nᵀ          (candidates × members, TF-IDF part)
    D = E · Pₑᵀ − β (E · bₑ) 1ᵀ − γ E · Nₑᵀ       (embedding part)
    S = w_t z(T) + w_d z(D) + w_c z(co-saves) + w_f follows

with z-scores per member column, exactly as :func:`~paperfeed.recommend.model.score_member` does
for one member (the tests check they agree). Members are processed in chunks so memory stays
bounded (a chunk's score matrix is candidates × chunk floats).

Co-saves for the whole batch come from the save matrix in the same way (see
:func:`co_saves_for`); papers nobody has saved yet (a day's new papers) score 0 there.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
import scipy.sparse as sp

from paperfeed.recommend.blend import DEFAULT_WEIGHTS, BlendWeights, calibrate, contributions, evidence
from paperfeed.recommend.co_saves import SaveMatrix
from paperfeed.recommend.model import Background, Drivers, MemberModel, Parts


@dataclass(slots=True)
class ModelStack:
    """Many members' models as matrices (row ``i`` is member ``i``)."""

    tfidf_positive: sp.csr_matrix
    tfidf_negative: sp.csr_matrix
    has_positives: np.ndarray
    has_negatives: np.ndarray
    dense_positive: np.ndarray | None = None
    dense_negative: np.ndarray | None = None

    @property
    def size(self) -> int:
        return int(self.tfidf_positive.shape[0])


def stack_models(models: Sequence[MemberModel]) -> ModelStack:
    """Stack member models; dense parts are kept only when every member has them (else TF-IDF only)."""
    if not models:
        raise ValueError("no member models to stack")
    dim = next((m.dense_positive.shape[0] for m in models if m.dense_positive is not None), 0)
    dense_pos = dense_neg = None
    complete = all(m.dense_positive is not None or not m.has_positives for m in models)
    if dim and complete:
        dense_pos = np.zeros((len(models), dim), dtype=np.float32)
        dense_neg = np.zeros((len(models), dim), dtype=np.float32)
        for i, m in enumerate(models):
            if m.dense_positive is not None:
                dense_pos[i] = m.dense_positive
            if m.dense_negative is not None:
                dense_neg[i] = m.dense_negative
    return ModelStack(
        tfidf_positive=sp.csr_matrix(sp.vstack([m.tfidf_positive for m in models]), dtype=np.float32),
        tfidf_negative=sp.csr_matrix(sp.vstack([m.tfidf_negative for m in models]), dtype=np.float32),
        has_positives=np.array([m.has_positives for m in models], dtype=bool),
        has_negatives=np.array([m.has_negatives for m in models], dtype=bool),
        dense_positive=dense_pos,
        dense_negative=dense_neg,
    )


def co_saves_for(
    saves: SaveMatrix, members: Sequence[str], candidates: np.ndarray, *, counts: bool = False
) -> np.ndarray:
    """Co-save scores, candidates × members (0 for a member the save matrix does not know).

    ``R̃ (R̃ᵀ R̃[:, candidates])`` with R̃ the normalised save matrix, minus each member's own
    contribution (nonzero only for candidates already in their library), so it equals
    :meth:`SaveMatrix.scores` column by column; ``counts=True`` does the same with the 0/1 matrix
    (:meth:`SaveMatrix.counts`)."""
    matrix, matrix_t = (saves.binary, saves.binary_t) if counts else (saves.normalised, saves.normalised_t)
    own = sp.csr_matrix(matrix[:, candidates])  # members × candidates
    through = sp.csr_matrix(matrix_t @ own)  # papers × candidates
    full = np.asarray((matrix @ through).toarray(), dtype=np.float32)  # members × candidates
    self_overlap = np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel()
    full -= (own.multiply(self_overlap.reshape(-1, 1))).toarray().astype(np.float32)
    out = np.zeros((len(candidates), len(members)), dtype=np.float32)
    for j, member in enumerate(members):
        row = saves.member_row.get(member)
        if row is not None:
            out[:, j] = full[row]
    return out


def _mask(flags: Sequence[Drivers] | Drivers, size: int, name: str) -> np.ndarray:
    if isinstance(flags, Drivers):
        return np.full(size, getattr(flags, name), dtype=bool)
    return np.array([getattr(d, name) for d in flags], dtype=bool)


@dataclass(slots=True)
class BatchScores:
    """Scores (candidates × members) and each driver's weighted part of them (same shape)."""

    scores: np.ndarray
    parts: dict[str, np.ndarray]
    speaks: dict[str, np.ndarray] = field(default_factory=dict)

    def member_parts(self, column: int) -> Parts:
        """One member's :class:`~paperfeed.recommend.model.Parts`, for :func:`~.model.explain`."""
        values = {name: matrix[:, column] for name, matrix in self.parts.items()}
        speaks = {name: matrix[:, column] for name, matrix in self.speaks.items()}
        return Parts(values, np.full(self.scores.shape[0], -1, dtype=np.int64), [], speaks)


def score_members(
    stack: ModelStack,
    candidates: sp.csr_matrix,
    background: Background,
    *,
    dense_candidates: np.ndarray | None = None,
    content_max: np.ndarray | None = None,
    dense_max: np.ndarray | None = None,
    co_saves: np.ndarray | None = None,
    co_counts: np.ndarray | None = None,
    readers: np.ndarray | None = None,
    follows: np.ndarray | None = None,
    drivers: Sequence[Drivers] | Drivers = Drivers(),
    weights: BlendWeights = DEFAULT_WEIGHTS,
) -> BatchScores:
    """Scores, candidates × members, for all stacked members (switches per member or for all),
    the same calibrated blend :func:`~paperfeed.recommend.model.driver_parts` computes for one.

    ``content_max`` / ``dense_max`` (candidates × members) are each member's best cosine to one of
    their positives; ``co_saves`` and ``co_counts`` are candidates × members; ``readers`` counts per candidate the
    members who saved it; ``follows`` is candidates × members, each member's best follow boost
    already on the blend's scale (:func:`~paperfeed.recommend.model.follow_weights`)."""
    n_members = stack.size
    lib = _mask(drivers, n_members, "library") & stack.has_positives
    neg = _mask(drivers, n_members, "not_interested") & stack.has_negatives
    raw: dict[str, np.ndarray] = {}
    if lib.any():
        raw["content_mean"] = np.asarray((candidates @ stack.tfidf_positive.T).toarray(), dtype=np.float32)
        generic = np.asarray(candidates @ background.tfidf, dtype=np.float32).reshape(-1, 1)
        raw["generic"] = np.repeat(generic, n_members, axis=1)
        if content_max is not None:
            raw["content_max"] = np.asarray(content_max, dtype=np.float32)
        if dense_candidates is not None and stack.dense_positive is not None:
            raw["dense_mean"] = dense_candidates @ stack.dense_positive.T
            if dense_max is not None:
                raw["dense_max"] = np.asarray(dense_max, dtype=np.float32)
    social = _mask(drivers, n_members, "co_saves")
    if co_saves is not None:
        raw["co_saves"] = np.asarray(co_saves, dtype=np.float32)
        if co_counts is not None:
            raw["co_counts"] = np.asarray(co_counts, dtype=np.float32)
        if readers is not None:
            raw["popularity"] = np.repeat(
                np.log1p(np.maximum(np.asarray(readers, np.float32), 0.0)).reshape(-1, 1), n_members, axis=1
            )
    if neg.any():
        negative = np.asarray((candidates @ stack.tfidf_negative.T).toarray(), dtype=np.float32)
        if dense_candidates is not None and stack.dense_negative is not None:
            negative += dense_candidates @ stack.dense_negative.T
        raw["not_interested"] = negative
    calibrated = calibrate(raw)
    on = {
        "library": lib,
        "co_saves": social & (np.asarray(co_saves).any(axis=0) if co_saves is not None else False),
        "not_interested": neg,
    }
    parts = {driver: value * on[driver] for driver, value in contributions(calibrated, weights).items()}
    speaks = {driver: value * on[driver] for driver, value in evidence(calibrated, weights).items()}
    if follows is not None:
        parts["follows"] = speaks["follows"] = np.asarray(follows, np.float32) * _mask(
            drivers, n_members, "follows"
        )
    scores = (
        np.asarray(np.sum(list(parts.values()), axis=0), dtype=np.float32)
        if parts
        else np.zeros((candidates.shape[0], n_members), dtype=np.float32)
    )
    return BatchScores(scores, parts, speaks)


def top_k(scores: np.ndarray, k: int, exclude: sp.spmatrix | np.ndarray | None = None) -> np.ndarray:
    """Per member (column), the row numbers of the ``k`` best candidates, best first.

    ``exclude`` (candidates × members, nonzero = never show: already saved, dismissed, already
    recommended, an excluded category) is applied before ranking. Within the chosen ``k``, ties go
    to the lower row. Fewer than ``k`` allowed candidates leave ``-1`` at the end of a member's row.
    Returns members × k."""
    s = np.asarray(scores, dtype=np.float32).copy()
    if exclude is not None:
        mask = np.asarray(exclude.toarray() if isinstance(exclude, sp.spmatrix) else exclude, dtype=bool)
        s[mask] = -np.inf
    k = min(k, s.shape[0])
    part = (
        np.argpartition(-s, k - 1, axis=0)[:k]
        if k < s.shape[0]
        else np.tile(np.arange(s.shape[0]), (s.shape[1], 1)).T
    )
    out = np.full((k, s.shape[1]), -1, dtype=np.int64)
    for j in range(s.shape[1]):
        rows = part[:, j]
        order = np.lexsort((rows, -s[rows, j]))
        chosen = rows[order]
        chosen = chosen[np.isfinite(s[chosen, j])]
        out[: len(chosen), j] = chosen
    return out.T
