"""``paperfeed eval recommend DIR``: paperfeed's recommender against its baselines, on any folder.

For each user with test papers, every corpus paper not in their train library is ranked by each
method, and recall@50, recall@100, binary nDCG@10 and MRR@10 are averaged over users
(:mod:`~paperfeed.evaluation.metrics`). Methods:

* ``popularity``, ``tfidf-centroid``, ``arxiv-sanity-svm``: :mod:`~paperfeed.evaluation.baselines`;
* ``item-knn``: co-saves alone (item-item cosine over the other users' train libraries, summed
  over the user's library: :mod:`~paperfeed.recommend.co_saves`);
* ``content-knn``: the mean TF-IDF cosine to the library's papers;
* ``simple-blend``: ``item-knn`` and ``content-knn`` min-max scaled per user and summed (the
  "about 40 lines" baseline of issue 16);
* ``paperfeed``: the calibrated blend (:mod:`~paperfeed.recommend.blend`) on TF-IDF, co-saves and
  popularity, its weights **fitted on this benchmark's held-out users**: the users with test papers
  are split in two folds (seeded); a user of one fold is ranked with weights fitted on up to
  :data:`FIT_USERS` users of the other fold (their test papers as labels), so no user's own test
  papers ever shape their ranking, and every benchmark gets its own weights;
* ``paperfeed+embeddings``: the same plus sentence embeddings, when ``embeddings=True`` and the
  semantic extra works (otherwise listed under ``skipped`` with the reason).

Besides the means, the report compares the run's method (``paperfeed+embeddings`` if evaluated,
else ``paperfeed``) with every other method user by user (:class:`~paperfeed.evaluation.paired.Comparison`: wins, losses, ties,
a two-sided sign test and a bootstrap 95% interval of the mean difference, for nDCG@10 and
recall@100).

The background (the "average paper" the ``generic`` feature compares with) is a fixed random sample
of :data:`BACKGROUND_SIZE` corpus papers: a benchmark corpus has no dates. Ties are broken by corpus
order so every run is reproducible. Test papers that are also in the user's train library are
dropped from their relevant set (they are never ranked); a user left with none is not counted.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from paperfeed.evaluation import baselines
from paperfeed.evaluation.dataset import Dataset, read_dataset
from paperfeed.evaluation.metrics import mrr_at, ndcg_at, recall_at
from paperfeed.evaluation.paired import Comparison, paired
from paperfeed.recommend.blend import (
    BlendWeights,
    FitExamples,
    blend,
    calibrate,
    fit_weights,
    heaviest_terms,
    raw_features,
)
from paperfeed.recommend.co_saves import SaveMatrix
from paperfeed.recommend.features import ARXIV_SANITY, DEFAULT_MODEL, EmbeddingCache, TfidfConfig, fit_tfidf

BACKGROUND_SIZE = 2000
RUN_DEPTH = 100
FIT_USERS = 400
"""Users of the other fold the blend's weights are fitted on (sampled, seeded)."""
METHODS = (
    "popularity",
    "tfidf-centroid",
    "arxiv-sanity-svm",
    "item-knn",
    "content-knn",
    "simple-blend",
    "paperfeed",
    "paperfeed+embeddings",
)
#: ablations, run only when named in ``methods``: paperfeed with the co-saves driver switched off,
#: and with the default (unfitted) weights
ABLATIONS = (
    "paperfeed-content-only",
    "paperfeed+embeddings-content-only",
    "paperfeed-default-weights",
)

Scorer = Callable[[str, np.ndarray], np.ndarray]


@dataclass(slots=True)
class MethodResult:
    name: str
    recall_50: float
    recall_100: float
    ndcg_10: float
    users: int
    seconds: float
    mrr_10: float = 0.0
    weights: dict[str, dict[str, float]] | None = None  # fitted blends: fold → feature → weight

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "name": self.name,
            "recall@50": round(self.recall_50, 4),
            "recall@100": round(self.recall_100, 4),
            "ndcg@10": round(self.ndcg_10, 4),
            "mrr@10": round(self.mrr_10, 4),
            "users": self.users,
            "seconds": round(self.seconds, 2),
        }
        if self.weights is not None:
            data["weights"] = self.weights
        return data


@dataclass(slots=True)
class Report:
    """What ``eval recommend`` measured; ``to_dict()`` is its ``--json`` output."""

    dataset: str
    papers: int
    users_with_tests: int
    users_evaluated: int
    seed: int
    sampled: bool
    methods: list[MethodResult] = field(default_factory=list)
    skipped: dict[str, str] = field(default_factory=dict)
    run_out: str | None = None
    run_method: str | None = None
    comparisons: list[Comparison] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["methods"] = [m.to_dict() for m in self.methods]
        data["comparisons"] = [c.to_dict() for c in self.comparisons]
        return data

    def best(self) -> MethodResult | None:
        return max(self.methods, key=lambda m: m.ndcg_10, default=None)


def top_rows(scores: np.ndarray, exclude: np.ndarray, depth: int) -> np.ndarray:
    """The ``depth`` best rows, excluding ``exclude``; ties broken by row number (reproducible)."""
    s = np.asarray(scores, dtype=np.float64).copy()
    s[exclude] = -np.inf
    depth = min(depth, len(s) - len(np.unique(exclude)))
    if depth <= 0:
        return np.zeros(0, dtype=np.int64)
    pool = np.argpartition(-s, depth - 1)[:depth] if depth < len(s) else np.arange(len(s))
    # widen the pool to every row tied with the cut-off score, then order by (score desc, row asc)
    cut = s[pool].min()
    pool = np.flatnonzero(s >= cut)
    order = np.lexsort((pool, -s[pool]))
    return pool[order][:depth]


def sample_users(users: list[str], n: int | None, seed: int) -> list[str]:
    """All users (sorted), or a fixed random sample of ``n`` of them for a given seed."""
    ordered = sorted(users)
    if n is None or n >= len(ordered):
        return ordered
    return sorted(random.Random(seed).sample(ordered, n))


def write_run(path: Path, run: dict[str, list[tuple[str, float]]], tag: str) -> None:
    """TREC run format: ``user Q0 paper rank score tag``, one line per ranked paper."""
    with path.open("w", encoding="utf-8") as handle:
        for user, ranking in run.items():
            for rank, (pid, score) in enumerate(ranking, start=1):
                handle.write(f"{user} Q0 {pid} {rank} {score:.6f} {tag}\n")


class _Context:
    """Features and shared state for one evaluation (built lazily: each only if a method needs it)."""

    def __init__(self, data: Dataset, *, seed: int, work_dir: Path | None, model: str) -> None:
        self.data = data
        self.seed = seed
        self.work_dir = work_dir
        self.model = model
        self._tfidf: sp.csr_matrix | None = None
        self._sanity: sp.csr_matrix | None = None
        self._dense: np.ndarray | None = None
        self._saves: SaveMatrix | None = None
        self.background_rows = np.sort(
            np.random.default_rng(seed).choice(
                len(data.ids), min(BACKGROUND_SIZE, len(data.ids)), replace=False
            )
        )
        self._background: np.ndarray | None = None
        self._matching: sp.csr_matrix | None = None

    @property
    def tfidf(self) -> sp.csr_matrix:
        if self._tfidf is None:
            self._tfidf = sp.csr_matrix(fit_tfidf(self.data.documents, TfidfConfig())[1], dtype=np.float32)
        return self._tfidf

    @property
    def background(self) -> np.ndarray:
        if self._background is None:
            self._background = np.asarray(self.tfidf[self.background_rows].mean(axis=0), np.float32).ravel()
        return self._background

    @property
    def sanity(self) -> sp.csr_matrix:
        if self._sanity is None:
            self._sanity = fit_tfidf(self.data.documents, ARXIV_SANITY)[1]
        return self._sanity

    @property
    def dense(self) -> np.ndarray:
        if self._dense is None:
            from platformdirs import user_cache_dir

            folder = self.work_dir or Path(user_cache_dir("paperfeed")) / "recommend-eval"
            self._dense = EmbeddingCache(folder / "embeddings", self.model).embed(self.data.documents)
        return self._dense

    @property
    def saves(self) -> SaveMatrix:
        if self._saves is None:
            self._saves = SaveMatrix(self.data.train, len(self.data.ids))
        return self._saves

    def readers(self, user: str, train: np.ndarray) -> np.ndarray:
        """Per paper, how many *other* users have it in their train library."""
        own = np.zeros(len(self.data.ids), dtype=np.float32)
        own[train] = 1.0
        return self.saves.readers - own

    def features(
        self, user: str, train: np.ndarray, *, embeddings: bool, co_saves: bool = True
    ) -> dict[str, np.ndarray]:
        """The blend's raw features of every corpus paper for this user (see recommend.blend)."""
        dense = self.dense if embeddings else None
        if self._matching is None:
            self._matching = heaviest_terms(self.tfidf)
        return raw_features(
            self.tfidf,
            match_candidates=self._matching,
            positives=self.tfidf[train],
            background=self.background,
            dense_candidates=dense,
            dense_positives=None if dense is None else dense[train],
            co_saves=self.saves.scores(train, member=user) if co_saves else None,
            co_counts=self.saves.counts(train, member=user) if co_saves else None,
            readers=self.readers(user, train) if co_saves else None,
        )


def _allowed(n: int, train: np.ndarray) -> np.ndarray:
    allowed = np.ones(n, dtype=bool)
    allowed[train] = False
    return allowed


def _minmax(values: np.ndarray, train: np.ndarray) -> np.ndarray:
    scaled = calibrate({"v": values}, _allowed(len(values), train))
    return scaled.get("v", np.zeros(len(values), dtype=np.float32))


def _folds(users: list[str], seed: int) -> dict[str, int]:
    """Every user with test papers in fold 0 or 1 (a seeded shuffle, halves)."""
    ordered = sorted(users)
    random.Random(f"{seed}:folds").shuffle(ordered)
    return {u: (0 if i < len(ordered) // 2 else 1) for i, u in enumerate(ordered)}


class _Blend:
    """paperfeed's calibrated blend with weights fitted per fold on the other fold's users."""

    def __init__(self, ctx: _Context, *, embeddings: bool, co_saves: bool, fitted: bool) -> None:
        self.ctx = ctx
        self.embeddings = embeddings
        self.co_saves = co_saves
        self.fitted = fitted
        self.weights: dict[int, BlendWeights] = {}

    def fit(self, fold: int, folds: dict[str, int]) -> BlendWeights:
        data = self.ctx.data
        others = sorted(u for u, f in folds.items() if f != fold)
        chosen = sorted(
            random.Random(f"{self.ctx.seed}:fit:{fold}").sample(others, min(FIT_USERS, len(others)))
        )
        examples = FitExamples()
        for user in chosen:
            train = np.asarray(data.train.get(user, []), dtype=np.int64)
            relevant = np.array(sorted(set(data.test[user]) - set(train.tolist())), dtype=np.int64)
            if not len(train) or not len(relevant):
                continue
            raw = self.ctx.features(user, train, embeddings=self.embeddings, co_saves=self.co_saves)
            allowed = _allowed(len(data.ids), train)
            examples.add(calibrate(raw, allowed), allowed, relevant)
        return fit_weights(examples, source=f"{data.name} fold {1 - fold}")

    def scorer(self, folds: dict[str, int]) -> Scorer:
        from paperfeed.recommend.blend import DEFAULT_WEIGHTS

        def score(user: str, train: np.ndarray) -> np.ndarray:
            n = len(self.ctx.data.ids)
            if not len(train):
                return np.zeros(n, dtype=np.float32)
            fold = folds.get(user, 0)
            if fold not in self.weights:
                self.weights[fold] = self.fit(fold, folds) if self.fitted else DEFAULT_WEIGHTS
            raw = self.ctx.features(user, train, embeddings=self.embeddings, co_saves=self.co_saves)
            return blend(calibrate(raw, _allowed(n, train)), self.weights[fold], n)

        return score


def _scorer(name: str, ctx: _Context, folds: dict[str, int], blends: dict[str, _Blend]) -> Scorer:
    if name == "popularity":
        counts = baselines.popularity(len(ctx.data.ids), (np.asarray(r) for r in ctx.data.train.values()))
        return lambda user, train: counts
    if name == "tfidf-centroid":
        return lambda user, train: baselines.centroid_scores(ctx.tfidf, train)
    if name == "arxiv-sanity-svm":
        return lambda user, train: baselines.svm_scores(ctx.sanity, train)
    if name == "item-knn":
        return lambda user, train: ctx.saves.scores(train, member=user)
    if name == "content-knn":
        return lambda user, train: baselines.mean_cosine_scores(ctx.tfidf, train)
    if name == "simple-blend":
        return lambda user, train: (
            _minmax(ctx.saves.scores(train, member=user), train)
            + _minmax(baselines.mean_cosine_scores(ctx.tfidf, train), train)
        )
    if name in METHODS + ABLATIONS and name.startswith("paperfeed"):
        blends[name] = _Blend(
            ctx,
            embeddings="embeddings" in name,
            co_saves="content-only" not in name,
            fitted="default-weights" not in name,
        )
        return blends[name].scorer(folds)
    raise ValueError(f"unknown method {name!r} (known: {', '.join(METHODS + ABLATIONS)})")


def evaluate_recommenders(
    folder: Path,
    *,
    users: int | None = None,
    run_out: Path | None = None,
    embeddings: bool = False,
    seed: int = 0,
    methods: tuple[str, ...] | None = None,
    work_dir: Path | None = None,
    embedding_model: str = DEFAULT_MODEL,
    progress: Callable[[str, int, int], None] | None = None,
) -> Report:
    """Evaluate every method on the benchmark in ``folder`` (see the module docstring).

    ``users`` evaluates a fixed random sample (``seed``); ``run_out`` gets paperfeed's top 100 per
    user in TREC form (with embeddings when they were evaluated); ``work_dir`` caches embeddings
    (default: the user cache directory), so a second run embeds nothing."""
    data = read_dataset(folder)
    with_tests = [u for u, rows in data.test.items() if rows]
    chosen = sample_users(with_tests, users, seed)
    folds = _folds(with_tests, seed)
    report = Report(data.name, len(data.ids), len(with_tests), 0, seed, users is not None)
    wanted = list(methods or METHODS)
    ctx = _Context(data, seed=seed, work_dir=work_dir, model=embedding_model)
    dense_methods = [m for m in wanted if "embeddings" in m]
    why_not: str | None = None if embeddings else "not asked for (embeddings=False)"
    if dense_methods and why_not is None:
        from paperfeed.search.embedders import EmbedderUnavailable

        try:
            _ = ctx.dense
        except EmbedderUnavailable as exc:
            why_not = str(exc)
    if why_not is not None:
        for method in dense_methods:
            wanted.remove(method)
            report.skipped[method] = why_not
    run_method = next((m for m in ("paperfeed+embeddings", "paperfeed") if m in wanted), None)
    empty = np.zeros(0, dtype=np.int64)
    run: dict[str, list[tuple[str, float]]] = {}
    per_user: dict[str, dict[str, np.ndarray]] = {}
    blends: dict[str, _Blend] = {}
    for name in wanted:
        scorer = _scorer(name, ctx, folds, blends)
        started = time.perf_counter()
        rows: list[tuple[float, float, float, float]] = []
        for done, user in enumerate(chosen, start=1):
            train = np.asarray(data.train.get(user, []), dtype=np.int64)
            relevant = set(data.test[user]) - set(train.tolist())
            if not relevant:
                continue
            scores = scorer(user, train if len(train) else empty)
            ranked = top_rows(scores, train, RUN_DEPTH)
            listed = ranked.tolist()
            rows.append(
                (
                    recall_at(listed, relevant, 50),
                    recall_at(listed, relevant, 100),
                    ndcg_at(listed, relevant, 10),
                    mrr_at(listed, relevant, 10),
                )
            )
            if run_out is not None and name == run_method:
                run[user] = [(data.ids[r], float(scores[r])) for r in ranked]
            if progress is not None:
                progress(name, done, len(chosen))
        values = np.array(rows, dtype=np.float64).reshape(-1, 4)
        means = values.mean(axis=0) if len(values) else np.zeros(4)
        per_user[name] = {"ndcg@10": values[:, 2], "recall@100": values[:, 1]}
        fitted = blends.get(name)
        report.methods.append(
            MethodResult(
                name,
                float(means[0]),
                float(means[1]),
                float(means[2]),
                len(values),
                time.perf_counter() - started,
                mrr_10=float(means[3]),
                weights=(
                    {
                        w.source: {k: round(v, 3) for k, v in w.weights.items()}
                        for w in fitted.weights.values()
                    }
                    if fitted is not None
                    else None
                ),
            )
        )
        report.users_evaluated = len(values)
    if run_method is not None:
        for other in wanted:
            if other == run_method:
                continue
            report.comparisons.append(
                Comparison(
                    run_method,
                    other,
                    [
                        paired(metric, per_user[run_method][metric], per_user[other][metric], seed)
                        for metric in ("ndcg@10", "recall@100")
                    ],
                )
            )
    if run_out is not None and run_method is not None:
        write_run(run_out, run, run_method)
        report.run_out = str(run_out)
        report.run_method = run_method
    return report
