"""Bringing one index up to date with the store's change feed: the keyword index and the vectors.

The store is the source of truth. Every write there gets a ``change_seq``; each index keeps, in its
own directory, a mark naming *which* index it is and up to which ``change_seq`` it is current (see
:mod:`paperfeed.search.marks`). Updating means: re-index the papers changed after the mark, drop
the ids merged away after it, commit the index, *then* move the mark.

Why that order repairs crashes: if the process dies after a store commit but before the index
commit, the mark still points before that change, so the next update re-indexes exactly those
papers. Re-indexing is idempotent (delete by id, add), so dying between the index commit and the
mark write only costs re-doing one batch. A full rebuild happens only when the index directory is
missing or is not the one the mark names (deleted, restored from elsewhere, schema changed), or when
asked. Only the indexer calls these functions, holding the indexer lock (:mod:`~.indexer`).
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from pathlib import Path

import numpy as np

from paperfeed.context import Paperfeed
from paperfeed.search.lexical import INDEX_ID_FILE, LexicalIndex, paper_document
from paperfeed.search.marks import IndexMark, UpdateReport, valid_mark, write_mark
from paperfeed.search.vectors import VectorStore, vectors_path

SCHEMA_VERSION = "2"
"""2: the abstract analysed once (``body``), stored as bytes for snippets (see lexical.py)."""

Progress = Callable[[int], None]
BULK_UPDATE = 50_000
"""Above this many changed papers an update indexes on two threads (see LexicalIndex.writer)."""


def lexical_path(app: Paperfeed) -> Path:
    return app.settings.index_dir / f"lexical-v{SCHEMA_VERSION}"


def _fresh_lexical(path: Path) -> LexicalIndex:
    """An index directory with a new id: the existing one emptied in place when it opens (readers in
    other processes keep working until they see the new id), else a new directory."""
    if LexicalIndex.exists(path):
        try:
            index = LexicalIndex.open_writer(path)
        except ValueError:
            return LexicalIndex.create_empty(path)
        new_id = uuid.uuid4().hex
        (path / INDEX_ID_FILE).write_text(new_id)
        index.index_id = new_id
        return index
    return LexicalIndex.create_empty(path)


def update_lexical(app: Paperfeed, *, full: bool = False, progress: Progress | None = None) -> UpdateReport:
    """Bring the keyword index up to the store's current ``change_seq`` (cheap when it already is)."""
    papers = app.store.papers
    path = lexical_path(app)
    target = papers.current_seq()
    mark = valid_mark(path) if LexicalIndex.exists(path) else None
    if not full and mark is not None and mark.seq >= target:
        return UpdateReport("lexical", seq=mark.seq)
    rebuild = full or mark is None
    index = _fresh_lexical(path) if rebuild else LexicalIndex.open_writer(path)
    after = 0 if rebuild or mark is None else mark.seq
    report = UpdateReport("lexical", full=rebuild, seq=target)
    # Large catch-ups (a rebuild, a bulk import) index on two threads; small ones need no more.
    large = rebuild or papers.changed_count(after) > BULK_UPDATE
    writer = index.writer(threads=2 if large else 1)
    try:
        if rebuild:
            writer.delete_all_documents()
        else:
            removed = papers.removed_since(after)
            index.delete(writer, removed)
            report.removed = len(removed)
        for batch in papers.iter_changed(after, until_seq=target):
            if rebuild:
                for paper in batch:
                    writer.add_document(paper_document(paper))
            else:
                index.upsert(writer, batch)
            report.indexed += len(batch)
            if progress is not None:
                progress(report.indexed)
        writer.commit()
        writer.wait_merging_threads()
    except BaseException:
        writer.rollback()
        raise
    write_mark(path, IndexMark(index.index_id, target))
    return report


def update_vectors(
    app: Paperfeed,
    *,
    full: bool = False,
    batch_size: int | None = None,
    budget: int | None = None,
    progress: Progress | None = None,
    read_batch: int = 256,
) -> UpdateReport:
    """Embed the papers changed since the vectors' mark (skipping unchanged text); drop removed ids.

    ``budget`` caps how many papers one call embeds, so the indexer can keep the keyword index fresh
    between slices of a long embedding job (checked every ``read_batch`` papers); the mark then
    records the last paper done, even inside a change, and ``pending`` says how many are left.
    """
    from paperfeed.search.embedders import fingerprint_of, paper_text, text_hash, try_load_configured

    model = app.settings.embedding_model
    papers = app.store.papers
    target = papers.current_seq()
    path = vectors_path(app.settings, model)
    mark = valid_mark(path) if VectorStore.exists(path) else None
    if not full and mark is not None and mark.seq >= target and mark.complete:
        return UpdateReport("vectors", seq=mark.seq)
    embedder, why = try_load_configured(app.settings)
    if embedder is None:
        pending = papers.changed_count(mark.seq, mark.after_id) if mark else papers.count()
        return UpdateReport("vectors", skipped=why, pending=pending)
    fingerprint = fingerprint_of(embedder)
    existing = VectorStore(path, exact_max=app.settings.vector_exact_max) if mark is not None else None
    # Vectors made by another version of the model are useless with this one's queries: start over.
    foreign = existing is not None and bool(existing.fingerprint) and existing.fingerprint != fingerprint
    rebuild = full or existing is None or foreign
    vectors = (
        VectorStore.create(path, model=model, dim=embedder.dim, fingerprint=fingerprint)
        if rebuild
        else existing
    )
    assert vectors is not None
    after = 0 if rebuild or mark is None else mark.seq
    after_id = None if rebuild or mark is None else mark.after_id
    report = UpdateReport("vectors", full=rebuild, seq=target)
    removed = [] if rebuild else papers.removed_since(after)
    vectors.append([], [], np.zeros((0, vectors.dim), dtype=np.float32), removed)
    report.removed = len(removed)
    done: tuple[int, str | None] = (target, None)
    last: tuple[int, str | None] = (after, after_id)
    changed = papers.iter_changed_with_seq(after, batch_size=read_batch, until_seq=target, after_id=after_id)
    for batch in changed:
        if budget is not None and report.indexed >= budget:
            done = last  # everything up to the last paper of the previous batch is embedded
            break
        last = (batch[-1][1], batch[-1][0].paper_id)
        texts = {p.paper_id: paper_text(p) for p, _ in batch}
        hashes = {pid: text_hash(t) for pid, t in texts.items()}
        todo = [pid for pid in texts if vectors.hash_of(pid) != hashes[pid]]
        if todo:
            encoded = embedder.encode([texts[pid] for pid in todo], batch_size=batch_size)
            vectors.append(todo, [hashes[pid] for pid in todo], encoded)
            report.indexed += len(todo)
            if progress is not None:
                progress(report.indexed)
    report.seq, done_id = done
    if report.seq < target or done_id is not None:
        report.pending = papers.changed_count(report.seq, done_id)
    if len(vectors) > app.settings.vector_exact_max:
        vectors.save_ann()
    write_mark(path, IndexMark(vectors.index_id, report.seq, done_id))
    return report
