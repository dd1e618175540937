"""The member model: feedback moves the ranking the expected way, switches and exclusions hold,
the batch path agrees with the one-member path, and reasons name the right paper or follow."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.sparse as sp

from paperfeed.recommend.batch import co_saves_for, score_members, stack_models, top_k
from paperfeed.recommend.blend import DEFAULT_WEIGHTS
from paperfeed.recommend.co_saves import SaveMatrix
from paperfeed.recommend.features import fit_tfidf
from paperfeed.recommend.model import (
    Background,
    Drivers,
    ModelConfig,
    explain,
    follow_weights,
    score_member,
    train_member,
)

TOPICS = {
    "graph": "graph neural network message passing node embedding",
    "protein": "protein folding structure prediction amino acid",
    "robot": "robot manipulation grasping reinforcement learning control",
}
VARIANTS = ["survey of", "scalable", "efficient", "a benchmark for", "theory of", "robust"]


def corpus() -> tuple[list[str], list[str], sp.csr_matrix]:
    ids, texts = [], []
    for topic, words in TOPICS.items():
        for i, variant in enumerate(VARIANTS):
            ids.append(f"{topic}-{i}")
            texts.append(f"{variant} {words} {variant.split()[-1]}{i}")
    _, matrix = fit_tfidf(texts)
    return ids, texts, matrix


IDS, TEXTS, X = corpus()
ROW = {pid: i for i, pid in enumerate(IDS)}
BACKGROUND = Background.from_rows(X)


def rows(*ids: str) -> np.ndarray:
    return np.array([ROW[i] for i in ids], dtype=np.int64)


def scores_for(positives: tuple[str, ...], negatives: tuple[str, ...] = (), **kwargs: object) -> np.ndarray:
    model = train_member(
        X[rows(*positives)],
        negatives=X[rows(*negatives)] if negatives else None,
        positive_ids=list(positives),
    )
    return score_member(model, X, BACKGROUND, reasons=False, **kwargs).scores  # type: ignore[arg-type]


def rank_of(scores: np.ndarray, pid: str) -> int:
    return int((scores > scores[ROW[pid]]).sum())


def test_positive_ranks_its_topic_first() -> None:
    scores = scores_for(("graph-0", "graph-1"))
    top = np.argsort(-scores)[:6]
    assert {IDS[i].split("-")[0] for i in top} == {"graph"}


def test_a_positive_pulls_its_neighbours_up() -> None:
    before = scores_for(("graph-0",))
    after = scores_for(("graph-0", "protein-0"))
    for i in range(1, len(VARIANTS)):
        assert rank_of(after, f"protein-{i}") < rank_of(before, f"protein-{i}")


def test_a_negative_pushes_its_neighbours_down() -> None:
    before = scores_for(("graph-0", "protein-0"))
    after = scores_for(("graph-0", "protein-0"), negatives=("protein-1",))
    for i in range(2, len(VARIANTS)):
        assert after[ROW[f"protein-{i}"]] - after.mean() < before[ROW[f"protein-{i}"]] - before.mean()
        assert rank_of(after, f"protein-{i}") > rank_of(before, f"protein-{i}")
    # the graph papers, unrelated to the dismissed paper, move up relative to the protein ones
    assert rank_of(after, "graph-3") <= rank_of(before, "graph-3")


def test_weighted_negatives_weigh_more() -> None:
    model_light = train_member(
        X[rows("graph-0")], negatives=X[rows("robot-0")], negative_weights=np.array([1.0])
    )
    model_heavy = train_member(
        X[rows("graph-0")], negatives=X[rows("robot-0", "protein-0")], negative_weights=np.array([9.0, 1.0])
    )
    light = score_member(model_light, X, BACKGROUND, reasons=False).scores
    heavy = score_member(model_heavy, X, BACKGROUND, reasons=False).scores
    # with the robot dismissal weighted 9:1, robot papers stay below protein papers
    assert heavy[rows("robot-2")].max() < heavy[rows("protein-2")].min()
    assert light[rows("robot-2")].max() < light[rows("protein-2")].min()


def test_switched_off_drivers_contribute_nothing() -> None:
    n = X.shape[0]
    follows = {"author:Ada": (np.arange(n) % 5 == 0).astype(np.float32)}
    co = np.linspace(0.0, 1.0, n).astype(np.float32)
    with_neg = train_member(X[rows("graph-0")], negatives=X[rows("protein-0")], positive_ids=["graph-0"])
    without_neg = train_member(X[rows("graph-0")], positive_ids=["graph-0"])
    off = score_member(
        with_neg,
        X,
        BACKGROUND,
        co_saves=co,
        follows=follows,
        drivers=Drivers(not_interested=False, co_saves=False, follows=False),
        reasons=False,
    ).scores
    plain = score_member(without_neg, X, BACKGROUND, reasons=False).scores
    np.testing.assert_allclose(off, plain, atol=1e-6)
    # and each one, switched on alone, does change the scores
    assert not np.allclose(score_member(with_neg, X, BACKGROUND, reasons=False).scores, plain)
    assert not np.allclose(score_member(without_neg, X, BACKGROUND, co_saves=co, reasons=False).scores, plain)
    # library off: only the follows remain, as a fixed boost
    only_follows = score_member(
        with_neg,
        X,
        BACKGROUND,
        follows=follows,
        drivers=Drivers(library=False, not_interested=False),
        reasons=False,
    ).scores
    np.testing.assert_allclose(
        only_follows, follow_weights(DEFAULT_WEIGHTS, present=[])["author"] * follows["author:Ada"]
    )


def test_exclusions_exclude() -> None:
    scores = np.stack([scores_for(("graph-0",)), scores_for(("robot-0",))], axis=1)
    exclude = np.zeros_like(scores, dtype=bool)
    exclude[rows("graph-0", "graph-1", "graph-2"), 0] = True  # saved / dismissed / already shown
    exclude[:, 1] = True
    exclude[ROW["robot-4"], 1] = False
    best = top_k(scores, 5, exclude)
    assert not set(best[0].tolist()) & set(rows("graph-0", "graph-1", "graph-2").tolist())
    assert IDS[best[0][0]].startswith("graph")
    assert best[1].tolist() == [ROW["robot-4"], -1, -1, -1, -1]


def test_batch_agrees_with_one_member_scoring() -> None:
    members = {"m1": ("graph-0", "graph-1"), "m2": ("protein-0",), "m3": ("robot-0", "graph-2")}
    negatives = {"m1": ("robot-1",), "m2": (), "m3": ()}
    models = [
        train_member(X[rows(*members[m])], negatives=X[rows(*negatives[m])] if negatives[m] else None)
        for m in members
    ]
    saves = SaveMatrix({m: rows(*p).tolist() for m, p in members.items()}, X.shape[0])
    candidates = np.arange(X.shape[0])
    co = co_saves_for(saves, list(members), candidates)
    counts = co_saves_for(saves, list(members), candidates, counts=True)
    switches = [Drivers(), Drivers(co_saves=False), Drivers(not_interested=False)]
    batch = score_members(
        stack_models(models),
        X,
        BACKGROUND,
        co_saves=co,
        co_counts=counts,
        readers=saves.readers,
        drivers=switches,
    )
    for j, member in enumerate(members):
        np.testing.assert_allclose(counts[:, j], saves.counts(rows(*members[member]), member=member))
        single = score_member(
            models[j],
            X,
            BACKGROUND,
            co_saves=saves.scores(rows(*members[member]), member=member),
            co_counts=saves.counts(rows(*members[member]), member=member),
            readers=saves.readers,
            drivers=switches[j],
            reasons=False,
        ).scores
        outside = np.setdiff1d(candidates, rows(*members[member]))  # library papers are never shown
        np.testing.assert_allclose(batch.scores[outside, j], single[outside], rtol=1e-4, atol=1e-4)


def test_co_saves_follow_other_members() -> None:
    saves = SaveMatrix({"a": [0, 1], "b": [0, 1, 2], "c": [5]}, 8)
    scores = saves.scores(np.array([0]), member="a")
    assert scores[2] > 0 and scores[5] == 0 and scores[7] == 0
    assert saves.strongest_link(np.array([0, 5]), 2, member="a") == 0
    # counts: b shares papers 0 and 1 with a, so each of b's papers counts 2 (a's own row left out)
    np.testing.assert_allclose(saves.counts(np.array([0, 1]), member="a"), [2, 2, 2, 0, 0, 0, 0, 0])


def test_reasons_name_the_closest_positive_or_the_follow() -> None:
    positives = ("graph-0", "robot-0")
    model = train_member(X[rows(*positives)], positive_ids=list(positives))
    follow = np.zeros(X.shape[0], dtype=np.float32)
    follow[ROW["protein-3"]] = 1.0
    scored = score_member(model, X, BACKGROUND, positives=X[rows(*positives)], follows={"author:Ada": follow})
    assert scored.reasons[ROW["graph-4"]].driver == "library"
    assert scored.reasons[ROW["graph-4"]].paper_id == "graph-0"
    assert scored.reasons[ROW["robot-4"]].paper_id == "robot-0"
    assert (scored.reasons[ROW["protein-3"]].driver, scored.reasons[ROW["protein-3"]].follow) == (
        "follows",
        "author:Ada",
    )
    assert scored.reasons[ROW["protein-2"]].driver == "none"


def test_cold_start_without_positives_scores_only_follows() -> None:
    model = train_member(sp.csr_matrix((0, X.shape[1]), dtype=np.float32))
    follow = np.zeros(X.shape[0], dtype=np.float32)
    follow[3] = 1.0
    scores = score_member(model, X, BACKGROUND, follows={"category:cs.RO": follow}, reasons=False).scores
    assert int(np.argmax(scores)) == 3 and np.count_nonzero(scores) == 1


@pytest.mark.parametrize("max_terms", [None, 5])
def test_pruned_models_keep_the_largest_weights(max_terms: int | None) -> None:
    model = train_member(X[rows("graph-0", "protein-0")], config=ModelConfig(max_terms=max_terms))
    assert max_terms is None or model.tfidf_positive.nnz == max_terms


def test_batch_agrees_with_one_member_scoring_with_embeddings() -> None:
    rng = np.random.default_rng(1)
    dense = rng.normal(size=(X.shape[0], 8)).astype(np.float32)
    dense /= np.linalg.norm(dense, axis=1, keepdims=True)
    libraries = {"m1": ("graph-0", "protein-1"), "m2": ("robot-2",)}
    models = [
        train_member(X[rows(*lib)], dense_positives=dense[rows(*lib)], positive_ids=list(lib))
        for lib in libraries.values()
    ]
    background = Background.from_rows(X, dense)
    batch = score_members(stack_models(models), X, background, dense_candidates=dense)
    for j, model in enumerate(models):
        single = score_member(model, X, background, dense_candidates=dense, reasons=False).scores
        np.testing.assert_allclose(batch.scores[:, j], single, rtol=1e-4, atol=1e-4)
    # reasons from precomputed similarities equal the ones computed on the spot
    lib = libraries["m1"]
    parts = batch.member_parts(0)
    picked = np.arange(X.shape[0])
    similarity = (X[picked] @ X[rows(*lib)].T).toarray() + dense[picked] @ dense[rows(*lib)].T
    fast = explain(models[0], parts, picked, X, similarity=similarity)
    slow = explain(
        models[0],
        parts,
        picked,
        X,
        positives=X[rows(*lib)],
        dense_candidates=dense,
        dense_positives=dense[rows(*lib)],
    )
    assert [r.paper_id for r in fast] == [r.paper_id for r in slow]
