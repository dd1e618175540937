"""The use cases behind both the pages and the JSON API: vote, submit, curate, list with votes.

Each function checks who may do what (raising :class:`~paperfeed.errors.SignInRequired`,
:class:`~paperfeed.errors.Forbidden`, :class:`~paperfeed.errors.RateLimited`, …), does the work
through the store, and returns plain data. The web's pages and API call the same function and differ
only in how they render the result or the error, so a rule (the submission limit, who may curate)
exists exactly once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from paperfeed.community import submissions, votes
from paperfeed.community.submissions import SubmissionResult
from paperfeed.community.trending import trending
from paperfeed.context import Paperfeed
from paperfeed.errors import Forbidden, NotFound, SignInRequired
from paperfeed.ingest.fetch import Fetcher
from paperfeed.papers import paper_key, stored_paper_id
from paperfeed.ratelimit import require
from paperfeed.records import PaperRecord
from paperfeed.search.finder import author_page_ids
from paperfeed.store import User

CURATION_ACTIONS = ("feature", "unfeature", "hide", "unhide")


@dataclass(frozen=True, slots=True)
class VoteResult:
    paper_id: str
    upvotes: int
    voted: bool


@dataclass(frozen=True, slots=True)
class CurationResult:
    day: date
    paper_id: str
    action: str
    changed: bool


@dataclass(frozen=True, slots=True)
class ListedPaper:
    """A paper as lists show it: with its upvote count and whether the viewer upvoted it."""

    paper: PaperRecord
    upvotes: int
    voted: bool
    score: float | None = None
    entered: datetime | None = None  # when it joined this list (trending: its first upvote there)


def cast_vote(app: Paperfeed, user: User | None, paper: str, *, up: bool = True) -> VoteResult:
    """Upvote (``up``) or withdraw the upvote; idempotent either way."""
    if user is None:
        raise SignInRequired("sign in to upvote")
    key = stored_paper_id(app, paper)
    count = (votes.vote if up else votes.unvote)(app, user, key)
    return VoteResult(key, count, up)


def submit_paper(
    app: Paperfeed, user: User | None, text: str, *, fetch: Fetcher | None = None
) -> SubmissionResult:
    """A member's submission to today's page, within the per-member hourly limit."""
    if user is None:
        raise SignInRequired("sign in to submit papers")
    require(
        app,
        f"submit:user:{user.id}",
        limit=app.settings.submissions_per_hour,
        window_seconds=3600,
        message=f"too many submissions this hour (at most {app.settings.submissions_per_hour}); try later",
    )
    return submissions.submit(app, user, text, fetch=fetch)


def curate(
    app: Paperfeed, user: User | None, day: date, paper: str, action: str, *, fetch: Fetcher | None = None
) -> CurationResult:
    """Curators feature or unfeature a paper on a day, or hide (and unhide) a spam submission."""
    if user is None:
        raise SignInRequired("sign in as a curator to change featured papers")
    if not user.is_curator:
        raise Forbidden("only curators can change featured papers")
    if action not in CURATION_ACTIONS:
        raise NotFound(f"unknown curation action {action!r}; one of {', '.join(CURATION_ACTIONS)}")
    if action == "feature":
        found, _ = submissions.resolve_paper(app, paper, fetch)
        changed = submissions.feature(app, day, found.paper_id, user, source="curator")
        return CurationResult(day, found.paper_id, action, changed)
    key = paper_key(paper)
    if action == "unfeature":
        changed = submissions.unfeature(app, day, key, user)
    else:
        changed = submissions.set_hidden(app, day, key, user, hidden=action == "hide")
    return CurationResult(day, key, action, changed)


def with_votes(
    app: Paperfeed,
    papers: Sequence[PaperRecord],
    user: User | None,
    scores: Sequence[float | None] | None = None,
) -> list[ListedPaper]:
    """Papers with their upvote counts and the viewer's own votes, in two queries."""
    ids = [p.paper_id for p in papers]
    counts = app.store.votes.counts(ids)
    mine = votes.voted_by(app.store, user, ids)
    given = list(scores) if scores is not None else [None] * len(ids)
    return [
        ListedPaper(p, counts.get(p.paper_id, 0), p.paper_id in mine, score)
        for p, score in zip(papers, given, strict=True)
    ]


def trending_papers(
    app: Paperfeed, user: User | None, *, window: str = "week", category: str | None = None, limit: int = 50
) -> list[ListedPaper]:
    """The trending list as papers with votes; ``score`` is the decayed trending score."""
    entries = trending(app.store, window=window, category=category, now=app.clock.now(), limit=limit)
    loaded = app.store.papers.get_many([e.paper_id for e in entries])
    present = [e for e in entries if e.paper_id in loaded]
    mine = votes.voted_by(app.store, user, [e.paper_id for e in present])
    return [ListedPaper(loaded[e.paper_id], e.votes, e.paper_id in mine, e.score, e.entered) for e in present]


def list_papers(
    app: Paperfeed,
    user: User | None,
    *,
    category: str | None = None,
    author: str | None = None,
    limit: int = 20,
    offset: int = 0,
) -> tuple[list[ListedPaper], bool]:
    """A page of papers (newest first) with votes, and whether another page follows.

    ``author`` matches the way search does (part of a name, any case: "lecun" finds "Yann LeCun"),
    paged by the keyword index however many papers match; before the index exists it has to be a
    whole name as stored.
    """
    ids = author_page_ids(app, author, category=category, limit=limit + 1, offset=offset) if author else None
    if ids is not None:
        # The index found this page of the author's papers, newest first; load them in that order.
        found = app.store.papers.list_papers(ids=ids, limit=limit + 1)
    else:
        found = app.store.papers.list_papers(category=category, author=author, limit=limit + 1, offset=offset)
    return with_votes(app, found[:limit], user), len(found) > limit
