"""Fusion functions on hand-computed cases."""

from __future__ import annotations

import numpy as np
import pytest

from paperfeed.search.fusion import calibrated, min_max, rrf, weighted
from paperfeed.search.similar import rocchio


def test_rrf_hand_computed() -> None:
    a = [("d1", 9.0), ("d2", 5.0), ("d3", 1.0)]
    b = [("d3", 0.9), ("d1", 0.8)]
    fused = dict(rrf([a, b], k=60))
    assert fused["d1"] == pytest.approx(1 / 61 + 1 / 62)
    assert fused["d2"] == pytest.approx(1 / 62)
    assert fused["d3"] == pytest.approx(1 / 63 + 1 / 61)
    assert [d for d, _ in rrf([a, b], k=60)] == ["d1", "d3", "d2"]


def test_rrf_weights_and_ties_and_duplicates() -> None:
    fused = rrf([[("x", 1.0)], [("y", 1.0)]], k=1, weights=[1.0, 3.0])
    assert fused == [("y", pytest.approx(1.5)), ("x", pytest.approx(0.5))]
    assert rrf([[("b", 1.0)], [("a", 1.0)]], k=1) == [("a", 0.5), ("b", 0.5)]  # ties: by id
    assert rrf([[("a", 3.0), ("a", 2.0)]], k=0) == [("a", 1.0)]  # duplicate counted once, best rank
    with pytest.raises(ValueError):
        rrf([[("a", 1.0)]], weights=[1.0, 2.0])


def test_min_max_and_weighted_hand_computed() -> None:
    assert min_max([("a", 10.0), ("b", 5.0), ("c", 0.0)]) == {"a": 1.0, "b": 0.5, "c": 0.0}
    assert min_max([("a", 2.0), ("b", 2.0)]) == {"a": 1.0, "b": 1.0}
    bm25 = [("a", 10.0), ("b", 5.0), ("c", 0.0)]
    dense = [("c", 0.9), ("b", 0.5), ("d", 0.1)]
    fused = dict(weighted([bm25, dense], [0.3, 0.7]))
    assert fused["a"] == pytest.approx(0.3)
    assert fused["b"] == pytest.approx(0.3 * 0.5 + 0.7 * 0.5)
    assert fused["c"] == pytest.approx(0.7)
    assert fused["d"] == pytest.approx(0.0)
    assert [d for d, _ in weighted([bm25, dense], [0.3, 0.7])] == ["c", "b", "a", "d"]


def test_calibrated_scales_both_scores_over_every_candidate() -> None:
    bm25 = {"a": 10.0, "b": 5.0, "c": 0.0, "d": 0.0}  # c, d: the query matches none of their words
    cosine = {"a": 0.2, "b": 0.6, "c": 0.7, "d": 0.2}  # every candidate's own cosine
    fused = dict(calibrated(bm25, cosine, 0.5))
    assert fused["a"] == pytest.approx(0.5 * 1.0 + 0.5 * 0.0)
    assert fused["b"] == pytest.approx(0.5 * 0.5 + 0.5 * 0.8)
    assert fused["c"] == pytest.approx(0.5 * 1.0)
    assert fused["d"] == pytest.approx(0.0)
    # a paper missing a score (not embedded) gets the lowest cosine, not an invented one
    unembedded = dict(calibrated({"a": 1.0, "b": 0.0, "c": 0.5}, {"b": 0.9, "c": 0.5}, 0.5))
    assert unembedded == {"a": 0.5, "b": 0.5, "c": 0.25}
    assert [d for d, _ in calibrated(bm25, cosine, 0.5)] == ["b", "a", "c", "d"]


def test_rocchio_is_unit_and_moves_away_from_negatives() -> None:
    pos = [np.array([1.0, 0.0, 0.0]), np.array([0.0, 1.0, 0.0])]
    neg = [np.array([0.0, 1.0, 0.0])]
    query = rocchio(pos, neg, beta=0.5)
    expected = np.array([0.5, 0.0, 0.0])
    assert np.allclose(query, expected / np.linalg.norm(expected))
    assert np.isclose(np.linalg.norm(rocchio(pos, [])), 1.0)
