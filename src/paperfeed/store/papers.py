"""The paper store: batched, idempotent writes and the reads everything else is built on.

A batch of records is written in one transaction together with the checkpoints that cover it, so a
killed import leaves the store at a batch boundary and its re-run counts the stored part as
unchanged. Records are matched to stored papers by base id, by alias, and by normalised title (a
paper first seen on a saved HF page is absorbed by its arXiv record when that arrives).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Connection, Row, Table, and_, delete, func, insert, select, update

from paperfeed.ids import is_title_id
from paperfeed.records import Checkpoint, PaperRecord, Version
from paperfeed.store import community_schema  # noqa: F401  (registers the tables whose rows move on merges)
from paperfeed.store.database import Database
from paperfeed.store.merge import content_hash, merge_records
from paperfeed.store.rows import PaperRows, from_rows, naive_utc, sqlite_datetime, to_rows
from paperfeed.store.schema import (
    PAPER_CHILD_TABLES,
    ingest_checkpoints,
    metadata,
    paper_aliases,
    paper_authors,
    paper_categories,
    paper_links,
    paper_tombstones,
    paper_versions,
    papers,
    store_state,
)

_CHUNK = 500  # ids per IN (...) clause: well under every backend's parameter limit
CHANGE_SEQ_KEY = "change_seq"


@dataclass(slots=True)
class BatchResult:
    """What one :meth:`PaperStore.write_batch` did, record by record."""

    added: int = 0
    updated: int = 0
    unchanged: int = 0
    changed_ids: list[str] = field(default_factory=list)
    removed_ids: list[str] = field(default_factory=list)


@dataclass(slots=True)
class _Stored:
    """The little we read of a stored paper before deciding whether a record changes it."""

    paper_id: str
    content_hash: str
    full: PaperRecord | None = None


def _chunks(items: Sequence[str]) -> Iterator[Sequence[str]]:
    for start in range(0, len(items), _CHUNK):
        yield items[start : start + _CHUNK]


def _aware(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def _placeholder(conn: Connection) -> str:
    style = conn.dialect.paramstyle
    return "?" if style == "qmark" else "%s"


def _bulk_insert(conn: Connection, table: Table, rows: list[tuple[Any, ...]]) -> None:
    """``executemany`` straight to the driver with positional tuples in the table's column order.

    SQLAlchemy's per-row parameter processing cost more than SQLite's own work on large imports
    (profiled: ~60% of ingest time), so the hot path hands tuples to the DBAPI directly. Values must
    already be in the driver's form: see :func:`paperfeed.store.rows.to_rows`.
    """
    if not rows:
        return
    columns = ", ".join(column.name for column in table.columns)
    marks = ", ".join(_placeholder(conn) for _ in table.columns)
    conn.exec_driver_sql(f"INSERT INTO {table.name} ({columns}) VALUES ({marks})", rows)


class PaperStore:
    """Reads and writes papers in a :class:`Database`."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.engine = database.engine

    # ------------------------------------------------------------------ writes
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
                self._set_checkpoint(conn, checkpoint.key, checkpoint.value)
        return result

    @property
    def sqlite_dates(self) -> bool:
        """Whether rows carry dates as SQLite strings (see :func:`paperfeed.store.rows.to_rows`)."""
        return self.engine.dialect.name == "sqlite"

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
        return result

    def _resolve_targets(self, conn: Connection, entries: Sequence[PaperRows]) -> list[str]:
        """The stored paper id each record belongs to (its own id, an alias target, a title match)."""
        title_ids = sorted({e.paper_id for e in entries if is_title_id(e.paper_id)})
        if not title_ids:
            return [e.paper_id for e in entries]
        alias_of: dict[str, str] = {}
        for chunk in _chunks(title_ids):
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
        for chunk in _chunks(keys):
            rows = conn.execute(
                select(papers.c.title_key, papers.c.id)
                .where(papers.c.title_key.in_(chunk), papers.c.id_kind == "arxiv")
                .order_by(papers.c.id)
            )
            for row in rows:
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
        # Title ids share the "title:" prefix, so a primary-key range answers this without a scan.
        has_title_papers = conn.execute(
            select(papers.c.id).where(papers.c.id >= "title:", papers.c.id < "title;").limit(1)
        ).first()
        if has_title_papers is None:  # the common case of a large arXiv import: nothing to look up
            return {}
        key_to_arxiv = {
            e.title_key: target for e, target in zip(entries, targets, strict=True) if not is_title_id(target)
        }
        found: dict[str, str] = {}
        keys = sorted(key_to_arxiv)
        for chunk in _chunks(keys):
            rows = conn.execute(
                select(papers.c.id, papers.c.title_key).where(
                    papers.c.title_key.in_(chunk), papers.c.id_kind == "title"
                )
            )
            for row in rows:
                found[row.id] = key_to_arxiv[row.title_key]
        return found

    def _stored_summaries(self, conn: Connection, ids: Sequence[str]) -> dict[str, _Stored]:
        found: dict[str, _Stored] = {}
        for chunk in _chunks(ids):
            rows = conn.execute(select(papers.c.id, papers.c.content_hash).where(papers.c.id.in_(chunk)))
            found.update({row.id: _Stored(row.id, row.content_hash) for row in rows})
        return found

    def _full(self, conn: Connection, summary: _Stored) -> PaperRecord:
        if summary.full is None:
            summary.full = self._load(conn, [summary.paper_id])[summary.paper_id]
        return summary.full

    def _next_seq(self, conn: Connection) -> int:
        current = conn.execute(
            select(store_state.c.value).where(store_state.c.key == CHANGE_SEQ_KEY)
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
        now = datetime.now(UTC)
        return sqlite_datetime(now) if self.sqlite_dates else naive_utc(now)

    def _insert_papers(self, conn: Connection, entries: list[PaperRows], seq: int) -> None:
        now = self._now()
        _bulk_insert(conn, papers, [(e.paper_id, *e.paper, e.digest, seq, now) for e in entries])

    def _update_papers(self, conn: Connection, entries: list[PaperRows], seq: int) -> None:
        """Rewrite changed papers in place (``first_seen_at`` stays); values are in the driver's form."""
        if not entries:
            return
        names = [c.name for c in papers.columns][1:13]  # id_kind … source, as in PaperRows.paper
        mark = _placeholder(conn)
        assignments = ", ".join(f"{name} = {mark}" for name in [*names, "content_hash", "change_seq"])
        conn.exec_driver_sql(
            f"UPDATE papers SET {assignments} WHERE id = {mark}",
            [(*e.paper, e.digest, seq, e.paper_id) for e in entries],
        )

    def _delete_children(self, conn: Connection, ids: Sequence[str]) -> None:
        for table in PAPER_CHILD_TABLES:
            for chunk in _chunks(ids):
                conn.execute(delete(table).where(table.c.paper_id.in_(chunk)))

    def _insert_children(self, conn: Connection, entries: Iterable[PaperRows]) -> None:
        entries = list(entries)
        _bulk_insert(conn, paper_authors, [row for e in entries for row in e.authors])
        _bulk_insert(conn, paper_categories, [row for e in entries for row in e.categories])
        _bulk_insert(conn, paper_versions, [row for e in entries for row in e.versions])
        _bulk_insert(conn, paper_links, [row for e in entries for row in e.links])

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
    def _load(self, conn: Connection, ids: Sequence[str]) -> dict[str, PaperRecord]:
        """Full records for ``ids`` (those that exist), children included, in a handful of queries."""
        found: dict[str, PaperRecord] = {}
        for chunk in _chunks(list(ids)):
            for row in conn.execute(select(papers).where(papers.c.id.in_(chunk))):
                found[row.id] = _record_from_row(row)
            if not found:
                continue
            present = [i for i in chunk if i in found]
            for row in conn.execute(
                select(paper_authors.c.paper_id, paper_authors.c.name)
                .where(paper_authors.c.paper_id.in_(present))
                .order_by(paper_authors.c.paper_id, paper_authors.c.position)
            ):
                found[row.paper_id].authors.append(row.name)
            for row in conn.execute(
                select(paper_categories.c.paper_id, paper_categories.c.category)
                .where(paper_categories.c.paper_id.in_(present))
                .order_by(paper_categories.c.paper_id, paper_categories.c.position)
            ):
                found[row.paper_id].categories.append(row.category)
            for row in conn.execute(
                select(paper_versions)
                .where(paper_versions.c.paper_id.in_(present))
                .order_by(paper_versions.c.paper_id, paper_versions.c.version)
            ):
                found[row.paper_id].versions.append(Version(row.version, _aware(row.submitted_at)))
            for row in conn.execute(
                select(paper_links.c.paper_id, paper_links.c.url)
                .where(paper_links.c.paper_id.in_(present))
                .order_by(paper_links.c.paper_id, paper_links.c.position)
            ):
                found[row.paper_id].code_links.append(row.url)
        return found

    def resolve_id(self, paper_id: str) -> str | None:
        """The stored id for ``paper_id``, following aliases; ``None`` when unknown."""
        with self.engine.connect() as conn:
            if conn.execute(select(papers.c.id).where(papers.c.id == paper_id)).first():
                return paper_id
            return conn.execute(
                select(paper_aliases.c.paper_id).where(paper_aliases.c.alias == paper_id)
            ).scalar()

    def get(self, paper_id: str) -> PaperRecord | None:
        """One paper by base id or alias, or ``None``."""
        resolved = self.resolve_id(paper_id)
        if resolved is None:
            return None
        return self.get_many([resolved]).get(resolved)

    def get_many(self, ids: Sequence[str]) -> dict[str, PaperRecord]:
        """Papers by stored id; missing ids are simply absent from the result."""
        with self.engine.connect() as conn:
            return self._load(conn, ids)

    def list_papers(
        self,
        *,
        category: str | None = None,
        author: str | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        limit: int = 20,
        offset: int = 0,
        newest_first: bool = True,
    ) -> list[PaperRecord]:
        """Papers filtered by category (any of theirs), author, and first-version date window."""
        query = select(papers.c.id)
        conditions = []
        if category:
            query = query.join(paper_categories, paper_categories.c.paper_id == papers.c.id)
            conditions.append(paper_categories.c.category == category)
        if author:
            query = query.join(paper_authors, paper_authors.c.paper_id == papers.c.id)
            conditions.append(paper_authors.c.name == author)
        if since:
            conditions.append(papers.c.published_at >= naive_utc(since))
        if until:
            conditions.append(papers.c.published_at < naive_utc(until))
        if conditions:
            query = query.where(and_(*conditions))
        order = papers.c.published_at.desc() if newest_first else papers.c.published_at.asc()
        query = query.order_by(order, papers.c.id.desc()).limit(limit).offset(offset)
        with self.engine.connect() as conn:
            ids = [row.id for row in conn.execute(query)]
            loaded = self._load(conn, ids)
        return [loaded[i] for i in ids if i in loaded]

    def count(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(papers)).scalar_one())

    def stats(self) -> dict[str, Any]:
        """Counts for ``paperfeed stats``: papers, versions, authors, categories, date range, checkpoints."""
        with self.engine.connect() as conn:

            def scalar(query: Any) -> Any:
                return conn.execute(query).scalar()

            total = scalar(select(func.count()).select_from(papers))
            by_kind: dict[str, int] = dict(
                conn.execute(select(papers.c.id_kind, func.count()).group_by(papers.c.id_kind)).all()
            )
            top = conn.execute(
                select(paper_categories.c.category, func.count().label("n"))
                .group_by(paper_categories.c.category)
                .order_by(func.count().desc(), paper_categories.c.category)
                .limit(15)
            ).all()
            oldest = scalar(select(func.min(papers.c.published_at)))
            newest = scalar(select(func.max(papers.c.published_at)))
            return {
                "papers": int(total or 0),
                "arxiv_papers": int(by_kind.get("arxiv", 0)),
                "title_only_papers": int(by_kind.get("title", 0)),
                "versions": int(scalar(select(func.count()).select_from(paper_versions)) or 0),
                "revised_papers": int(
                    scalar(select(func.count()).select_from(papers).where(papers.c.latest_version > 1)) or 0
                ),
                "authorships": int(scalar(select(func.count()).select_from(paper_authors)) or 0),
                "code_links": int(scalar(select(func.count()).select_from(paper_links)) or 0),
                "categories": {row.category: int(row.n) for row in top},
                "published_from": oldest.date().isoformat() if oldest else None,
                "published_to": newest.date().isoformat() if newest else None,
                "change_seq": self.current_seq(),
                "checkpoints": self.checkpoints(),
                "database_url": _redact(self.database.url),
            }

    # ------------------------------------------------------- change feed (for indexes)
    def current_seq(self) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(store_state.c.value).where(store_state.c.key == CHANGE_SEQ_KEY)
            ).scalar()
        return int(value or 0)

    def iter_changed(self, after_seq: int, *, batch_size: int = 2000) -> Iterator[list[PaperRecord]]:
        """Papers changed after ``after_seq``, in batches ordered by (change_seq, id), streaming."""
        last_seq, last_id = after_seq, None
        while True:
            after = papers.c.change_seq > last_seq
            if last_id is not None:
                after = after | and_(papers.c.change_seq == last_seq, papers.c.id > last_id)
            with self.engine.connect() as conn:
                rows = conn.execute(
                    select(papers.c.id, papers.c.change_seq)
                    .where(after)
                    .order_by(papers.c.change_seq, papers.c.id)
                    .limit(batch_size)
                ).all()
                if not rows:
                    return
                loaded = self._load(conn, [row.id for row in rows])
            yield [loaded[row.id] for row in rows if row.id in loaded]
            last_seq, last_id = rows[-1].change_seq, rows[-1].id

    def removed_since(self, after_seq: int) -> list[str]:
        """Ids retired after ``after_seq`` (merged into another paper): indexes must drop them."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(paper_tombstones.c.paper_id).where(paper_tombstones.c.change_seq > after_seq)
            )
            return [row.paper_id for row in rows]

    # ------------------------------------------------------------ checkpoints, state
    def _set_checkpoint(self, conn: Connection, key: str, value: str | None) -> None:
        now = datetime.now(UTC).replace(tzinfo=None)
        conn.execute(delete(ingest_checkpoints).where(ingest_checkpoints.c.key == key))
        conn.execute(insert(ingest_checkpoints).values(key=key, value=value, updated_at=now))

    def set_checkpoint(self, key: str, value: str | None) -> None:
        with self.engine.begin() as conn:
            self._set_checkpoint(conn, key, value)

    def get_checkpoint(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(
                select(ingest_checkpoints.c.value).where(ingest_checkpoints.c.key == key)
            ).scalar()

    def checkpoints(self) -> dict[str, str | None]:
        with self.engine.connect() as conn:
            return {row.key: row.value for row in conn.execute(select(ingest_checkpoints))}

    def get_state(self, key: str) -> str | None:
        with self.engine.connect() as conn:
            return conn.execute(select(store_state.c.value).where(store_state.c.key == key)).scalar()

    def set_state(self, key: str, value: str) -> None:
        with self.engine.begin() as conn:
            conn.execute(delete(store_state).where(store_state.c.key == key))
            conn.execute(insert(store_state).values(key=key, value=value))


def _record_from_row(row: Row[Any]) -> PaperRecord:
    return PaperRecord(
        paper_id=row.id,
        title=row.title,
        abstract=row.abstract,
        version=row.latest_version,
        published=_aware(row.published_at),
        updated=_aware(row.updated_at),
        doi=row.doi,
        comment=row.comment,
        journal_ref=row.journal_ref,
        source=row.source,
    )


def _as_dict(record: PaperRecord) -> dict[str, Any]:
    return {name: getattr(record, name) for name in record.__slots__}


def _redact(url: str) -> str:
    """Hide a password in a database URL before printing it."""
    if "@" not in url or "://" not in url:
        return url
    scheme, rest = url.split("://", 1)
    credentials, host = rest.rsplit("@", 1)
    user = credentials.split(":", 1)[0]
    return f"{scheme}://{user}:***@{host}"
