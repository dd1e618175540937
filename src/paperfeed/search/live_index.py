"""Keyword-indexing an import as it commits, so its papers are searchable when the command ends.

An import used to commit everything to the store, then read it all back from the change feed to
build the keyword index: on a bulk import that second pass (reading the store, building documents,
then tantivy) cost more than the import. Here the ``ingest`` command, when nobody else is this data
dir's indexer, becomes the indexer for the duration of the import (it holds the indexer lock, see
:mod:`~paperfeed.search.indexer`) and hands tantivy each committed batch's rows as they are written:
nothing is read back, and tantivy's threads index while the import parses and writes the next batch.

The rules of :mod:`~paperfeed.search.index_updates` still hold. The index is first caught up with
the store; after the import it is committed, *then* the mark moves, and only to a change the index
has seen all of: when the import's batches are the only changes since the mark (the usual case) the
mark moves past them; when another process wrote to the store in between, a normal catch-up from the
old mark follows (re-indexing is idempotent). A killed import leaves the mark where it was, so the
next catch-up re-indexes what the index may lack.

The recommender's TF-IDF features are not built here for a bulk import (more than
:data:`~paperfeed.search.index_updates.BULK_UPDATE` papers): the indexer (``serve``,
``paperfeed index follow``) builds them from the change feed in slices, with the papers already
searchable; small imports catch them up at once, as before.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from pathlib import Path

import orjson
import tantivy

from paperfeed.context import Paperfeed
from paperfeed.ingest import jobs
from paperfeed.ingest.pipeline import IngestReport
from paperfeed.search.index_updates import BULK_UPDATE, lexical_path, update_lexical
from paperfeed.search.indexer import CatchUp, IndexerLock
from paperfeed.search.lexical import LexicalIndex, make_document, to_epoch
from paperfeed.search.marks import IndexMark, UpdateReport, valid_mark, write_mark
from paperfeed.search.tfidf_updates import tfidf_status, update_tfidf
from paperfeed.store.paper_writes import BatchResult
from paperfeed.store.rows import PaperRows


def rows_document(rows: PaperRows) -> tantivy.Document:
    """The keyword index's document of a paper from its store rows (what ``paper_document`` makes of
    the same paper read back from the store)."""
    paper = rows.paper
    published: int | None = rows.published_ts or None
    if published is None and paper[8] is not None:  # no first-version date: the record's date
        updated = paper[8]
        published = to_epoch(datetime.fromisoformat(updated) if isinstance(updated, str) else updated)
    return make_document(
        paper_id=rows.paper_id,
        doi=paper[9],
        title=paper[1],
        abstract=paper[4],
        authors=orjson.loads(paper[13]),
        categories=orjson.loads(paper[14]),
        published=published,
    )


class LiveKeywordIndex:
    """The keyword index kept during one import; :meth:`start`, :meth:`on_batch` per committed
    batch, then :meth:`finish` (or :meth:`abort`)."""

    def __init__(self, app: Paperfeed, lock: IndexerLock) -> None:
        self.app = app
        self.lock = lock
        update_lexical(app)  # start from an index current with the store
        self.path = lexical_path(app)
        mark = valid_mark(self.path)
        assert mark is not None  # update_lexical just wrote it
        self.start_seq = mark.seq
        self.index = LexicalIndex.open_writer(self.path)
        self.fresh = self.index.num_docs() == 0  # nothing to replace: add without deleting
        self.writer: tantivy.IndexWriter | None = self.index.writer(threads=2)
        self.seqs: list[int] = []
        self.report = UpdateReport("lexical", seq=self.start_seq)

    @classmethod
    def start(cls, app: Paperfeed) -> LiveKeywordIndex | None:
        """Become the indexer for this import; ``None`` when another process is (hand over to it)."""
        lock = IndexerLock(app.settings.index_dir)
        if not lock.try_acquire():
            return None
        try:
            return cls(app, lock)
        except BaseException:
            lock.release()
            raise

    def on_batch(self, result: BatchResult) -> None:
        """Index one committed batch's written rows and drop the ids it merged away."""
        writer = self.writer
        assert writer is not None, "on_batch after finish or abort"
        # A fresh index holds only this import's papers: a batch that changed none of them (all
        # added) has nothing to replace. One that updated some (a paper repeated further down the
        # file) replaces them like any update (a delete only hits documents added before it).
        if not self.fresh or result.updated:
            for paper_id in [*result.changed_ids, *result.removed_ids]:
                writer.delete_documents_by_term("paper_id", paper_id)
        elif result.removed_ids:
            self.index.delete(writer, result.removed_ids)
        for rows in result.written:
            writer.add_document(rows_document(rows))
        if result.seq is not None:
            self.seqs.append(result.seq)
        self.report.indexed += len(result.written)
        self.report.removed += len(result.removed_ids)

    def abort(self) -> None:
        """The import failed: drop what was not committed and let go (the mark did not move)."""
        try:
            if self.writer is not None:
                self.writer.rollback()
        finally:
            self.writer = None  # dropping it releases tantivy's own writer lock
            self.lock.release()

    def finish(self) -> CatchUp:
        """Commit the index, move its mark, and catch up what else needs it; releases the lock."""
        writer = self.writer
        assert writer is not None, "finish after finish or abort"
        try:
            writer.commit()
            writer.wait_merging_threads()
            self.writer = None  # dropping it releases tantivy's own writer lock (a catch-up below
            del writer  # opens another writer on the same directory)
            target = self.app.store.papers.current_seq()
            if self.seqs == list(range(self.start_seq + 1, target + 1)):
                write_mark(self.path, IndexMark(self.index.index_id, target))
                self.report.seq = target
                lexical = self.report
            else:  # another writer's changes in between: the ordinary catch-up covers them all
                lexical = update_lexical(self.app)
                lexical.indexed += self.report.indexed
            return CatchUp([lexical, self._features()])
        finally:
            self.writer = None
            self.lock.release()

    def _features(self) -> UpdateReport:
        """The TF-IDF features: now for a small import, left to the indexer after a bulk one."""
        if self.report.indexed > BULK_UPDATE:
            return UpdateReport(
                "tfidf",
                skipped="bulk import: the indexer (serve, index follow) builds the features next",
                pending=int(tfidf_status(self.app).get("pending") or 0),
            )
        return update_tfidf(self.app)


def ingest_file_searchable(
    app: Paperfeed,
    path: Path,
    *,
    file_format: str | None = None,
    strict: bool = False,
    progress: Callable[[IngestReport, int, int], None] | None = None,
) -> tuple[IngestReport, CatchUp]:
    """``ingest file`` with its papers searchable when it returns: the keyword index follows the
    import batch by batch (:class:`LiveKeywordIndex`); when another process is this data dir's
    indexer, the papers are left to it (``CatchUp(handed_over=True)``). A failed or interrupted
    import gives the index back untouched past its mark, so the next catch-up repairs it."""
    live = LiveKeywordIndex.start(app)
    if live is None:
        report = jobs.ingest_file(app, path, file_format=file_format, strict=strict, progress=progress)
        return report, CatchUp(handed_over=True)
    try:
        report = jobs.ingest_file(
            app, path, file_format=file_format, strict=strict, progress=progress, on_batch=live.on_batch
        )
    except BaseException:
        live.abort()
        raise
    return report, live.finish()
