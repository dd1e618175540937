"""The relevance harness: metrics against pytrec_eval, and the command on a tiny BEIR folder."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paperfeed.evaluation.beir import BeirError, evaluate_beir, evaluate_run
from paperfeed.evaluation.metrics import mrr_at, ndcg_at, recall_at

pytrec_eval = pytest.importorskip("pytrec_eval")


def test_metrics_hand_computed() -> None:
    relevant = {"a": 1, "b": 2}
    ranked = ["x", "b", "a"]
    dcg = 2 / 1.5849625007211562 + 1 / 2.0
    idcg = 2 / 1.0 + 1 / 1.5849625007211562
    assert ndcg_at(ranked, relevant, 10) == pytest.approx(dcg / idcg)
    assert mrr_at(ranked, relevant, 10) == pytest.approx(0.5)
    assert mrr_at(ranked, relevant, 1) == 0.0
    assert recall_at(ranked, relevant, 2) == pytest.approx(0.5)


def test_metrics_agree_with_pytrec_eval() -> None:
    rng = random.Random(7)
    docs = [f"d{i}" for i in range(300)]
    qrels: dict[str, dict[str, int]] = {}
    run: dict[str, list[tuple[str, float]]] = {}
    for q in range(40):
        qid = f"q{q}"
        qrels[qid] = {d: rng.choice([1, 1, 2]) for d in rng.sample(docs, rng.randint(1, 6))}
        if q % 5 == 0:
            qrels[qid][rng.choice(docs)] = 0  # judged non-relevant
        picked = rng.sample(docs, 150)
        scores = sorted(rng.sample(range(1, 10_000), 150), reverse=True)  # distinct: no tie-breaking doubts
        run[qid] = list(zip(picked, [float(s) for s in scores], strict=True))
    run.pop("q3")  # a judged query with no results at all counts as zero for us
    ours = evaluate_run(run, qrels)
    evaluator = pytrec_eval.RelevanceEvaluator(qrels, {"ndcg_cut.10", "recall.100", "recip_rank"})
    trec_run = {qid: {doc: score for doc, score in ranking[:10]} for qid, ranking in run.items()}
    full_run = {qid: dict(ranking) for qid, ranking in run.items()}
    per_query = evaluator.evaluate(full_run)
    per_query_top10 = evaluator.evaluate(trec_run)  # MRR@10: reciprocal rank within the first 10
    n = len(qrels)
    assert ours["ndcg@10"] == pytest.approx(sum(v["ndcg_cut_10"] for v in per_query.values()) / n)
    assert ours["recall@100"] == pytest.approx(sum(v["recall_100"] for v in per_query.values()) / n)
    assert ours["mrr@10"] == pytest.approx(sum(v["recip_rank"] for v in per_query_top10.values()) / n)


def _tiny_beir(root: Path) -> Path:
    folder = root / "tiny"
    (folder / "qrels").mkdir(parents=True)
    corpus = [
        {
            "_id": "c1",
            "title": "Aspirin and heart attacks",
            "text": "Daily aspirin lowers myocardial infarction risk.",
        },
        {
            "_id": "c2",
            "title": "Vitamin D",
            "text": "Vitamin D supplements and bone fractures in the elderly.",
        },
        {"_id": "c3", "title": "Statins", "text": "Statins reduce cholesterol and cardiovascular events."},
        {
            "_id": "c4",
            "title": "Sleep",
            "text": "Short sleep duration is associated with obesity in children.",
        },
    ]
    queries = [
        {"_id": "q1", "text": "aspirin reduces myocardial infarction"},
        {"_id": "q2", "text": "sleep duration and childhood obesity"},
        {"_id": "q3", "text": "an unjudged query"},
    ]
    (folder / "corpus.jsonl").write_text("".join(json.dumps(r) + "\n" for r in corpus))
    (folder / "queries.jsonl").write_text("".join(json.dumps(r) + "\n" for r in queries))
    (folder / "qrels" / "test.tsv").write_text("query-id\tcorpus-id\tscore\nq1\tc1\t1\nq2\tc4\t1\n")
    return folder


def test_evaluate_tiny_folder_known_answers(tmp_path: Path) -> None:
    folder = _tiny_beir(tmp_path)
    run_file = tmp_path / "run.trec"
    report = evaluate_beir(folder, split="test", mode="keyword", run_out=run_file)
    assert report.queries == 2 and report.documents == 4
    assert report.ndcg_10 == 1.0 and report.mrr_10 == 1.0 and report.recall_100 == 1.0
    lines = run_file.read_text().splitlines()
    assert lines[0].split()[:4] == ["q1", "Q0", "c1", "1"]
    assert all(len(line.split()) == 6 and line.endswith("paperfeed-keyword") for line in lines)
    with pytest.raises(BeirError, match="no qrels for split 'dev'"):
        evaluate_beir(folder, split="dev")


def test_eval_command_json(tmp_path: Path) -> None:
    from paperfeed.cli import app

    folder = _tiny_beir(tmp_path)
    runner = CliRunner()
    result = runner.invoke(
        app, ["--data-dir", str(tmp_path / "d"), "eval", "beir", str(folder), "--split", "test", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["ndcg@10"] == 1.0 and data["queries"] == 2
    bad = runner.invoke(app, ["eval", "beir", str(tmp_path / "nope"), "--split", "test"])
    assert bad.exit_code == 2
