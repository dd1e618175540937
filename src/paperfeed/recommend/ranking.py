"""Ranking one member's candidates: the live counterpart of the evaluation's scorer.

Inputs are read, never computed: the candidates' features (:mod:`~paperfeed.recommend.candidates`),
the member's cached model (:mod:`~paperfeed.recommend.member_models`), their follows' matches
(:func:`paperfeed.library.follows_feed.follow_matches`: authors and categories in the store,
queries through the keyword index) and, for co-saves, who saved what
(:meth:`paperfeed.store.LibraryStore.savers`). The scoring is the pure core's
(:func:`~paperfeed.recommend.model.driver_parts`, :func:`~paperfeed.recommend.model.explain`).

Co-saves are computed on the sub-matrix of members and papers that can matter: every reader of the
member's positives and of the candidates, over those papers only. That is exact (the item-item
cosine needs each involved paper's full reader count, which the sub-matrix has) and costs two
store queries instead of loading every library.

Only papers with a reason are listed: a candidate that no driver speaks for (all contributions
≤ 0) is left out rather than shown as filler.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

import numpy as np
import scipy.sparse as sp

from paperfeed.context import Paperfeed
from paperfeed.library.follows_feed import follow_matches
from paperfeed.library.signals import MemberSignals
from paperfeed.recommend.blend import DEFAULT_WEIGHTS, BlendWeights
from paperfeed.recommend.candidates import Candidates
from paperfeed.recommend.co_saves import SaveMatrix
from paperfeed.recommend.model import Drivers, MemberModel, Parts, Reason, driver_parts, explain
from paperfeed.store import Follow

EXPLAIN_FACTOR = 3
"""Reasons are worked out for this many times ``limit`` of the best candidates, so that dropping
those without a reason still leaves ``limit`` papers when there are that many."""


@dataclass(slots=True)
class Ranked:
    """One listed paper: its score, its top reason, and its similarity to each positive (for the
    reason's wording: "like 3 papers in …")."""

    paper_id: str
    score: float
    reason: Reason
    similarity: np.ndarray | None = None
    linked: str | None = None  # co-saves: the positive whose readers overlap most with this paper's
    parts: dict[str, float] = field(default_factory=dict)  # each driver's term of the score


@dataclass(slots=True)
class Ranking:
    items: list[Ranked]
    follows: dict[str, Follow] = field(default_factory=dict)  # label → follow
    notices: list[str] = field(default_factory=list)
    candidates: int = 0
    excluded: int = 0


def drivers_of(signals: MemberSignals) -> Drivers:
    """The model's switches from the member's: library content is on whenever a positive is left
    (the ``library``, ``collection:<id>`` and ``more_like_this`` switches already chose them)."""
    return Drivers(
        library=True,
        not_interested=signals.driver_on("not_interested"),
        co_saves=signals.driver_on("co_saves"),
        follows=signals.driver_on("follows"),
    )


def follow_label(follow: Follow) -> str:
    return f"{follow.kind}:{follow.value}"


def match_follows(
    app: Paperfeed, follows: Sequence[Follow], candidates: Candidates
) -> tuple[dict[str, np.ndarray], list[str]]:
    """Per follow label, the candidate rows it matches (within ``[since, until)`` to the second and
    in the features index); and the notices of query follows."""
    if not follows or not len(candidates):
        return {}, []
    last_day = (candidates.until - timedelta(microseconds=1)).date()
    matches, notices = follow_matches(app, follows, candidates.since.date(), last_day)
    rows: dict[str, list[int]] = {}
    by_id = {f.id: f for f in follows}
    for paper_id, reasons in matches.items():
        row = candidates.row_of.get(paper_id)
        if row is None:
            continue
        for reason in reasons:
            rows.setdefault(follow_label(by_id[reason.follow_id]), []).append(row)
    return {label: np.array(sorted(set(r)), dtype=np.int64) for label, r in rows.items()}, notices


def follow_vectors(
    follows: Sequence[Follow], matched: dict[str, np.ndarray], n: int
) -> tuple[dict[str, np.ndarray], dict[str, Follow]]:
    """Per follow of the member that matched something, 1 for each candidate it matches; in the
    member's order of follows (on a tie of boosts, the first matching follow names the reason)."""
    vectors: dict[str, np.ndarray] = {}
    labels: dict[str, Follow] = {}
    for follow in follows:
        label = follow_label(follow)
        rows = matched.get(label)
        if rows is None or not len(rows) or label in vectors:
            continue
        vector = np.zeros(n, dtype=np.float32)
        vector[rows] = 1.0
        vectors[label] = vector
        labels[label] = follow
    return vectors, labels


@dataclass(slots=True)
class CoSaves:
    """Co-save scores of the candidates for one member, and what explains them."""

    scores: np.ndarray
    matrix: SaveMatrix
    columns: dict[str, int]
    positive_columns: np.ndarray
    member: str
    readers: np.ndarray | None = None  # per candidate: how many members saved it
    counts: np.ndarray | None = None  # per candidate: co-occurrence counts (SaveMatrix.counts)

    def links(self, positive_ids: Sequence[str], candidates: Sequence[str]) -> dict[str, str | None]:
        """For each candidate, the member's positive whose readers overlap most with the
        candidate's (other members only), as :meth:`SaveMatrix.strongest_link` names it, computed
        for all of them in one product."""
        wanted = [c for c in candidates if c in self.columns]
        found: dict[str, str | None] = dict.fromkeys(candidates)
        if not wanted or not len(self.positive_columns):
            return found
        readers = self.matrix.normalised_t  # papers × members
        positives = readers[self.positive_columns]
        chosen = readers[np.array([self.columns[c] for c in wanted], dtype=np.int64)]
        overlap = np.asarray((positives @ chosen.T).toarray(), dtype=np.float64)
        row = self.matrix.member_row.get(self.member)
        if row is not None:  # the member's own saves do not count
            own_p = positives[:, row].toarray().ravel()
            own_c = chosen[:, row].toarray().ravel()
            overlap -= np.outer(own_p, own_c)
        best = overlap.argmax(axis=0)
        for k, candidate in enumerate(wanted):
            if overlap[best[k], k] > 0:
                found[candidate] = str(positive_ids[int(best[k])])
        return found


def save_matrix(
    readers_by_paper: Iterable[dict[str, set[int]]],
) -> tuple[SaveMatrix, dict[str, int]]:
    """The members × papers save matrix of the given papers (every reader of each), and its columns."""
    columns: dict[str, int] = {}
    libraries: dict[str, list[int]] = {}
    for readers in readers_by_paper:
        for pid, users in readers.items():
            column = columns.setdefault(pid, len(columns))
            for user in users:
                libraries.setdefault(str(user), []).append(column)
    return SaveMatrix(libraries, len(columns)), columns


def co_saves(
    app: Paperfeed, user_id: int, positives: Sequence[str], candidates: Candidates
) -> CoSaves | None:
    """ "Readers who saved your papers also saved these": ``None`` when no one else shares a save."""
    if not positives or not len(candidates):
        return None
    readers_of_positives = app.store.library.savers(list(positives))
    if not any(readers - {user_id} for readers in readers_of_positives.values()):
        return None
    readers_of_candidates = {
        pid: readers
        for pid, readers in app.store.library.savers_published(candidates.since, candidates.until).items()
        if pid in candidates.row_of
    }
    if not any(readers - {user_id} for readers in readers_of_candidates.values()):
        return None
    matrix, columns = save_matrix(
        [{p: readers_of_positives.get(p, set()) for p in positives}, readers_of_candidates]
    )
    member = str(user_id)
    positive_columns = np.array([columns[p] for p in positives], dtype=np.int64)
    every = matrix.scores(positive_columns, member=member)
    every_count = matrix.counts(positive_columns, member=member)
    scores = np.zeros(len(candidates), dtype=np.float32)
    counts = np.zeros(len(candidates), dtype=np.float32)
    readers = np.zeros(len(candidates), dtype=np.float32)
    for pid, users in readers_of_candidates.items():
        scores[candidates.row_of[pid]] = every[columns[pid]]
        counts[candidates.row_of[pid]] = every_count[columns[pid]]
        readers[candidates.row_of[pid]] = len(users)  # as the batch: the member's own are blocked
    if not np.any(scores):
        return None
    return CoSaves(scores, matrix, columns, positive_columns, member, readers, counts)


def similarities(
    model: MemberModel,
    candidates: Candidates,
    rows: np.ndarray,
    positives: tuple[sp.csr_matrix, np.ndarray | None] | None = None,
) -> np.ndarray | None:
    """Cosine (TF-IDF, plus embeddings when present) of the candidate ``rows`` to each positive;
    ``positives`` are the positives' rows when the caller has them (the batch gathers a chunk's)."""
    if not model.has_positives or not model.positive_ids or not len(rows):
        return None
    tfidf, dense = positives if positives is not None else candidates.positive_rows(model.positive_ids)
    sim = np.asarray((candidates.tfidf[rows] @ tfidf.T).toarray(), dtype=np.float32)
    if dense is not None and candidates.dense is not None:
        sim += candidates.dense[rows] @ dense.T
    return sim


def pick(
    model: MemberModel,
    parts: Parts,
    scores: np.ndarray,
    candidates: Candidates,
    *,
    blocked: np.ndarray,
    limit: int,
    shared: CoSaves | None = None,
    positives: tuple[sp.csr_matrix, np.ndarray | None] | None = None,
) -> list[Ranked]:
    """The best ``limit`` candidates that are not ``blocked`` (row numbers) and that some driver
    speaks for, best first (ties: the newer paper), each with its reason."""
    n = len(candidates)
    speaks = parts.speaks or parts.values
    if not speaks or n == 0:
        return []
    allowed = np.max(np.vstack(list(speaks.values())), axis=0) > 0
    allowed[blocked] = False
    pool = np.flatnonzero(allowed)
    if not len(pool):
        return []
    depth = min(len(pool), max(limit, 1) * EXPLAIN_FACTOR)
    best = pool[np.argpartition(-scores[pool], depth - 1)[:depth]] if depth < len(pool) else pool
    best = best[np.lexsort((best, -scores[best]))]  # score, then newer (candidates are newest first)
    sim = similarities(model, candidates, best, positives)
    reasons = explain(model, parts, best, candidates.tfidf, similarity=sim)
    items: list[Ranked] = []
    for j, (row, reason) in enumerate(zip(best.tolist(), reasons, strict=True)):
        if reason.driver == "none" or (reason.driver == "library" and reason.paper_id is None):
            continue
        items.append(
            Ranked(
                candidates.ids[row],
                float(scores[row]),
                reason,
                sim[j] if sim is not None else None,
                parts={name: float(values[row]) for name, values in parts.values.items()},
            )
        )
        if len(items) >= limit:
            break
    if shared is not None:
        linked = shared.links(
            model.positive_ids, [i.paper_id for i in items if i.reason.driver == "co_saves"]
        )
        for item in items:
            item.linked = linked.get(item.paper_id)
    return items


def blocked_rows(candidates: Candidates, exclude: Iterable[str]) -> np.ndarray:
    return np.array(sorted({candidates.row_of[p] for p in exclude if p in candidates.row_of}), dtype=np.int64)


def rank_member(
    app: Paperfeed,
    signals: MemberSignals,
    model: MemberModel,
    candidates: Candidates,
    *,
    limit: int,
    exclude: Iterable[str] = (),
    weights: BlendWeights | None = None,
) -> Ranking:
    """The member's best ``limit`` candidates that have a reason, best first."""
    n = len(candidates)
    drivers = drivers_of(signals)
    enabled = signals.enabled_follows if drivers.follows else []
    matched, notices = match_follows(app, enabled, candidates)
    follows, labels = follow_vectors(enabled, matched, n)
    shared = co_saves(app, signals.user_id, model.positive_ids, candidates) if drivers.co_saves else None
    blocked = blocked_rows(candidates, exclude)
    ranking = Ranking([], labels, notices, candidates=n, excluded=len(blocked))
    if n == 0:
        return ranking
    positives = candidates.positive_rows(model.positive_ids) if model.positive_ids else None
    parts: Parts = driver_parts(
        model,
        candidates.tfidf,
        candidates.background,
        dense_candidates=candidates.dense if model.dense_positive is not None else None,
        positives=positives[0] if positives is not None else None,
        match_candidates=candidates.matching,
        dense_positives=positives[1] if positives is not None else None,
        co_saves=shared.scores if shared is not None else None,
        co_counts=shared.counts if shared is not None else None,
        readers=shared.readers if shared is not None else None,
        follows=follows,
        drivers=drivers,
        weights=weights if weights is not None else DEFAULT_WEIGHTS,
    )
    ranking.items = pick(
        model,
        parts,
        parts.total(n),
        candidates,
        blocked=blocked,
        limit=limit,
        shared=shared,
        positives=positives,
    )
    return ranking
