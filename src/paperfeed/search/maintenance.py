"""Keeping the derived indexes current with the store: update, status, rebuild, repair.

The store is the source of truth. Every write there gets a ``change_seq``; each index records, in
the store's key-value state, *which* index it is (the id written into its directory when created)
and up to which ``change_seq`` it is current. Updating means: re-index the papers changed after the
mark, drop the ids merged away after it, commit the index, *then* move the mark.

Why that order repairs crashes: if the process dies after a store commit but before the index
commit, the mark still points before that change, so the next :func:`update_indexes` (after the next
ingest, at web start-up, or ``paperfeed index rebuild``) re-indexes exactly those papers. Re-indexing
is idempotent (delete by id, add), so dying between the index commit and the mark write only costs
re-doing one batch. A full rebuild happens only when the index directory is missing or is not the
one the mark names (deleted, restored from elsewhere, schema changed), or when asked with ``full``.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from paperfeed.context import Paperfeed
from paperfeed.search.lexical import INDEX_ID_FILE, LexicalIndex

log = logging.getLogger(__name__)

LEXICAL_MARK = "search.lexical"
VECTORS_MARK_PREFIX = "search.vectors:"
SCHEMA_VERSION = "1"


@dataclass(frozen=True, slots=True)
class IndexMark:
    """Which index directory (its id) is current up to which store ``change_seq``."""

    index_id: str
    seq: int


@dataclass(slots=True)
class UpdateReport:
    """What one index update did."""

    index: str
    full: bool = False
    indexed: int = 0
    removed: int = 0
    seq: int = 0
    skipped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_mark(app: Paperfeed, key: str) -> IndexMark | None:
    raw = app.store.get_state(key)
    if not raw:
        return None
    try:
        data = json.loads(raw)
        return IndexMark(str(data["index_id"]), int(data["seq"]))
    except (ValueError, KeyError, TypeError):
        return None


def write_mark(app: Paperfeed, key: str, mark: IndexMark) -> None:
    app.store.set_state(key, json.dumps({"index_id": mark.index_id, "seq": mark.seq}))


def lexical_path(app: Paperfeed) -> Path:
    return app.settings.index_dir / f"lexical-v{SCHEMA_VERSION}"


def _dir_index_id(path: Path) -> str | None:
    try:
        return (path / INDEX_ID_FILE).read_text().strip()
    except OSError:
        return None


def changed_count(app: Paperfeed, after_seq: int) -> int:
    """How many stored papers changed after ``after_seq`` (what an update would re-index)."""
    from paperfeed.store.schema import papers

    with app.store.engine.connect() as conn:
        query = select(func.count()).select_from(papers).where(papers.c.change_seq > after_seq)
        return int(conn.execute(query).scalar_one())


Progress = Callable[[int], None]


def update_lexical(
    app: Paperfeed, *, full: bool = False, progress: Progress | None = None, max_changes: int | None = None
) -> UpdateReport:
    """Bring the keyword index up to the store's current ``change_seq`` (cheap when it already is).

    ``max_changes``: do nothing (report ``skipped``) when more papers than that are pending, so a
    search never stalls on a deferred bulk import.
    """
    store = app.store
    path = lexical_path(app)
    target = store.current_seq()
    mark = read_mark(app, LEXICAL_MARK)
    dir_id = _dir_index_id(path) if LexicalIndex.exists(path) else None
    valid = mark is not None and dir_id is not None and mark.index_id == dir_id
    if not full and valid and mark is not None and mark.seq >= target:
        return UpdateReport("lexical", seq=mark.seq)
    if max_changes is not None:
        pending = changed_count(app, mark.seq if valid and mark is not None else 0)
        if pending > max_changes:
            return UpdateReport(
                "lexical", skipped=f"{pending:,} papers pending: run `paperfeed index rebuild`"
            )
    rebuild = full or not valid
    if rebuild:
        index = _fresh_index(path)
        after = 0
    else:
        index = LexicalIndex(path)
        after = mark.seq if mark else 0
    report = UpdateReport("lexical", full=rebuild, seq=target)
    writer = index.writer()
    try:
        if rebuild:
            writer.delete_all_documents()
        else:
            removed = store.removed_since(after)
            index.delete(writer, removed)
            report.removed = len(removed)
        for batch in store.iter_changed(after):
            if rebuild:
                for paper in batch:
                    from paperfeed.search.lexical import paper_document

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
    write_mark(app, LEXICAL_MARK, IndexMark(index.index_id, target))
    return report


def _fresh_index(path: Path) -> LexicalIndex:
    """An index directory with a new id: the existing one emptied in place when it opens (readers in
    other processes keep working), else a new directory."""
    import uuid

    if LexicalIndex.exists(path):
        try:
            index = LexicalIndex(path)
        except ValueError:
            return LexicalIndex.create_empty(path)
        new_id = uuid.uuid4().hex
        (path / INDEX_ID_FILE).write_text(new_id)
        index.index_id = new_id
        return index
    return LexicalIndex.create_empty(path)


def update_indexes(app: Paperfeed, embed: bool = True, *, full: bool = False) -> list[UpdateReport]:
    """Bring every index up to date with the store; called after each ingest and by ``index rebuild``.

    ``embed`` False (``--defer-index``, or ``embed_after_ingest`` off) leaves the embeddings pending:
    papers are still found by keyword search, and ``paperfeed index status`` counts what is pending.
    """
    reports = [update_lexical(app, full=full)]
    if embed:
        from paperfeed.search.vectors import update_vectors

        reports.append(update_vectors(app, full=full))
    return reports


def index_status(app: Paperfeed) -> dict[str, Any]:
    """What is indexed and embedded, and what is pending, per index."""
    store = app.store
    seq = store.current_seq()
    papers_count = store.count()
    path = lexical_path(app)
    mark = read_mark(app, LEXICAL_MARK)
    dir_id = _dir_index_id(path) if LexicalIndex.exists(path) else None
    valid = mark is not None and dir_id == mark.index_id
    lexical: dict[str, Any] = {
        "path": str(path),
        "exists": dir_id is not None,
        "documents": LexicalIndex(path).num_docs() if dir_id is not None else 0,
        "current_to_seq": mark.seq if valid and mark else None,
        "pending": (changed_count(app, mark.seq) if valid and mark else papers_count),
        "needs_full_rebuild": not valid,
    }
    from paperfeed.search.vectors import vectors_status

    return {
        "papers": papers_count,
        "change_seq": seq,
        "lexical": lexical,
        "vectors": vectors_status(app),
    }
