"""Members' libraries in the store: collections, the papers in them, and notes, read marks and tags.

Membership (``collection_entries``) and annotations (``library_items``, ``library_tags``) are kept
apart on purpose: a note belongs to the member and the paper, not to one collection, so removing a
paper from a collection never deletes what was written about it. "In the library" means "in at
least one of the member's collections".

Writes that can race (two tabs saving the same paper, two imports creating the same collection)
are single ``INSERT … ON CONFLICT`` statements; times are naive UTC, the store's convention.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import delete, distinct, func, select, update
from sqlalchemy.exc import IntegrityError

from paperfeed.store.database import Database
from paperfeed.store.schema import collection_entries, collections, library_items, library_tags, papers

_CHUNK = 500


@dataclass(frozen=True, slots=True)
class Collection:
    id: int
    user_id: int
    name: str
    slug: str
    visibility: str  # "private" or "public"
    description: str | None
    created_at: datetime
    size: int = 0

    @property
    def is_public(self) -> bool:
        return self.visibility == "public"

    @property
    def ref(self) -> str:
        """The collection's path segment: ``12-reading-group`` (the id decides, the slug reads well)."""
        return f"{self.id}-{self.slug}"


@dataclass(frozen=True, slots=True)
class Entry:
    """A paper in a collection, or in the library (then ``added_at`` is its first saving)."""

    paper_id: str
    added_at: datetime


@dataclass(slots=True)
class Annotation:
    """What a member wrote about a paper: a note, when it was marked read, tags (sorted)."""

    note: str | None = None
    read_at: datetime | None = None
    tags: list[str] = field(default_factory=list)

    @property
    def read(self) -> bool:
        return self.read_at is not None


def _collection(row: Any, size: int = 0) -> Collection:
    return Collection(
        id=int(row.id),
        user_id=int(row.user_id),
        name=str(row.name),
        slug=str(row.slug),
        visibility=str(row.visibility),
        description=row.description,
        created_at=row.created_at,
        size=size,
    )


def _chunks(items: Sequence[str]) -> Iterable[list[str]]:
    unique = list(dict.fromkeys(items))
    for start in range(0, len(unique), _CHUNK):
        yield unique[start : start + _CHUNK]


class LibraryStore:
    """Collections, entries and annotations of members."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._engine = database.engine

    # ------------------------------------------------------------------ collections
    def create_collection(
        self,
        user_id: int,
        *,
        name: str,
        slug: str,
        visibility: str,
        description: str | None,
        now: datetime,
    ) -> Collection | None:
        """A new collection; ``None`` when the member already has one with this slug."""
        statement = (
            self._db.insert(collections)
            .values(
                user_id=user_id,
                name=name,
                slug=slug,
                visibility=visibility,
                description=description,
                created_at=now,
            )
            .on_conflict_do_nothing(index_elements=["user_id", "slug"])
            .returning(collections.c.id)
        )
        with self._engine.begin() as conn:
            created = conn.execute(statement).scalar()
        return None if created is None else self.get_collection(int(created))

    def ensure_collection(self, user_id: int, *, name: str, slug: str, now: datetime) -> Collection:
        """The member's collection with ``slug``, created (private) if missing; safe under races."""
        found = self.collection_by_slug(user_id, slug)
        if found is not None:
            return found
        self.create_collection(user_id, name=name, slug=slug, visibility="private", description=None, now=now)
        made = self.collection_by_slug(user_id, slug)
        assert made is not None  # created just now, or by a concurrent request
        return made

    def get_collection(self, collection_id: int) -> Collection | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(collections).where(collections.c.id == collection_id)).first()
            if row is None:
                return None
            size = conn.execute(
                select(func.count())
                .select_from(collection_entries)
                .where(collection_entries.c.collection_id == collection_id)
            ).scalar_one()
        return _collection(row, int(size))

    def collection_by_slug(self, user_id: int, slug: str) -> Collection | None:
        with self._engine.connect() as conn:
            found = conn.execute(
                select(collections.c.id).where(collections.c.user_id == user_id, collections.c.slug == slug)
            ).scalar()
        return None if found is None else self.get_collection(int(found))

    def collections_of(self, user_id: int) -> list[Collection]:
        """The member's collections by name, each with its number of papers."""
        # Count only this member's entries (a join, not a count of every collection's entries:
        # that took 60 ms at 500,000 saved papers).
        query = (
            select(collections, func.count(collection_entries.c.paper_id).label("size"))
            .outerjoin(collection_entries, collection_entries.c.collection_id == collections.c.id)
            .where(collections.c.user_id == user_id)
            .group_by(*collections.c)
            .order_by(func.lower(collections.c.name), collections.c.id)
        )
        with self._engine.connect() as conn:
            return [_collection(row, int(row.size)) for row in conn.execute(query)]

    def update_collection(self, collection_id: int, **values: Any) -> bool:
        """Change name, slug, visibility or description; ``False`` when the new slug is taken."""
        if not values:
            return True
        try:
            with self._engine.begin() as conn:
                conn.execute(update(collections).where(collections.c.id == collection_id).values(**values))
        except IntegrityError:
            return False
        return True

    def delete_collection(self, collection_id: int) -> None:
        """The collection and its entries (annotations of its papers stay with the member)."""
        with self._engine.begin() as conn:
            conn.execute(
                delete(collection_entries).where(collection_entries.c.collection_id == collection_id)
            )
            conn.execute(delete(collections).where(collections.c.id == collection_id))

    # ---------------------------------------------------------------------- entries
    def add_entries(self, collection_id: int, paper_ids: Sequence[str], *, now: datetime) -> list[str]:
        """Put papers in a collection; returns those that were not in it yet (in the given order)."""
        added: set[str] = set()
        with self._engine.begin() as conn:
            for chunk in _chunks(paper_ids):
                statement = (
                    self._db.insert(collection_entries)
                    .values([{"collection_id": collection_id, "paper_id": p, "added_at": now} for p in chunk])
                    .on_conflict_do_nothing(index_elements=["collection_id", "paper_id"])
                    .returning(collection_entries.c.paper_id)
                )
                added.update(row.paper_id for row in conn.execute(statement))
        return [p for p in dict.fromkeys(paper_ids) if p in added]

    def remove_entry(self, collection_id: int, paper_id: str) -> bool:
        with self._engine.begin() as conn:
            gone = conn.execute(
                delete(collection_entries).where(
                    collection_entries.c.collection_id == collection_id,
                    collection_entries.c.paper_id == paper_id,
                )
            )
        return bool(gone.rowcount)

    def remove_from_library(self, user_id: int, paper_id: str) -> int:
        """Take the paper out of every collection of the member; how many it was in."""
        owned = select(collections.c.id).where(collections.c.user_id == user_id)
        with self._engine.begin() as conn:
            gone = conn.execute(
                delete(collection_entries).where(
                    collection_entries.c.paper_id == paper_id, collection_entries.c.collection_id.in_(owned)
                )
            )
        return int(gone.rowcount or 0)

    def entries(
        self, collection_id: int, *, limit: int | None = None, offset: int = 0, tag: str | None = None
    ) -> list[Entry]:
        """Papers of a collection, the most recently added first; with ``tag``, only those the
        collection's owner tagged so."""
        query = select(collection_entries.c.paper_id, collection_entries.c.added_at).where(
            collection_entries.c.collection_id == collection_id
        )
        if tag is not None:
            owner = select(collections.c.user_id).where(collections.c.id == collection_id).scalar_subquery()
            query = query.where(
                collection_entries.c.paper_id.in_(
                    select(library_tags.c.paper_id).where(
                        library_tags.c.user_id == owner, library_tags.c.tag == tag
                    )
                )
            )
        query = query.order_by(collection_entries.c.added_at.desc(), collection_entries.c.paper_id)
        if limit is not None:
            query = query.limit(limit).offset(offset)
        with self._engine.connect() as conn:
            return [Entry(row.paper_id, row.added_at) for row in conn.execute(query)]

    def library(
        self,
        user_id: int,
        *,
        tag: str | None = None,
        unread_only: bool = False,
        limit: int | None = None,
        offset: int = 0,
    ) -> list[Entry]:
        """Every paper in any of the member's collections (``added_at`` = first saved), newest first,
        optionally only those tagged ``tag`` or not marked read."""
        first_added = func.min(collection_entries.c.added_at).label("added_at")
        query = (
            select(collection_entries.c.paper_id, first_added)
            .join(collections, collections.c.id == collection_entries.c.collection_id)
            .where(collections.c.user_id == user_id)
            .group_by(collection_entries.c.paper_id)
        )
        if tag is not None:
            query = query.where(
                collection_entries.c.paper_id.in_(
                    select(library_tags.c.paper_id).where(
                        library_tags.c.user_id == user_id, library_tags.c.tag == tag
                    )
                )
            )
        if unread_only:
            query = query.where(
                collection_entries.c.paper_id.not_in(
                    select(library_items.c.paper_id).where(
                        library_items.c.user_id == user_id, library_items.c.read_at.isnot(None)
                    )
                )
            )
        query = query.order_by(first_added.desc(), collection_entries.c.paper_id)
        if limit is not None:
            query = query.limit(limit).offset(offset)
        with self._engine.connect() as conn:
            return [Entry(row.paper_id, row.added_at) for row in conn.execute(query)]

    def memberships(self, user_id: int, paper_ids: Sequence[str]) -> dict[str, list[int]]:
        """For each paper among ``paper_ids`` in the member's library: the ids of its collections."""
        found: dict[str, list[int]] = defaultdict(list)
        with self._engine.connect() as conn:
            for chunk in _chunks(paper_ids):
                rows = conn.execute(
                    select(collection_entries.c.paper_id, collection_entries.c.collection_id)
                    .join(collections, collections.c.id == collection_entries.c.collection_id)
                    .where(collections.c.user_id == user_id, collection_entries.c.paper_id.in_(chunk))
                    .order_by(collection_entries.c.collection_id)
                )
                for row in rows:
                    found[row.paper_id].append(int(row.collection_id))
        return dict(found)

    # ------------------------------------------------------- for recommenders (many members)
    def savers(self, paper_ids: Sequence[str]) -> dict[str, set[int]]:
        """For each of ``paper_ids`` that someone saved: the members who have it in a collection."""
        found: dict[str, set[int]] = defaultdict(set)
        with self._engine.connect() as conn:
            for chunk in _chunks(paper_ids):
                rows = conn.execute(
                    select(collection_entries.c.paper_id, collections.c.user_id)
                    .join(collections, collections.c.id == collection_entries.c.collection_id)
                    .where(collection_entries.c.paper_id.in_(chunk))
                )
                for row in rows:
                    found[row.paper_id].add(int(row.user_id))
        return dict(found)

    def members_with_saves(self, at_least: int) -> list[int]:
        """Members with at least ``at_least`` different papers in their collections, by id."""
        saved = func.count(distinct(collection_entries.c.paper_id))
        query = (
            select(collections.c.user_id)
            .join(collection_entries, collection_entries.c.collection_id == collections.c.id)
            .group_by(collections.c.user_id)
            .having(saved >= at_least)
            .order_by(collections.c.user_id)
        )
        with self._engine.connect() as conn:
            return [int(row.user_id) for row in conn.execute(query)]

    def savers_published(self, since: datetime, until: datetime) -> dict[str, set[int]]:
        """:meth:`savers` for every saved paper whose first version is in ``[since, until)`` (one query)."""
        query = (
            select(collection_entries.c.paper_id, collections.c.user_id)
            .join(collections, collections.c.id == collection_entries.c.collection_id)
            .join(papers, papers.c.id == collection_entries.c.paper_id)
            .where(papers.c.published_at >= since, papers.c.published_at < until)
        )
        found: dict[str, set[int]] = defaultdict(set)
        with self._engine.connect() as conn:
            for row in conn.execute(query):
                found[row.paper_id].add(int(row.user_id))
        return dict(found)

    def libraries_of(self, user_ids: Sequence[int]) -> dict[int, dict[int, dict[str, datetime]]]:
        """Many members' collections at once: member → collection id → {paper id: added at}
        (every collection of the member, empty ones too)."""
        found: dict[int, dict[int, dict[str, datetime]]] = {int(u): {} for u in user_ids}
        ids = list(found)
        with self._engine.connect() as conn:
            for start in range(0, len(ids), _CHUNK):
                chunk = ids[start : start + _CHUNK]
                for row in conn.execute(
                    select(collections.c.id, collections.c.user_id).where(collections.c.user_id.in_(chunk))
                ):
                    found[int(row.user_id)][int(row.id)] = {}
                rows = conn.execute(
                    select(
                        collections.c.user_id,
                        collection_entries.c.collection_id,
                        collection_entries.c.paper_id,
                    )
                    .add_columns(collection_entries.c.added_at)
                    .join(collections, collections.c.id == collection_entries.c.collection_id)
                    .where(collections.c.user_id.in_(chunk))
                )
                for row in rows:
                    found[int(row.user_id)][int(row.collection_id)][row.paper_id] = row.added_at
        return found

    def collection_names(self, user_ids: Sequence[int]) -> dict[int, str]:
        """Names of every collection of these members, by collection id."""
        ids = list(dict.fromkeys(int(u) for u in user_ids))
        found: dict[int, str] = {}
        with self._engine.connect() as conn:
            for start in range(0, len(ids), _CHUNK):
                query = select(collections.c.id, collections.c.name).where(
                    collections.c.user_id.in_(ids[start : start + _CHUNK])
                )
                found.update({int(row.id): str(row.name) for row in conn.execute(query)})
        return found

    def read_marks_of(self, user_ids: Sequence[int]) -> dict[int, dict[str, datetime]]:
        """Many members' read marks: member → {paper id: read at}."""
        found: dict[int, dict[str, datetime]] = {int(u): {} for u in user_ids}
        ids = list(found)
        with self._engine.connect() as conn:
            for start in range(0, len(ids), _CHUNK):
                rows = conn.execute(
                    select(library_items.c.user_id, library_items.c.paper_id, library_items.c.read_at).where(
                        library_items.c.user_id.in_(ids[start : start + _CHUNK]),
                        library_items.c.read_at.isnot(None),
                    )
                )
                for row in rows:
                    found[int(row.user_id)][row.paper_id] = row.read_at
        return found

    # ------------------------------------------------------------------ annotations
    def annotations(self, user_id: int, paper_ids: Sequence[str]) -> dict[str, Annotation]:
        """Notes, read marks and tags of the member for ``paper_ids`` (papers without any are absent)."""
        found: dict[str, Annotation] = {}
        with self._engine.connect() as conn:
            for chunk in _chunks(paper_ids):
                for row in conn.execute(
                    select(library_items).where(
                        library_items.c.user_id == user_id, library_items.c.paper_id.in_(chunk)
                    )
                ):
                    if row.note is not None or row.read_at is not None:
                        found[row.paper_id] = Annotation(row.note, row.read_at)
                for row in conn.execute(
                    select(library_tags.c.paper_id, library_tags.c.tag)
                    .where(library_tags.c.user_id == user_id, library_tags.c.paper_id.in_(chunk))
                    .order_by(library_tags.c.tag)
                ):
                    found.setdefault(row.paper_id, Annotation()).tags.append(row.tag)
        return found

    def _upsert_item(self, user_id: int, paper_id: str, now: datetime, **values: Any) -> None:
        statement = (
            self._db.insert(library_items)
            .values(user_id=user_id, paper_id=paper_id, updated_at=now, **values)
            .on_conflict_do_update(index_elements=["user_id", "paper_id"], set_={"updated_at": now, **values})
        )
        with self._engine.begin() as conn:
            conn.execute(statement)

    def set_note(self, user_id: int, paper_id: str, note: str | None, *, now: datetime) -> None:
        self._upsert_item(user_id, paper_id, now, note=note)

    def set_read(self, user_id: int, paper_id: str, read_at: datetime | None, *, now: datetime) -> None:
        self._upsert_item(user_id, paper_id, now, read_at=read_at)

    def add_tags(self, user_id: int, paper_id: str, tags: Sequence[str]) -> None:
        if not tags:
            return
        statement = (
            self._db.insert(library_tags)
            .values([{"user_id": user_id, "paper_id": paper_id, "tag": t} for t in dict.fromkeys(tags)])
            .on_conflict_do_nothing(index_elements=["user_id", "paper_id", "tag"])
        )
        with self._engine.begin() as conn:
            conn.execute(statement)

    def remove_tags(self, user_id: int, paper_id: str, tags: Sequence[str]) -> None:
        if not tags:
            return
        with self._engine.begin() as conn:
            conn.execute(
                delete(library_tags).where(
                    library_tags.c.user_id == user_id,
                    library_tags.c.paper_id == paper_id,
                    library_tags.c.tag.in_(list(tags)),
                )
            )

    def tags_of(self, user_id: int) -> list[tuple[str, int]]:
        """The member's tags with how many papers carry each, most used first."""
        query = (
            select(library_tags.c.tag, func.count().label("n"))
            .where(library_tags.c.user_id == user_id)
            .group_by(library_tags.c.tag)
            .order_by(func.count().desc(), library_tags.c.tag)
        )
        with self._engine.connect() as conn:
            return [(row.tag, int(row.n)) for row in conn.execute(query)]

    def public_collections_with(self, paper_id: str, *, limit: int = 20) -> list[Collection]:
        """Public collections that hold ``paper_id``, the largest first (then the newest), each with
        its number of papers (for the paper page's "in these collections")."""
        holding = select(collection_entries.c.collection_id).where(collection_entries.c.paper_id == paper_id)
        size = (
            select(func.count())
            .where(collection_entries.c.collection_id == collections.c.id)
            .correlate(collections)
            .scalar_subquery()
        )
        query = (
            select(collections, size.label("size"))
            .where(collections.c.id.in_(holding), collections.c.visibility == "public")
            .order_by(size.desc(), collections.c.created_at.desc(), collections.c.id)
            .limit(limit)
        )
        with self._engine.connect() as conn:
            return [_collection(row, int(row.size)) for row in conn.execute(query)]
