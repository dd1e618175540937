"""The benchmark builders follow their documented rules, and their output reads back."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from paperfeed.evaluation.authors_benchmark import (
    SampleError,
    make_authors,
    make_categories,
    make_colibraries,
)
from paperfeed.evaluation.dataset import read_dataset


def record(
    pid: str, day: int, authors: list[str], categories: tuple[str, ...] = ("cs.AI",)
) -> dict[str, object]:
    return {
        "arxiv_id": f"{pid}v1",
        "title": f"Paper {pid}",
        "authors": authors,
        "abstract": f"Abstract of {pid}.",
        "categories": list(categories),
        "published_date": f"2025-10-{day:02d} 12:00:00 UTC",
    }


def write_sample(path: Path) -> Path:
    rows = [
        record("p1", 1, ["Ada", "Bob"]),
        record("p2", 2, ["Ada"]),
        record("p3", 3, ["Bob", "Cy"]),  # Bob's own paper before Ada's cut-off: in Ada's library
        record("p4", 4, ["Ada", "Dee"]),  # Ada's first test paper (Dee met only here: not used)
        record("p5", 5, ["Ada"]),
        record("p6", 5, ["Bob"]),  # Bob after Ada's cut-off: not in Ada's library
        record("p7", 2, ["Dee"]),
        record("p8", 6, ["Bob"]),
    ]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def pairs(path: Path) -> dict[str, set[str]]:
    out: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines()[1:]:
        user, pid = line.split("\t")
        out.setdefault(user, set()).add(pid)
    return out


def test_make_authors_rules(tmp_path: Path) -> None:
    sample = write_sample(tmp_path / "sample.jsonl")
    counts = make_authors(sample, tmp_path / "out", min_papers=4, max_papers=10, test_fraction=0.5)
    users = dict(
        line.split("\t")
        for line in (tmp_path / "out" / "libraries" / "users.tsv").read_text().splitlines()[1:]
    )
    by_name = {name: uid for uid, name in users.items()}
    assert set(by_name) == {"Ada", "Bob"}  # four papers each; Cy and Dee have fewer
    train = pairs(tmp_path / "out" / "libraries" / "train.tsv")
    test = pairs(tmp_path / "out" / "libraries" / "test.tsv")
    assert train[by_name["Ada"]] == {"p1", "p2", "p3"}
    assert test[by_name["Ada"]] == {"p4", "p5"}
    # Bob: p1 p3 earlier, p6 p8 later; his co-authors (Ada, Cy) before p6's date: p2 and p4, but
    # p4 is Ada's test paper: cold start takes it out of every other library
    assert train[by_name["Bob"]] == {"p1", "p2", "p3"}
    assert test[by_name["Bob"]] == {"p6", "p8"}
    assert counts.users == 2 and counts.papers == 8 and counts.rules["in_matrix"] is False
    every_test = {p for papers in test.values() for p in papers}
    assert not every_test & {p for papers in train.values() for p in papers}
    data = read_dataset(tmp_path / "out")
    assert data.ids[0] == "p1" and data.texts[0] == "Abstract of p1."
    # in-matrix on request: Bob keeps Ada's test paper p4, and the README says so
    make_authors(sample, tmp_path / "in", min_papers=4, max_papers=10, test_fraction=0.5, in_matrix=True)
    assert pairs(tmp_path / "in" / "libraries" / "train.tsv")[by_name["Bob"]] == {"p1", "p2", "p3", "p4"}
    assert "in-matrix" in (tmp_path / "in" / "README.md").read_text()


def test_make_colibraries_is_in_matrix_and_reproducible(tmp_path: Path) -> None:
    sample = tmp_path / "sample.jsonl"
    rows = [record(f"a{i}", i + 1, ["Ada", f"Co{i % 3}"], ("cs.AI", "cs.RO")) for i in range(12)]
    rows += [record(f"b{i}", i + 1, [f"Co{i % 3}", "Bea"], ("cs.AI", "cs.RO")) for i in range(12)]
    sample.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    counts = make_colibraries(sample, tmp_path / "out", min_papers=3, keep=1.0, topical=5, train_size=4)
    train = pairs(tmp_path / "out" / "libraries" / "train.tsv")
    test = pairs(tmp_path / "out" / "libraries" / "test.tsv")
    assert counts.users == len(test) > 0 and counts.rules["in_matrix"] is True
    for user, papers in test.items():
        assert len(train[user]) == 4 and not papers & train[user]
        others = {p for u, t in train.items() if u != user for p in t}
        assert papers <= others  # every test paper is in some other user's library
    again = make_colibraries(sample, tmp_path / "again", min_papers=3, keep=1.0, topical=5, train_size=4)
    assert again == counts
    assert (tmp_path / "again" / "libraries" / "test.tsv").read_text() == (
        tmp_path / "out" / "libraries" / "test.tsv"
    ).read_text()


def test_make_categories_rules(tmp_path: Path) -> None:
    sample = tmp_path / "sample.jsonl"
    rows = [record(f"a{i}", i + 1, ["X"], ("cs.AI", "cs.RO")) for i in range(6)]
    rows += [record(f"b{i}", i + 1, ["Y"], ("cs.LG",)) for i in range(2)]
    sample.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    counts = make_categories(sample, tmp_path / "out", min_train=2, max_train=10, cut_quantile=0.5)
    train = pairs(tmp_path / "out" / "libraries" / "train.tsv")
    test = pairs(tmp_path / "out" / "libraries" / "test.tsv")
    assert counts.users == 1  # cs.LG has nothing after the cut-off
    (user,) = train
    # the cut-off is the 5th of 8 dates (a2, day 3): strictly earlier papers are train
    assert train[user] == {"a0", "a1"} and test[user] == {"a2", "a3", "a4", "a5"}


def test_bad_sample_line_is_named(tmp_path: Path) -> None:
    sample = tmp_path / "sample.jsonl"
    sample.write_text(json.dumps(record("p1", 1, ["A"])) + "\n{}\n", encoding="utf-8")
    with pytest.raises(SampleError, match=re.escape("sample.jsonl:2")):
        make_authors(sample, tmp_path / "out")
