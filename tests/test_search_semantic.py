"""Semantic and hybrid search with the real all-MiniLM-L6-v2 model on a tiny corpus.

Skipped cleanly when the semantic extra (sentence-transformers) is not installed.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from paperfeed.config import Settings
from paperfeed.context import Paperfeed
from paperfeed.ingest.jobs import ingest_file
from paperfeed.search.embedders import EmbedderUnavailable, resolve_model
from paperfeed.search.engine import search
from paperfeed.search.indexer import catch_up, index_status
from paperfeed.search.similar import similar

pytestmark = pytest.mark.semantic
SAMPLE = Path(__file__).parent / "data" / "arxiv-sample-300.jsonl"
N = 24


@pytest.fixture(scope="module")
def semantic_app(tmp_path_factory: pytest.TempPathFactory) -> Paperfeed:
    root = tmp_path_factory.mktemp("semantic")
    lines = SAMPLE.read_text().splitlines()[:N]
    corpus = root / "tiny.jsonl"
    corpus.write_text("\n".join(lines) + "\n")
    app = Paperfeed(Settings(data_dir=root / "data", embed_after_ingest=True))
    ingest_file(app, corpus, file_format="jsonl")
    catch_up(app, embed=True)  # what the indexer does next
    return app


def _rows() -> list[dict[str, object]]:
    return [json.loads(line) for line in SAMPLE.read_text().splitlines()[:N]]


def test_model_resolves_offline() -> None:
    assert (Path(resolve_model("all-MiniLM-L6-v2")) / "config.json").exists()
    with pytest.raises(EmbedderUnavailable, match="not available offline"):
        resolve_model("no-such-model-anywhere")


def test_ingest_embedded_everything(semantic_app: Paperfeed) -> None:
    status = index_status(semantic_app)["vectors"]
    assert status["embedded"] == N and status["pending"] == 0 and status["search"] == "exact"
    reports = catch_up(semantic_app, embed=True)
    indexed = {r.index: r.indexed for r in reports}  # lexical, vectors and the TF-IDF features
    assert indexed == {"lexical": 0, "vectors": 0, "tfidf": 0}  # nothing changed: nothing re-embedded


def test_semantic_search_finds_each_paper_by_its_title(semantic_app: Paperfeed) -> None:
    for row in _rows()[:8]:
        pid = str(row["arxiv_id"]).split("v")[0]
        results = search(semantic_app, str(row["title"]), mode="semantic", limit=3)
        assert results.mode == "semantic" and results.notice is None
        assert results.hits[0].paper_id == pid


def test_default_mode_is_hybrid_and_fuses_both_lists(semantic_app: Paperfeed) -> None:
    results = search(semantic_app, "graph neural networks expressivity", limit=5)
    assert results.mode == "hybrid" and results.notice is None
    top = results.hits[0]
    assert top.keyword_rank is not None and top.semantic_rank is not None
    assert top.paper_id == "2602.18409"


def test_semantic_applies_constraints(semantic_app: Paperfeed) -> None:
    rows = _rows()
    in_cv = {str(r["arxiv_id"]).split("v")[0] for r in rows if "cs.CV" in r["categories"]}  # type: ignore[operator]
    got = {
        h.paper_id for h in search(semantic_app, "images", mode="semantic", category="cs.CV", limit=50).hits
    }
    assert got and got <= in_cv
    excluded = {h.paper_id for h in search(semantic_app, "graph -cat:cs.LG", mode="semantic", limit=50).hits}
    in_lg = {str(r["arxiv_id"]).split("v")[0] for r in rows if "cs.LG" in r["categories"]}  # type: ignore[operator]
    assert excluded and not excluded & in_lg


def test_similar_uses_embeddings(semantic_app: Paperfeed) -> None:
    result = similar(semantic_app, ["2602.18409"], limit=5)
    assert result.method == "embeddings" and len(result.hits) == 5
    assert "2602.18409" not in {h.paper_id for h in result.hits}
    assert all(-1.0 <= h.score <= 1.0 for h in result.hits)
    pushed = similar(semantic_app, ["2602.18409"], negatives=[result.hits[0].paper_id], limit=5)
    assert result.hits[0].paper_id not in {h.paper_id for h in pushed.hits}


def test_semantic_date_filter_ranks_every_paper_of_the_window(semantic_app: Paperfeed) -> None:
    from datetime import date

    rows = _rows()
    window = {str(r["arxiv_id"]).split("v")[0] for r in rows if str(r["published_date"]) >= "2026-02-20"}
    assert window
    hits = search(semantic_app, "learning", mode="semantic", since=date(2026, 2, 20), limit=100).hits
    assert {h.paper_id for h in hits} == window  # every paper of the window, none outside it
