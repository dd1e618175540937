"""``paperfeed recommend`` and ``paperfeed eval recommend|make-authors|make-categories`` end to end:
a known answer on a tiny benchmark, the TREC run, the user sample, reasons from the shell, and
errors as one line with exit status 2."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.config import Settings
from paperfeed.context import Paperfeed
from paperfeed.library import collections
from tests.conftest import SAMPLE_300
from tests.test_recommend_benchmarks import write_sample
from tests.test_recommend_evaluate import write_folder

runner = CliRunner()


def run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(
        app, ["--data-dir", str(data_dir), *args], env={"PAPERFEED_EMBED_AFTER_INGEST": "0"}
    )
    return result.exit_code, result.stdout, result.stderr


def test_eval_recommend_on_a_tiny_benchmark_with_a_known_answer(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "bench")
    run_file = tmp_path / "run.trec"
    code, out, _ = run(
        tmp_path / "data", "eval", "recommend", str(folder), "--run-out", str(run_file), "--json"
    )
    assert code == 0
    report = json.loads(out)
    results = {m["name"]: m for m in report["methods"]}
    assert report["users_evaluated"] == 3 and report["papers"] == 6
    # each user's single test paper is the only other paper sharing their train paper's words
    for name in ("tfidf-centroid", "arxiv-sanity-svm", "paperfeed"):
        assert results[name]["ndcg@10"] == 1.0 and results[name]["recall@50"] == 1.0, name
    assert results["popularity"]["recall@100"] == 1.0 and results["popularity"]["ndcg@10"] < 0.5
    assert "paperfeed+embeddings" in report["skipped"] and report["run_method"] == "paperfeed"
    first = run_file.read_text(encoding="utf-8").splitlines()[0].split()
    assert first[:4] == ["u1", "Q0", "d2", "1"] and first[5] == "paperfeed"
    code, out, _ = run(
        tmp_path / "data", "eval", "recommend", str(folder), "--users", "2", "--methods", "paperfeed"
    )
    assert code == 0 and "a sample of 2" in out and "paperfeed" in out and "1.0000" in out


def test_eval_errors_are_one_line(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "bench")
    cases = [
        (["eval", "recommend", str(tmp_path / "missing")], "is not a folder"),
        (["eval", "recommend", str(folder), "--methods", "magic"], "unknown method 'magic'"),
        (
            ["eval", "recommend", str(folder), "--run-out", str(tmp_path / "no" / "run.trec")],
            "does not exist",
        ),
        (["eval", "make-authors", str(tmp_path / "none.jsonl"), str(tmp_path / "o")], "no such file"),
        (["eval", "make-authors", str(folder / "corpus.jsonl"), str(tmp_path / "o")], "not an arXiv record"),
    ]
    for args, message in cases:
        code, _, err = run(tmp_path / "data", *args)
        assert code == 2 and message in err and len(err.strip().splitlines()) == 1, (args, err)


def test_make_authors_and_categories_write_benchmarks_eval_reads(tmp_path: Path) -> None:
    sample = write_sample(tmp_path / "sample.jsonl")
    code, out, _ = run(
        tmp_path / "data", "eval", "make-authors", str(sample), str(tmp_path / "authors"),
        "--min-papers", "4", "--max-papers", "10", "--test-fraction", "0.5", "--json",
    )  # fmt: skip
    counts = json.loads(out)
    assert code == 0 and counts["users"] == 2 and counts["papers"] == 8 and counts["kind"] == "authors"
    code, out, _ = run(tmp_path / "data", "eval", "recommend", str(tmp_path / "authors"), "--json")
    assert code == 0 and json.loads(out)["users_evaluated"] == 2
    code, out, _ = run(tmp_path / "data", "eval", "make-categories", str(sample), str(tmp_path / "cats"))
    assert code == 0 and out.startswith("categories benchmark in")


def test_recommend_prints_a_members_ranking_with_reasons(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PAPERFEED_NOW", "2026-02-21T12:00")
    data = tmp_path / "data"
    assert run(data, "ingest", "file", str(SAMPLE_300))[0] == 0  # also builds the features index
    assert run(data, "users", "add", "reader@example.org")[0] == 0
    code, out, _ = run(data, "recommend", "reader@example.org")
    assert code == 0 and "nothing to recommend" in out
    paperfeed = Paperfeed(Settings(data_dir=data, embed_after_ingest=False))
    user = paperfeed.store.accounts.get_user(email="reader@example.org")
    assert user is not None
    collections.save(paperfeed, user, "2602.18201")
    paperfeed.close()
    code, out, _ = run(data, "recommend", "reader@example.org", "--limit", "3", "--json")
    listing = json.loads(out)
    assert code == 0 and len(listing["items"]) == 3 and listing["positives"] == 1
    assert all(item["reason"].startswith("like ") for item in listing["items"])
    code, out, _ = run(data, "recommend", "reader@example.org", "--limit", "3")
    assert code == 0 and listing["items"][0]["paper_id"] in out
    code, _, err = run(data, "recommend", "nobody@example.org")
    assert code == 2 and "no user nobody@example.org" in err
    code, _, err = run(data, "recommend", "reader@example.org", "--days", "0")
    assert code == 2
