"""The paper store: the reads everything else is built on, the change feed, and the write path.

Features never write SQL: the daily page, author and category listings, the API's lists and the
search fallback all ask :meth:`PaperStore.window` ("papers in a date window, in these categories,
by this author"), written once here. Indexes follow the change feed (:meth:`PaperStore.current_seq`,
:meth:`PaperStore.iter_changed`, :meth:`PaperStore.removed_since`).
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ColumnElement,
    Select,
    cast,
    func,
    literal,
    select,
    tuple_,
)

from paperfeed.records import Checkpoint, PaperRecord
from paperfeed.store.database import Database, put_keyed, redact_url
from paperfeed.store.paper_writes import CHANGE_SEQ_KEY, BatchResult, PaperWriter, set_checkpoint
from paperfeed.store.reads import load_papers, record_from_row
from paperfeed.store.rows import PaperRows, key_hash
from paperfeed.store.schema import (
    ingest_checkpoints,
    paper_aliases,
    paper_authors,
    paper_categories,
    paper_tombstones,
    papers,
    store_state,
)
from paperfeed.store.windows import Window

__all__ = ["BatchResult", "PaperStore", "Window"]

_IN_CHUNK = 900  # ids per IN (...) list: well under every driver's limit on bound parameters


class PaperStore:
    """Reads and writes papers in a :class:`Database`."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.engine = database.engine
        self._writer = PaperWriter(database)

    # ------------------------------------------------------------------ writes
    def write_batch(
        self, records: Sequence[PaperRecord | PaperRows], checkpoints: Sequence[Checkpoint] = ()
    ) -> BatchResult:
        """Merge ``records`` into the store and save ``checkpoints``, all in one transaction."""
        return self._writer.write_batch(records, checkpoints)

    @property
    def sqlite_dates(self) -> bool:
        """Whether rows carry dates as SQLite strings (see :func:`paperfeed.store.rows.to_rows`)."""
        return self.database.is_sqlite

    # ------------------------------------------------------------------ reads
    def resolve_id(self, paper_id: str) -> str | None:
        """The stored id for ``paper_id``, following aliases; ``None`` when unknown."""
        with self.engine.connect() as conn:
            if conn.execute(select(papers.c.id).where(papers.c.id == paper_id)).first():
                return paper_id
            return conn.execute(
                select(paper_aliases.c.paper_id).where(paper_aliases.c.alias == paper_id)
            ).scalar()

    def resolve_ids(self, paper_ids: Sequence[str]) -> dict[str, str]:
        """:meth:`resolve_id` for many ids in a few queries: ``{asked id: stored id}`` for known ones."""
        found: dict[str, str] = {}
        unique = list(dict.fromkeys(paper_ids))
        with self.engine.connect() as conn:
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                found.update(
                    {
                        row.id: row.id
                        for row in conn.execute(select(papers.c.id).where(papers.c.id.in_(chunk)))
                    }
                )
                missing = [i for i in chunk if i not in found]
                if missing:
                    rows = conn.execute(
                        select(paper_aliases.c.alias, paper_aliases.c.paper_id).where(
                            paper_aliases.c.alias.in_(missing)
                        )
                    )
                    found.update({row.alias: row.paper_id for row in rows})
        return found

    def _rows_in(self, column: Any, values: Sequence[Any], *selected: Any) -> Iterator[Any]:
        """Rows of ``selected`` columns whose ``column`` is one of ``values`` (500 per query), by id."""
        unique = [v for v in dict.fromkeys(values) if v]
        with self.engine.connect() as conn:
            for start in range(0, len(unique), 500):
                chunk = unique[start : start + 500]
                yield from conn.execute(select(*selected).where(column.in_(chunk)).order_by(papers.c.id))

    def published_dates(self, paper_ids: Sequence[str]) -> dict[str, datetime | None]:
        """First-version dates (aware UTC) of stored papers; unknown ids are absent. Cheap: no records."""
        found: dict[str, datetime | None] = {}
        for row in self._rows_in(papers.c.id, paper_ids, papers.c.id, papers.c.published_at):
            value = row.published_at
            if isinstance(value, str):
                value = datetime.fromisoformat(value)
            found[row.id] = value.replace(tzinfo=UTC) if value is not None and value.tzinfo is None else value
        return found

    def titles(self, paper_ids: Sequence[str]) -> dict[str, str]:
        """Titles of stored papers (unknown ids are absent). Cheap: no records."""
        return {
            row.id: row.title for row in self._rows_in(papers.c.id, paper_ids, papers.c.id, papers.c.title)
        }

    def ids_by_doi(self, dois: Sequence[str]) -> dict[str, list[str]]:
        """Stored papers per DOI, keyed by the lowercased DOI (DOIs are case-insensitive; the store
        keeps them as sources spell them, so the given, lower and upper case forms are looked up)."""
        spellings = [s for d in dois for s in (d, d.lower(), d.upper())]
        found: dict[str, list[str]] = {}
        for row in self._rows_in(papers.c.doi, spellings, papers.c.doi, papers.c.id):
            ids = found.setdefault(str(row.doi).lower(), [])
            if row.id not in ids:
                ids.append(row.id)
        return found

    def ids_by_title_key(self, keys: Sequence[str]) -> dict[str, list[str]]:
        """Stored papers per normalised title (:func:`paperfeed.ids.normalize_title`)."""
        found: dict[str, list[str]] = {}
        wanted = set(keys)
        hashes = [key_hash(key) for key in dict.fromkeys(keys) if key]
        # Through the integer hash's index; the key itself is checked here (hashes may collide).
        for row in self._rows_in(papers.c.title_hash, hashes, papers.c.title_key, papers.c.id):
            if row.title_key in wanted and row.id not in found.get(row.title_key, []):
                found.setdefault(row.title_key, []).append(row.id)
        return found

    def get(self, paper_id: str) -> PaperRecord | None:
        """One paper by base id or alias, or ``None``."""
        resolved = self.resolve_id(paper_id)
        if resolved is None:
            return None
        return self.get_many([resolved]).get(resolved)

    def get_many(self, ids: Sequence[str]) -> dict[str, PaperRecord]:
        """Papers by stored id; missing ids are simply absent from the result."""
        with self.engine.connect() as conn:
            return load_papers(conn, ids)

    def _ids(self, query: Select[Any]) -> list[str]:
        with self.engine.connect() as conn:
            return [row[0] for row in conn.execute(query)]

    def window_ids(
        self, window: Window, *, limit: int, offset: int = 0, newest_first: bool = True
    ) -> list[str]:
        """Ids of the papers in ``window``, newest (or oldest) first version first."""
        if window.uses_lookup:
            found = window.lookup().subquery()
            order = (
                (found.c.published_ts.desc(), found.c.paper_id.desc())
                if newest_first
                else (found.c.published_ts.asc(), found.c.paper_id.asc())
            )
            return self._ids(select(found.c.paper_id).order_by(*order).limit(limit).offset(offset))
        by_date = (
            (papers.c.published_at.desc(), papers.c.id.desc())
            if newest_first
            else (papers.c.published_at.asc(), papers.c.id.asc())
        )
        query = select(papers.c.id).where(window.condition()).order_by(*by_date).limit(limit).offset(offset)
        return self._ids(query)

    def window_dates(
        self, window: Window, *, limit: int | None = None, among: Sequence[str] | None = None
    ) -> list[tuple[str, datetime]]:
        """Papers in ``window`` with their first-version dates (naive UTC), newest first (then by
        id, newest first): the first ``limit`` of them, or, with ``among``, those of these ids.

        Ids and dates only, so a period's list can be ordered and paged before any record is
        loaded (papers without a date are in no dated window and are skipped)."""
        column = papers.c.published_at
        if window.uses_lookup:
            found_ids = window.lookup(dated=True).subquery()
            query = select(papers.c.id, column).join(found_ids, found_ids.c.paper_id == papers.c.id)
            query = query.where(column.isnot(None))
        else:
            query = select(papers.c.id, column).where(column.isnot(None), window.condition())
        found: list[tuple[str, datetime]] = []
        with self.engine.connect() as conn:
            if among is None:
                ordered = query.order_by(column.desc(), papers.c.id.desc())
                rows = conn.execute(ordered.limit(limit) if limit is not None else ordered)
                return [(row[0], _datetime(row[1])) for row in rows]
            ids = list(dict.fromkeys(among))
            for start in range(0, len(ids), _IN_CHUNK):
                chunk = ids[start : start + _IN_CHUNK]
                found += [
                    (row[0], _datetime(row[1])) for row in conn.execute(query.where(papers.c.id.in_(chunk)))
                ]
        found.sort(key=lambda item: (item[1], item[0]), reverse=True)
        return found[:limit] if limit is not None else found

    def window_count(self, window: Window) -> int:
        query = (
            select(func.count()).select_from(window.lookup().subquery())
            if window.uses_lookup
            else select(func.count()).select_from(papers).where(window.condition())
        )
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def window_edge(self, window: Window, *, newest: bool) -> datetime | None:
        """The newest (or oldest) first-version date in ``window``: for "latest day" and navigation."""
        if window.uses_lookup:
            return self._lookup_edge(window, newest=newest)
        column = papers.c.published_at
        query = (
            select(column)
            .where(column.isnot(None), window.condition())
            .order_by(column.desc() if newest else column.asc())
            .limit(1)
        )
        with self.engine.connect() as conn:
            value = conn.execute(query).scalar()
        return value if isinstance(value, datetime) or value is None else datetime.fromisoformat(str(value))

    def _lookup_edge(self, window: Window, *, newest: bool) -> datetime | None:
        """One index seek per category (max/min of a key prefix), instead of sorting all their papers."""
        parts = (
            [window]
            if window.author or window.terms
            else [Window(categories=(c,), since=window.since, until=window.until) for c in window.categories]
        )
        columns = []
        for part in parts:
            found = part.lookup(dated=True).subquery()
            order = found.c.published_ts.desc() if newest else found.c.published_ts.asc()
            columns.append(select(found.c.published_ts).order_by(order).limit(1).scalar_subquery())
        with self.engine.connect() as conn:  # one round trip: a column per category
            row = conn.execute(select(*columns)).one()
        edges = [int(value) for value in row if value is not None]
        if not edges:
            return None
        edge = max(edges) if newest else min(edges)
        return datetime.fromtimestamp(edge, UTC).replace(tzinfo=None)

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
        ids: Sequence[str] | None = None,
    ) -> list[PaperRecord]:
        """Papers filtered by category (any of theirs), author, first-version date window and ``ids``."""
        window = Window(
            categories=(category,) if category else (),
            author=author,
            since=since,
            until=until,
            ids=tuple(ids) if ids is not None else None,
        )
        ids = self.window_ids(window, limit=limit, offset=offset, newest_first=newest_first)
        loaded = self.get_many(ids)
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
            by_kind: dict[str, int] = {
                row[0]: int(row[1])
                for row in conn.execute(select(papers.c.id_kind, func.count()).group_by(papers.c.id_kind))
            }
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
                "versions": int(scalar(select(func.sum(self._json_length(papers.c.versions)))) or 0),
                "revised_papers": int(
                    scalar(select(func.count()).select_from(papers).where(papers.c.latest_version > 1)) or 0
                ),
                "authorships": int(scalar(select(func.count()).select_from(paper_authors)) or 0),
                "code_links": int(scalar(select(func.sum(self._json_length(papers.c.links)))) or 0),
                "categories": {row.category: int(row.n) for row in top},
                "published_from": _day(oldest),
                "published_to": _day(newest),
                "change_seq": self.current_seq(),
                "checkpoints": self.checkpoints(),
                "database_url": redact_url(self.database.url),
            }

    def _json_length(self, column: Any) -> Any:
        """The length of a JSON list held in a text column, in this dialect."""
        if self.database.is_sqlite:
            return func.json_array_length(column)
        return func.json_array_length(cast(column, JSON))

    # ------------------------------------------------------- change feed (for indexes)
    def current_seq(self) -> int:
        with self.engine.connect() as conn:
            value = conn.execute(
                select(store_state.c.value).where(store_state.c.key == CHANGE_SEQ_KEY)
            ).scalar()
        return int(value or 0)

    def changed_count(self, after_seq: int, after_id: str | None = None) -> int:
        """How many stored papers changed after ``after_seq`` (what an index update would re-index);
        with ``after_id``, the papers of change ``after_seq`` up to that id count as done."""
        query = select(func.count()).select_from(papers).where(_after(after_seq, after_id))
        with self.engine.connect() as conn:
            return int(conn.execute(query).scalar_one())

    def iter_changed(
        self, after_seq: int, *, batch_size: int = 2000, until_seq: int | None = None
    ) -> Iterator[list[PaperRecord]]:
        """Papers changed after ``after_seq`` (up to ``until_seq``), in batches ordered by
        (change_seq, id), streaming."""
        for batch in self.iter_changed_with_seq(after_seq, batch_size=batch_size, until_seq=until_seq):
            yield [paper for paper, _ in batch]

    def iter_changed_with_seq(
        self,
        after_seq: int,
        *,
        batch_size: int = 2000,
        until_seq: int | None = None,
        after_id: str | None = None,
    ) -> Iterator[list[tuple[PaperRecord, int]]]:
        """:meth:`iter_changed` with each paper's ``change_seq`` (to resume part-way through: pass
        the last ``(change_seq, id)`` done as ``after_seq`` and ``after_id``).

        One query per batch (keyset pagination on (change_seq, id)): a paper is one row."""
        last_seq, last_id = after_seq, after_id
        while True:
            query = select(papers).where(_after(last_seq, last_id))
            if until_seq is not None:
                query = query.where(papers.c.change_seq <= until_seq)
            with self.engine.connect() as conn:
                rows = conn.execute(query.order_by(papers.c.change_seq, papers.c.id).limit(batch_size)).all()
            if not rows:
                return
            yield [(record_from_row(row), int(row.change_seq)) for row in rows]
            last_seq, last_id = rows[-1].change_seq, rows[-1].id

    def removed_since(self, after_seq: int) -> list[str]:
        """Ids retired after ``after_seq`` (merged into another paper): indexes must drop them."""
        with self.engine.connect() as conn:
            rows = conn.execute(
                select(paper_tombstones.c.paper_id).where(paper_tombstones.c.change_seq > after_seq)
            )
            return [row.paper_id for row in rows]

    # ------------------------------------------------------------ checkpoints, state
    def set_checkpoint(self, key: str, value: str | None) -> None:
        with self.engine.begin() as conn:
            set_checkpoint(conn, key, value)

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
            put_keyed(conn, store_state, "key", {"key": key, "value": value})


def _after(seq: int, paper_id: str | None) -> ColumnElement[bool]:
    """Papers after the change-feed position ``(seq, paper_id)`` (``paper_id`` None: after ``seq``).

    A row-value comparison, so both backends read it as one range of ``ix_papers_change_seq_id``;
    the equivalent ``seq > s OR (seq = s AND id > i)`` made SQLite read every later change and
    sort them, for every batch."""
    if paper_id is None:
        return papers.c.change_seq > seq
    return tuple_(papers.c.change_seq, papers.c.id) > tuple_(literal(seq), literal(paper_id))


def _datetime(value: Any) -> datetime:
    """A naive-UTC datetime from what the driver returns (SQLite may give text)."""
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.replace(tzinfo=None)


def _day(value: Any) -> str | None:
    if value is None:
        return None
    moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    return moment.date().isoformat()
