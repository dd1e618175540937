"""An import that keyword-indexes its batches as they commit (``ingest file`` without --defer-index)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest

from paperfeed.context import Paperfeed
from paperfeed.ingest import jobs
from paperfeed.records import PaperRecord, Version, finalize
from paperfeed.search import live_index
from paperfeed.search.index_updates import lexical_path
from paperfeed.search.indexer import IndexerLock
from paperfeed.search.lexical import LexicalIndex, paper_document
from paperfeed.search.live_index import LiveKeywordIndex, rows_document
from paperfeed.search.marks import valid_mark
from paperfeed.search.query import parse
from paperfeed.store.rows import to_rows


def _paper(paper_id: str, title: str, version: int = 1, **extra: object) -> PaperRecord:
    return finalize(
        PaperRecord(
            paper_id=paper_id,
            title=title,
            abstract=f"The abstract of {title}.",
            authors=["Ada Lovelace", "Émile Borel"],
            categories=["cs.LG", "math.PR"],
            version=version,
            versions=[Version(n, datetime(2026, 3, n, tzinfo=UTC)) for n in range(1, version + 1)],
            source="test",
            **extra,  # type: ignore[arg-type]
        )
    )


def _ids(app: Paperfeed, query: str) -> list[str]:
    index = LexicalIndex.open_reader(lexical_path(app))
    return [h.paper_id for h in index.search(parse(query), limit=1000, snippets=False).hits]


def _write_jsonl(path: Path, papers: list[tuple[str, str]]) -> Path:
    lines = [
        json.dumps({"id": pid, "title": title, "abstract": "words", "published": "2026-03-01"})
        for pid, title in papers
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("sqlite_dates", [True, False])
def test_a_document_from_rows_is_the_document_from_the_record(sqlite_dates: bool) -> None:
    undated = finalize(PaperRecord(paper_id="2603.00009", title="No date", source="test"))
    for record in (_paper("2603.00001", "Graph kernels", 2, doi="10.1/X"), undated):
        from_rows = rows_document(to_rows(record, sqlite_dates=sqlite_dates)).to_dict()
        assert from_rows == paper_document(record).to_dict()


def test_an_import_is_searchable_when_it_ends(paperfeed_app: Paperfeed, tmp_path: Path) -> None:
    app = paperfeed_app
    live = LiveKeywordIndex.start(app)
    assert live is not None
    source = _write_jsonl(tmp_path / "a.jsonl", [("2603.00001", "Quantum walks"), ("2603.00002", "Walks")])
    report = jobs.ingest_file(app, source, on_batch=live.on_batch)
    catch = live.finish()
    assert report.added == 2
    assert catch.reports[0].indexed == 2
    assert sorted(_ids(app, "walks")) == ["2603.00001", "2603.00002"]
    mark = valid_mark(lexical_path(app))
    assert mark is not None and mark.seq == app.store.papers.current_seq()
    assert not IndexerLock(app.settings.index_dir).holder()  # released


def test_a_second_import_replaces_documents(paperfeed_app: Paperfeed, tmp_path: Path) -> None:
    app = paperfeed_app
    for title in ("Old title", "New title"):
        live = LiveKeywordIndex.start(app)
        assert live is not None
        app.store.papers.write_batch([_paper("2603.00001", title, version=1 if title == "Old title" else 2)])
        live.finish()
    assert _ids(app, "new") == ["2603.00001"]
    assert _ids(app, "old") == []
    assert LexicalIndex.open_reader(lexical_path(app)).num_docs() == 1


def test_another_writer_in_between_is_caught_up(paperfeed_app: Paperfeed) -> None:
    app = paperfeed_app
    live = LiveKeywordIndex.start(app)
    assert live is not None
    live.on_batch(app.store.papers.write_batch([_paper("2603.00001", "Ours")]))
    app.store.papers.write_batch([_paper("2603.00002", "Theirs")])  # not seen by the import
    live.on_batch(app.store.papers.write_batch([_paper("2603.00003", "Ours again")]))
    live.finish()
    assert _ids(app, "theirs") == ["2603.00002"]
    assert sorted(_ids(app, "ours")) == ["2603.00001", "2603.00003"]
    mark = valid_mark(lexical_path(app))
    assert mark is not None and mark.seq == app.store.papers.current_seq()


def test_an_aborted_import_leaves_the_mark(paperfeed_app: Paperfeed) -> None:
    app = paperfeed_app
    live = LiveKeywordIndex.start(app)
    assert live is not None
    before = valid_mark(lexical_path(app))
    live.on_batch(app.store.papers.write_batch([_paper("2603.00001", "Lost")]))
    live.abort()
    assert valid_mark(lexical_path(app)) == before
    again = LiveKeywordIndex.start(app)  # the next indexer catches the stored paper up
    assert again is not None
    again.finish()
    assert _ids(app, "lost") == ["2603.00001"]


def test_a_running_indexer_gets_the_import(paperfeed_app: Paperfeed) -> None:
    lock = IndexerLock(paperfeed_app.settings.index_dir)
    assert lock.try_acquire()
    try:
        assert LiveKeywordIndex.start(paperfeed_app) is None
    finally:
        lock.release()


def test_a_bulk_import_leaves_the_features_to_the_indexer(
    paperfeed_app: Paperfeed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(live_index, "BULK_UPDATE", 1)
    live = LiveKeywordIndex.start(paperfeed_app)
    assert live is not None
    live.on_batch(
        paperfeed_app.store.papers.write_batch([_paper("2603.00001", "One"), _paper("2603.00002", "Two")])
    )
    lexical, features = live.finish().reports
    assert lexical.indexed == 2
    assert features.index == "tfidf" and features.skipped and features.pending == 2


def test_a_paper_repeated_in_a_later_batch_is_indexed_once(paperfeed_app: Paperfeed) -> None:
    app = paperfeed_app
    live = LiveKeywordIndex.start(app)
    assert live is not None and live.fresh
    live.on_batch(app.store.papers.write_batch([_paper("2603.00001", "First words")]))
    live.on_batch(app.store.papers.write_batch([_paper("2603.00001", "Second words", version=2)]))
    live.finish()
    assert _ids(app, "words") == ["2603.00001"]
    assert _ids(app, "first") == []
    assert LexicalIndex.open_reader(lexical_path(app)).num_docs() == 1
