"""What a listing shows next to each paper for the viewer: saved?, in which collections, feedback.

One call per page (three queries whatever the number of papers), so the save / "more like this" /
"not interested" buttons of every listing show their current state.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from paperfeed.context import Paperfeed
from paperfeed.library.collections import DEFAULT_COLLECTION, slugify
from paperfeed.store import Annotation, Collection, User


@dataclass(frozen=True, slots=True)
class PaperMarks:
    """The viewer's state for one paper; :data:`NO_MARKS` for visitors and untouched papers."""

    saved: bool = False  # in the default "Saved" collection
    collections: tuple[int, ...] = field(default_factory=tuple)
    feedback: str | None = None  # "more", "not_interested" or None

    @property
    def in_library(self) -> bool:
        return bool(self.collections)


NO_MARKS = PaperMarks()


def marks_for(app: Paperfeed, user: User | None, paper_ids: Sequence[str]) -> dict[str, PaperMarks]:
    """The viewer's marks for the papers of a listing (papers without any are absent)."""
    if user is None or not paper_ids:
        return {}
    memberships = app.store.library.memberships(user.id, paper_ids)
    feedback = app.store.signals.feedback_of(user.id, paper_ids)
    default = app.store.library.collection_by_slug(user.id, slugify(DEFAULT_COLLECTION))
    marks: dict[str, PaperMarks] = {}
    for paper_id in set(memberships) | set(feedback):
        collections = tuple(memberships.get(paper_id, ()))
        given = feedback.get(paper_id)
        marks[paper_id] = PaperMarks(
            saved=default is not None and default.id in collections,
            collections=collections,
            feedback=given.kind if given else None,
        )
    return marks


def marks_of(app: Paperfeed, user: User | None, paper_id: str) -> PaperMarks:
    return marks_for(app, user, [paper_id]).get(paper_id, NO_MARKS)


@dataclass(slots=True)
class PaperState:
    """Everything the paper page's library panel shows a member about one paper."""

    paper_id: str
    collections: list[Collection]
    member_of: set[int]
    annotation: Annotation | None
    marks: PaperMarks


def paper_state(app: Paperfeed, user: User | None, paper_id: str) -> PaperState | None:
    """The member's collections, which of them hold the paper, and their note/tags/read mark
    (``None`` for visitors)."""
    if user is None:
        return None
    member_of = set(app.store.library.memberships(user.id, [paper_id]).get(paper_id, []))
    return PaperState(
        paper_id=paper_id,
        collections=app.store.library.collections_of(user.id),
        member_of=member_of,
        annotation=app.store.library.annotations(user.id, [paper_id]).get(paper_id),
        marks=marks_of(app, user, paper_id),
    )
