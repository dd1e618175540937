"""Feedback on papers, impressions, and the switches of a member's feed drivers.

* "more like this" and "not interested" are one click each on every listing; a click replaces the
  member's earlier feedback on that paper, and a second identical click (``undo``) withdraws it.
  Both take effect at once: the follows feed leaves "not interested" papers out from the next
  request on, and a recommender reads them through :mod:`paperfeed.library.signals`.
* impressions count how often a paper was shown to a member in a personal feed, so a feed can stop
  showing what the member has already passed over (:func:`record_impressions`).
* feed drivers are whole sources of a personal feed that a member can switch off and on:
  :data:`DRIVERS` plus ``collection:<id>`` for each of the member's collections (recommend from
  this folder, or not). A driver without a switch is on.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput
from paperfeed.library.collections import owned_collection, require_member
from paperfeed.papers import stored_paper_id
from paperfeed.records import PaperRecord
from paperfeed.store import Feedback, User

KINDS = ("more", "not_interested")
DRIVERS: dict[str, str] = {
    "follows": "new papers by the authors, in the categories and matching the queries you follow",
    "library": "papers like the ones in your collections",
    "more_like_this": 'papers like the ones you marked "more like this"',
    "co_saves": "papers saved by members who saved the same papers as you",
    "not_interested": 'pushing down papers like the ones you marked "not interested" '
    "(those papers themselves never come back)",
}
"""The feed drivers every member has, with what each contributes. ``co_saves`` and
``not_interested`` are the recommender's ("For you"); the follows feed reads ``follows`` only."""
_COLLECTION_DRIVER = re.compile(r"^collection:(?P<id>\d{1,12})$")


@dataclass(frozen=True, slots=True)
class FeedbackResult:
    paper_id: str
    kind: str | None  # the member's feedback on the paper now (None: none)


def give_feedback(app: Paperfeed, user: User | None, paper: str, kind: str) -> FeedbackResult:
    """Record "more like this" (``more``) or "not interested" (``not_interested``) on a paper."""
    member = require_member(user, 'say "more like this" or "not interested"')
    if kind not in KINDS:
        raise InvalidInput(f"feedback is more or not_interested, not {kind!r}")
    paper_id = stored_paper_id(app, paper)
    app.store.signals.set_feedback(member.id, paper_id, kind, now=app.clock.now())
    return FeedbackResult(paper_id, kind)


def withdraw_feedback(app: Paperfeed, user: User | None, paper: str) -> FeedbackResult:
    """Forget the member's feedback on a paper (idempotent)."""
    member = require_member(user, "change your feedback")
    paper_id = stored_paper_id(app, paper)
    app.store.signals.clear_feedback(member.id, paper_id)
    return FeedbackResult(paper_id, None)


def feedback_list(
    app: Paperfeed, user: User | None, *, kind: str | None = None, limit: int = 100, offset: int = 0
) -> tuple[list[tuple[PaperRecord, Feedback]], bool]:
    """The member's feedback, newest first, with the papers; and whether more follows."""
    member = require_member(user, "see your feedback")
    if kind is not None and kind not in KINDS:
        raise InvalidInput(f"feedback is more or not_interested, not {kind!r}")
    given = list(app.store.signals.feedback_of(member.id, kind=kind).values())
    page = given[offset : offset + limit]
    loaded = app.store.papers.get_many([f.paper_id for f in page])
    items = [(loaded[f.paper_id], f) for f in page if f.paper_id in loaded]
    return items, offset + limit < len(given)


def reset_feedback(app: Paperfeed, user: User | None) -> int:
    """Forget all of the member's feedback (the "reset" of a personal feed); rows removed."""
    return app.store.signals.clear_feedback(require_member(user, "reset your feedback").id)


def record_impressions(
    app: Paperfeed, user_id: int, paper_ids: Sequence[str], *, now: datetime | None = None
) -> None:
    """Count that these papers were just shown to the member in a personal feed."""
    if paper_ids:
        app.store.signals.record_impressions(user_id, paper_ids, now=now or app.clock.now())


def reset_impressions(app: Paperfeed, user: User | None) -> int:
    """Forget what was shown to the member (previously passed-over papers may come back)."""
    return app.store.signals.clear_impressions(require_member(user, "reset your feed").id)


def check_driver(app: Paperfeed, user: User, driver: str) -> str:
    """A known driver name, or one of the member's own collections; else :class:`InvalidInput`."""
    match = _COLLECTION_DRIVER.match(driver)
    if match is not None:
        owned_collection(app, user, int(match["id"]))
        return driver
    if driver not in DRIVERS:
        known = ", ".join([*DRIVERS, "collection:<id>"])
        raise InvalidInput(f"unknown feed driver {driver!r}; one of {known}")
    return driver


def set_driver(app: Paperfeed, user: User | None, driver: str, enabled: bool) -> dict[str, bool]:
    """Switch a feed driver off or on; the member's switches afterwards (see :func:`drivers`)."""
    member = require_member(user, "change what drives your feed")
    app.store.signals.set_driver(member.id, check_driver(app, member, driver), enabled, now=app.clock.now())
    return drivers(app, member)


def drivers(app: Paperfeed, user: User | None) -> dict[str, bool]:
    """Every driver of the member and whether it is on: :data:`DRIVERS`, then each collection."""
    member = require_member(user, "see what drives your feed")
    switches = app.store.signals.drivers_of(member.id)
    names = [*DRIVERS, *(f"collection:{c.id}" for c in app.store.library.collections_of(member.id))]
    return {name: switches.get(name, True) for name in names}


def reset_drivers(app: Paperfeed, user: User | None) -> dict[str, bool]:
    """Every driver back on."""
    member = require_member(user, "reset your feed")
    app.store.signals.reset_drivers(member.id)
    return drivers(app, member)
