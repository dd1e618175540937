"""Exporting a library, a collection or a public collection: BibTeX, CSL JSON or RIS.

The owner's export carries their tags, notes and (in BibTeX) read marks, so that a paperfeed
export imported elsewhere (Zotero, or another paperfeed) keeps them; the public export of a public
collection carries the papers only, because notes and tags are private.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput
from paperfeed.library.bibtex import write_bibtex
from paperfeed.library.collections import owned_collection, require_member, slugify, visible_collection
from paperfeed.library.csl_json import write_csl_json
from paperfeed.library.references import Reference, reference_for
from paperfeed.library.ris import write_ris
from paperfeed.store import Entry, User

WRITERS: dict[str, Callable[[Sequence[Reference]], str]] = {
    "bibtex": write_bibtex,
    "csl-json": write_csl_json,
    "ris": write_ris,
}
MEDIA_TYPES = {
    "bibtex": "application/x-bibtex; charset=utf-8",
    "csl-json": "application/vnd.citationstyles.csl+json; charset=utf-8",
    "ris": "application/x-research-info-systems; charset=utf-8",
}
EXTENSIONS = {"bibtex": "bib", "csl-json": "json", "ris": "ris"}


@dataclass(frozen=True, slots=True)
class Export:
    text: str
    format: str
    filename: str
    count: int

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]


def _writer(fmt: str) -> Callable[[Sequence[Reference]], str]:
    if fmt not in WRITERS:
        raise InvalidInput(f"unknown format {fmt!r}; one of {', '.join(WRITERS)}")
    return WRITERS[fmt]


def references(
    app: Paperfeed, owner_id: int, entries: Sequence[Entry], *, with_annotations: bool
) -> list[Reference]:
    """References of the stored papers among ``entries``, oldest saved first (a stable file order)."""
    ordered = sorted(entries, key=lambda e: (e.added_at, e.paper_id))
    ids = [e.paper_id for e in ordered]
    loaded = app.store.papers.get_many(ids)
    notes = app.store.library.annotations(owner_id, ids) if with_annotations else {}
    return [reference_for(loaded[pid], notes.get(pid)) for pid in ids if pid in loaded]


def export_library(
    app: Paperfeed,
    user: User | None,
    *,
    collection: str | int | None = None,
    collection_name: str | None = None,
    fmt: str = "bibtex",
) -> Export:
    """The member's whole library, or one of their collections (by id or by name), with their
    annotations."""
    member = require_member(user, "export your library")
    write = _writer(fmt)
    if collection_name is not None:
        collection = find_collection_by_name(app, member, collection_name)
    if collection is None:
        entries, name = app.store.library.library(member.id), "library"
    else:
        found = owned_collection(app, member, collection)
        entries, name = app.store.library.entries(found.id), found.slug
    refs = references(app, member.id, entries, with_annotations=True)
    return Export(write(refs), fmt, f"{name}.{EXTENSIONS[fmt]}", len(refs))


def export_collection(
    app: Paperfeed, viewer: User | None, collection: str | int, *, fmt: str = "bibtex"
) -> Export:
    """A collection as its viewer may see it: with annotations for the owner, papers only for others."""
    found = visible_collection(app, viewer, collection)
    is_owner = viewer is not None and viewer.id == found.user_id
    refs = references(app, found.user_id, app.store.library.entries(found.id), with_annotations=is_owner)
    return Export(_writer(fmt)(refs), fmt, f"{found.slug}.{EXTENSIONS[fmt]}", len(refs))


def find_collection_by_name(app: Paperfeed, user: User | None, name: str) -> int:
    """The id of the member's collection called ``name`` (as typed on a command line)."""
    member = require_member(user, "export your library")
    found = app.store.library.collection_by_slug(member.id, slugify(name))
    if found is None:
        names = ", ".join(c.name for c in app.store.library.collections_of(member.id)) or "none yet"
        raise InvalidInput(f"no collection named {name!r}; yours: {names}")
    return found.id
