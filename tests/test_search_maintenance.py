"""Index consistency: incremental updates, crash repair, new versions, merged-away ids."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import pytest

from paperfeed.context import Paperfeed
from paperfeed.records import PaperRecord, Version, finalize
from paperfeed.search.lexical import LexicalIndex
from paperfeed.search.maintenance import (
    LEXICAL_MARK,
    IndexMark,
    index_status,
    lexical_path,
    read_mark,
    update_indexes,
    update_lexical,
    write_mark,
)
from paperfeed.search.query import parse


def _paper(paper_id: str, title: str, abstract: str = "An abstract.", version: int = 1) -> PaperRecord:
    when = datetime(2026, 3, version, tzinfo=UTC)
    return finalize(
        PaperRecord(
            paper_id=paper_id,
            title=title,
            abstract=abstract,
            authors=["Ada Lovelace"],
            categories=["cs.LG"],
            version=version,
            versions=[Version(n, datetime(2026, 3, n, tzinfo=UTC)) for n in range(1, version + 1)],
            updated=when,
            source="test",
        )
    )


def _ids(app: Paperfeed, query: str) -> set[str]:
    """What the index holds right now (search() itself would catch up first)."""
    index = LexicalIndex(lexical_path(app))
    return {h.paper_id for h in index.search(parse(query), limit=1000, snippets=False).hits}


def test_nothing_changed_is_a_no_op(sample_app: Paperfeed) -> None:
    update_indexes(sample_app, embed=False)
    meta = lexical_path(sample_app) / "meta.json"
    before = meta.stat().st_mtime_ns
    report = update_lexical(sample_app)
    assert (report.indexed, report.removed, report.full) == (0, 0, False)
    assert meta.stat().st_mtime_ns == before  # no writer was even opened


def test_crash_after_store_commit_is_repaired_incrementally(sample_app: Paperfeed) -> None:
    update_indexes(sample_app, embed=False)
    # A store commit whose index update never ran (the process died in between).
    sample_app.store.write_batch([_paper("2603.00001", "Zymurgical transformers for brewing")])
    assert _ids(sample_app, "zymurgical") == set()
    status = index_status(sample_app)
    assert status["lexical"]["pending"] == 1
    report = update_lexical(sample_app)
    assert report.full is False and report.indexed == 1
    assert _ids(sample_app, "zymurgical") == {"2603.00001"}
    assert index_status(sample_app)["lexical"]["pending"] == 0


def test_crash_between_index_commit_and_mark_reindexes_without_duplicates(sample_app: Paperfeed) -> None:
    update_indexes(sample_app, embed=False)
    sample_app.store.write_batch([_paper("2603.00002", "Quokka detection")])
    update_lexical(sample_app)
    mark = read_mark(sample_app, LEXICAL_MARK)
    assert mark is not None
    write_mark(sample_app, LEXICAL_MARK, IndexMark(mark.index_id, 0))  # as if the mark write was lost
    report = update_lexical(sample_app)
    assert report.full is False and report.indexed == 301
    assert LexicalIndex(lexical_path(sample_app)).num_docs() == sample_app.store.count() == 301


def test_missing_or_foreign_index_is_rebuilt_in_full(sample_app: Paperfeed) -> None:
    update_indexes(sample_app, embed=False)
    shutil.rmtree(lexical_path(sample_app))
    report = update_lexical(sample_app)
    assert report.full is True and report.indexed == 300
    assert "2602.18409" in _ids(sample_app, "id:2602.18409")
    # An index directory that is not the one the mark names (restored from elsewhere).
    (lexical_path(sample_app) / "INDEX_ID").write_text("someone-else")
    assert index_status(sample_app)["lexical"]["needs_full_rebuild"] is True
    assert update_lexical(sample_app).full is True
    assert index_status(sample_app)["lexical"]["needs_full_rebuild"] is False


def test_new_version_replaces_indexed_text(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store
    store.write_batch([_paper("2603.00003", "Platypus routing in graphs", version=1)])
    update_lexical(paperfeed_app)
    assert _ids(paperfeed_app, "platypus") == {"2603.00003"}
    store.write_batch([_paper("2603.00003", "Echidna routing in graphs", version=2)])
    update_lexical(paperfeed_app)
    assert _ids(paperfeed_app, "echidna") == {"2603.00003"}
    assert _ids(paperfeed_app, "platypus") == set()
    assert LexicalIndex(lexical_path(paperfeed_app)).num_docs() == 1


def test_merged_away_title_paper_is_removed(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store
    title = "Numbat attention for sparse sequences"
    store.write_batch([finalize(PaperRecord(paper_id="", title=title, abstract="Seen on a daily page."))])
    update_lexical(paperfeed_app)
    (title_only,) = _ids(paperfeed_app, "numbat")
    assert title_only.startswith("title:")
    result = store.write_batch([_paper("2603.00004", title)])
    assert title_only in result.removed_ids
    update_lexical(paperfeed_app)
    assert _ids(paperfeed_app, "numbat") == {"2603.00004"}


def test_search_leaves_a_big_backlog_to_rebuild_and_says_so(
    sample_app: Paperfeed, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperfeed.search import engine

    monkeypatch.setattr(engine, "CATCH_UP_MAX", 5)
    with pytest.raises(engine.SearchUnavailable, match="index rebuild"):
        engine.search(sample_app, "graph", mode="keyword")
    update_lexical(sample_app)
    sample_app.store.write_batch([_paper(f"2603.1000{i}", f"Wombat paper {i}") for i in range(8)])
    results = engine.search(sample_app, "wombat", mode="keyword")
    assert results.hits == [] and results.notice is not None and "8 papers" in results.notice
    sample_app.store.write_batch([])
    monkeypatch.setattr(engine, "CATCH_UP_MAX", 100)
    results = engine.search(sample_app, "wombat", mode="keyword")
    assert len(results.hits) == 8 and results.notice is None
