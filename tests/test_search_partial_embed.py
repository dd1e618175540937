"""An embedding job stopped part-way through one store change (issue 11): ``index status`` adds up
(embedded + pending = papers) and hybrid search says its semantic half is partial.

One ingest batch is one store change of up to 5,000 papers, while the indexer embeds in slices;
a slice that ends inside a change must record where it stopped, or the papers it embedded count
as pending too. Uses the real all-MiniLM-L6-v2 model (the semantic extra)."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperfeed.config import Settings
from paperfeed.context import Paperfeed
from paperfeed.ingest.jobs import ingest_file
from paperfeed.search.engine import search
from paperfeed.search.index_updates import update_lexical, update_vectors
from paperfeed.search.indexer import index_status
from tests.conftest import SAMPLE_300

pytestmark = pytest.mark.semantic
N = 40


def test_a_partial_embed_is_counted_exactly_and_search_says_so(tmp_path: Path) -> None:
    app = Paperfeed(Settings(data_dir=tmp_path / "data", embed_after_ingest=False, indexer=False))
    try:
        source = tmp_path / "forty.jsonl"
        source.write_text("\n".join(SAMPLE_300.read_text(encoding="utf-8").splitlines()[:N]) + "\n")
        assert ingest_file(app, source, file_format="jsonl").added == N  # one store change
        update_lexical(app)
        first = update_vectors(app, budget=1, read_batch=16)  # one slice: 16 papers of the change
        status = index_status(app)["vectors"]
        assert status["embedded"] == 16
        assert status["embedded"] + status["pending"] == N, status
        assert first.pending == status["pending"]

        results = search(app, "graph neural networks", mode="hybrid")
        assert results.mode == "hybrid"
        assert results.notice and f"{status['pending']:,} are not embedded yet" in results.notice

        update_vectors(app)  # the rest, resuming where the slice stopped
        status = index_status(app)["vectors"]
        assert (status["embedded"], status["pending"]) == (N, 0)
        assert not search(app, "graph neural networks", mode="hybrid").notice
    finally:
        app.close()
