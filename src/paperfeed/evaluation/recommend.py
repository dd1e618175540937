"""``paperfeed eval recommend DIR``: paperfeed's recommender against three baselines, on any folder.

For each user with test papers, every corpus paper not in their train library is ranked by each
method, and recall@50, recall@100 and binary nDCG@10 are averaged over users
(:mod:`~paperfeed.evaluation.metrics`). Methods:

* ``popularity``, ``tfidf-centroid``, ``arxiv-sanity-svm``: :mod:`~paperfeed.evaluation.baselines`;
* ``paperfeed``: :mod:`~paperfeed.recommend.model` on TF-IDF, blended with co-saves from the other
  users' train libraries (:mod:`~paperfeed.recommend.co_saves`), trained once per user;
* ``paperfeed+embeddings``: the same plus sentence embeddings, when ``embeddings=True`` and the
  semantic extra works (otherwise listed under ``skipped`` with the reason).

The background (the "recent papers" a member model is contrasted with) is a fixed random sample
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
from paperfeed.evaluation.metrics import ndcg_at, recall_at
from paperfeed.recommend.co_saves import SaveMatrix
from paperfeed.recommend.features import ARXIV_SANITY, DEFAULT_MODEL, EmbeddingCache, TfidfConfig, fit_tfidf
from paperfeed.recommend.model import Background, Drivers, ModelConfig, score_member, train_member

BACKGROUND_SIZE = 2000
RUN_DEPTH = 100
METHODS = ("popularity", "tfidf-centroid", "arxiv-sanity-svm", "paperfeed", "paperfeed+embeddings")
#: ablations, run only when named in ``methods``: paperfeed with the co-saves driver switched off
ABLATIONS = ("paperfeed-content-only", "paperfeed+embeddings-content-only")

Scorer = Callable[[str, np.ndarray], np.ndarray]


@dataclass(slots=True)
class MethodResult:
    name: str
    recall_50: float
    recall_100: float
    ndcg_10: float
    users: int
    seconds: float

    def to_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "recall@50": round(self.recall_50, 4),
            "recall@100": round(self.recall_100, 4),
            "ndcg@10": round(self.ndcg_10, 4),
            "users": self.users,
            "seconds": round(self.seconds, 2),
        }


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

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["methods"] = [m.to_dict() for m in self.methods]
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

    @property
    def tfidf(self) -> sp.csr_matrix:
        if self._tfidf is None:
            self._tfidf = fit_tfidf(self.data.documents, TfidfConfig())[1]
        return self._tfidf

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


def paperfeed_scorer(
    ctx: _Context, *, embeddings: bool, config: ModelConfig = ModelConfig(), drivers: Drivers = Drivers()
) -> Scorer:
    """paperfeed's recommender as an evaluation method (no negatives or follows in a benchmark)."""
    tfidf = ctx.tfidf
    dense = ctx.dense if embeddings else None
    background = Background.from_rows(
        tfidf[ctx.background_rows], None if dense is None else dense[ctx.background_rows]
    )
    saves = ctx.saves

    def score(user: str, train: np.ndarray) -> np.ndarray:
        model = train_member(
            tfidf[train], dense_positives=None if dense is None else dense[train], config=config
        )
        scored = score_member(
            model,
            tfidf,
            background,
            dense_candidates=dense,
            co_saves=saves.scores(train, member=user) if drivers.co_saves else None,
            drivers=drivers,
            config=config,
            reasons=False,
        )
        return scored.scores

    return score


def _scorer(name: str, ctx: _Context) -> Scorer:
    if name == "popularity":
        counts = baselines.popularity(len(ctx.data.ids), (np.asarray(r) for r in ctx.data.train.values()))
        return lambda user, train: counts
    if name == "tfidf-centroid":
        return lambda user, train: baselines.centroid_scores(ctx.tfidf, train)
    if name == "arxiv-sanity-svm":
        return lambda user, train: baselines.svm_scores(ctx.sanity, train)
    if name == "paperfeed":
        return paperfeed_scorer(ctx, embeddings=False)
    if name == "paperfeed+embeddings":
        return paperfeed_scorer(ctx, embeddings=True)
    if name in ABLATIONS:
        return paperfeed_scorer(ctx, embeddings="embeddings" in name, drivers=Drivers(co_saves=False))
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
    for name in wanted:
        scorer = _scorer(name, ctx)
        started = time.perf_counter()
        totals = np.zeros(3)
        counted = 0
        for done, user in enumerate(chosen, start=1):
            train = np.asarray(data.train.get(user, []), dtype=np.int64)
            relevant = set(data.test[user]) - set(train.tolist())
            if not relevant:
                continue
            scores = scorer(user, train if len(train) else empty)
            ranked = top_rows(scores, train, RUN_DEPTH)
            listed = ranked.tolist()
            totals += (
                recall_at(listed, relevant, 50),
                recall_at(listed, relevant, 100),
                ndcg_at(listed, relevant, 10),
            )
            counted += 1
            if run_out is not None and name == run_method:
                run[user] = [(data.ids[r], float(scores[r])) for r in ranked]
            if progress is not None:
                progress(name, done, len(chosen))
        means = totals / counted if counted else totals
        report.methods.append(
            MethodResult(
                name,
                float(means[0]),
                float(means[1]),
                float(means[2]),
                counted,
                time.perf_counter() - started,
            )
        )
        report.users_evaluated = counted
    if run_out is not None and run_method is not None:
        write_run(run_out, run, run_method)
        report.run_out = str(run_out)
        report.run_method = run_method
    return report
