"""Collections and saving papers: the use cases behind the save buttons, /library and the API.

A member saves a paper from any listing into the default collection "Saved" (created on first use),
or into any of their named collections. A collection is private (only its owner sees it; to anyone
else it does not exist, so the answer is "not found", never "forbidden") or public (a page, an RSS
and Atom feed and a BibTeX export anyone can read). Public views show papers only: notes, tags and
read marks stay private to the owner.

Collections are addressed as ``{id}-{slug}`` (``12-reading-group``): the id decides, the slug is
for people and may go stale after a rename (pages redirect to the current one).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput, NotFound, SignInRequired
from paperfeed.papers import stored_paper_id
from paperfeed.records import PaperRecord
from paperfeed.store import Annotation, Collection, Entry, User

DEFAULT_COLLECTION = "Saved"
MAX_NAME_CHARS = 100
MAX_DESCRIPTION_CHARS = 2000
MAX_COLLECTIONS = 500
VISIBILITIES = ("private", "public")
_REF = re.compile(r"^(?P<id>\d{1,12})(?:-[A-Za-z0-9-]*)?$")


@dataclass(slots=True)
class LibraryPaper:
    """A paper as a library page shows it: when it was saved and, for its owner, the annotations."""

    paper: PaperRecord
    added_at: datetime
    annotation: Annotation | None = None
    collection_ids: list[int] = field(default_factory=list)


@dataclass(slots=True)
class CollectionPage:
    collection: Collection
    papers: list[LibraryPaper]
    has_more: bool
    is_owner: bool


def require_member(user: User | None, action: str) -> User:
    if user is None:
        raise SignInRequired(f"sign in to {action}")
    return user


def slugify(name: str) -> str:
    """``"Reading group: diffusion (2026)"`` → ``"reading-group-diffusion-2026"`` (ASCII, ≤ 60 chars)."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii").lower()
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text).strip("-")[:60].strip("-")
    return slug or "collection"


def clean_name(name: str) -> str:
    text = " ".join((name or "").split())
    if not text:
        raise InvalidInput("a collection needs a name")
    if len(text) > MAX_NAME_CHARS:
        raise InvalidInput(f"collection names are at most {MAX_NAME_CHARS} characters ({len(text)} given)")
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise InvalidInput("collection names cannot contain control characters")
    return text


def _visibility(value: str) -> str:
    if value not in VISIBILITIES:
        raise InvalidInput(f"visibility is private or public, not {value!r}")
    return value


def _description(text: str | None) -> str | None:
    value = (text or "").replace("\r\n", "\n").strip()
    if len(value) > MAX_DESCRIPTION_CHARS:
        raise InvalidInput(f"descriptions are at most {MAX_DESCRIPTION_CHARS} characters")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in value):
        raise InvalidInput("descriptions cannot contain control characters (a line break or tab is fine)")
    return value or None


def parse_ref(text: str | int) -> int:
    """The collection id in ``12-reading-group`` or ``12``; anything else is "no such collection"."""
    match = _REF.match(str(text).strip())
    if match is None:
        raise NotFound(f"no collection {str(text)[:80]!r}")
    return int(match["id"])


def create_collection(
    app: Paperfeed,
    user: User | None,
    name: str,
    *,
    visibility: str = "private",
    description: str | None = None,
) -> Collection:
    """A new collection; a name whose slug the member already uses is refused (names must differ)."""
    member = require_member(user, "create collections")
    clean = clean_name(name)
    if len(app.store.library.collections_of(member.id)) >= MAX_COLLECTIONS:
        raise InvalidInput(f"at most {MAX_COLLECTIONS} collections per member")
    created = app.store.library.create_collection(
        member.id,
        name=clean,
        slug=slugify(clean),
        visibility=_visibility(visibility),
        description=_description(description),
        now=app.clock.now(),
    )
    if created is None:
        raise InvalidInput(f"you already have a collection named like {clean!r}; choose another name")
    return created


def owned_collection(app: Paperfeed, user: User | None, collection: str | int) -> Collection:
    """The member's own collection, else :class:`NotFound` (others' collections look absent)."""
    member = require_member(user, "change collections")
    found = app.store.library.get_collection(parse_ref(collection))
    if found is None or found.user_id != member.id:
        raise NotFound(f"you have no collection {str(collection)[:80]!r}")
    return found


def visible_collection(app: Paperfeed, viewer: User | None, collection: str | int) -> Collection:
    """A public collection, or the viewer's own private one; else :class:`NotFound`."""
    found = app.store.library.get_collection(parse_ref(collection))
    if found is None or not (found.is_public or (viewer is not None and viewer.id == found.user_id)):
        raise NotFound(f"no collection {str(collection)[:80]!r} (it may be private)")
    return found


def update_collection(
    app: Paperfeed,
    user: User | None,
    collection: str | int,
    *,
    name: str | None = None,
    visibility: str | None = None,
    description: str | None = None,
) -> Collection:
    """Rename (the slug follows), make public or private, or describe a collection."""
    found = owned_collection(app, user, collection)
    values: dict[str, object] = {}
    if name is not None:
        new_name = clean_name(name)
        values |= {"name": new_name, "slug": slugify(new_name)}
    if visibility is not None:
        values["visibility"] = _visibility(visibility)
    if description is not None:
        values["description"] = _description(description)
    if not app.store.library.update_collection(found.id, **values):
        raise InvalidInput(f"you already have a collection named like {name!r}; choose another name")
    updated = app.store.library.get_collection(found.id)
    assert updated is not None
    return updated


def delete_collection(app: Paperfeed, user: User | None, collection: str | int) -> Collection:
    """Delete a collection; its papers' notes and tags stay with the member."""
    found = owned_collection(app, user, collection)
    app.store.library.delete_collection(found.id)
    app.store.signals.forget_driver(found.user_id, f"collection:{found.id}")
    return found


def my_collections(app: Paperfeed, user: User | None) -> list[Collection]:
    member = require_member(user, "see your library")
    return app.store.library.collections_of(member.id)


def default_collection(app: Paperfeed, user: User) -> Collection:
    """The member's "Saved" collection, created on first use."""
    return app.store.library.ensure_collection(
        user.id, name=DEFAULT_COLLECTION, slug=slugify(DEFAULT_COLLECTION), now=app.clock.now()
    )


def save(app: Paperfeed, user: User | None, paper: str, *, collection: str | int | None = None) -> str:
    """Put a stored paper in a collection (default "Saved"); idempotent. Returns the paper id."""
    member = require_member(user, "save papers")
    paper_id = stored_paper_id(app, paper)
    target = (
        default_collection(app, member) if collection is None else owned_collection(app, member, collection)
    )
    app.store.library.add_entries(target.id, [paper_id], now=app.clock.now())
    return paper_id


def unsave(app: Paperfeed, user: User | None, paper: str, *, collection: str | int | None = None) -> str:
    """Take a paper out of a collection (default "Saved"); its note and tags are kept. Idempotent."""
    member = require_member(user, "change your library")
    paper_id = stored_paper_id(app, paper)
    if collection is None:
        found = app.store.library.collection_by_slug(member.id, slugify(DEFAULT_COLLECTION))
        if found is not None:
            app.store.library.remove_entry(found.id, paper_id)
    else:
        app.store.library.remove_entry(owned_collection(app, member, collection).id, paper_id)
    return paper_id


def set_memberships(app: Paperfeed, user: User | None, paper: str, collections: list[str | int]) -> str:
    """Make the paper be in exactly ``collections`` of the member (the paper page's chooser)."""
    member = require_member(user, "change your library")
    paper_id = stored_paper_id(app, paper)
    wanted = {owned_collection(app, member, c).id for c in collections}
    current = set(app.store.library.memberships(member.id, [paper_id]).get(paper_id, []))
    for collection_id in sorted(wanted - current):
        app.store.library.add_entries(collection_id, [paper_id], now=app.clock.now())
    for collection_id in sorted(current - wanted):
        app.store.library.remove_entry(collection_id, paper_id)
    return paper_id


def remove_from_library(app: Paperfeed, user: User | None, paper: str) -> str:
    """Take the paper out of every collection of the member (annotations are kept)."""
    member = require_member(user, "change your library")
    paper_id = stored_paper_id(app, paper)
    app.store.library.remove_from_library(member.id, paper_id)
    return paper_id


def _with_papers(
    app: Paperfeed, user_id: int | None, entries: Sequence[Entry], annotate: bool
) -> list[LibraryPaper]:
    ids = [e.paper_id for e in entries]
    loaded = app.store.papers.get_many(ids)
    notes = app.store.library.annotations(user_id, ids) if annotate and user_id is not None else {}
    member_of = app.store.library.memberships(user_id, ids) if annotate and user_id is not None else {}
    return [
        LibraryPaper(loaded[e.paper_id], e.added_at, notes.get(e.paper_id), member_of.get(e.paper_id, []))
        for e in entries
        if e.paper_id in loaded
    ]


def collection_page(
    app: Paperfeed,
    viewer: User | None,
    collection: str | int,
    *,
    tag: str | None = None,
    limit: int = 25,
    offset: int = 0,
) -> CollectionPage:
    """A page of a collection's papers, newest first: with annotations for the owner, without for
    everyone else (and only when it is public)."""
    found = visible_collection(app, viewer, collection)
    is_owner = viewer is not None and viewer.id == found.user_id
    entries = app.store.library.entries(
        found.id, limit=limit + 1, offset=offset, tag=tag if is_owner and tag else None
    )
    papers = _with_papers(app, found.user_id, entries[:limit], annotate=is_owner)
    return CollectionPage(found, papers, len(entries) > limit, is_owner)


def library_papers(
    app: Paperfeed,
    user: User | None,
    *,
    tag: str | None = None,
    unread_only: bool = False,
    limit: int = 25,
    offset: int = 0,
) -> tuple[list[LibraryPaper], bool]:
    """A page of every paper in the member's collections, newest first, with annotations."""
    member = require_member(user, "see your library")
    entries = app.store.library.library(
        member.id, tag=tag or None, unread_only=unread_only, limit=limit + 1, offset=offset
    )
    return _with_papers(app, member.id, entries[:limit], annotate=True), len(entries) > limit


def public_collections_of(app: Paperfeed, paper_id: str, *, limit: int = 20) -> list[Collection]:
    """The public collections that include the paper (anyone may read them), largest first."""
    return app.store.library.public_collections_with(paper_id, limit=limit)
