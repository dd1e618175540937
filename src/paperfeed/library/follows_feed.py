"""The follows feed: new papers of the last days that match a member's follows, each with its reasons.

It is one driver of a personal feed, built to be blended: :func:`follows_feed` returns scored items
with the follows that brought each one in, and the scoring is a pure function (:func:`rank_matches`)
over those reasons, so a recommender can take the items, re-weight them or mix them with others.

How papers are found (all read-only):

* authors: the store's exact-name match over first-version dates (as the author pages list them);
* categories: the store's category match (any of a paper's categories);
* queries: the keyword search engine (:func:`paperfeed.search.engine.search`, keyword mode, with the
  date window as ``since``/``until``), so phrases, fields and exclusions mean what they mean in
  search. Without a keyword index yet, query follows are skipped and a notice says so.

Score: the sum over a paper's matched follows of :data:`KIND_WEIGHTS` (an author you follow says
more than a category you follow); ties go to the newer paper, then the larger id. Papers the member
marked "not interested" are left out (the click works at once).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from paperfeed.context import Paperfeed
from paperfeed.library.collections import require_member
from paperfeed.library.feedback import record_impressions
from paperfeed.periods import day_start
from paperfeed.records import PaperRecord
from paperfeed.search.engine import SearchUnavailable, search
from paperfeed.store import Follow, User, Window

KIND_WEIGHTS: dict[str, float] = {"author": 3.0, "query": 2.0, "category": 1.0}
DEFAULT_DAYS = 7
MAX_DAYS = 90
PER_FOLLOW = 200
"""At most this many papers per follow (the newest, or the best ranked for a query)."""


@dataclass(frozen=True, slots=True)
class Reason:
    """One follow that brought a paper into the feed."""

    follow_id: int
    kind: str
    value: str


@dataclass(slots=True)
class FeedItem:
    paper_id: str
    score: float
    reasons: list[Reason]
    published: datetime | None = None


@dataclass(slots=True)
class FollowsFeed:
    items: list[FeedItem]
    since: date
    until: date
    notices: list[str] = field(default_factory=list)


def rank_matches(
    matches: Mapping[str, Sequence[Reason]],
    published: Mapping[str, datetime | None],
    *,
    exclude: Iterable[str] = (),
    weights: Mapping[str, float] = KIND_WEIGHTS,
) -> list[FeedItem]:
    """Pure: score each matched paper by its distinct reasons and order best first.

    ``score = Σ weights[reason.kind]`` over the distinct follows that matched; ties go to the later
    ``published`` (unknown dates last), then the larger id. Papers in ``exclude`` are dropped.
    """
    excluded = set(exclude)
    items = []
    for paper_id, reasons in matches.items():
        if paper_id in excluded:
            continue
        distinct = list({r.follow_id: r for r in reasons}.values())
        score = sum(weights.get(r.kind, 0.0) for r in distinct)
        items.append(FeedItem(paper_id, score, distinct, published.get(paper_id)))
    items.sort(
        key=lambda i: (
            i.score,
            i.published is not None,
            i.published.timestamp() if i.published else 0,
            i.paper_id,
        ),
        reverse=True,
    )
    return items


def feed_window(days: int, now: datetime) -> tuple[date, date]:
    """The inclusive dates of "the last ``days`` days" up to ``now``'s day (UTC)."""
    days = max(1, min(days, MAX_DAYS))
    today = now.date()
    return today - timedelta(days=days - 1), today


def store_feed_window(app: Paperfeed, days: int, now: datetime | None = None) -> tuple[date, date, list[str]]:
    """:func:`feed_window`, ending at the newest paper's day when the store holds nothing newer
    (the demo corpus, or an install whose sync stopped), with a notice saying so; otherwise today.

    Without it a store whose papers all predate the window shows an empty feed forever."""
    since, until = feed_window(days, now or app.clock.now())
    newest = app.store.papers.window_edge(Window(), newest=True)
    if newest is None or newest.date() >= since:
        return since, until, []
    last = newest.date()
    first = last - (until - since)
    notice = (
        f"No paper in this server is newer than {last:%Y-%m-%d}: showing the {days} days up to it "
        "(run paperfeed sync to fetch new papers)."
    )
    return first, last, [notice]


def follow_matches(
    app: Paperfeed, follows: Sequence[Follow], since: date, until: date, *, per_follow: int = PER_FOLLOW
) -> tuple[dict[str, list[Reason]], list[str]]:
    """The papers each follow matches in ``[since, until]`` (dates of first versions), and notices."""
    matches: dict[str, list[Reason]] = {}
    notices: list[str] = []
    start, end = day_start(since), day_start(until + timedelta(days=1))
    for follow in follows:
        reason = Reason(follow.id, follow.kind, follow.value)
        if follow.kind == "author":
            window = Window(author=follow.value, since=start, until=end)
            ids = app.store.papers.window_ids(window, limit=per_follow)
        elif follow.kind == "category":
            window = Window(categories=(follow.value,), since=start, until=end)
            ids = app.store.papers.window_ids(window, limit=per_follow)
        else:
            try:
                found = search(
                    app,
                    follow.value,
                    mode="keyword",
                    since=since,
                    until=until,
                    limit=per_follow,
                    snippets=False,
                )
            except SearchUnavailable as exc:
                notices.append(f"query follows are skipped for now: {exc}")
                continue
            ids = [hit.paper_id for hit in found.hits]
            if found.notice and found.notice not in notices:
                notices.append(found.notice)
        for paper_id in ids:
            matches.setdefault(paper_id, []).append(reason)
    return matches, notices


def follows_feed(
    app: Paperfeed,
    user_id: int,
    *,
    days: int = DEFAULT_DAYS,
    now: datetime | None = None,
    limit: int = 100,
    exclude: Iterable[str] | None = None,
    per_follow: int = PER_FOLLOW,
) -> FollowsFeed:
    """New papers of the last ``days`` days matching the member's enabled follows, best first.

    ``exclude`` defaults to the papers the member marked "not interested"; pass your own set (for
    instance with already shown papers added) to blend this feed into another.
    """
    since, until, window_notices = store_feed_window(app, days, now)
    follows = app.store.signals.follows_of(user_id, enabled_only=True)
    matches, notices = follow_matches(app, follows, since, until, per_follow=per_follow)
    notices = window_notices + notices
    if exclude is None:
        exclude = app.store.signals.feedback_of(user_id, kind="not_interested").keys()
    published = app.store.papers.published_dates(list(matches))  # cheap: no full records
    ranked = [i for i in rank_matches(matches, published, exclude=exclude) if i.paper_id in published]
    return FollowsFeed(ranked[: max(0, limit)], since, until, notices)


@dataclass(slots=True)
class FollowsPage:
    """The /follows page: the member's follows and their feed, with the papers loaded."""

    follows: list[Follow]
    feed: FollowsFeed
    papers: list[PaperRecord]
    reasons: dict[str, list[Reason]]


def follows_page(
    app: Paperfeed,
    user: User | None,
    *,
    days: int = DEFAULT_DAYS,
    limit: int = 50,
    now: datetime | None = None,
) -> FollowsPage:
    """The member's follows and the feed they make, counting the shown papers as impressions."""
    member = require_member(user, "see your follows")
    feed = follows_feed(app, member.id, days=days, limit=limit, now=now)
    loaded = app.store.papers.get_many([i.paper_id for i in feed.items])
    papers = [loaded[i.paper_id] for i in feed.items if i.paper_id in loaded]
    record_impressions(app, member.id, [p.paper_id for p in papers], now=now)
    return FollowsPage(
        follows=app.store.signals.follows_of(member.id),
        feed=feed,
        papers=papers,
        reasons={i.paper_id: i.reasons for i in feed.items},
    )
