"""Everything a recommender reads about one member, in one call, and pure functions to weigh it.

:func:`member_signals` gathers, from the store: the papers in the member's collections (per
collection, with when each was saved), "more like this" and "not interested" clicks with their
times, read marks, impressions (times shown, last shown), follows, and the member's driver switches.

The pure functions turn those into what a model takes, honouring the switches:

* :func:`positive_weights`: saved papers and "more like this" papers, weight 1 each (the larger
  when both), optionally decayed by age (``half_life_days``); a collection switched off
  (``collection:<id>``) or the whole ``library`` / ``more_like_this`` driver off contributes nothing.
* :func:`negative_weights`: "not interested" weighs :data:`NOT_INTERESTED_WEIGHT` (1.0); a paper
  shown :data:`IGNORED_AFTER` times or more without being saved, read or liked weighs
  :data:`IGNORED_WEIGHT` (0.2): passing over a paper is a weak "no", a click a strong one.
* :func:`already_seen`: papers a feed should not recommend again (in the library, "not interested",
  or shown at least ``max_times``).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

from paperfeed.context import Paperfeed
from paperfeed.library.feedback import DRIVERS
from paperfeed.store import Follow, Impression

NOT_INTERESTED_WEIGHT = 1.0
IGNORED_WEIGHT = 0.2
IGNORED_AFTER = 3
"""Shown this many times with no save, read mark or "more like this": counts as a weak negative."""


@dataclass(slots=True)
class MemberSignals:
    user_id: int
    collections: dict[int, dict[str, datetime]] = field(default_factory=dict)
    """collection id → {paper id: when it was added}."""
    more: dict[str, datetime] = field(default_factory=dict)
    not_interested: dict[str, datetime] = field(default_factory=dict)
    read: dict[str, datetime] = field(default_factory=dict)
    impressions: dict[str, Impression] = field(default_factory=dict)
    follows: list[Follow] = field(default_factory=list)
    switches: dict[str, bool] = field(default_factory=dict)
    """The member's explicit driver switches; a driver not listed is on."""

    def driver_on(self, driver: str) -> bool:
        return self.switches.get(driver, True)

    @property
    def saved(self) -> dict[str, datetime]:
        """Every paper in any collection, with when it was first added."""
        first: dict[str, datetime] = {}
        for papers in self.collections.values():
            for paper_id, added in papers.items():
                if paper_id not in first or added < first[paper_id]:
                    first[paper_id] = added
        return first

    @property
    def enabled_follows(self) -> list[Follow]:
        return [f for f in self.follows if f.enabled] if self.driver_on("follows") else []


def member_signals(app: Paperfeed, user_id: int) -> MemberSignals:
    """Read everything about the member a personal feed needs (a handful of queries)."""
    library, signals = app.store.library, app.store.signals
    collections = {
        c.id: {e.paper_id: e.added_at for e in library.entries(c.id)} for c in library.collections_of(user_id)
    }
    feedback = signals.feedback_of(user_id)
    saved_ids = list({pid for papers in collections.values() for pid in papers})
    annotations = library.annotations(user_id, saved_ids)
    return MemberSignals(
        user_id=user_id,
        collections=collections,
        more={pid: f.created_at for pid, f in feedback.items() if f.kind == "more"},
        not_interested={pid: f.created_at for pid, f in feedback.items() if f.kind == "not_interested"},
        read={pid: a.read_at for pid, a in annotations.items() if a.read_at is not None},
        impressions=signals.impressions_of(user_id),
        follows=signals.follows_of(user_id),
        switches=signals.drivers_of(user_id),
    )


def member_signals_many(app: Paperfeed, user_ids: Sequence[int]) -> dict[int, MemberSignals]:
    """:func:`member_signals` for many members in a handful of queries (a daily batch, a digest)."""
    library, signals = app.store.library, app.store.signals
    ids = list(dict.fromkeys(int(u) for u in user_ids))
    collections = library.libraries_of(ids)
    reads = library.read_marks_of(ids)
    feedback = signals.feedback_of_users(ids)
    impressions = signals.impressions_of_users(ids)
    follows = signals.follows_of_users(ids)
    switches = signals.drivers_of_users(ids)
    found: dict[int, MemberSignals] = {}
    for user_id in ids:
        given = feedback[user_id]
        saved = {pid for papers in collections[user_id].values() for pid in papers}
        found[user_id] = MemberSignals(
            user_id=user_id,
            collections=collections[user_id],
            more={pid: f.created_at for pid, f in given.items() if f.kind == "more"},
            not_interested={pid: f.created_at for pid, f in given.items() if f.kind == "not_interested"},
            read={pid: at for pid, at in reads[user_id].items() if pid in saved},
            impressions=impressions[user_id],
            follows=follows[user_id],
            switches=switches[user_id],
        )
    return found


def _decay(weight: float, when: datetime, now: datetime | None, half_life_days: float | None) -> float:
    if half_life_days is None or now is None:
        return weight
    age_days = max(0.0, (now - when).total_seconds() / 86400)
    return float(weight * 0.5 ** (age_days / half_life_days))


def positive_weights(
    signals: MemberSignals, *, now: datetime | None = None, half_life_days: float | None = None
) -> dict[str, float]:
    """Pure: paper → weight of the member's positive signals (see the module docstring)."""
    weights: dict[str, float] = {}

    def add(paper_id: str, when: datetime) -> None:
        weights[paper_id] = max(weights.get(paper_id, 0.0), _decay(1.0, when, now, half_life_days))

    if signals.driver_on("library"):
        for collection_id, papers in signals.collections.items():
            if signals.driver_on(f"collection:{collection_id}"):
                for paper_id, added in papers.items():
                    add(paper_id, added)
    if signals.driver_on("more_like_this"):
        for paper_id, when in signals.more.items():
            add(paper_id, when)
    for paper_id in signals.not_interested:
        weights.pop(paper_id, None)  # the latest click wins, and "not interested" is one
    return weights


def negative_weights(signals: MemberSignals, *, ignored_after: int = IGNORED_AFTER) -> dict[str, float]:
    """Pure: paper → weight of the member's negative signals (explicit 1.0, passed over 0.2)."""
    acted = set(signals.saved) | set(signals.more) | set(signals.read)
    weights = {
        paper_id: IGNORED_WEIGHT
        for paper_id, seen in signals.impressions.items()
        if seen.times_shown >= ignored_after and paper_id not in acted
    }
    weights.update({paper_id: NOT_INTERESTED_WEIGHT for paper_id in signals.not_interested})
    return weights


def already_seen(signals: MemberSignals, *, max_times: int = IGNORED_AFTER) -> set[str]:
    """Pure: papers not to recommend again: saved, "not interested", or shown ``max_times`` times."""
    shown = {pid for pid, seen in signals.impressions.items() if seen.times_shown >= max_times}
    return set(signals.saved) | set(signals.not_interested) | shown


def known_drivers(signals: MemberSignals) -> dict[str, bool]:
    """Every driver with its state: :data:`~paperfeed.library.feedback.DRIVERS`, then collections."""
    names: Iterable[str] = [*DRIVERS, *(f"collection:{cid}" for cid in signals.collections)]
    return {name: signals.driver_on(name) for name in names}
