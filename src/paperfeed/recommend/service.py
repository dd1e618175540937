""" "For you": the use cases behind ``/for-you``, ``/api/v1/recommendations``, the personal RSS feed,
``paperfeed recommend`` and the digest's personal section. Shells call these and only render.

* :func:`for_you`: the member's new papers of the last ``days`` days, ranked, each with its reason;
  the drivers panel; the cold-start seed search. Counts an impression for each paper shown.
* :func:`recommendations_for`: one member's ranking over any period, as ``(paper id, reason)``
  pairs (the digest; :func:`paperfeed.recommend.daily_batch.recommendations_for_many` is the same
  for many members at once).
* :func:`set_driver`, :func:`reset`: the panel's switches and resets.

Never pushed again: papers in the library, marked "more like this" or "not interested", or shown on
:data:`SHOWN_TIMES` different days (:func:`paperfeed.library.signals.already_seen`). An impression
counts once per day, so reloading the page does not use up its papers.

Before the indexer has built the features index (a fresh install), the ranking is the follows
feed's, and a notice says why.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput, NotFound
from paperfeed.library import feedback as feedback_lib
from paperfeed.library.collections import require_member
from paperfeed.library.follows_feed import follow_matches, rank_matches, store_feed_window
from paperfeed.library.signals import MemberSignals, already_seen, member_signals
from paperfeed.periods import day_start
from paperfeed.recommend.candidates import candidates_for
from paperfeed.recommend.fitting import active_weights
from paperfeed.recommend.member_models import member_model
from paperfeed.recommend.ranking import Ranking, rank_member
from paperfeed.recommend.reasons import DriverView, ReasonView, describe, follow_text, panel, shares_of
from paperfeed.records import PaperRecord
from paperfeed.store import User

DEFAULT_DAYS = 7
MAX_DAYS = 90
DEFAULT_LIMIT = 50
MAX_LIMIT = 200
SHOWN_TIMES = 3
SEEDS = 10
NOT_READY = (
    "Ranking by your follows only for now: the recommender's features are still being built by the "
    "indexer (it runs with `paperfeed serve`, or `paperfeed index rebuild` builds them at once)."
)


@dataclass(slots=True)
class Pick:
    """A recommended paper and why."""

    paper_id: str
    score: float
    reason: ReasonView
    parts: dict[str, float] = field(default_factory=dict)  # each driver's term of the score


@dataclass(slots=True)
class Picks:
    """A member's ranking over a window, with what the panel and the page need besides."""

    items: list[Pick]
    since: datetime
    until: datetime
    titles: dict[str, str] = field(default_factory=dict)
    notices: list[str] = field(default_factory=list)
    features_ready: bool = True
    positives: int = 0
    negatives: int = 0
    trained_at: datetime | None = None
    retrained: bool = False
    candidates: int = 0


def check_window(days: int, limit: int) -> None:
    if not 1 <= days <= MAX_DAYS:
        raise InvalidInput(f"days must be 1 to {MAX_DAYS}, not {days}")
    if not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput(f"limit must be 1 to {MAX_LIMIT}, not {limit}")


def _collection_names(app: Paperfeed, user_id: int) -> dict[int, str]:
    return {c.id: c.name for c in app.store.library.collections_of(user_id)}


def _by_follows(
    app: Paperfeed, signals: MemberSignals, since: datetime, until: datetime, limit: int, exclude: set[str]
) -> list[Pick]:
    """The follows feed's ranking over the window: the fallback while features are not built."""
    if not signals.enabled_follows:
        return []
    last_day = (until - timedelta(microseconds=1)).date()
    matches, _ = follow_matches(app, signals.enabled_follows, since.date(), last_day)
    published = app.store.papers.published_dates(list(matches))
    inside = {
        pid: reasons
        for pid, reasons in matches.items()
        if (moment := published.get(pid)) is not None
        and since <= moment.astimezone(UTC).replace(tzinfo=None) < until
    }
    picks: list[Pick] = []
    for item in rank_matches(inside, published, exclude=exclude)[:limit]:
        first = item.reasons[0]
        reason = ReasonView(
            "follows", follow_text(first.kind, first.value), follow=f"{first.kind}:{first.value}"
        )
        picks.append(Pick(item.paper_id, item.score, reason))
    return picks


def rank(
    app: Paperfeed,
    signals: MemberSignals,
    since: datetime,
    until: datetime,
    *,
    limit: int,
    now: datetime | None = None,
    collection_names: dict[int, str] | None = None,
) -> Picks:
    """The member's best ``limit`` papers first published in ``[since, until)`` (naive UTC), with
    reasons; already seen papers left out. Trains the member's model only if their signals changed."""
    if until <= since:
        raise InvalidInput(
            f"the period ends ({until:%Y-%m-%d %H:%M}) before it starts ({since:%Y-%m-%d %H:%M})"
        )
    exclude = already_seen(signals, max_times=SHOWN_TIMES) | set(signals.more)
    candidates = candidates_for(app, since, until)
    if candidates is None:
        items = _by_follows(app, signals, since, until, limit, exclude)
        return Picks(items, since, until, notices=[NOT_READY], features_ready=False)
    trained = member_model(app, signals, candidates, now=now)
    ranking: Ranking = rank_member(
        app, signals, trained.model, candidates, limit=limit, exclude=exclude, weights=active_weights(app)
    )
    named = {x for i in ranking.items for x in (i.reason.paper_id, i.linked) if x}
    titles = app.store.papers.titles(sorted(named))
    names = collection_names if collection_names is not None else _collection_names(app, signals.user_id)
    items = [
        Pick(
            i.paper_id,
            i.score,
            describe(i, signals, trained.model.positive_ids, titles, names, ranking.follows),
            i.parts,
        )
        for i in ranking.items
    ]
    return Picks(
        items,
        since,
        until,
        titles=titles,
        notices=ranking.notices,
        positives=trained.positives,
        negatives=trained.negatives,
        trained_at=trained.trained_at,
        retrained=trained.retrained,
        candidates=ranking.candidates,
    )


# ------------------------------------------------------------------------------ For you
@dataclass(slots=True)
class ForYouItem:
    paper: PaperRecord
    score: float
    reason: ReasonView


@dataclass(slots=True)
class ForYou:
    """The "For you" page (and API answer): the list, the panel, and the cold-start seed search."""

    items: list[ForYouItem]
    drivers: list[DriverView]
    since: date
    until: date
    days: int
    notices: list[str]
    features_ready: bool
    positives: int
    negatives: int
    follows: int
    trained_at: datetime | None
    seed_query: str | None = None
    seeds: list[PaperRecord] = field(default_factory=list)
    feed_token_made: datetime | None = None

    @property
    def cold_start(self) -> bool:
        """Nothing to learn from yet: no saved or liked paper and no follow."""
        return self.positives == 0 and self.follows == 0


def _count_impressions(app: Paperfeed, signals: MemberSignals, paper_ids: list[str], now: datetime) -> None:
    """One impression per paper and day (reloading the page does not count again)."""
    today = now.date()
    fresh = [
        pid
        for pid in paper_ids
        if (seen := signals.impressions.get(pid)) is None or seen.last_shown_at.date() != today
    ]
    feedback_lib.record_impressions(app, signals.user_id, fresh, now=now)


def _seeds(app: Paperfeed, signals: MemberSignals, query: str) -> list[PaperRecord]:
    from paperfeed.search.finder import find

    found = find(app, query, limit=SEEDS + len(signals.saved))
    saved = signals.saved
    return [hit.paper for hit in found.hits if hit.paper.paper_id not in saved][:SEEDS]


def for_you(
    app: Paperfeed,
    user: User | None,
    *,
    days: int = DEFAULT_DAYS,
    limit: int = DEFAULT_LIMIT,
    seed_query: str | None = None,
    record: bool = True,
    now: datetime | None = None,
) -> ForYou:
    """The member's "For you" list, with reasons and the drivers panel (see the module docstring).

    ``seed_query`` searches all papers for seeds to save (the cold start); ``record`` counts the
    listed papers as shown (the page and the API do; the personal feed and the CLI do not)."""
    member = require_member(user, "see papers picked for you")
    check_window(days, limit)
    now = now or app.clock.now()
    first, last, window_notices = store_feed_window(app, days, now)
    signals = member_signals(app, member.id)
    names = _collection_names(app, member.id)
    picks = rank(
        app,
        signals,
        day_start(first),
        day_start(last + timedelta(days=1)),
        limit=limit,
        now=now,
        collection_names=names,
    )
    loaded = app.store.papers.get_many([p.paper_id for p in picks.items])
    items = [ForYouItem(loaded[p.paper_id], p.score, p.reason) for p in picks.items if p.paper_id in loaded]
    shown = {i.paper.paper_id for i in items}
    if record and items:
        _count_impressions(app, signals, [i.paper.paper_id for i in items], now)
    query = (seed_query or "").strip() or None
    return ForYou(
        items=items,
        drivers=panel(
            signals,
            [i.reason for i in items],
            names,
            shares=shares_of([p.parts for p in picks.items if p.paper_id in shown]),
        ),
        since=first,
        until=last,
        days=days,
        notices=window_notices + picks.notices,
        features_ready=picks.features_ready,
        positives=picks.positives if picks.features_ready else len(signals.saved) + len(signals.more),
        negatives=picks.negatives,
        follows=len(signals.enabled_follows),
        trained_at=picks.trained_at,
        seed_query=query,
        seeds=_seeds(app, signals, query) if query else [],
        feed_token_made=app.store.recommend.feed_token_created(member.id),
    )


def recommendations_for(
    app: Paperfeed, user_id: int, since: datetime, until: datetime, limit: int = 10
) -> list[tuple[str, str]]:
    """One member's best ``limit`` papers first published in ``[since, until)`` (naive UTC), as
    ``(paper id, reason text)``, best first: the digest's "personal recommendations" section.

    Records no impressions: the caller that sends them should call
    :func:`paperfeed.library.feedback.record_impressions` with the ids it sent."""
    if app.store.accounts.get_user(user_id=user_id) is None:
        raise NotFound(f"no member with id {user_id}")
    picks = rank(app, member_signals(app, user_id), since, until, limit=max(1, limit))
    return [(p.paper_id, p.reason.text) for p in picks.items]


# ------------------------------------------------------------------------------ the panel
def driver_states(app: Paperfeed, user: User | None) -> dict[str, bool]:
    """Every driver of the member's feed and whether it is on."""
    return feedback_lib.drivers(app, user)


def set_driver(app: Paperfeed, user: User | None, driver: str, enabled: bool) -> dict[str, bool]:
    """Switch one driver of the member's feed; every driver's state afterwards."""
    return feedback_lib.set_driver(app, user, driver, enabled)


RESETS = ("feedback", "impressions", "drivers")


@dataclass(frozen=True, slots=True)
class ResetResult:
    feedback: int = 0
    impressions: int = 0
    drivers: bool = False


def reset(app: Paperfeed, user: User | None, what: list[str]) -> ResetResult:
    """Forget the member's feedback, impressions and/or switches (``what`` ⊆ :data:`RESETS`)."""
    member = require_member(user, "reset your feed")
    unknown = [w for w in what if w not in RESETS]
    if unknown or not what:
        raise InvalidInput(f"reset one or more of {', '.join(RESETS)}, not {', '.join(unknown) or 'nothing'}")
    return ResetResult(
        feedback=feedback_lib.reset_feedback(app, member) if "feedback" in what else 0,
        impressions=feedback_lib.reset_impressions(app, member) if "impressions" in what else 0,
        drivers=bool(feedback_lib.reset_drivers(app, member)) if "drivers" in what else False,
    )
