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

from paperfeed.context import Paperfeed
from paperfeed.library.follows_feed import follow_matches
from paperfeed.library.signals import MemberSignals
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


def follow_vectors(
    app: Paperfeed, follows: Sequence[Follow], candidates: Candidates
) -> tuple[dict[str, np.ndarray], dict[str, Follow], list[str]]:
    """Per enabled follow, 1 for each candidate it matches (and the notices of query follows)."""
    if not follows or not len(candidates):
        return {}, {}, []
    last_day = (candidates.until - timedelta(microseconds=1)).date()
    matches, notices = follow_matches(app, follows, candidates.since.date(), last_day)
    by_id = {f.id: f for f in follows}
    vectors: dict[str, np.ndarray] = {}
    labels: dict[str, Follow] = {}
    for paper_id, reasons in matches.items():
        row = candidates.row_of.get(paper_id)
        if row is None:  # outside [since, until) to the second, or not in the features index yet
            continue
        for reason in reasons:
            follow = by_id[reason.follow_id]
            label = follow_label(follow)
            labels[label] = follow
            vectors.setdefault(label, np.zeros(len(candidates), dtype=np.float32))[row] = 1.0
    return vectors, labels, notices


@dataclass(slots=True)
class CoSaves:
    """Co-save scores of the candidates for one member, and what explains them."""

    scores: np.ndarray
    matrix: SaveMatrix
    columns: dict[str, int]
    positive_columns: np.ndarray
    member: str


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
    columns: dict[str, int] = {}
    for pid in [*positives, *readers_of_candidates]:
        columns.setdefault(pid, len(columns))
    libraries: dict[str, list[int]] = {}
    for readers_by_paper in (readers_of_positives, readers_of_candidates):
        for pid, readers in readers_by_paper.items():
            for reader in readers:
                libraries.setdefault(str(reader), []).append(columns[pid])
    matrix = SaveMatrix(libraries, len(columns))
    member = str(user_id)
    positive_columns = np.array([columns[p] for p in positives], dtype=np.int64)
    every = matrix.scores(positive_columns, member=member)
    scores = np.zeros(len(candidates), dtype=np.float32)
    for pid in readers_of_candidates:
        scores[candidates.row_of[pid]] = every[columns[pid]]
    if not np.any(scores):
        return None
    return CoSaves(scores, matrix, columns, positive_columns, member)


def similarities(model: MemberModel, candidates: Candidates, rows: np.ndarray) -> np.ndarray | None:
    """Cosine (TF-IDF, plus embeddings when present) of the candidate ``rows`` to each positive."""
    if not model.has_positives or not model.positive_ids or not len(rows):
        return None
    positives, dense = candidates.positive_rows(model.positive_ids)
    sim = np.asarray((candidates.tfidf[rows] @ positives.T).toarray(), dtype=np.float32)
    if dense is not None and candidates.dense is not None:
        sim += candidates.dense[rows] @ dense.T
    return sim


def rank_member(
    app: Paperfeed,
    signals: MemberSignals,
    model: MemberModel,
    candidates: Candidates,
    *,
    limit: int,
    exclude: Iterable[str] = (),
) -> Ranking:
    """The member's best ``limit`` candidates that have a reason, best first."""
    n = len(candidates)
    drivers = drivers_of(signals)
    follows, labels, notices = (
        follow_vectors(app, signals.enabled_follows, candidates) if drivers.follows else ({}, {}, [])
    )
    shared = co_saves(app, signals.user_id, model.positive_ids, candidates) if drivers.co_saves else None
    ranking = Ranking([], labels, notices, candidates=n)
    if n == 0:
        return ranking
    parts: Parts = driver_parts(
        model,
        candidates.tfidf,
        candidates.background,
        dense_candidates=candidates.dense if model.dense_positive is not None else None,
        co_saves=shared.scores if shared is not None else None,
        follows=follows,
        drivers=drivers,
    )
    scores = parts.total(n)
    blocked = np.array([candidates.row_of[p] for p in set(exclude) if p in candidates.row_of], dtype=np.int64)
    ranking.excluded = len(blocked)
    allowed = np.ones(n, dtype=bool)
    allowed[blocked] = False
    # Only a candidate some driver speaks for can have a reason.
    if parts.values:
        allowed &= np.max(np.vstack(list(parts.values.values())), axis=0) > 0
    else:
        allowed[:] = False
    pool = np.flatnonzero(allowed)
    if not len(pool):
        return ranking
    depth = min(len(pool), max(limit, 1) * EXPLAIN_FACTOR)
    best = pool[np.argpartition(-scores[pool], depth - 1)[:depth]] if depth < len(pool) else pool
    best = best[np.lexsort((best, -scores[best]))]  # score, then newer (candidates are newest first)
    sim = similarities(model, candidates, best)
    reasons = explain(model, parts, best, candidates.tfidf, similarity=sim)
    for j, (row, reason) in enumerate(zip(best.tolist(), reasons, strict=True)):
        if reason.driver == "none" or (reason.driver == "library" and reason.paper_id is None):
            continue
        item = Ranked(candidates.ids[row], float(scores[row]), reason, sim[j] if sim is not None else None)
        if reason.driver == "co_saves" and shared is not None:
            link = shared.matrix.strongest_link(
                shared.positive_columns, shared.columns[candidates.ids[row]], member=shared.member
            )
            if link is not None:
                item.linked = model.positive_ids[int(np.flatnonzero(shared.positive_columns == link)[0])]
        ranking.items.append(item)
        if len(ranking.items) >= limit:
            break
    return ranking
