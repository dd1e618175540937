"""Papers with their standing in the community: upvotes, and when and by whom they were featured.

The Papers API describes every paper with this (``upvotes``, ``submittedOnDailyAt``,
``submittedOnDailyBy``), whether it comes from a lookup by id or from a search. A paper featured on
several days is described by its latest featuring; the submitter is the member's chosen handle and
is absent when they chose none (an email address is never shown).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from paperfeed.context import Paperfeed
from paperfeed.papers import get_paper
from paperfeed.records import PaperRecord
from paperfeed.search.finder import find
from paperfeed.store import FeaturedEntry, Store


@dataclass(frozen=True, slots=True)
class PaperStatus:
    paper: PaperRecord
    upvotes: int
    featured: FeaturedEntry | None = None
    submitter: str | None = None


def statuses(store: Store, papers: Sequence[PaperRecord]) -> list[PaperStatus]:
    """``papers`` with upvotes and latest featuring, in three queries whatever their number."""
    ids = [p.paper_id for p in papers]
    counts = store.votes.counts(ids)
    featurings = store.featured.for_papers(ids)
    latest = {paper_id: entries[-1] for paper_id, entries in featurings.items() if entries}
    handles = store.accounts.handles([e.user_id for e in latest.values() if e.user_id is not None])
    return [
        PaperStatus(
            paper=p,
            upvotes=counts.get(p.paper_id, 0),
            featured=latest.get(p.paper_id),
            submitter=handles.get(latest[p.paper_id].user_id or -1) if p.paper_id in latest else None,
        )
        for p in papers
    ]


def paper_status(app: Paperfeed, paper_id: str) -> PaperStatus:
    """One stored paper by any spelling of its id (else :class:`~paperfeed.errors.NotFound`)."""
    return statuses(app.store, [get_paper(app, paper_id)])[0]


def search_statuses(app: Paperfeed, query: str | None, *, limit: int) -> list[PaperStatus]:
    """The best ``limit`` papers for ``query`` (hybrid search where papers are embedded, keyword
    otherwise); without a query, the newest papers."""
    if query and query.strip():
        papers = [hit.paper for hit in find(app, query, limit=limit).hits]
    else:
        papers = app.store.papers.list_papers(limit=limit)
    return statuses(app.store, papers)
