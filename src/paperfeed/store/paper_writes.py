"""Writing papers: batched, idempotent merges into the store, each batch one transaction.

A batch of records is written in one transaction together with the checkpoints that cover it, so a
killed import leaves the store at a batch boundary and its re-run counts the stored part as
unchanged. Records are matched to stored papers by base id, by alias, and by normalised title (a
paper first seen on a saved HF page is absorbed by its arXiv record when that arrives).

Every batch that changes something takes the next value of the store's change counter. The counter
row is locked for the rest of the transaction (``SELECT … FOR UPDATE`` on PostgreSQL; SQLite has one
writer anyway), so batches commit in counter order and an indexer that follows the counter never
misses a batch that commits late.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

import orjson
from sqlalchemy import Connection, Table, delete, insert, select, update

from paperfeed.clock import utc, wall_now
from paperfeed.ids import is_title_id
from paperfeed.records import Checkpoint, PaperRecord
from paperfeed.store.database import Database, put_keyed
from paperfeed.store.merge import content_hash, merge_records
from paperfeed.store.reads import load_papers
from paperfeed.store.rows import (
    PaperRows,
    epoch_seconds,
    from_rows,
    key_hash,
    naive_utc,
    sqlite_datetime,
    to_rows,
)
from paperfeed.store.schema import (
    PAPER_CHILD_TABLES,
    ingest_checkpoints,
    metadata,
    paper_aliases,
    paper_authors,
    paper_categories,
    paper_tombstones,
    papers,
    store_state,
)

_CHUNK = 500  # ids per IN (...) clause: well under every backend's parameter limit
CHANGE_SEQ_KEY = "change_seq"
T = TypeVar("T")


@dataclass(slots=True)
class BatchResult:
    """What one :meth:`PaperStore.write_batch` did, record by record."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_ids: list[str] = field(default_factory=list)
    removed_ids: list[str] = field(default_factory=list)
    seq: int | None = None
    """The change counter value this batch took (``None`` when it changed nothing)."""
    written: list[PaperRows] = field(default_factory=list)
    """The rows of the papers written, as stored: an import that indexes as it goes reads them
    instead of reading the papers back (see ``paperfeed.search.live_index``)."""


@dataclass(slots=True)
class _Stored:
    """The little we read of a stored paper before deciding whether a record changes it."""

    paper_id: str
    content_hash: str
    full: PaperRecord | None = None


def chunks(items: Sequence[T]) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def set_checkpoint(conn: Connection, key: str, value: str | None) -> None:
    now = wall_now()  # when the row was written: a record of the machine, not business time
    put_keyed(conn, ingest_checkpoints, "key", {"key": key, "value": value, "updated_at": now})


class PaperWriter:
    """The write path of :class:`paperfeed.store.papers.PaperStore`."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.engine = database.engine

    def write_batch(
        self, records: Sequence[PaperRecord | PaperRows], checkpoints: Sequence[Checkpoint] = ()
    ) -> BatchResult:
        """Merge ``records`` into the store and save ``checkpoints``, all in one transaction.

        Records may come as :class:`PaperRecord` or already as rows (:class:`PaperRows`, made by the
        parallel file reader in its own process); both go through the same rules.
        """
        with self.engine.begin() as conn:
            result = self._write(conn, records) if records else BatchResult()
            for checkpoint in checkpoints:
                set_checkpoint(conn, checkpoint.key, checkpoint.value)
        return result

    @property
    def sqlite_dates(self) -> bool:
        """Whether rows carry dates as SQLite strings (see :func:`paperfeed.store.rows.to_rows`)."""
        return self.database.is_sqlite

    def _write(self, conn: Connection, items: Sequence[PaperRecord | PaperRows]) -> BatchResult:
        result = BatchResult()
        sqlite_dates = self.sqlite_dates
        entries = [
            item if isinstance(item, PaperRows) else to_rows(item, sqlite_dates=sqlite_dates)
            for item in items
        ]
        targets = self._resolve_targets(conn, entries)
        absorbed = self._title_papers_to_absorb(conn, entries, targets)
        stored = self._stored_summaries(conn, sorted(set(targets) | set(absorbed)))
        # What each touched paper will be: fresh rows (the fast path) or a merged record.
        state: dict[str, PaperRows | PaperRecord] = {}
        pending_hash: dict[str, str] = {}
        # Title papers being absorbed start the arXiv record's history (when it is new).
        for title_id, arxiv_id in absorbed.items():
            if title_id in stored and arxiv_id not in stored and arxiv_id not in state:
                old = self._full(conn, stored[title_id])
                state[arxiv_id] = PaperRecord(**{**_as_dict(old), "paper_id": arxiv_id})
        new_ids: set[str] = set()
        changed: set[str] = set()
        for entry, target in zip(entries, targets, strict=True):
            current = state.get(target)
            if target == entry.paper_id and current is None:
                if target in stored:
                    if entry.digest == stored[target].content_hash:
                        result.unchanged += 1
                        continue
                else:  # a new paper: its rows go in as they are
                    state[target] = entry
                    pending_hash[target] = entry.digest
                    new_ids.add(target)
                    result.added += 1
                    continue
            record = from_rows(entry)
            if target != record.paper_id:
                record = PaperRecord(**{**_as_dict(record), "paper_id": target})
            if current is None and target in stored:
                current = self._full(conn, stored[target])
            if current is None:
                state[target] = record
                pending_hash[target] = content_hash(record)
                new_ids.add(target)
                result.added += 1
                continue
            current_record = from_rows(current) if isinstance(current, PaperRows) else current
            merged = merge_records(current_record, record)
            merged_hash = content_hash(merged)
            before = pending_hash.get(target) or (
                stored[target].content_hash if target in stored else content_hash(current_record)
            )
            state[target] = merged
            pending_hash[target] = merged_hash
            if merged_hash == before:
                result.unchanged += 1
            else:
                result.updated += 1
                if target not in new_ids:
                    changed.add(target)
        absorbed_now = [t for t in absorbed if t in stored]
        for arxiv_id in {absorbed[t] for t in absorbed_now}:
            if arxiv_id not in stored and arxiv_id in state:
                new_ids.add(arxiv_id)
        to_write = sorted(new_ids | changed)
        if not to_write and not absorbed_now:
            return result
        seq = self._next_seq(conn)
        final: dict[str, PaperRows] = {}
        for paper_id in to_write:
            value = state[paper_id]
            final[paper_id] = (
                value
                if isinstance(value, PaperRows)
                else to_rows(value, sqlite_dates=sqlite_dates, digest=pending_hash[paper_id])
            )
        insert_rows = [final[i] for i in to_write if i not in stored]
        update_rows = [final[i] for i in to_write if i in stored]
        self._delete_children(conn, [r.paper_id for r in update_rows])
        self._insert_papers(conn, insert_rows, seq)
        self._update_papers(conn, update_rows, seq)
        self._insert_children(conn, [final[i] for i in to_write])
        for title_id in absorbed_now:
            self._absorb(conn, title_id, absorbed[title_id], seq)
            result.removed_ids.append(title_id)
        result.changed_ids = to_write
        result.seq = seq
        result.written = [final[i] for i in to_write]
        return result

    def _resolve_targets(self, conn: Connection, entries: Sequence[PaperRows]) -> list[str]:
        """The stored paper id each record belongs to (its own id, an alias target, a title match)."""
        title_ids = sorted({e.paper_id for e in entries if is_title_id(e.paper_id)})
        if not title_ids:
            return [e.paper_id for e in entries]
        alias_of: dict[str, str] = {}
        for chunk in chunks(title_ids):
            rows = conn.execute(
                select(paper_aliases.c.alias, paper_aliases.c.paper_id).where(
                    paper_aliases.c.alias.in_(chunk)
                )
            )
            alias_of.update({row.alias: row.paper_id for row in rows})
        # Title-only records join an arXiv paper with the same normalised title (in the batch or stored).
        batch_keys = {e.title_key: e.paper_id for e in entries if not is_title_id(e.paper_id)}
        keys = sorted({e.title_key for e in entries if is_title_id(e.paper_id)} - set(batch_keys))
        stored_keys: dict[str, str] = {}
        wanted = set(keys)
        for hashes in chunks(sorted({key_hash(key) for key in keys})):
            rows = conn.execute(
                select(papers.c.title_key, papers.c.id)
                .where(papers.c.title_hash.in_(hashes), papers.c.id_kind == "arxiv")
                .order_by(papers.c.id)
            )
            for row in rows:
                if row.title_key in wanted:
                    stored_keys.setdefault(row.title_key, row.id)
        targets = []
        for entry in entries:
            target = entry.paper_id
            if is_title_id(target):
                key = entry.title_key
                target = alias_of.get(target) or batch_keys.get(key) or stored_keys.get(key) or target
            targets.append(target)
        return targets

    def _title_papers_to_absorb(
        self, conn: Connection, entries: Sequence[PaperRows], targets: Sequence[str]
    ) -> dict[str, str]:
        """Stored title-only papers whose arXiv record is in this batch: title id -> arXiv id."""
        # ix_papers_title_ids holds title-only papers alone, so this is instant when there are none.
        has_title_papers = conn.execute(
            select(papers.c.id).where(papers.c.id_kind == "title").limit(1)
        ).first()
        if has_title_papers is None:  # the common case of a large arXiv import: nothing to look up
            return {}
        key_to_arxiv = {
            e.title_key: target for e, target in zip(entries, targets, strict=True) if not is_title_id(target)
        }
        found: dict[str, str] = {}
        for chunk in chunks(sorted({key_hash(key) for key in key_to_arxiv})):
            rows = conn.execute(
                select(papers.c.id, papers.c.title_key).where(
                    papers.c.title_hash.in_(chunk), papers.c.id_kind == "title"
                )
            )
            for row in rows:
                if row.title_key in key_to_arxiv:
                    found[row.id] = key_to_arxiv[row.title_key]
        return found

    def _stored_summaries(self, conn: Connection, ids: Sequence[str]) -> dict[str, _Stored]:
        found: dict[str, _Stored] = {}
        for chunk in chunks(ids):
            rows = conn.execute(select(papers.c.id, papers.c.content_hash).where(papers.c.id.in_(chunk)))
            found.update({row.id: _Stored(row.id, row.content_hash) for row in rows})
        return found

    def _full(self, conn: Connection, summary: _Stored) -> PaperRecord:
        if summary.full is None:
            summary.full = load_papers(conn, [summary.paper_id])[summary.paper_id]
        return summary.full

    def _next_seq(self, conn: Connection) -> int:
        current = conn.execute(
            select(store_state.c.value).where(store_state.c.key == CHANGE_SEQ_KEY).with_for_update()
        ).scalar()
        seq = int(current or 0) + 1
        if current is None:
            conn.execute(insert(store_state).values(key=CHANGE_SEQ_KEY, value=str(seq)))
        else:
            conn.execute(
                update(store_state).where(store_state.c.key == CHANGE_SEQ_KEY).values(value=str(seq))
            )
        return seq

    def _now(self) -> Any:
        now = utc(wall_now())  # when the rows were written (see set_checkpoint)
        return sqlite_datetime(now) if self.sqlite_dates else naive_utc(now)

    def _insert_papers(self, conn: Connection, entries: list[PaperRows], seq: int) -> None:
        now = self._now()
        self._bulk_insert(conn, papers, [(e.paper_id, *e.paper, e.digest, seq, now) for e in entries])

    def _update_papers(self, conn: Connection, entries: list[PaperRows], seq: int) -> None:
        """Rewrite changed papers in place (``first_seen_at`` stays); values are in the driver's form."""
        if not entries:
            return
        names = [c.name for c in papers.columns][1:18]  # id_kind … links, as in PaperRows.paper
        mark = self.database.placeholder
        assignments = ", ".join(f"{name} = {mark}" for name in [*names, "content_hash", "change_seq"])
        conn.exec_driver_sql(
            f"UPDATE papers SET {assignments} WHERE id = {mark}",
            [(*e.paper, e.digest, seq, e.paper_id) for e in entries],
        )

    def _bulk_insert(self, conn: Connection, table: Table, rows: list[tuple[Any, ...]]) -> None:
        """Rows (in the table's column order, values in the driver's form) straight to the driver.

        SQLAlchemy's per-row parameter processing cost more than SQLite's own work on large imports
        (profiled: ~60% of ingest time), so the hot path hands tuples to the DBAPI directly:
        ``executemany`` on SQLite, ``COPY … FROM STDIN`` on PostgreSQL (one round trip per table and
        batch instead of one statement per row). See :func:`paperfeed.store.rows.to_rows`.
        """
        if not rows:
            return
        columns = ", ".join(column.name for column in table.columns)
        if self.database.is_sqlite:
            marks = ", ".join(self.database.placeholder for _ in table.columns)
            conn.exec_driver_sql(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", rows)
            return
        driver = conn.connection.driver_connection
        assert driver is not None
        with driver.cursor() as cursor, cursor.copy(f"COPY {table.name} ({columns}) FROM STDIN") as copy:
            for row in rows:
                copy.write_row(row)

    def _delete_children(self, conn: Connection, ids: Sequence[str]) -> None:
        """Drop the look-up rows of stored papers (keys recomputed from their stored lists)."""
        authors: list[tuple[int, int, str]] = []
        categories: list[tuple[str, int, str]] = []
        for chunk in chunks(ids):
            rows = conn.execute(
                select(papers.c.id, papers.c.authors, papers.c.categories, papers.c.published_at).where(
                    papers.c.id.in_(chunk)
                )
            )
            for row in rows:
                when = _as_datetime(row.published_at)
                ts = epoch_seconds(when)
                authors.extend((key, ts, row.id) for key in {key_hash(n) for n in orjson.loads(row.authors)})
                categories.extend((c, ts, row.id) for c in set(orjson.loads(row.categories)))
        mark = self.database.placeholder
        if authors:
            conn.exec_driver_sql(
                f"DELETE FROM paper_authors WHERE author_key = {mark} AND published_ts = {mark} "
                f"AND paper_id = {mark}",
                authors,
            )
        if categories:
            conn.exec_driver_sql(
                f"DELETE FROM paper_categories WHERE category = {mark} AND published_ts = {mark} "
                f"AND paper_id = {mark}",
                categories,
            )

    def _insert_children(self, conn: Connection, entries: Iterable[PaperRows]) -> None:
        """The look-up rows, in key order: author keys are hashes, so in paper order every row lands
        on a random page of a b-tree that soon outgrows the page cache; sorted, a batch walks the
        tree once from left to right."""
        entries = list(entries)
        authors = [(k, e.published_ts, e.paper_id) for e in entries for k in e.author_keys]
        authors.sort()
        self._bulk_insert(conn, paper_authors, authors)
        categories = [(c, e.published_ts, e.paper_id) for e in entries for c in e.categories]
        categories.sort()
        self._bulk_insert(conn, paper_categories, categories)

    def _absorb(self, conn: Connection, title_id: str, arxiv_id: str, seq: int) -> None:
        """Retire a title-only paper in favour of its arXiv record, keeping everything pointing at it.

        Rows of other features (votes, library entries, …) in any table with a ``paper_id`` column
        move to the arXiv id; the old id becomes an alias and a tombstone for the indexes.
        """
        own = {t.name for t in PAPER_CHILD_TABLES} | {paper_aliases.name, paper_tombstones.name}
        for table in metadata.sorted_tables:
            if table.name in own or "paper_id" not in table.c:
                continue
            key_columns = [c for c in table.primary_key.columns if c.name != "paper_id"]
            if table.c.paper_id.primary_key:
                # A row the arXiv paper already has (the same user's vote on both) wins; the
                # title paper's duplicate is dropped instead of breaking the primary key.
                twin = table.alias("twin")
                duplicate = (
                    select(twin.c.paper_id)
                    .where(twin.c.paper_id == arxiv_id, *[twin.c[c.name] == c for c in key_columns])
                    .exists()
                )
                conn.execute(delete(table).where(table.c.paper_id == title_id, duplicate))
            conn.execute(update(table).where(table.c.paper_id == title_id).values(paper_id=arxiv_id))
        self._delete_children(conn, [title_id])
        conn.execute(
            update(paper_aliases).where(paper_aliases.c.paper_id == title_id).values(paper_id=arxiv_id)
        )
        conn.execute(delete(papers).where(papers.c.id == title_id))
        conn.execute(insert(paper_aliases).values(alias=title_id, paper_id=arxiv_id))
        conn.execute(delete(paper_tombstones).where(paper_tombstones.c.paper_id == title_id))
        conn.execute(insert(paper_tombstones).values(paper_id=title_id, change_seq=seq))

    # ------------------------------------------------------------------ reads


def _as_datetime(value: Any) -> datetime | None:
    """A stored datetime (SQLite gives strings to raw reads, PostgreSQL datetimes), naive UTC."""
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(str(value))


def _as_dict(record: PaperRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}
