"""Windows: "papers in a date window, in these categories, by this author", written once.

The daily page, author and category listings, the API's lists, the digests and the search fallback
all ask the store for a :class:`Window`; this module turns one into SQL (the paper table's own
columns, or the author and category look-up tables keyed for "newest of X").
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

import orjson
from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select

from paperfeed.store.rows import epoch_seconds, key_hash, naive_utc
from paperfeed.store.schema import paper_authors, paper_categories, papers

__all__ = ["Window"]


@dataclass(frozen=True, slots=True)
class Window:
    """Which papers: any of ``categories`` (all when empty; a name without a dot such as ``cs`` is the
    whole archive: ``cs``, ``cs.AI``, ``cs.LG``, …), by ``author`` (exact name), first version in
    ``[since, until)``, containing every one of ``terms`` in title or abstract (substring), and
    among ``ids`` when given (a set found elsewhere, e.g. by the search index, put in date order).

    A window with an author or categories is read from that look-up table (keyed so that the newest
    papers of one author or category are a range scan, see ``store/schema/papers.py``), otherwise
    from ``papers`` by date.
    """

    categories: tuple[str, ...] = ()
    author: str | None = None
    since: datetime | None = None
    until: datetime | None = None
    terms: tuple[str, ...] = ()
    ids: tuple[str, ...] | None = None

    def paper_conditions(self) -> list[ColumnElement[bool]]:
        """Conditions on ``papers`` columns alone (ids and terms; the author's exact name, see lookup)."""
        conditions: list[ColumnElement[bool]] = []
        if self.ids is not None:
            conditions.append(papers.c.id.in_(list(self.ids)))
        for term in self.terms:
            like = f"%{term.lower()}%"
            conditions.append(
                or_(func.lower(papers.c.title).like(like), func.lower(papers.c.abstract).like(like))
            )
        return conditions

    def condition(self) -> ColumnElement[bool]:
        """The whole window as a condition on ``papers`` (for windows without a look-up)."""
        conditions = self.paper_conditions()
        if self.since is not None:
            conditions.append(papers.c.published_at >= naive_utc(self.since))
        if self.until is not None:
            conditions.append(papers.c.published_at < naive_utc(self.until))
        return and_(papers.c.id.isnot(None), *conditions)

    def category_match(self) -> ColumnElement[bool]:
        """The look-up's category is one of ``categories``, or inside one of the archives among them.

        An archive (``cs``) is the key range ``cs.`` up to ``cs/`` (``/`` follows ``.``), so it is a
        range scan of the one b-tree, as a single category is."""
        column = paper_categories.c.category
        matches: list[ColumnElement[bool]] = [column.in_(sorted(set(self.categories)))]
        for archive in sorted({c for c in self.categories if "." not in c}):
            matches.append(and_(column >= f"{archive}.", column < f"{archive}/"))
        return or_(*matches)

    @property
    def uses_lookup(self) -> bool:
        return bool(self.author or self.categories)

    def lookup(self, *, dated: bool = False) -> Select[Any]:
        """(published_ts, paper_id) of the window's papers, distinct, from the author or category
        look-up (the author's when both are given; categories are then checked per paper)."""
        table: Any = paper_authors if self.author else paper_categories
        ts = table.c.published_ts
        query = select(ts.label("published_ts"), table.c.paper_id.label("paper_id"))
        if self.author:
            query = query.where(paper_authors.c.author_key == key_hash(self.author))
            if self.categories:
                query = query.where(
                    exists(
                        select(paper_categories.c.paper_id).where(
                            paper_categories.c.paper_id == paper_authors.c.paper_id,
                            self.category_match(),
                        )
                    )
                )
        else:
            categories = sorted(set(self.categories))
            if len(categories) == 1 and "." in categories[0]:
                query = query.where(paper_categories.c.category == categories[0])
            else:
                query = query.where(self.category_match()).distinct()
        if self.since is not None:
            # One lower bound only: with a second one (ts > 0) SQLite picked that one for the range
            # scan and read a category's whole history (measured at 2.7M papers: 1.4 s, not 0.3 ms).
            query = query.where(ts >= max(1, epoch_seconds(naive_utc(self.since))))
        elif dated or self.until is not None:
            query = query.where(ts > 0)
        if self.until is not None:
            query = query.where(ts < epoch_seconds(naive_utc(self.until)))
        paper_conditions = self.paper_conditions()
        if self.author:
            # The key is a hash: the paper's own list must hold the exact name (as a JSON string).
            quoted = orjson.dumps(self.author).decode()
            paper_conditions.append(papers.c.authors.contains(quoted, autoescape=True))
        if paper_conditions:
            query = query.join(papers, papers.c.id == table.c.paper_id).where(*paper_conditions)
        return query
