"""Which papers a map shows: a search, a day/week/month, a collection, or a member's "For you".

Each function returns the ids (at most :data:`MAX_PAPERS`, best or newest first), how many papers
the selection holds in all, and a sentence saying what the map is of. Choosing is cheap (an index
query or a store read); laying the papers out is the slow part (:mod:`paperfeed.maps.service`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput
from paperfeed.library.collections import visible_collection
from paperfeed.periods import Period
from paperfeed.recommend.service import for_you
from paperfeed.search.engine import open_lexical
from paperfeed.search.query import MAX_QUERY_CHARS, parse
from paperfeed.store import User, Window

MAX_PAPERS = 2000


@dataclass(slots=True)
class Selection:
    kind: str  # "search", "period", "collection", "for-you"
    ids: list[str]
    total: int
    title: str
    notices: list[str] = field(default_factory=list)


def _capped(kind: str, ids: list[str], total: int, title: str, what: str) -> Selection:
    selection = Selection(kind, ids[:MAX_PAPERS], total, title)
    if total > len(selection.ids):
        selection.notices.append(f"{len(selection.ids):,} of {total:,} {what} are on the map")
    return selection


def search_selection(
    app: Paperfeed,
    query: str,
    *,
    category: str | None = None,
    since: date | None = None,
    until: date | None = None,
) -> Selection:
    """The :data:`MAX_PAPERS` best keyword matches of ``query`` (search syntax), with filters."""
    text = query.strip()[:MAX_QUERY_CHARS]
    if not text:
        raise InvalidInput("q: give a search to map, e.g. q=agent")
    found = open_lexical(app).search(
        parse(text), category=category, since=since, until=until, limit=MAX_PAPERS, snippets=False
    )
    ids = [hit.paper_id for hit in found.hits]
    return _capped("search", ids, found.total, f"papers matching {text}", "matching papers (the best ranked)")


def period_selection(app: Paperfeed, period: Period) -> Selection:
    """The new papers of a day, week or month in the followed categories (as the daily page and the
    period lists count them), newest first."""
    window = Window(categories=tuple(app.settings.categories), since=period.since, until=period.until)
    ids = app.store.papers.window_ids(window, limit=MAX_PAPERS)
    total = app.store.papers.window_count(window) if len(ids) >= MAX_PAPERS else len(ids)
    return _capped("period", ids, total, f"new papers of {period.description}", "papers (the newest)")


def collection_selection(app: Paperfeed, viewer: User | None, collection: str | int) -> Selection:
    """A collection's papers (its owner's, or anyone's when public), most recently added first."""
    found = visible_collection(app, viewer, collection)
    entries = app.store.library.entries(found.id, limit=MAX_PAPERS + 1)
    ids = [e.paper_id for e in entries]
    total = found.size if found.size else len(ids)
    return _capped(
        "collection", ids, max(total, len(ids[:MAX_PAPERS])), f"the collection {found.name}", "papers"
    )


def for_you_selection(app: Paperfeed, user: User | None, *, days: int = 30, limit: int = 200) -> Selection:
    """The member's "For you" list of the last ``days`` days (not counted as shown)."""
    picks = for_you(app, user, days=days, limit=limit, record=False)
    ids = [item.paper.paper_id for item in picks.items]
    selection = Selection("for-you", ids, len(ids), f"papers picked for you in the last {days} days")
    selection.notices.extend(picks.notices)
    return selection


def choose(
    app: Paperfeed,
    viewer: User | None,
    *,
    query: str | None = None,
    category: str | None = None,
    since: date | None = None,
    until: date | None = None,
    period: Period | None = None,
    collection: str | None = None,
    mine: bool = False,
    days: int = 30,
) -> Selection:
    """The one selection the parameters name: a search (``query`` with its filters), a ``period``,
    a ``collection``, or the viewer's For you (``mine``); none or several is an error."""
    given = [
        name
        for name, value in (
            ("q", query),
            ("date/week/month", period),
            ("collection", collection),
            ("for_you", mine),
        )
        if value
    ]
    if len(given) != 1:
        raise InvalidInput(
            "give one of q (a search), date, week or month (a period), collection, or for_you"
            + (f"; got {', '.join(given)}" if given else "")
        )
    if (category or since or until) and not query:
        raise InvalidInput("category, since and until filter a search: give q as well")
    if query:
        return search_selection(app, query, category=category, since=since, until=until)
    if period is not None:
        return period_selection(app, period)
    if collection:
        return collection_selection(app, viewer, collection)
    return for_you_selection(app, viewer, days=days)
