"""What a member reads next to each recommended paper, and what the "what drives my feed" panel
shows: each ranked paper's top reason in words, attributed to one of the member's drivers.

The model says *which* driver contributed most and, for the library, the saved paper closest to the
candidate (:class:`~paperfeed.recommend.model.Reason`). Here that becomes the member's terms:

* library: the collection of that closest paper, and how many of the collection's papers are
  about as close (within :data:`LIKE_SHARE` of the closest): "like 3 papers in “RL theory”", or
  "like “Title”, saved in “Saved”" when it is one paper; a paper that is only a "more like this"
  click reads "more like “Title”";
* follows: "by Ada Lovelace, whom you follow", "new in cs.LG, which you follow",
  "matches “world models”";
* co-saves: "readers of “Title” also saved it".

Texts are plain strings (pages escape them, feeds and JSON carry them as they are).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from paperfeed.library.feedback import DRIVERS
from paperfeed.library.signals import MemberSignals, known_drivers
from paperfeed.recommend.ranking import Ranked
from paperfeed.store import Follow

LIKE_SHARE = 0.5
"""A saved paper counts as "like" the candidate when its similarity is at least this share of the
closest saved paper's."""
MAX_TITLE = 90

LABELS = {
    "library": "Your library",
    "more_like_this": "“More like this”",
    "follows": "Follows",
    "co_saves": "Readers with a library like yours",
    "not_interested": "“Not interested”",
}


@dataclass(frozen=True, slots=True)
class ReasonView:
    """A listed paper's reason: the panel driver it counts for, and the words."""

    driver: str  # library, more_like_this, follows or co_saves
    text: str
    paper_id: str | None = None  # the paper the reason names, if any
    collection_id: int | None = None
    follow: str | None = None  # "author:Ada Lovelace", "category:cs.LG", "query:world models"


@dataclass(frozen=True, slots=True)
class DriverView:
    """One switch of the panel: its state, and what it did for the list shown."""

    name: str
    label: str
    description: str
    enabled: bool
    brought: int | None  # papers of the list this driver gave the top reason for (None: it brings none)
    detail: str | None = None
    share: float | None = None  # its part of the listed papers' scores (0-1); None: it only pushes down


def follow_text(kind: str, value: str) -> str:
    """The reason of a paper a follow brought: an author, a category, or a search query."""
    if kind == "author":
        return f"by {value}, whom you follow"
    if kind == "category":
        return f"new in {value}, which you follow"
    return f"matches “{value}”, which you follow"


def short(title: str) -> str:
    title = " ".join(title.split())
    return title if len(title) <= MAX_TITLE else title[: MAX_TITLE - 1].rstrip() + "…"


def _collection_of(signals: MemberSignals, paper_id: str) -> int | None:
    """The member's first switched-on collection holding the paper (the one it was learnt from)."""
    if not signals.driver_on("library"):
        return None
    for collection_id in sorted(signals.collections):
        if paper_id in signals.collections[collection_id] and signals.driver_on(
            f"collection:{collection_id}"
        ):
            return collection_id
    return None


def describe(
    item: Ranked,
    signals: MemberSignals,
    positive_ids: Sequence[str],
    titles: Mapping[str, str],
    collection_names: Mapping[int, str],
    follows: Mapping[str, Follow],
) -> ReasonView:
    reason = item.reason
    if reason.driver == "follows" and reason.follow is not None:
        follow = follows.get(reason.follow)
        kind, _, value = reason.follow.partition(":")
        if follow is not None:
            kind, value = follow.kind, follow.value
        return ReasonView("follows", follow_text(kind, value), follow=reason.follow)
    if reason.driver == "co_saves":
        if item.linked is not None and item.linked in titles:
            return ReasonView(
                "co_saves", f"readers of “{short(titles[item.linked])}” also saved it", paper_id=item.linked
            )
        return ReasonView("co_saves", "saved by readers whose libraries overlap yours")
    pid = reason.paper_id or ""
    title = short(titles.get(pid, pid))
    collection_id = _collection_of(signals, pid)
    if collection_id is None:
        return ReasonView("more_like_this", f"more like “{title}”", paper_id=pid)
    name = collection_names.get(collection_id, "your library")
    count = 1
    if item.similarity is not None and len(item.similarity):
        best = float(np.max(item.similarity))
        members = signals.collections[collection_id]
        count = sum(
            1
            for j, positive in enumerate(positive_ids)
            if positive in members and best > 0 and item.similarity[j] >= LIKE_SHARE * best
        )
    text = f"like {count} papers in “{name}”" if count >= 2 else f"like “{title}”, saved in “{name}”"
    return ReasonView("library", text, paper_id=pid, collection_id=collection_id)


def shares_of(parts: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Per driver, its share of what lifted the listed papers: the sum of its positive terms over
    the list, over the sum of every driver's positive terms (the blend is additive, so this is
    exactly each driver's part of the scores shown)."""
    totals: dict[str, float] = {}
    for item in parts:
        for driver, value in item.items():
            if value > 0:
                totals[driver] = totals.get(driver, 0.0) + value
    whole = sum(totals.values())
    return {driver: value / whole for driver, value in totals.items()} if whole > 0 else {}


def panel(
    signals: MemberSignals,
    reasons: Sequence[ReasonView],
    collection_names: Mapping[int, str],
    *,
    shares: Mapping[str, float] | None = None,
) -> list[DriverView]:
    """Every driver of the member with its switch, what it brought to ``reasons``' list (top
    reasons) and its share of the listed papers' scores (``shares``, from :func:`shares_of`)."""
    shares = shares or {}
    brought = Counter(r.driver for r in reasons)
    by_collection = Counter(r.collection_id for r in reasons if r.collection_id is not None)
    views: list[DriverView] = []
    for name, enabled in known_drivers(signals).items():
        if name.startswith("collection:"):
            collection_id = int(name.split(":", 1)[1])
            size = len(signals.collections.get(collection_id, {}))
            views.append(
                DriverView(
                    name,
                    f"Collection “{collection_names.get(collection_id, collection_id)}”",
                    f"papers like the {size} in this collection",
                    enabled,
                    by_collection.get(collection_id, 0),
                )
            )
            continue
        detail = None
        count: int | None = brought.get(name, 0)
        if name == "not_interested":
            count = None
            detail = f"{len(signals.not_interested)} papers marked “not interested”"
        elif name == "follows":
            detail = f"{len(signals.enabled_follows)} follows switched on" if enabled else None
        elif name == "more_like_this":
            detail = f"{len(signals.more)} papers marked “more like this”"
        elif name == "library":
            detail = f"{len(signals.saved)} papers in your collections"
        share = None if name in ("not_interested", "more_like_this") else shares.get(name, 0.0)
        views.append(
            DriverView(name, LABELS.get(name, name), DRIVERS.get(name, ""), enabled, count, detail, share)
        )
    return views
