"""The search CLI commands: --json output, usage errors, index status/rebuild, similar (TF-IDF)."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.context import Paperfeed

runner = CliRunner()


SAMPLE = Path(__file__).parent / "data" / "arxiv-sample-300.jsonl"


def _invoke(app_: Paperfeed, *args: str) -> tuple[int, str]:
    env = {"PAPERFEED_DATABASE_URL": app_.settings.database_url} if app_.settings.database_url else {}
    result = runner.invoke(app, ["--data-dir", str(app_.settings.data_dir), *args], env=env)
    return result.exit_code, result.stdout


def test_search_json_and_text(sample_app: Paperfeed) -> None:
    code, out = _invoke(sample_app, "index", "rebuild", "--no-embed", "--json")
    assert code == 0, out
    assert json.loads(out)["indexes"][0]["index"] == "lexical"
    code, out = _invoke(
        sample_app, "search", "graph neural networks", "--mode", "keyword", "--limit", "5", "--json"
    )
    assert code == 0, out
    data = json.loads(out)
    assert data["mode"] == "keyword" and len(data["hits"]) == 5
    assert {"paper_id", "score", "title_spans", "snippet", "snippet_spans"} <= set(data["hits"][0])
    code, out = _invoke(sample_app, "search", "graph neural networks", "--limit", "3")
    assert code == 0 and "1." in out


def test_search_usage_errors_exit_2(sample_app: Paperfeed) -> None:
    assert _invoke(sample_app, "search", "x", "--mode", "magic")[0] == 2
    assert _invoke(sample_app, "search", "x", "--since", "yesterday")[0] == 2


def test_ingest_indexes_unless_deferred_and_search_reports_the_lag(
    paperfeed_app: Paperfeed, tmp_path: Path
) -> None:
    rows = SAMPLE.read_text().splitlines()
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    first.write_text("\n".join(rows[:10]) + "\n")
    second.write_text("\n".join(rows[10:20]) + "\n")
    code, out = _invoke(paperfeed_app, "ingest", "file", str(first), "--json")
    assert code == 0 and json.loads(out)["index"]["handed_over"] is False
    code, out = _invoke(paperfeed_app, "search", "cat:cs.AI", "--mode", "keyword", "--json")
    assert code == 0 and json.loads(out)["total"] == 10
    code, out = _invoke(paperfeed_app, "ingest", "file", str(second), "--defer-index", "--json")
    assert code == 0 and json.loads(out)["index"] == {"deferred": True}
    code, out = _invoke(paperfeed_app, "search", "cat:cs.AI", "--mode", "keyword", "--json")
    data = json.loads(out)
    assert data["total"] == 10 and "10 new papers are not in the keyword index yet" in data["notice"]
    code, out = _invoke(paperfeed_app, "index", "status", "--json")
    assert json.loads(out)["lexical"]["pending"] == 10


def test_index_status_json(sample_app: Paperfeed) -> None:
    _invoke(sample_app, "index", "rebuild", "--no-embed")
    code, out = _invoke(sample_app, "index", "status", "--json")
    assert code == 0, out
    data = json.loads(out)
    assert data["papers"] == 300 and data["lexical"]["documents"] == 300 and data["lexical"]["pending"] == 0
    assert data["vectors"]["pending"] == 300  # ingested with --defer-index semantics: nothing embedded


def test_similar_tfidf_and_negatives(sample_app: Paperfeed, tmp_path: Path) -> None:
    from paperfeed.search.similar import similar

    result = similar(sample_app, ["2602.18409"], limit=5, method="tfidf")
    assert result.method == "tfidf" and len(result.hits) == 5
    assert "2602.18409" not in {h.paper_id for h in result.hits}
    top = sample_app.store.papers.get(result.hits[0].paper_id)
    assert top is not None and "graph" in (top.title + top.abstract).lower()
    # Marking the best hit as "not like this" removes it and changes the ranking.
    again = similar(sample_app, ["2602.18409"], negatives=[result.hits[0].paper_id], limit=5, method="tfidf")
    assert result.hits[0].paper_id not in {h.paper_id for h in again.hits}
    code, out = _invoke(sample_app, "similar", "2602.18409", "--limit", "3", "--json")
    assert code == 0, out
    assert len(json.loads(out)["hits"]) == 3
    assert _invoke(sample_app, "similar", "9999.99999")[0] == 2
    assert _invoke(sample_app, "similar", "not-an-id")[0] == 2


def test_similar_tfidf_finds_a_near_duplicate_and_survives_unique_words(sample_app: Paperfeed) -> None:
    from dataclasses import replace

    from paperfeed.search.index_updates import update_lexical
    from paperfeed.search.similar import similar

    original = sample_app.store.papers.get("2602.18409")
    assert original is not None
    twin = replace(original, paper_id="2699.00001", title=original.title + " (extended)", versions=[])
    loner = replace(
        original, paper_id="2699.00002", title="Zqxv wrrtb", abstract="Plmq yxxv kkjhq.", versions=[]
    )
    sample_app.store.papers.write_batch([twin, loner])
    update_lexical(sample_app)
    assert similar(sample_app, ["2602.18409"], limit=3, method="tfidf").hits[0].paper_id == "2699.00001"
    # Words found in no other paper make no query: an empty list, not an error.
    assert similar(sample_app, ["2699.00002"], limit=3, method="tfidf").hits == []


def test_index_rebuild_on_a_device_that_cannot_run_is_a_clear_error(paperfeed_app: Paperfeed) -> None:
    torch = __import__("pytest").importorskip("torch")
    if torch.cuda.is_available():
        __import__("pytest").skip("this machine has CUDA")
    code, out = _invoke(paperfeed_app, "index", "rebuild", "--device", "cuda", "--json")
    assert code == 2
    assert "cuda" in json.loads(out)["error"]["message"]
