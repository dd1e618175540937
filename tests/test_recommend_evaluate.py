"""``eval recommend`` on a tiny benchmark whose answer is computed by hand, and its input checks."""

from __future__ import annotations

import json
import math
import re
from pathlib import Path

import pytest

from paperfeed.evaluation.dataset import DatasetError, read_dataset
from paperfeed.evaluation.recommend import evaluate_recommenders, sample_users, top_rows

# Three disjoint topics. Words used by exactly two papers survive TF-IDF's min_df=2; each user's
# test paper is the only other paper sharing words with their train paper.
CORPUS = [
    ("d1", "Walrus", "walrus ocean"),
    ("d2", "", "walrus ocean iceberg"),
    ("d3", "Volcano", "volcano lava"),
    ("d4", "", "volcano lava magma"),
    ("d5", "Comet", "comet orbit"),
    ("d6", "", "comet orbit telescope"),
]
TRAIN = [("u1", "d1"), ("u2", "d3"), ("u3", "d5")]
TEST = [("u1", "d2"), ("u1", "d1"), ("u2", "d4"), ("u3", "d6")]  # u1's d1 is in train: not counted


def write_folder(
    folder: Path, train: list[tuple[str, str]] = TRAIN, test: list[tuple[str, str]] = TEST
) -> Path:
    (folder / "libraries").mkdir(parents=True)
    (folder / "corpus.jsonl").write_text(
        "".join(json.dumps({"_id": i, "title": t, "text": x}) + "\n" for i, t, x in CORPUS), encoding="utf-8"
    )
    for name, pairs in (("train", train), ("test", test)):
        lines = ["user-id\tpaper-id"] + [f"{u}\t{p}" for u, p in pairs]
        (folder / "libraries" / f"{name}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_known_answer(tmp_path: Path) -> None:
    run = tmp_path / "run.trec"
    report = evaluate_recommenders(
        write_folder(tmp_path / "bench"), users=None, run_out=run, embeddings=False, seed=0
    )
    results = {m.name: m for m in report.methods}
    assert report.users_evaluated == 3 and report.papers == 6
    # popularity: d1, d3, d5 are each in one library, the rest in none; ties go by corpus order.
    # u1 (d1 excluded) ranks d3 d5 d2 …: d2 at 3; u2 ranks d1 d5 d2 d4: d4 at 4; u3: d6 at 5.
    popularity = results["popularity"]
    assert popularity.recall_50 == popularity.recall_100 == 1.0
    expected = (1 / math.log2(4) + 1 / math.log2(5) + 1 / math.log2(6)) / 3
    assert popularity.ndcg_10 == pytest.approx(expected)
    # every content method finds each user's single test paper first
    for name in ("tfidf-centroid", "arxiv-sanity-svm", "paperfeed"):
        assert results[name].ndcg_10 == pytest.approx(1.0), name
    assert "paperfeed+embeddings" in report.skipped
    lines = run.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 3 * 5  # three users, five candidates each (their train paper excluded)
    user, q0, paper, rank, _score, tag = lines[0].split()
    assert (user, q0, paper, rank, tag) == ("u1", "Q0", "d2", "1", "paperfeed")
    assert json.loads(json.dumps(report.to_dict()))["methods"][0]["name"] == "popularity"


def test_user_sample_is_fixed_by_the_seed(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "bench")
    first = evaluate_recommenders(
        folder, users=2, run_out=None, embeddings=False, seed=3, methods=("popularity",)
    )
    again = evaluate_recommenders(
        folder, users=2, run_out=None, embeddings=False, seed=3, methods=("popularity",)
    )
    assert first.users_evaluated == 2 and first.sampled
    assert first.methods[0].ndcg_10 == again.methods[0].ndcg_10
    assert sample_users(["c", "a", "b"], 2, 3) == sample_users(["a", "b", "c"], 2, 3)


def test_top_rows_excludes_and_breaks_ties_by_row() -> None:
    import numpy as np

    scores = np.array([0.5, 0.9, 0.5, 0.9, 0.1])
    assert top_rows(scores, np.array([1]), 3).tolist() == [3, 0, 2]
    assert top_rows(scores, np.array([0, 1, 2, 3, 4]), 3).tolist() == []


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            lambda f: (f / "libraries" / "train.tsv").write_text("user\tpaper\nu1\td1\n"),
            "train.tsv:1: the first line",
        ),
        (
            lambda f: (f / "libraries" / "test.tsv").write_text("user-id\tpaper-id\nu1\td2\nu2\tnope\n"),
            "test.tsv:3: paper 'nope' is not in corpus.jsonl",
        ),
        (
            lambda f: (f / "libraries" / "test.tsv").write_text("user-id\tpaper-id\nu1 d2\n"),
            "test.tsv:2: expected 'user-id<TAB>paper-id'",
        ),
        (
            lambda f: (f / "corpus.jsonl").write_text('{"_id": "d1"}\n{"_id": "d1"}\n'),
            "corpus.jsonl:2: _id 'd1' already on line 1",
        ),
        (lambda f: (f / "corpus.jsonl").write_text("{oops\n"), "corpus.jsonl:1: not JSON"),
        (lambda f: (f / "libraries" / "test.tsv").unlink(), "missing libraries/test.tsv"),
    ],
)
def test_bad_folders_are_named(tmp_path: Path, change: object, message: str) -> None:
    folder = write_folder(tmp_path / "bench")
    change(folder)  # type: ignore[operator]
    with pytest.raises(DatasetError, match=re.escape(message)):
        read_dataset(folder)


def test_ablation_and_unknown_methods(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "bench")
    report = evaluate_recommenders(
        folder, users=None, run_out=None, embeddings=False, seed=0, methods=("paperfeed-content-only",)
    )
    assert report.methods[0].ndcg_10 == pytest.approx(1.0)
    with pytest.raises(ValueError, match="unknown method 'nope'"):
        evaluate_recommenders(folder, users=None, run_out=None, embeddings=False, seed=0, methods=("nope",))


def topics_folder(folder: Path, shuffle_users: set[str] | None = None) -> Path:
    """60 users over three topics of 30 papers (made-up words per topic); each user saves 3 papers
    of their topic and should be recommended 3 more. ``shuffle_users`` get test papers of another
    topic instead (to show their test papers never shape their own fold's weights)."""
    (folder / "libraries").mkdir(parents=True)
    words = {t: [f"{t}word{i}" for i in range(12)] for t in ("alpha", "beta", "gamma")}
    corpus, train, test = [], [], []
    for t, vocab in words.items():
        for i in range(30):
            text = " ".join(vocab[(i + k) % 12] for k in range(5))
            corpus.append({"_id": f"{t}{i}", "title": "", "text": text})
    for u in range(60):
        t = ("alpha", "beta", "gamma")[u % 3]
        other = ("beta", "gamma", "alpha")[u % 3]
        train += [(f"u{u}", f"{t}{(u + k) % 30}") for k in range(3)]
        target = other if shuffle_users and f"u{u}" in shuffle_users else t
        test += [(f"u{u}", f"{target}{(u + 10 + k) % 30}") for k in range(3)]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in corpus), encoding="utf-8")
    for name, pairs in (("train", train), ("test", test)):
        lines = ["user-id\tpaper-id"] + [f"{u}\t{p}" for u, p in pairs]
        (folder / "libraries" / f"{name}.tsv").write_text("\n".join(lines) + "\n", encoding="utf-8")
    return folder


def test_weights_are_fitted_per_fold_on_the_other_folds_users(tmp_path: Path) -> None:
    from paperfeed.evaluation.recommend import _Blend, _Context, _folds

    report = evaluate_recommenders(topics_folder(tmp_path / "a"), methods=("simple-blend", "paperfeed"))
    paperfeed = next(m for m in report.methods if m.name == "paperfeed")
    assert paperfeed.weights is not None and len(paperfeed.weights) == 2  # one fit per fold
    assert all(w.get("content_max", 0) > 0 for w in paperfeed.weights.values())  # the topic signal
    (comparison,) = report.comparisons
    assert comparison.against == "simple-blend" and [p.metric for p in comparison.paired] == [
        "ndcg@10",
        "recall@100",
    ]

    def fitted(folder: Path, fold: int) -> dict[str, float]:
        data = read_dataset(folder)
        folds = _folds([u for u, rows in data.test.items() if rows], 0)
        blend = _Blend(
            _Context(data, seed=0, work_dir=None, model="none"), embeddings=False, co_saves=True, fitted=True
        )
        return dict(blend.fit(fold, folds).weights)

    data = read_dataset(tmp_path / "a")
    folds = _folds(list(data.test), 0)
    fold0 = {u for u, f in folds.items() if f == 0}
    moved = topics_folder(tmp_path / "b", shuffle_users=fold0)
    assert fitted(moved, 0) == fitted(tmp_path / "a", 0)  # fold 0's weights ignore fold 0's tests
    assert fitted(moved, 1) != fitted(tmp_path / "a", 1)  # fold 1's are fitted on them
