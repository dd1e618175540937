"""Embeddings moved between data dirs: export, import with text-hash and model checks, the demo's vectors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from paperfeed.cli import app as cli_app
from paperfeed.config import Settings
from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput
from paperfeed.ingest.jobs import demo_vectors_file, ingest_file
from paperfeed.records import PaperRecord
from paperfeed.search.embedders import paper_text, text_hash
from paperfeed.search.indexer import IndexerBusy, IndexerLock, index_status, vectors_status
from paperfeed.search.marks import IndexMark, valid_mark, write_mark
from paperfeed.search.similar import similar
from paperfeed.search.vector_files import export_vectors, import_vectors, installed_fingerprint
from paperfeed.search.vectors import VectorStore, vectors_path
from tests.conftest import SAMPLE_300, DemoLoad


def _embed_randomly(app: Paperfeed) -> None:
    """Give every stored paper a vector, as the indexer would (random values: the file format is
    what is tested here, not the model)."""
    model = app.settings.embedding_model
    path = vectors_path(app.settings, model)
    store = VectorStore.create(path, model=model, dim=8, fingerprint=installed_fingerprint(model) or "")
    rng = np.random.default_rng(3)
    for batch in app.store.papers.iter_changed(0):
        matrix = rng.standard_normal((len(batch), 8)).astype(np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        store.append([p.paper_id for p in batch], [text_hash(paper_text(p)) for p in batch], matrix)
    write_mark(path, IndexMark(store.index_id, app.store.papers.current_seq()))


@pytest.fixture
def exported(sample_app: Paperfeed, tmp_path: Path) -> Path:
    _embed_randomly(sample_app)
    out = tmp_path / "vectors.npz"
    meta = export_vectors(sample_app, out)
    assert meta["count"] == 300 and meta["model"] == sample_app.settings.embedding_model
    return out


def _second_app(settings: Settings, tmp_path: Path, name: str) -> Paperfeed:
    """Another machine's data dir over its own store holding the same papers."""
    other = Paperfeed(Settings(data_dir=tmp_path / name, embed_after_ingest=False, indexer=False))
    ingest_file(other, SAMPLE_300, file_format="jsonl")
    return other


def test_import_takes_every_matching_vector_and_similar_papers_use_them(
    sample_app: Paperfeed, exported: Path, tmp_path: Path
) -> None:
    other = _second_app(sample_app.settings, tmp_path, "other")
    try:
        report = import_vectors(other, exported)
        assert (report.imported, report.stale, report.pending, report.unknown) == (300, 0, 0, 0)
        assert index_status(other)["vectors"]["pending"] == 0
        source = VectorStore(vectors_path(sample_app.settings, sample_app.settings.embedding_model))
        copy = VectorStore(vectors_path(other.settings, other.settings.embedding_model))
        assert copy.fingerprint == source.fingerprint
        for pid, vector in source.get(["2602.18409", "2602.00001"]).items():
            assert np.array_equal(copy.get([pid])[pid], vector)
        result = similar(other, ["2602.18409"], limit=5)
        assert result.method == "embeddings" and len(result.hits) == 5
        # Importing again changes nothing.
        assert import_vectors(other, exported).imported == 0
    finally:
        other.close()


def test_changed_text_is_left_to_the_indexer(sample_app: Paperfeed, exported: Path, tmp_path: Path) -> None:
    other = _second_app(sample_app.settings, tmp_path, "other")
    try:
        paper = other.store.papers.get("2602.18409")
        assert paper is not None
        changed = PaperRecord(
            **{**{n: getattr(paper, n) for n in paper.__slots__}, "abstract": "A new abstract."}
        )
        changed.version = (paper.version or 1) + 1
        other.store.papers.write_batch([changed])
        report = import_vectors(other, exported)
        assert report.stale == 1 and report.pending == 1 and report.imported == 299
        path = vectors_path(other.settings, other.settings.embedding_model)
        mark = valid_mark(path)
        assert (
            mark is not None and mark.seq == 0
        )  # the indexer goes over the feed again, embedding only that one
    finally:
        other.close()


def test_another_model_or_another_version_is_refused(
    sample_app: Paperfeed, exported: Path, tmp_path: Path
) -> None:
    other = _second_app(sample_app.settings, tmp_path, "other")
    try:
        other.settings.embedding_model = "some-other-model"
        with pytest.raises(InvalidInput, match="PAPERFEED_EMBEDDING_MODEL is some-other-model"):
            import_vectors(other, exported)
        other.settings.embedding_model = sample_app.settings.embedding_model
        if installed_fingerprint(other.settings.embedding_model) is None:
            pytest.skip("the model is not installed here (semantic extra): versions cannot be compared")
        with np.load(exported) as data:
            parts = {key: data[key] for key in data.files}
        meta = json.loads(str(parts["meta"]))
        parts["meta"] = np.array(json.dumps(meta | {"fingerprint": "0000000000000000"}))
        forged = tmp_path / "forged.npz"
        with forged.open("wb") as handle:
            np.savez_compressed(handle, **parts)
        with pytest.raises(InvalidInput, match="another version"):
            import_vectors(other, forged)
    finally:
        other.close()


def test_import_waits_for_nobody_else_to_be_the_indexer(sample_app: Paperfeed, exported: Path) -> None:
    holder = IndexerLock(sample_app.settings.index_dir)
    assert holder.try_acquire()
    try:
        with pytest.raises(IndexerBusy):
            import_vectors(sample_app, exported)
    finally:
        holder.release()


def test_not_a_vectors_file_is_a_clear_error(sample_app: Paperfeed, tmp_path: Path) -> None:
    junk = tmp_path / "junk.npz"
    junk.write_bytes(b"not a zip")
    with pytest.raises(InvalidInput, match="not a paperfeed vectors file"):
        import_vectors(sample_app, junk)
    result = CliRunner().invoke(
        cli_app, ["--data-dir", str(tmp_path / "d"), "index", "import-vectors", str(junk)]
    )
    assert result.exit_code == 2 and "Traceback" not in result.output


@pytest.mark.semantic
def test_demo_has_semantic_search_from_the_first_second(
    demo_first_load: DemoLoad, demo_app: Paperfeed
) -> None:
    """The session's first ``paperfeed demo`` (nothing embedded: it ran without the semantic extra):
    every paper has its bundled vector, and hybrid search and similar papers work on what it loaded."""
    file = demo_vectors_file()
    assert file is not None, "the demo vectors are not bundled (scripts/build-demo-vectors.sh)"
    papers = demo_app.store.papers.count()
    assert f"demo vectors: {papers:,} loaded" in " ".join(demo_first_load.stdout.split())
    vectors = vectors_status(demo_app)
    assert vectors["pending"] == 0 and vectors["embedded"] == papers
    from paperfeed.search.engine import search

    found = search(demo_app, "world models for robot planning", limit=5)
    assert found.mode == "hybrid" and found.notice is None and len(found.hits) == 5
    paper = found.hits[0].paper_id
    assert similar(demo_app, [paper], limit=3).method == "embeddings"


@pytest.mark.semantic
@pytest.mark.parametrize("made_by", ["nothing yet", "the installed model", "another version"])
def test_the_demos_ready_line_agrees_with_loading_the_model(paperfeed_app: Paperfeed, made_by: str) -> None:
    """``paperfeed demo`` says "semantic search ready" from the files (``semantic_ready``) without
    loading the model; what it says is what loading the model (``semantic_available``) finds."""
    from paperfeed.search.embedders import try_load_configured
    from paperfeed.search.engine import semantic_available, semantic_ready

    model = paperfeed_app.settings.embedding_model
    if made_by != "nothing yet":
        embedder, why = try_load_configured(paperfeed_app.settings)
        assert embedder is not None, why
        ingest_file(paperfeed_app, SAMPLE_300, file_format="jsonl")
        installed = installed_fingerprint(model) or ""
        fingerprint = installed if made_by == "the installed model" else "0000000000000000"
        store = VectorStore.create(
            vectors_path(paperfeed_app.settings, model),
            model=model,
            dim=embedder.dim,
            fingerprint=fingerprint,
        )
        rng = np.random.default_rng(5)
        matrix = rng.standard_normal((2, embedder.dim)).astype(np.float32)
        store.append(
            ["2602.18409", "2602.00001"], ["a", "b"], matrix / np.linalg.norm(matrix, axis=1, keepdims=True)
        )
    said = semantic_ready(paperfeed_app)
    assert said == semantic_available(paperfeed_app)[2]
    assert (said is None) == (made_by == "the installed model"), said
