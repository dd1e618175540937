"""Upvotes: one per member per paper, so double clicks and replays count once."""

from __future__ import annotations

from collections.abc import Sequence

from paperfeed.context import Paperfeed
from paperfeed.store import Store, User


def vote(app: Paperfeed, user: User, paper_id: str) -> int:
    """Record ``user``'s upvote (idempotent); the paper's new count."""
    app.store.votes.add(user.id, paper_id, now=app.clock.now())
    return app.store.votes.counts([paper_id]).get(paper_id, 0)


def unvote(app: Paperfeed, user: User, paper_id: str) -> int:
    """Withdraw the upvote (idempotent too); the paper's new count."""
    app.store.votes.remove(user.id, paper_id)
    return app.store.votes.counts([paper_id]).get(paper_id, 0)


def vote_counts(store: Store, paper_ids: Sequence[str]) -> dict[str, int]:
    """Upvotes per paper; papers without votes are absent."""
    return store.votes.counts(paper_ids)


def voted_by(store: Store, user: User | None, paper_ids: Sequence[str]) -> set[str]:
    """The papers among ``paper_ids`` that ``user`` has upvoted (none for visitors)."""
    if user is None:
        return set()
    return store.votes.voted_by(user.id, paper_ids)
