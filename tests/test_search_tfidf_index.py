"""The recommender's TF-IDF features index: what it holds, incremental updates and merges, slices
that never stall, a new vocabulary when the store doubles (readers switch only when it is
complete), compaction, crash leftovers, and date windows. Both backends."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime

import numpy as np
import pytest

from paperfeed.context import Paperfeed
from paperfeed.records import PaperRecord, Version, finalize
from paperfeed.search import tfidf_updates
from paperfeed.search.indexer import Indexer, catch_up, index_status
from paperfeed.search.tfidf import paper_text
from paperfeed.search.tfidf_index import Manifest, current_generation, open_tfidf, tfidf_path
from paperfeed.search.tfidf_updates import update_tfidf

WORDS = ["walrus ocean iceberg", "volcano lava magma", "comet orbit telescope", "bread yeast oven"]


def _paper(paper_id: str, title: str, abstract: str, *, day: int = 1, version: int = 1) -> PaperRecord:
    return finalize(
        PaperRecord(
            paper_id=paper_id,
            title=title,
            abstract=abstract,
            authors=["Ada Lovelace"],
            categories=["cs.LG"],
            version=version,
            versions=[Version(n, datetime(2026, 3, day, tzinfo=UTC)) for n in range(1, version + 1)],
            updated=datetime(2026, 3, day, tzinfo=UTC),
            source="test",
        )
    )


def _write(app: Paperfeed, *papers: PaperRecord) -> None:
    app.store.papers.write_batch(list(papers))


def _seed(app: Paperfeed, count: int, start: int = 0) -> None:
    """``count`` papers, one change each, cycling through four topics."""
    for i in range(start, start + count):
        words = WORDS[i % len(WORDS)]
        _write(
            app,
            _paper(f"2603.{i:05d}", f"Paper {i} on {words.split()[0]}", f"{words} study {i}", day=1 + i % 28),
        )


def test_rows_are_the_fitted_vocabulary_applied_to_every_paper(sample_app: Paperfeed) -> None:
    snapshot = open_tfidf(sample_app.settings.index_dir)
    assert snapshot is not None and len(snapshot) == 300 and snapshot.width > 1000
    papers = sample_app.store.papers.get_many(snapshot.ids[:20])
    expected = snapshot.vectorizer().transform(
        [paper_text(papers[i].title, papers[i].abstract) for i in snapshot.ids[:20]]
    )
    found, rows = snapshot.rows(snapshot.ids[:20])
    assert found == snapshot.ids[:20]
    assert abs(rows - expected).max() < 1e-6
    norms = np.sqrt(np.asarray(rows.multiply(rows).sum(axis=1)).ravel())
    assert np.allclose(norms, 1.0, atol=1e-5)
    status = index_status(sample_app)["tfidf"]
    assert status["exists"] and status["papers"] == 300 and status["pending"] == 0


def test_updates_add_replace_and_drop_merged_papers(paperfeed_app: Paperfeed) -> None:
    _seed(paperfeed_app, 8)
    update_tfidf(paperfeed_app)
    before = open_tfidf(paperfeed_app.settings.index_dir)
    assert before is not None and len(before) == 8
    _write(
        paperfeed_app, _paper("2603.00001", "Paper 1 on volcano", "volcano lava magma eruption", version=2)
    )
    title = "Numbat attention for sparse sequences"
    _write(paperfeed_app, finalize(PaperRecord(paper_id="", title=title, abstract="walrus ocean numbat")))
    report = update_tfidf(paperfeed_app)
    assert (report.full, report.indexed) == (False, 2)
    middle = open_tfidf(paperfeed_app.settings.index_dir)
    assert middle is not None and middle is not before and len(middle) == 9
    (title_only,) = [i for i in middle.ids if i.startswith("title:")]
    result = paperfeed_app.store.papers.write_batch([_paper("2603.09999", title, "walrus ocean numbat")])
    assert title_only in result.removed_ids
    report = update_tfidf(paperfeed_app)
    assert report.removed == 1
    after = open_tfidf(paperfeed_app.settings.index_dir)
    assert after is not None and title_only not in after and "2603.09999" in after and len(after) == 9
    # the new version's text replaced the old row
    _, row = after.rows(["2603.00001"])
    vocabulary = after.vectorizer().vocabulary_
    assert "eruption" not in vocabulary or row[0, vocabulary["eruption"]] > 0
    assert row[0, vocabulary["volcano"]] > 0
    # a snapshot already handed out is not changed under its reader
    assert len(before) == 8 and "2603.09999" not in before
    assert open_tfidf(paperfeed_app.settings.index_dir) is after  # nothing changed: the same snapshot


def test_slices_stop_between_changes_and_never_stall(
    paperfeed_app: Paperfeed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tfidf_updates, "REFIT_GROWTH", 1000.0)  # no new vocabulary here
    _seed(paperfeed_app, 4)
    update_tfidf(paperfeed_app)
    _seed(paperfeed_app, 3, start=4)  # three changes of one paper each
    report = update_tfidf(paperfeed_app, budget=1)
    assert report.indexed == 1 and report.pending == 2
    snapshot = open_tfidf(paperfeed_app.settings.index_dir)
    assert snapshot is not None and len(snapshot) == 5
    # one change of 30 papers, larger than the slice (and read one paper a batch: the budget is one):
    # done in one go, not re-done forever
    _write(paperfeed_app, *[_paper(f"2604.{i:05d}", f"Bulk {i}", WORDS[i % 4]) for i in range(30)])
    seen = 0
    for _ in range(5):
        report = update_tfidf(paperfeed_app, budget=1)
        seen += report.indexed
        if report.pending == 0:
            break
    assert report.pending == 0 and seen == 2 + 30
    snapshot = open_tfidf(paperfeed_app.settings.index_dir)
    assert snapshot is not None and len(snapshot) == 7 + 30


def test_a_doubled_store_gets_a_new_vocabulary_which_readers_see_only_when_complete(
    paperfeed_app: Paperfeed, monkeypatch: pytest.MonkeyPatch
) -> None:
    _seed(paperfeed_app, 3)
    update_tfidf(paperfeed_app)
    root = tfidf_path(paperfeed_app.settings.index_dir)
    first = current_generation(root)
    old = open_tfidf(paperfeed_app.settings.index_dir)
    assert old is not None and "yeast" not in old.vectorizer().vocabulary_
    _seed(paperfeed_app, 5, start=3)  # 8 papers: more than twice the 3 the vocabulary was fitted on
    report = update_tfidf(paperfeed_app, budget=2)  # the new generation is built a slice at a time
    assert report.full and report.pending > 0
    assert current_generation(root) == first  # readers keep the complete, current one meanwhile
    building = [p for p in root.glob("g-*") if p.name != first]
    assert len(building) == 1 and not (Manifest.read(building[0]) or Manifest("x")).complete
    for _ in range(10):
        if update_tfidf(paperfeed_app, budget=2).pending == 0 and current_generation(root) != first:
            break
    assert current_generation(root) == building[0].name
    assert not (root / str(first)).exists()  # the old generation is gone once replaced
    new = open_tfidf(paperfeed_app.settings.index_dir)
    assert new is not None and new.generation != old.generation and len(new) == 8
    assert "yeast" in new.vectorizer().vocabulary_  # words the first fit never saw
    assert len(old) == 3  # a reader holding the old snapshot still reads it (mapped files)


def test_segments_are_compacted(paperfeed_app: Paperfeed, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tfidf_updates, "MAX_SEGMENTS", 2)
    monkeypatch.setattr(tfidf_updates, "REFIT_GROWTH", 1000.0)
    _seed(paperfeed_app, 4)
    update_tfidf(paperfeed_app)
    for i in range(4, 9):
        _seed(paperfeed_app, 1, start=i)
        update_tfidf(paperfeed_app)
    root = tfidf_path(paperfeed_app.settings.index_dir)
    folder = root / str(current_generation(root))
    manifest = Manifest.read(folder)
    assert manifest is not None and len(manifest.segments) <= 2
    assert sorted(p.name for p in folder.glob("s*")) == sorted(manifest.segments)
    snapshot = open_tfidf(paperfeed_app.settings.index_dir)
    assert snapshot is not None and len(snapshot) == 9
    found, rows = snapshot.rows([f"2603.{i:05d}" for i in range(9)])
    assert len(found) == 9 and (np.diff(rows.indptr) > 0).all()


def test_a_catch_up_writes_bounded_segments_and_compaction_keeps_large_ones(
    paperfeed_app: Paperfeed, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(tfidf_updates, "SEGMENT_PAPERS", 3)
    monkeypatch.setattr(tfidf_updates, "MAX_SEGMENTS", 3)
    monkeypatch.setattr(tfidf_updates, "REFIT_GROWTH", 1000.0)
    _seed(paperfeed_app, 8)  # one change per paper: a catch-up cuts segments of 3, 3 and 2 rows
    update_tfidf(paperfeed_app)
    root = tfidf_path(paperfeed_app.settings.index_dir)
    folder = root / str(current_generation(root))
    first = Manifest.read(folder)
    assert first is not None and len(first.segments) == 3
    for i in range(8, 11):  # three follow rounds of one paper each, then one paper changes
        _seed(paperfeed_app, 1, start=i)
        update_tfidf(paperfeed_app, budget=4000)
    rewritten = _paper("2603.00009", "Paper 9 rewritten", f"{WORDS[2]} study 9", day=9, version=2)
    _write(paperfeed_app, rewritten)
    update_tfidf(paperfeed_app, budget=4000)
    manifest = Manifest.read(folder)
    assert manifest is not None
    # The two full segments were never rewritten; the small ones behind them were merged, so only
    # the last segment may be small.
    assert manifest.segments[:2] == first.segments[:2]
    sizes = [len((folder / name / "ids.txt").read_text().split()) for name in manifest.segments]
    assert sizes == [3, 3, 3, 2]
    assert sorted(p.name for p in folder.glob("s*")) == sorted(manifest.segments)
    snapshot = open_tfidf(paperfeed_app.settings.index_dir)
    assert snapshot is not None and len(snapshot) == 11
    found, rows = snapshot.rows([f"2603.{i:05d}" for i in range(11)])
    assert len(found) == 11 and (np.diff(rows.indptr) > 0).all()
    # The rewritten paper's newest row wins over the one in the merged segments.
    newest = snapshot.vectorizer().transform([paper_text(rewritten.title, rewritten.abstract)])
    assert abs(rows[found.index("2603.00009")] - newest).max() < 1e-6


def test_crash_leftovers_are_ignored_or_cleaned(paperfeed_app: Paperfeed) -> None:
    _seed(paperfeed_app, 4)
    update_tfidf(paperfeed_app)
    root = tfidf_path(paperfeed_app.settings.index_dir)
    current = root / str(current_generation(root))
    # a segment written before a crash, never listed in the manifest
    (current / "s999999").mkdir()
    (current / "s999999" / "ids.txt").write_text("garbage\n")
    # a complete generation that lost the switch race, and an unreadable one
    shutil.copytree(current, root / "g-leftover")
    (root / "g-broken").mkdir()
    _seed(paperfeed_app, 1, start=4)
    update_tfidf(paperfeed_app)
    assert not (root / "g-leftover").exists() and not (root / "g-broken").exists()
    snapshot = open_tfidf(paperfeed_app.settings.index_dir)
    assert snapshot is not None and len(snapshot) == 5 and "garbage" not in snapshot


def test_windows_select_by_first_version_newest_first(paperfeed_app: Paperfeed) -> None:
    _seed(paperfeed_app, 10)  # days 1..10 of March 2026
    update_tfidf(paperfeed_app)
    snapshot = open_tfidf(paperfeed_app.settings.index_dir)
    assert snapshot is not None
    ids, published, rows = snapshot.window(datetime(2026, 3, 3), datetime(2026, 3, 6))
    assert ids == ["2603.00004", "2603.00003", "2603.00002"]  # first versions on March 5, 4, 3
    assert rows.shape[0] == 3 and list(published) == sorted(published, reverse=True)
    assert snapshot.window(datetime(2026, 4, 1), datetime(2026, 4, 2))[0] == []


def test_empty_store_is_skipped_and_the_follow_loop_keeps_features_current(paperfeed_app: Paperfeed) -> None:
    assert update_tfidf(paperfeed_app).skipped == "the store has no papers yet"
    assert open_tfidf(paperfeed_app.settings.index_dir) is None
    _seed(paperfeed_app, 3)
    indexer = Indexer(paperfeed_app, embed=False)
    assert indexer.lock.try_acquire()
    try:
        reports = indexer.run_once()
    finally:
        indexer.lock.release()
    assert [r.index for r in reports] == ["lexical", "tfidf"]
    snapshot = open_tfidf(paperfeed_app.settings.index_dir)
    assert snapshot is not None and len(snapshot) == 3
    assert catch_up(paperfeed_app, embed=False, full=True)[1].full  # `index rebuild --full` refits
    rebuilt = open_tfidf(paperfeed_app.settings.index_dir)
    assert rebuilt is not None and rebuilt.generation != snapshot.generation
