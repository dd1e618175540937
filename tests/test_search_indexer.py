"""The indexer: incremental updates, crash repair, new versions, merged-away ids, one writer,
read-only searches, hand-over from one-shot commands, and the follow loop."""

from __future__ import annotations

import os
import shutil
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest

from paperfeed.context import Paperfeed
from paperfeed.records import PaperRecord, Version, finalize
from paperfeed.search import engine
from paperfeed.search.index_updates import lexical_path, update_lexical
from paperfeed.search.indexer import (
    Indexer,
    IndexerBusy,
    IndexerLock,
    catch_up,
    catch_up_or_hand_over,
    index_status,
)
from paperfeed.search.lexical import LexicalIndex
from paperfeed.search.marks import IndexMark, read_mark, write_mark
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
    """What the index holds right now."""
    index = LexicalIndex.open_reader(lexical_path(app))
    return {h.paper_id for h in index.search(parse(query), limit=1000, snippets=False).hits}


def test_nothing_changed_is_a_no_op(sample_app: Paperfeed) -> None:
    catch_up(sample_app, embed=False)
    meta = lexical_path(sample_app) / "meta.json"
    before = meta.stat().st_mtime_ns
    report = update_lexical(sample_app)
    assert (report.indexed, report.removed, report.full) == (0, 0, False)
    assert meta.stat().st_mtime_ns == before  # no writer was even opened


def test_crash_after_store_commit_is_repaired_incrementally(sample_app: Paperfeed) -> None:
    catch_up(sample_app, embed=False)
    # A store commit whose index update never ran (the process died in between).
    sample_app.store.papers.write_batch([_paper("2603.00001", "Zymurgical transformers for brewing")])
    assert _ids(sample_app, "zymurgical") == set()
    status = index_status(sample_app)
    assert status["lexical"]["pending"] == 1
    report = update_lexical(sample_app)
    assert report.full is False and report.indexed == 1
    assert _ids(sample_app, "zymurgical") == {"2603.00001"}
    assert index_status(sample_app)["lexical"]["pending"] == 0


def test_crash_between_index_commit_and_mark_reindexes_without_duplicates(sample_app: Paperfeed) -> None:
    catch_up(sample_app, embed=False)
    sample_app.store.papers.write_batch([_paper("2603.00002", "Quokka detection")])
    update_lexical(sample_app)
    mark = read_mark(lexical_path(sample_app))
    assert mark is not None
    write_mark(lexical_path(sample_app), IndexMark(mark.index_id, 0))  # as if the mark write was lost
    report = update_lexical(sample_app)
    assert report.full is False and report.indexed == 301
    assert (
        LexicalIndex.open_reader(lexical_path(sample_app)).num_docs()
        == sample_app.store.papers.count()
        == 301
    )


def test_missing_or_foreign_index_is_rebuilt_in_full(sample_app: Paperfeed) -> None:
    catch_up(sample_app, embed=False)
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
    store = paperfeed_app.store.papers
    store.write_batch([_paper("2603.00003", "Platypus routing in graphs", version=1)])
    update_lexical(paperfeed_app)
    assert _ids(paperfeed_app, "platypus") == {"2603.00003"}
    store.write_batch([_paper("2603.00003", "Echidna routing in graphs", version=2)])
    update_lexical(paperfeed_app)
    assert _ids(paperfeed_app, "echidna") == {"2603.00003"}
    assert _ids(paperfeed_app, "platypus") == set()
    assert LexicalIndex.open_reader(lexical_path(paperfeed_app)).num_docs() == 1


def test_merged_away_title_paper_is_removed(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store.papers
    title = "Numbat attention for sparse sequences"
    store.write_batch([finalize(PaperRecord(paper_id="", title=title, abstract="Seen on a daily page."))])
    update_lexical(paperfeed_app)
    (title_only,) = _ids(paperfeed_app, "numbat")
    assert title_only.startswith("title:")
    result = store.write_batch([_paper("2603.00004", title)])
    assert title_only in result.removed_ids
    update_lexical(paperfeed_app)
    assert _ids(paperfeed_app, "numbat") == {"2603.00004"}


def _index_files(app: Paperfeed) -> dict[str, int]:
    root = app.settings.index_dir
    return {str(p.relative_to(root)): p.stat().st_mtime_ns for p in root.rglob("*") if p.is_file()}


def test_searches_never_write_and_report_what_the_index_has_not_caught_up_with(sample_app: Paperfeed) -> None:
    before = _index_files(sample_app)
    sample_app.store.papers.write_batch([_paper(f"2603.1000{i}", f"Wombat paper {i}") for i in range(8)])
    results = engine.search(sample_app, "wombat", mode="keyword")
    assert results.hits == [] and results.notice is not None and "8 new papers" in results.notice
    engine.search(sample_app, "graph neural networks", mode="hybrid")
    assert _index_files(sample_app) == before  # a search wrote nothing, not even a lock file
    catch_up(sample_app, embed=False)
    results = engine.search(sample_app, "wombat", mode="keyword")
    assert len(results.hits) == 8 and results.notice is None


def test_no_index_yet_is_a_clear_error(paperfeed_app: Paperfeed) -> None:
    with pytest.raises(engine.SearchUnavailable, match="index"):
        engine.search(paperfeed_app, "graph", mode="keyword")


def test_one_writer_others_hand_over(sample_app: Paperfeed) -> None:
    holder = IndexerLock(sample_app.settings.index_dir)
    assert holder.try_acquire()
    try:
        assert holder.holder() == os.getpid()
        with pytest.raises(IndexerBusy, match="another process"):
            catch_up(sample_app, embed=False)
        sample_app.store.papers.write_batch([_paper("2603.20000", "Capybara planning")])
        outcome = catch_up_or_hand_over(sample_app)
        assert outcome.handed_over and outcome.reports == []
        assert _ids(sample_app, "capybara") == set()
    finally:
        holder.release()
    assert catch_up_or_hand_over(sample_app).handed_over is False
    assert _ids(sample_app, "capybara") == {"2603.20000"}


def test_follow_loop_indexes_new_commits_within_seconds(sample_app: Paperfeed) -> None:
    indexer = Indexer(sample_app, embed=False, poll_seconds=0.1)
    thread = indexer.start_thread()
    try:
        sample_app.store.papers.write_batch([_paper("2603.30000", "Axolotl regeneration networks")])
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not engine.search(sample_app, "axolotl", mode="keyword").hits:
            time.sleep(0.05)
        assert [h.paper_id for h in engine.search(sample_app, "axolotl", mode="keyword").hits] == [
            "2603.30000"
        ]
        assert index_status(sample_app)["indexer_pid"] == os.getpid()
        # A second follower of the same data dir stands by instead of writing.
        standby = Indexer(sample_app, embed=False, poll_seconds=0.1)
        second = standby.start_thread()
        time.sleep(0.3)
        assert standby.rounds == 0
        standby.stop.set()
        second.join(5)
    finally:
        indexer.stop.set()
        thread.join(5)
    assert not thread.is_alive()


def test_marks_live_beside_their_index(sample_app: Paperfeed, tmp_path: Path) -> None:
    catch_up(sample_app, embed=False)
    mark = read_mark(lexical_path(sample_app))
    assert mark is not None and mark.seq == sample_app.store.papers.current_seq()
    assert sample_app.store.papers.get_state("search.lexical") is None  # nothing about indexes in the store
