"""Recommendation metrics on hand-computed cases, and against pytrec_eval (binary judgements)."""

from __future__ import annotations

import math
import random

import pytest

from paperfeed.evaluation.metrics import ndcg_at, recall_at


def test_recall_hand_computed() -> None:
    ranked = ["a", "b", "c", "d"]
    assert recall_at(ranked, {"b", "d"}, 2) == 0.5
    assert recall_at(ranked, {"b", "d"}, 4) == 1.0
    assert recall_at(ranked, {"x"}, 4) == 0.0
    assert recall_at(ranked, set(), 4) == 0.0


def test_ndcg_hand_computed() -> None:
    # relevant b at rank 2 and d (not retrieved in the top 2): DCG = 1/log2(3); ideal = 1 + 1/log2(3)
    expected = (1 / math.log2(3)) / (1 + 1 / math.log2(3))
    assert ndcg_at(["a", "b", "c"], {"b", "d"}, 10) == pytest.approx(expected)
    assert ndcg_at(["b", "d", "a"], {"b", "d"}, 10) == pytest.approx(1.0)
    assert ndcg_at(["a", "c", "b"], {"b"}, 2) == 0.0  # found, but below the cut
    assert ndcg_at(["a", "b"], set(), 10) == 0.0
    # the ideal is bounded by k: 12 relevant papers, the first 10 ranked are all relevant
    relevant = {f"p{i}" for i in range(12)}
    assert ndcg_at([f"p{i}" for i in range(10)], relevant, 10) == pytest.approx(1.0)


def test_metrics_agree_with_pytrec_eval() -> None:
    pytrec_eval = pytest.importorskip("pytrec_eval")
    rng = random.Random(7)
    docs = [f"d{i}" for i in range(300)]
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, dict[str, float]] = {}
    ranked: dict[str, list[str]] = {}
    for q in range(20):
        relevant = rng.sample(docs, rng.randint(1, 15))
        order = rng.sample(docs, 150)
        qrels[f"u{q}"] = dict.fromkeys(relevant, 1)
        run[f"u{q}"] = {d: float(150 - i) for i, d in enumerate(order)}
        ranked[f"u{q}"] = order
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.50", "recall.100"})
    for user, measures in evaluator.evaluate(run).items():
        relevant_set = set(qrels[user])
        assert ndcg_at(ranked[user], relevant_set, 10) == pytest.approx(measures["ndcg_cut_10"], abs=1e-9)
        assert recall_at(ranked[user], relevant_set, 50) == pytest.approx(measures["recall_50"], abs=1e-9)
        assert recall_at(ranked[user], relevant_set, 100) == pytest.approx(measures["recall_100"], abs=1e-9)
