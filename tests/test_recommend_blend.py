"""The calibrated blend: one scale per feature, weights learned from held-out saves, paired stats."""

from __future__ import annotations

import numpy as np
import pytest

from paperfeed.evaluation.paired import paired, sign_test
from paperfeed.recommend.blend import (
    DEFAULT_WEIGHTS,
    BlendWeights,
    FitExamples,
    blend,
    calibrate,
    contributions,
    evidence,
    fit_weights,
    minmax_columns,
    pool_rows,
)


def test_calibrate_scales_each_member_to_one_range() -> None:
    raw = {"co_saves": np.array([0.0, 2.0, 4.0, 8.0]), "content_mean": np.array([0.3, 0.3, 0.3, 0.3])}
    out = calibrate(raw)
    np.testing.assert_allclose(out["co_saves"], [0.0, 0.25, 0.5, 1.0])
    assert not out["content_mean"].any()  # constant: no ordering, no weight
    allowed = np.array([False, True, True, False])  # scaled over what the member can be shown
    np.testing.assert_allclose(calibrate(raw, allowed)["co_saves"], [0.0, 0.0, 1.0, 1.0])
    matrix = np.array([[0.0, 5.0], [1.0, 5.0], [2.0, 5.0]])  # candidates × members, column-wise
    np.testing.assert_allclose(minmax_columns(matrix), [[0.0, 0.0], [0.5, 0.0], [1.0, 0.0]])


def test_contributions_sum_to_the_blend_and_group_by_driver() -> None:
    calibrated = {
        "content_mean": np.array([1.0, 0.0, 0.5]),
        "generic": np.array([0.0, 1.0, 0.5]),
        "co_saves": np.array([0.0, 1.0, 0.0]),
        "popularity": np.array([0.5, 0.5, 1.0]),
    }
    weights = BlendWeights({"content_mean": 2.0, "generic": -1.0, "co_saves": 3.0, "popularity": 1.0})
    parts = contributions(calibrated, weights)
    np.testing.assert_allclose(parts["library"], [2.0, -1.0, 0.5])
    np.testing.assert_allclose(parts["co_saves"], [0.5, 3.5, 1.0])
    np.testing.assert_allclose(blend(calibrated, weights, 3), parts["library"] + parts["co_saves"])
    speaks = evidence(calibrated, weights)
    np.testing.assert_allclose(speaks["library"], [1.0, -1.0, 0.0])  # above the candidates' mean
    np.testing.assert_allclose(speaks["co_saves"], [0.0, 3.0, 0.0])  # popularity names no paper


def test_fit_learns_which_feature_predicts_the_held_out_saves() -> None:
    rng = np.random.default_rng(0)
    examples = FitExamples()
    for _ in range(60):
        good = rng.random(300)  # predicts relevance
        noise = rng.random(300)  # does not
        relevant = np.flatnonzero(good + 0.2 * rng.random(300) > 1.05)
        examples.add({"co_saves": good, "content_mean": noise}, np.ones(300, dtype=bool), relevant)
    weights = fit_weights(examples, source="test")
    assert weights.source == "test" and weights.members == 60 and weights.examples > 0
    assert weights.weight("co_saves") > 5 * abs(weights.weight("content_mean"))
    assert fit_weights(FitExamples(), source="nothing") is DEFAULT_WEIGHTS


def test_pool_is_each_features_top_of_the_allowed_rows() -> None:
    calibrated = {"a": np.arange(10, dtype=np.float32), "b": -np.arange(10, dtype=np.float32)}
    allowed = np.ones(10, dtype=bool)
    allowed[9] = False
    assert pool_rows(calibrated, allowed, depth=2).tolist() == [0, 1, 7, 8]


def test_weights_round_trip_and_not_interested_follows_the_library_weights() -> None:
    weights = BlendWeights({"content_mean": 3.0, "content_max": 1.0, "co_saves": 2.0}, source="fitted")
    assert BlendWeights.from_json(weights.to_json()) == weights
    assert weights.weight("not_interested") == pytest.approx(-2.0)  # half the library's 4


def test_paired_comparison_counts_and_tests() -> None:
    ours = np.array([0.5, 0.4, 0.3, 0.2, 0.1, 0.0])
    theirs = np.array([0.4, 0.3, 0.2, 0.1, 0.2, 0.0])
    result = paired("ndcg@10", ours, theirs, seed=0)
    assert (result.wins, result.losses, result.ties) == (4, 1, 1)
    assert result.mean_difference == pytest.approx(0.05)
    assert result.low <= result.mean_difference <= result.high
    assert sign_test(4, 1) == pytest.approx(0.375)  # 2 * (1 + 5) / 32
    assert sign_test(0, 0) == 1.0 and sign_test(20, 0) < 1e-5


def test_heaviest_terms_keep_each_rows_largest_weights() -> None:
    import scipy.sparse as sp

    from paperfeed.recommend.blend import heaviest_terms

    rows = sp.csr_matrix(
        np.array([[0.1, 0.5, 0.0, 0.3, 0.2], [0.0, 0.0, 0.0, 0.0, 0.0], [0.0, 0.9, 0.0, 0.0, 0.0]])
    )
    kept = heaviest_terms(rows, 2).toarray()
    np.testing.assert_allclose(kept, [[0.0, 0.5, 0.0, 0.3, 0.0], [0.0] * 5, [0.0, 0.9, 0.0, 0.0, 0.0]])
