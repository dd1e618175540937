"""The library's JSON API: ``/api/v1/library/…``, ``/api/v1/follows`` and ``/api/v1/feedback``.

The same use cases as the pages (:mod:`paperfeed.library`), rendered as JSON. Everything here is a
member's own data: every route needs a personal token (``Authorization: Bearer pf_…``) or a
session, except reading a public collection.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, File, Form, Path, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, Field, StrictBool

from paperfeed.library import collections, exporters, importers
from paperfeed.library import feedback as feedback_lib
from paperfeed.library import follows as follows_lib
from paperfeed.library.annotations import MAX_NOTE_CHARS, MAX_TAG_CHARS, MAX_TAGS_PER_PAPER, UNSET, annotate
from paperfeed.library.collections import MAX_DESCRIPTION_CHARS, MAX_NAME_CHARS, LibraryPaper
from paperfeed.library.exporters import MEDIA_TYPES
from paperfeed.library.follows import MAX_AUTHOR_CHARS, MAX_QUERY_CHARS
from paperfeed.library.follows_feed import DEFAULT_DAYS, MAX_DAYS, follows_feed
from paperfeed.library.marks import paper_state
from paperfeed.papers import stored_paper_id
from paperfeed.papers_json import paper_json
from paperfeed.store import Collection, Follow
from paperfeed.web.api import CursorQuery, LimitQuery, decode_cursor, encode_cursor
from paperfeed.web.api_contract import errors, reject_unknown_query_params
from paperfeed.web.deps import CurrentMember, PaperfeedDep, UserDep
from paperfeed.web.library_pages import MAX_UPLOAD_BYTES, WEB_FETCH_LIMIT, download
from paperfeed.web.routers import make_router

router = make_router(
    prefix="/api/v1",
    tags=["library"],
    dependencies=[Depends(reject_unknown_query_params)],
    responses=errors(400, 401, 403, 404, 422),
)
FormatQuery = Annotated[
    str, Query(alias="format", pattern="^(bibtex|csl-json|ris)$", description="bibtex, csl-json or ris.")
]


def _iso(value: Any) -> str | None:
    return None if value is None else value.isoformat()


def collection_json(c: Collection) -> dict[str, Any]:
    return {
        "id": c.id,
        "ref": c.ref,
        "name": c.name,
        "visibility": c.visibility,
        "description": c.description,
        "papers": c.size,
        "created_at": _iso(c.created_at),
        "url": f"/library/{c.ref}",
    }


def library_paper_json(item: LibraryPaper, *, with_annotations: bool = True) -> dict[str, Any]:
    data = paper_json(item.paper) | {"added_at": _iso(item.added_at)}
    if with_annotations:
        note = item.annotation
        data |= {
            "note": note.note if note else None,
            "tags": list(note.tags) if note else [],
            "read": bool(note and note.read),
            "collections": item.collection_ids,
        }
    return data


def follow_json(f: Follow) -> dict[str, Any]:
    return {
        "id": f.id,
        "kind": f.kind,
        "value": f.value,
        "enabled": f.enabled,
        "created_at": _iso(f.created_at),
    }


# -------------------------------------------------------------------------------- collections
class CollectionIn(BaseModel):
    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS, examples=["Reading group"])
    visibility: str = Field(default="private", pattern="^(private|public)$")
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION_CHARS)


class CollectionPatch(BaseModel):
    name: str | None = Field(default=None, min_length=1, max_length=MAX_NAME_CHARS)
    visibility: str | None = Field(default=None, pattern="^(private|public)$")
    description: str | None = Field(default=None, max_length=MAX_DESCRIPTION_CHARS)


@router.get("/library/collections", summary="Your collections")
def list_collections(pf: PaperfeedDep, user: CurrentMember) -> dict[str, Any]:
    return {"items": [collection_json(c) for c in collections.my_collections(pf, user)]}


@router.post("/library/collections", summary="Create a collection", status_code=201)
def create_collection(pf: PaperfeedDep, user: CurrentMember, body: CollectionIn) -> dict[str, Any]:
    created = collections.create_collection(
        pf, user, body.name, visibility=body.visibility, description=body.description
    )
    return collection_json(created)


@router.get(
    "/library/collections/{collection_id}", summary="A collection (yours, or a public one) and its papers"
)
def get_collection(
    pf: PaperfeedDep, user: UserDep, collection_id: str, limit: LimitQuery = 20, cursor: CursorQuery = None
) -> dict[str, Any]:
    offset = decode_cursor(cursor)
    page = collections.collection_page(pf, user, collection_id, limit=limit, offset=offset)
    return collection_json(page.collection) | {
        "items": [library_paper_json(i, with_annotations=page.is_owner) for i in page.papers],
        "next_cursor": encode_cursor(offset + limit) if page.has_more else None,
    }


@router.patch("/library/collections/{collection_id}", summary="Rename, describe, or make public or private")
def patch_collection(
    pf: PaperfeedDep, user: CurrentMember, collection_id: str, body: CollectionPatch
) -> dict[str, Any]:
    changed = collections.update_collection(
        pf, user, collection_id, name=body.name, visibility=body.visibility, description=body.description
    )
    return collection_json(changed)


@router.delete("/library/collections/{collection_id}", summary="Delete a collection (notes and tags stay)")
def delete_collection(pf: PaperfeedDep, user: CurrentMember, collection_id: str) -> dict[str, Any]:
    return collection_json(collections.delete_collection(pf, user, collection_id)) | {"deleted": True}


@router.put(
    "/library/collections/{collection_id}/papers/{paper_id:path}", summary="Add a paper to a collection"
)
def add_to_collection(
    pf: PaperfeedDep, user: CurrentMember, collection_id: str, paper_id: str
) -> dict[str, Any]:
    saved = collections.save(pf, user, paper_id, collection=collection_id)
    return {"paper_id": saved, "collection": collection_id, "in_collection": True}


@router.delete(
    "/library/collections/{collection_id}/papers/{paper_id:path}", summary="Take a paper out of a collection"
)
def remove_from_collection(
    pf: PaperfeedDep, user: CurrentMember, collection_id: str, paper_id: str
) -> dict[str, Any]:
    removed = collections.unsave(pf, user, paper_id, collection=collection_id)
    return {"paper_id": removed, "collection": collection_id, "in_collection": False}


# ------------------------------------------------------------------------------------ papers
TagText = Annotated[str, Field(max_length=MAX_TAG_CHARS)]


class AnnotationPatch(BaseModel):
    """Only the fields given change; ``note: null`` clears the note; ``tags`` replaces all tags."""

    note: str | None = Field(default=None, max_length=MAX_NOTE_CHARS)
    read: bool | None = None
    tags: list[TagText] | None = Field(default=None, max_length=MAX_TAGS_PER_PAPER)
    add_tags: list[TagText] = Field(default_factory=list, max_length=MAX_TAGS_PER_PAPER)
    remove_tags: list[TagText] = Field(default_factory=list, max_length=MAX_TAGS_PER_PAPER)


def _state_json(pf: PaperfeedDep, user: CurrentMember, paper_id: str) -> dict[str, Any]:
    state = paper_state(pf, user, paper_id)
    assert state is not None
    note = state.annotation
    return {
        "paper_id": paper_id,
        "collections": sorted(state.member_of),
        "saved": state.marks.saved,
        "note": note.note if note else None,
        "tags": list(note.tags) if note else [],
        "read": bool(note and note.read),
        "feedback": state.marks.feedback,
    }


@router.get("/library/papers", summary="Every paper in your collections, newest first")
def list_library(
    pf: PaperfeedDep,
    user: CurrentMember,
    tag: Annotated[str | None, Query(max_length=100)] = None,
    unread: bool = False,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> dict[str, Any]:
    offset = decode_cursor(cursor)
    items, has_more = collections.library_papers(
        pf, user, tag=tag, unread_only=unread, limit=limit, offset=offset
    )
    return {
        "items": [library_paper_json(i) for i in items],
        "next_cursor": encode_cursor(offset + limit) if has_more else None,
    }


@router.get(
    "/library/papers/{paper_id:path}",
    summary="Your collections, note, tags, read mark and feedback for a paper",
)
def get_library_paper(pf: PaperfeedDep, user: CurrentMember, paper_id: str) -> dict[str, Any]:
    return _state_json(pf, user, stored_paper_id(pf, paper_id))


@router.put("/library/papers/{paper_id:path}", summary='Save a paper to your "Saved" collection')
def save_paper(pf: PaperfeedDep, user: CurrentMember, paper_id: str) -> dict[str, Any]:
    return _state_json(pf, user, collections.save(pf, user, paper_id))


@router.delete("/library/papers/{paper_id:path}", summary="Take a paper out of all your collections")
def remove_paper(pf: PaperfeedDep, user: CurrentMember, paper_id: str) -> dict[str, Any]:
    return _state_json(pf, user, collections.remove_from_library(pf, user, paper_id))


@router.patch("/library/papers/{paper_id:path}", summary="Change a paper's note, tags or read mark")
def annotate_paper(
    pf: PaperfeedDep, user: CurrentMember, paper_id: str, body: AnnotationPatch
) -> dict[str, Any]:
    annotate(
        pf,
        user,
        paper_id,
        note=body.note if "note" in body.model_fields_set else UNSET,
        read=body.read,
        tags=body.tags,
        add_tags=body.add_tags,
        remove_tags=body.remove_tags,
    )
    return _state_json(pf, user, stored_paper_id(pf, paper_id))


# ------------------------------------------------------------------------------ import/export
@router.post("/library/import", summary="Import a BibTeX, CSL JSON or RIS file into a collection")
def import_file(
    request: Request,
    pf: PaperfeedDep,
    user: CurrentMember,
    file: Annotated[UploadFile, File(description="A BibTeX, CSL JSON or RIS file (a Zotero export).")],
    collection: Annotated[str | None, Form(max_length=200)] = None,
    file_format: Annotated[
        str | None,
        Form(
            alias="format",
            pattern="^(|null|bibtex|csl-json|ris)$",
            description="bibtex, csl-json or ris; absent, empty or null: told from the file's name and text.",
        ),
    ] = None,
) -> dict[str, Any]:
    report = importers.import_library(
        pf,
        user,
        file.file.read(MAX_UPLOAD_BYTES + 1),
        filename=file.filename,
        # A form cannot carry JSON's null: clients send the word for a field declared nullable.
        fmt=None if file_format in (None, "", "null") else file_format,
        collection=collection,
        fetch=request.app.state.arxiv_ids_fetcher,
        fetch_limit=WEB_FETCH_LIMIT,
        max_bytes=MAX_UPLOAD_BYTES,
    )
    return report.to_dict()


@router.get(
    "/library/export",
    summary="Your library or one collection as BibTeX, CSL JSON or RIS",
    response_class=Response,
    responses={
        200: {
            "description": "The file, in the format asked for.",
            "content": {t.split(";")[0]: {} for t in MEDIA_TYPES.values()},
        }
    },
)
def export_file(
    pf: PaperfeedDep,
    user: CurrentMember,
    file_format: FormatQuery = "bibtex",
    collection: Annotated[str | None, Query(max_length=100, description="A collection id.")] = None,
) -> Response:
    return download(exporters.export_library(pf, user, collection=collection, fmt=file_format))


# ------------------------------------------------------------------------------------ follows
# A database id: larger numbers are no follow (and would overflow the store's integer column).
FollowId = Annotated[int, Path(ge=1, le=2**31 - 1, description="The follow's id.")]


class FollowIn(BaseModel):
    kind: str = Field(pattern="^(author|category|query)$", examples=["query"])
    value: str = Field(
        min_length=1,
        max_length=MAX_QUERY_CHARS,
        description=f"A query (at most {MAX_QUERY_CHARS} characters), an author's name (at most "
        f"{MAX_AUTHOR_CHARS}) or an arXiv category such as cs.LG.",
        examples=['diffusion -"stable diffusion"'],
    )


class FollowPatch(BaseModel):
    enabled: StrictBool


@router.get("/follows", summary="Your follows")
def list_follows(pf: PaperfeedDep, user: CurrentMember) -> dict[str, Any]:
    return {"items": [follow_json(f) for f in follows_lib.follows_of(pf, user)]}


@router.post("/follows", summary="Follow an author, a category or a search query", status_code=201)
def add_follow(pf: PaperfeedDep, user: CurrentMember, body: FollowIn) -> dict[str, Any]:
    follow, created = follows_lib.add_follow(pf, user, body.kind, body.value)
    return follow_json(follow) | {"created": created}


@router.get("/follows/feed", summary="New papers matching your follows, with the reasons")
def follows_feed_json(
    pf: PaperfeedDep,
    user: CurrentMember,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = DEFAULT_DAYS,
    limit: LimitQuery = 50,
) -> dict[str, Any]:
    feed = follows_feed(pf, user.id, days=days, limit=limit)
    loaded = pf.store.papers.get_many([i.paper_id for i in feed.items])
    return {
        "since": feed.since.isoformat(),
        "until": feed.until.isoformat(),
        "notices": feed.notices,
        "items": [
            paper_json(loaded[i.paper_id])
            | {
                "score": i.score,
                "reasons": [{"follow_id": r.follow_id, "kind": r.kind, "value": r.value} for r in i.reasons],
            }
            for i in feed.items
            if i.paper_id in loaded
        ],
    }


@router.patch("/follows/{follow_id:int}", summary="Switch a follow on or off")
def patch_follow(
    pf: PaperfeedDep, user: CurrentMember, follow_id: FollowId, body: FollowPatch
) -> dict[str, Any]:
    return follow_json(follows_lib.set_follow_enabled(pf, user, follow_id, body.enabled))


@router.delete("/follows/{follow_id:int}", summary="Stop following")
def delete_follow(pf: PaperfeedDep, user: CurrentMember, follow_id: FollowId) -> dict[str, Any]:
    return follow_json(follows_lib.remove_follow(pf, user, follow_id)) | {"deleted": True}


# ----------------------------------------------------------------------------------- feedback
class FeedbackIn(BaseModel):
    kind: str = Field(pattern="^(more|not_interested)$", examples=["not_interested"])


@router.get("/feedback", summary='Your "more like this" and "not interested" papers, newest first')
def list_feedback(
    pf: PaperfeedDep,
    user: CurrentMember,
    kind: Annotated[str | None, Query(pattern="^(more|not_interested)$")] = None,
    limit: LimitQuery = 20,
    cursor: CursorQuery = None,
) -> dict[str, Any]:
    offset = decode_cursor(cursor)
    items, has_more = feedback_lib.feedback_list(pf, user, kind=kind, limit=limit, offset=offset)
    return {
        "items": [paper_json(p) | {"feedback": f.kind, "given_at": _iso(f.created_at)} for p, f in items],
        "next_cursor": encode_cursor(offset + limit) if has_more else None,
    }


@router.put("/feedback/{paper_id:path}", summary='Say "more like this" or "not interested" about a paper')
def give_feedback(pf: PaperfeedDep, user: CurrentMember, paper_id: str, body: FeedbackIn) -> dict[str, Any]:
    result = feedback_lib.give_feedback(pf, user, paper_id, body.kind)
    return {"paper_id": result.paper_id, "feedback": result.kind}


@router.delete("/feedback/{paper_id:path}", summary="Withdraw your feedback on a paper")
def withdraw_feedback(pf: PaperfeedDep, user: CurrentMember, paper_id: str) -> dict[str, Any]:
    result = feedback_lib.withdraw_feedback(pf, user, paper_id)
    return {"paper_id": result.paper_id, "feedback": result.kind}
