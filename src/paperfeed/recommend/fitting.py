"""Fitting the blend's weights on the store's own members (``paperfeed recommend fit``).

The hand-set :data:`~paperfeed.recommend.blend.DEFAULT_WEIGHTS` are a compromise between four
benchmarks and fall below plain content-kNN on the cold-start ones (docs/benchmarks.md), while
``eval recommend`` shows that weights fitted on a benchmark's own users beat them on every
benchmark. This module does the same on the store: the same features (:func:`raw_features`), the
same calibration and the same logistic regression (:func:`fit_weights`) as ``eval recommend``'s
per-benchmark fit, on the members who have saved enough papers.

The construction, like the benchmarks' (and never run by a request: ``paperfeed recommend fit``
and the scheduler's daily ``recommend-fit`` job run it):

* **members**: those with at least :data:`MIN_SAVES` papers in their collections (a seeded sample of
  :data:`MAX_MEMBERS` when there are more); each one's
  latest saves (:data:`HOLD_OUT` of them, at least 2) are held out, the rest are their library;
* **candidates**: every paper those members saved plus the :data:`BACKGROUND` newest papers of the
  features index (what For you ranks is recent papers); a member's own library is excluded from theirs;
* **co-saves**: from every member's library with the held-out saves removed (so a held-out paper
  is found by others' libraries only, as a new save would be);
* **two fits**: ``eval recommend``'s logistic regression on pooled candidates, and coordinate
  ascent on nDCG@10 from the defaults (:func:`ndcg_ascent`) on the same examples;
* **held-out members**: the members are split in two seeded folds; each fold is ranked with
  weights fitted on the other one (at most :data:`FIT_MEMBERS`) by each fit, and with the
  defaults; nDCG@10 and recall@100 of all three are in the report;
* **the weights**: the fit the held-out members ranked best with, fitted again on every member (at
  most ``2 × FIT_MEMBERS``), put in use (``active``) only when it ranked the held-out members better
  than the defaults (higher nDCG@10, recall@100 not lower). Otherwise, and with fewer than
  :data:`MIN_MEMBERS` members, the defaults stay.

The result is one row of ``blend_weights`` in the store (the weights, ``active``, the report);
:func:`active_weights` is what For you and the digest read.
"""

from __future__ import annotations

import json
import math
import random
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np
import scipy.sparse as sp

from paperfeed.context import Paperfeed
from paperfeed.recommend.blend import (
    DEFAULT_WEIGHTS,
    FEATURES,
    BlendWeights,
    FitExamples,
    blend,
    calibrate,
    feature_matrix,
    fit_weights,
    heaviest_terms,
    raw_features,
)
from paperfeed.recommend.co_saves import SaveMatrix

BLEND_NAME = "for-you"
MIN_SAVES = 6
"""A member needs this many saved papers to take part (at least 4 stay in the library)."""
HOLD_OUT = 0.3
"""Share of a member's saves held out (their latest), at least 2."""
MIN_MEMBERS = 30
"""Below this many members a fit is not trusted: the defaults stay (the report says so)."""
FIT_MEMBERS = 400
"""At most this many members per fit (as in ``eval recommend``)."""
MAX_MEMBERS = 2 * FIT_MEMBERS + 1_200
"""At most this many members take part (a seeded sample): the fit and the held-out comparison of a
daily job stay bounded (1,446 members and 20,000 papers: 147 s on the loaded 2-core machine,
about 250 MB for a fold's 400 members × 20,000 candidates × 8 features in the nDCG@10 ascent)."""
BACKGROUND = 20_000
"""The newest papers of the features index that join the saved papers as candidates."""
MIN_DENSE_SHARE = 0.5


@dataclass(slots=True)
class HeldOut:
    """Mean metrics of the held-out members ranked with some weights."""

    ndcg_10: float = 0.0
    recall_100: float = 0.0
    members: int = 0


@dataclass(slots=True)
class FitReport:
    """What a fit did and found (stored with the weights, printed by ``recommend fit``)."""

    status: str
    """"fitted" (in use), "kept-defaults" (fitted, not better on held-out members) or
    "too-few-members"."""
    members: int = 0
    candidates: int = 0
    held_out_saves: int = 0
    embeddings: bool = False
    method: str = ""
    """Which fit the held-out members preferred (:data:`METHODS`)."""
    fitted: HeldOut = field(default_factory=HeldOut)
    defaults: HeldOut = field(default_factory=HeldOut)
    methods: dict[str, HeldOut] = field(default_factory=dict)
    fold_weights: dict[str, list[dict[str, float]]] = field(default_factory=dict)
    weights: dict[str, float] = field(default_factory=dict)
    message: str = ""

    @property
    def active(self) -> bool:
        return self.status == "fitted"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["active"] = self.active
        return data


def active_weights(app: Paperfeed) -> BlendWeights:
    """The weights For you and the digest rank with: the store's fitted ones when a fit put them
    in use, else the hand-set defaults."""
    stored = app.store.recommend.get_blend(BLEND_NAME)
    if stored is None or not stored.active:
        return DEFAULT_WEIGHTS
    try:
        return BlendWeights.from_json(stored.weights)
    except (ValueError, KeyError, TypeError):
        return DEFAULT_WEIGHTS


@dataclass(slots=True)
class _Corpus:
    """The candidates, their features, and each member's library / held-out rows."""

    ids: list[str]
    tfidf: sp.csr_matrix
    matching: sp.csr_matrix
    background: np.ndarray
    dense: np.ndarray | None
    train: dict[int, np.ndarray]
    test: dict[int, np.ndarray]
    saves: SaveMatrix


def _split(saved: Mapping[str, Any]) -> tuple[list[str], list[str]]:
    """(library, held out): the latest :data:`HOLD_OUT` of the saves (at least 2) held out."""
    ordered = sorted(saved, key=lambda pid: (saved[pid], pid))
    held = max(2, round(HOLD_OUT * len(ordered)))
    return ordered[:-held], ordered[-held:]


def _corpus(app: Paperfeed, members: list[int]) -> _Corpus | None:
    from paperfeed.library.signals import member_signals_many
    from paperfeed.search.tfidf_index import open_tfidf
    from paperfeed.search.vectors import open_vectors

    features = open_tfidf(app.settings.index_dir)
    if features is None:
        return None
    signals = member_signals_many(app, members)
    splits = {m: _split(signals[m].saved) for m in members}
    # other members' libraries count for co-saves too (all their saves: they hold nothing out)
    everyone = app.store.library.libraries_of(app.store.library.members_with_saves(1))
    # the candidates: the taking-part members' saved papers (others' libraries only count for
    # co-saves among them) and the newest papers
    saved_ids = sorted({pid for m in members for pid in signals[m].saved})
    newest = np.argsort(-np.asarray(features.published), kind="stable")[:BACKGROUND]
    recent = [features.ids[i] for i in newest]
    ids, rows = features.rows(list(dict.fromkeys([*saved_ids, *recent])))
    if not ids:
        return None
    row_of = {pid: i for i, pid in enumerate(ids)}
    libraries: dict[str, list[int]] = {}
    train: dict[int, np.ndarray] = {}
    test: dict[int, np.ndarray] = {}
    for user, collections in everyone.items():
        papers = {pid for cols in collections.values() for pid in cols}
        if user in splits:
            library, held = splits[user]
            train[user] = np.array(sorted(row_of[p] for p in library if p in row_of), dtype=np.int64)
            test[user] = np.array(sorted(row_of[p] for p in held if p in row_of), dtype=np.int64)
            papers = set(library)
        libraries[str(user)] = [row_of[p] for p in papers if p in row_of]
    dense: np.ndarray | None = None
    vectors = open_vectors(app)
    if vectors is not None:
        stored = vectors.get(ids)
        if len(stored) >= MIN_DENSE_SHARE * len(ids):
            mean = np.mean(np.stack(list(stored.values())), axis=0).astype(np.float32)
            dense = np.stack([stored.get(pid, mean) for pid in ids]).astype(np.float32)
    tfidf = sp.csr_matrix(rows, dtype=np.float32)
    return _Corpus(
        ids=ids,
        tfidf=tfidf,
        matching=heaviest_terms(tfidf),
        background=np.asarray(tfidf.mean(axis=0), dtype=np.float32).ravel(),
        dense=dense,
        train=train,
        test=test,
        saves=SaveMatrix(libraries, len(ids)),
    )


def _calibrated(corpus: _Corpus, user: int) -> tuple[dict[str, np.ndarray], np.ndarray]:
    train = corpus.train[user]
    own = np.zeros(len(corpus.ids), dtype=np.float32)
    own[train] = 1.0
    raw = raw_features(
        corpus.tfidf,
        match_candidates=corpus.matching,
        positives=corpus.tfidf[train],
        background=corpus.background,
        dense_candidates=corpus.dense,
        dense_positives=None if corpus.dense is None else corpus.dense[train],
        co_saves=corpus.saves.scores(train, member=str(user)),
        co_counts=corpus.saves.counts(train, member=str(user)),
        readers=np.maximum(corpus.saves.readers - own, 0.0),
    )
    allowed = np.ones(len(corpus.ids), dtype=bool)
    allowed[train] = False
    return calibrate(raw, allowed), allowed


_DISCOUNT = 1.0 / np.log2(np.arange(2, 12))
ASCENT_STEPS = (-2.0, -1.0, -0.5, 0.5, 1.0, 2.0)
ASCENT_ROUNDS = 3


Ranked = tuple[np.ndarray, np.ndarray]
"""One member for :func:`ndcg_ascent`: their candidates' calibrated features (candidates ×
features) and which candidates are relevant (booleans)."""


def mean_ndcg(members: Sequence[Ranked], weights: np.ndarray) -> float:
    """Mean nDCG@10 (binary gains) of the members' candidates ranked by ``features @ weights``."""
    total, counted = 0.0, 0
    for features, relevant in members:
        found = int(relevant.sum())
        if not found or not len(relevant):
            continue
        scores = features @ weights
        top = np.argpartition(-scores, min(10, len(scores) - 1))[:10]
        top = top[np.argsort(-scores[top], kind="stable")]
        total += float(_DISCOUNT[: len(top)][relevant[top]].sum()) / float(_DISCOUNT[: min(10, found)].sum())
        counted += 1
    return total / counted if counted else 0.0


def ndcg_ascent(
    members: Sequence[Ranked], names: Sequence[str], *, start: BlendWeights, source: str
) -> BlendWeights:
    """Coordinate ascent on nDCG@10 itself (RankLib's "coordinate ascent"), from ``start``: each
    weight in turn is moved by the step of :data:`ASCENT_STEPS` that raises the members' mean
    nDCG@10 over *all* their candidates, for :data:`ASCENT_ROUNDS` rounds. The logistic regression
    fits each pooled candidate's label; this fits the order of the top 10, which members see."""
    if not members:
        return start
    weights = np.array([start.weight(n) for n in names], dtype=np.float32)
    best = mean_ndcg(members, weights)
    for _ in range(ASCENT_ROUNDS):
        for j in range(len(weights)):
            for step in ASCENT_STEPS:
                trial = weights.copy()
                trial[j] += step
                value = mean_ndcg(members, trial)
                if value > best + 1e-6:
                    best, weights = value, trial
    found = {n: float(w) for n, w in zip(names, weights, strict=True) if w != 0.0}
    return BlendWeights(found, source=source, members=len(members))


METHODS = ("logistic", "ndcg-ascent")
"""How weights are fitted: ``eval recommend``'s logistic regression, and coordinate ascent on
nDCG@10 from the defaults; the held-out members choose."""


def _fit(corpus: _Corpus, users: list[int], *, source: str) -> dict[str, BlendWeights]:
    examples = FitExamples()
    ranked: list[Ranked] = []
    for user in users:
        calibrated, allowed = _calibrated(corpus, user)
        examples.add(calibrated, allowed, corpus.test[user])
        rows = np.flatnonzero(allowed)
        ranked.append((feature_matrix(calibrated, FEATURES, rows), np.isin(rows, corpus.test[user])))
    return {
        "logistic": fit_weights(examples, source=f"{source}, logistic"),
        "ndcg-ascent": ndcg_ascent(
            ranked, FEATURES, start=DEFAULT_WEIGHTS, source=f"{source}, nDCG@10 ascent"
        ),
    }


def _metrics(scores: np.ndarray, allowed: np.ndarray, relevant: np.ndarray) -> tuple[float, float]:
    """nDCG@10 (binary gains) and recall@100 of one member's ranking of the allowed candidates."""
    rows = np.flatnonzero(allowed)
    order = rows[np.argsort(-scores[rows], kind="stable")[:100]]
    hits = np.isin(order, relevant)
    ideal = sum(1.0 / math.log2(i + 2) for i in range(min(10, len(relevant))))
    dcg = sum(1.0 / math.log2(i + 2) for i in np.flatnonzero(hits[:10]))
    return (dcg / ideal if ideal else 0.0), float(hits.sum()) / max(1, len(relevant))


def _held_out(corpus: _Corpus, users: list[int], weights_of: Mapping[int, BlendWeights]) -> HeldOut:
    result = HeldOut()
    ndcgs, recalls = [], []
    for user in users:
        calibrated, allowed = _calibrated(corpus, user)
        scores = blend(calibrated, weights_of[user], len(corpus.ids))
        ndcg, recall = _metrics(scores, allowed, corpus.test[user])
        ndcgs.append(ndcg)
        recalls.append(recall)
    if ndcgs:
        result.ndcg_10 = round(float(np.mean(ndcgs)), 4)
        result.recall_100 = round(float(np.mean(recalls)), 4)
        result.members = len(ndcgs)
    return result


def _sample(users: list[int], count: int, seed: str) -> list[int]:
    return sorted(random.Random(seed).sample(users, min(count, len(users))))


def fit_store_weights(
    app: Paperfeed, *, min_members: int = MIN_MEMBERS, seed: int = 0, save: bool = True
) -> FitReport:
    """Fit the blend's weights on the store's members and record them (see the module docstring)."""
    members = app.store.library.members_with_saves(MIN_SAVES)
    if len(members) > MAX_MEMBERS:  # a daily job's bound: a seeded sample takes part
        members = sorted(random.Random(f"{seed}:members").sample(members, MAX_MEMBERS))
    corpus = _corpus(app, members) if len(members) >= min_members else None
    usable = sorted(u for u in corpus.test if len(corpus.train[u]) and len(corpus.test[u])) if corpus else []
    if corpus is None or len(usable) < min_members:
        count = len(usable) if corpus is not None else len(members)
        report = FitReport(status="too-few-members", members=count)
        report.message = (
            "no features index yet (the indexer builds it): the hand-set defaults rank"
            if corpus is None and len(members) >= min_members
            else f"{count} members with at least {MIN_SAVES} saved papers; a fit needs {min_members}: "
            "the hand-set defaults rank"
        )
        _record(app, DEFAULT_WEIGHTS, report, save=save)
        return report
    report = FitReport(status="kept-defaults", members=len(usable))
    report.candidates = len(corpus.ids)
    report.embeddings = corpus.dense is not None
    report.held_out_saves = int(sum(len(corpus.test[u]) for u in usable))
    shuffled = list(usable)
    random.Random(f"{seed}:folds").shuffle(shuffled)
    folds = [sorted(shuffled[: len(shuffled) // 2]), sorted(shuffled[len(shuffled) // 2 :])]
    fitted_of: dict[str, dict[int, BlendWeights]] = {m: {} for m in METHODS}
    for fold in (0, 1):
        other = folds[1 - fold]
        fits = _fit(corpus, _sample(other, FIT_MEMBERS, f"{seed}:fit:{fold}"), source=f"fold {1 - fold}")
        for method, weights in fits.items():
            report.fold_weights.setdefault(method, []).append(
                {k: round(v, 4) for k, v in weights.weights.items()}
            )
            fitted_of[method].update({u: weights for u in folds[fold]})
    report.defaults = _held_out(corpus, usable, dict.fromkeys(usable, DEFAULT_WEIGHTS))
    report.methods = {m: _held_out(corpus, usable, fitted_of[m]) for m in METHODS}
    eligible = [
        m
        for m in METHODS
        if report.methods[m].ndcg_10 > report.defaults.ndcg_10
        and report.methods[m].recall_100 >= report.defaults.recall_100
    ]
    report.method = max(eligible or METHODS, key=lambda m: report.methods[m].ndcg_10)
    report.fitted = report.methods[report.method]
    final = _fit(corpus, _sample(usable, 2 * FIT_MEMBERS, f"{seed}:fit:all"), source="store members")[
        report.method
    ]
    report.weights = {k: round(v, 4) for k, v in final.weights.items()}
    better = bool(eligible) and final is not DEFAULT_WEIGHTS
    report.status = "fitted" if better else "kept-defaults"
    report.message = (
        f"held-out members ({report.fitted.members}): nDCG@10 {report.fitted.ndcg_10:.4f} fitted "
        f"({report.method}) against {report.defaults.ndcg_10:.4f} with the defaults, recall@100 "
        f"{report.fitted.recall_100:.4f} against {report.defaults.recall_100:.4f}: "
        + ("the fitted weights rank from now on" if better else "the hand-set defaults keep ranking")
    )
    _record(app, final, report, save=save)
    return report


def _record(app: Paperfeed, weights: BlendWeights, report: FitReport, *, save: bool) -> None:
    if save:
        app.store.recommend.put_blend(
            BLEND_NAME,
            weights=weights.to_json(),
            active=report.active,
            report=json.dumps(report.to_dict(), sort_keys=True),
            now=app.clock.now(),
        )
