"""The library's pages: /library, collections (public pages, feeds, exports), import, /follows,
and the save / "more like this" / "not interested" buttons of every listing.

Each route parses its input, calls one use case of :mod:`paperfeed.library` (the JSON API in
:mod:`paperfeed.web.library_api` calls the same ones) and renders. Every post carries the CSRF
token; HTMX posts get the updated fragment back, plain form posts are sent back to their page.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import File, Form, Path, Query, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperfeed.community import actions
from paperfeed.errors import PaperfeedError
from paperfeed.formats import feeds
from paperfeed.library import collections, exporters, importers
from paperfeed.library import feedback as feedback_lib
from paperfeed.library import follows as follows_lib
from paperfeed.library.annotations import annotate, parse_tags, tags_of
from paperfeed.library.follows_feed import DEFAULT_DAYS, MAX_DAYS, follows_page
from paperfeed.library.marks import marks_for, marks_of
from paperfeed.papers import get_paper
from paperfeed.search.finder import similar_papers
from paperfeed.web.badges import paper_badges
from paperfeed.web.common import PER_PAGE, PageQuery, pager_urls
from paperfeed.web.deps import CsrfChecked, PaperfeedDep, UserDep, render, sign_in_redirect
from paperfeed.web.errors import STATUS_OF
from paperfeed.web.routers import make_router
from paperfeed.web.security import referer_path, safe_next

router = make_router(include_in_schema=False)

MAX_UPLOAD_BYTES = 5 * 1024 * 1024
WEB_FETCH_LIMIT = 100
"""Papers fetched from arXiv per import in a web request (one API call); the CLI has no limit."""
FEED_SIZE = 50
PaperIdForm = Annotated[str, Form(max_length=300)]
UndoForm = Annotated[str, Form(pattern="^[01]$")]
TagQuery = Annotated[str | None, Query(max_length=100)]
RefPath = Annotated[str, Path(max_length=100)]


def _is_htmx(request: Request) -> bool:
    return bool(request.headers.get("hx-request"))


def _actions(
    request: Request, pf: PaperfeedDep, user: UserDep, paper_id: str, similar: bool = False
) -> Response:
    """The updated buttons of one paper (HTMX), or back to the page (plain post)."""
    if not _is_htmx(request):
        return RedirectResponse(referer_path(request, f"/papers/{paper_id}"), status_code=303)
    near = similar_papers(pf, get_paper(pf, paper_id), limit=3) if similar else []
    context = {"paper_id": paper_id, "mark": marks_of(pf, user, paper_id), "similar": near}
    return render(request, "partials/paper_actions.html", context)


# ----------------------------------------------------------------------------- listing buttons
@router.post("/library/save", response_class=HTMLResponse)
def save_form(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    paper_id: PaperIdForm,
    undo: UndoForm = "0",
    _csrf: CsrfChecked = None,
) -> Response:
    """Save to (or, with ``undo``, take out of) the member's "Saved" collection."""
    change = collections.unsave if undo == "1" else collections.save
    return _actions(request, pf, user, change(pf, user, paper_id))


@router.post("/library/feedback", response_class=HTMLResponse)
def feedback_form(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    paper_id: PaperIdForm,
    kind: Annotated[str, Form(pattern="^(more|not_interested)$")],
    undo: UndoForm = "0",
    _csrf: CsrfChecked = None,
) -> Response:
    """ "More like this" (answered with three similar papers) or "not interested"; ``undo`` withdraws."""
    if undo == "1":
        result = feedback_lib.withdraw_feedback(pf, user, paper_id)
    else:
        result = feedback_lib.give_feedback(pf, user, paper_id, kind)
    return _actions(request, pf, user, result.paper_id, similar=result.kind == "more")


# ------------------------------------------------------------------------------------ library
@router.get("/library", response_class=HTMLResponse)
def library_page(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    tag: TagQuery = None,
    unread: Annotated[str | None, Query(pattern="^[01]?$")] = None,
    page: PageQuery = 1,
) -> Response:
    if user is None:
        return sign_in_redirect(request)
    papers, has_more = collections.library_papers(
        pf, user, tag=tag or None, unread_only=unread == "1", limit=PER_PAGE, offset=(page - 1) * PER_PAGE
    )
    ids = [item.paper.paper_id for item in papers]
    prev_url, next_url = pager_urls(request, page, has_more)
    context = {
        "nav": "library",
        "collections": collections.my_collections(pf, user),
        "tags": tags_of(pf, user),
        "items": papers,
        "tag": tag,
        "unread": unread == "1",
        "marks": marks_for(pf, user, ids),
        "votes": pf.store.votes.counts(ids),
        "prev_url": prev_url,
        "next_url": next_url,
    }
    return render(request, "library.html", context)


@router.post("/library/collections")
def create_collection_form(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    name: Annotated[str, Form(max_length=200)],
    visibility: Annotated[str, Form(pattern="^(private|public)$")] = "private",
    description: Annotated[str | None, Form(max_length=2000)] = None,
    _csrf: CsrfChecked = None,
) -> Response:
    created = collections.create_collection(pf, user, name, visibility=visibility, description=description)
    return RedirectResponse(f"/library/{created.ref}", status_code=303)


@router.post("/library/annotate")
def annotate_form(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    paper_id: PaperIdForm,
    note: Annotated[str | None, Form(max_length=25_000)] = None,
    tags: Annotated[str | None, Form(max_length=5000)] = None,
    read: Annotated[str | None, Form(pattern="^[01]?$")] = None,
    next: Annotated[str | None, Form(max_length=500)] = None,
    _csrf: CsrfChecked = None,
) -> Response:
    """The note, tags and read mark of one paper (the form sends all three)."""
    annotate(pf, user, paper_id, note=note, tags=parse_tags(tags or ""), read=read == "1")
    return RedirectResponse(safe_next(next or referer_path(request, "/library")), status_code=303)


@router.post("/library/memberships")
def memberships_form(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    paper_id: PaperIdForm,
    collection: Annotated[list[str] | None, Form()] = None,
    _csrf: CsrfChecked = None,
) -> Response:
    """The paper page's chooser: the paper ends up in exactly the ticked collections."""
    found = collections.set_memberships(pf, user, paper_id, list(collection or []))
    return RedirectResponse(f"/papers/{found}#library", status_code=303)


@router.get("/library/import", response_class=HTMLResponse)
def import_form(request: Request, user: UserDep) -> Response:
    if user is None:
        return sign_in_redirect(request)
    return render(request, "library_import.html", {"nav": "library", "formats": importers.FORMATS})


@router.post("/library/import", response_class=HTMLResponse)
def import_post(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    file: Annotated[UploadFile, File(description="A BibTeX, CSL JSON or RIS file.")],
    collection: Annotated[str | None, Form(max_length=200)] = None,
    file_format: Annotated[str | None, Form(alias="format", pattern="^(|bibtex|csl-json|ris)$")] = None,
    _csrf: CsrfChecked = None,
) -> Response:
    context: dict[str, object] = {"nav": "library", "formats": importers.FORMATS}
    data = file.file.read(MAX_UPLOAD_BYTES + 1)
    try:
        report = importers.import_library(
            pf,
            user,
            data,
            filename=file.filename,
            fmt=file_format or None,
            collection=collection,
            fetch=request.app.state.arxiv_ids_fetcher,
            fetch_limit=WEB_FETCH_LIMIT,
            max_bytes=MAX_UPLOAD_BYTES,
        )
    except PaperfeedError as exc:  # shown on the form, with the status the error's kind has
        status = next((code for kind, code in STATUS_OF if isinstance(exc, kind)), 400)
        return render(request, "library_import.html", context | {"message": str(exc)}, status_code=status)
    return render(request, "library_import.html", context | {"report": report})


@router.get("/library/export")
def export_download(
    pf: PaperfeedDep,
    user: UserDep,
    file_format: Annotated[str, Query(alias="format", pattern="^(bibtex|csl-json|ris)$")] = "bibtex",
) -> Response:
    """The member's whole library as a file, with their tags and notes."""
    return download(exporters.export_library(pf, user, fmt=file_format))


def download(exported: exporters.Export) -> Response:
    """An export as a file download (the pages' and the API's)."""
    return Response(
        exported.text,
        media_type=exported.media_type,
        headers={"Content-Disposition": f'attachment; filename="{exported.filename}"'},
    )


# -------------------------------------------------------------------------------- collections
@router.get("/library/{ref}.{fmt}")
def collection_file(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    ref: RefPath,
    fmt: Annotated[str, Path(pattern="^(xml|atom|bib|json|ris)$")],
) -> Response:
    """A collection's RSS (``.xml``) or Atom feed, or its BibTeX / CSL JSON / RIS export."""
    if fmt in ("bib", "json", "ris"):
        name = {"bib": "bibtex", "json": "csl-json", "ris": "ris"}[fmt]
        exported = exporters.export_collection(pf, user, ref, fmt=name)
        return Response(exported.text, media_type=exported.media_type)
    page = collections.collection_page(pf, user, ref, limit=FEED_SIZE)
    found = page.collection
    base = pf.settings.base_url.rstrip("/")
    title = f"paperfeed collection: {found.name}"
    link = f"{base}/library/{found.ref}"
    entries = [(item.paper, item.added_at) for item in page.papers]  # dated when added to the collection
    if fmt == "xml":
        body = feeds.rss(
            title, link, found.description or title, entries, base + "/papers/{id}", built=pf.clock.now()
        )
        return Response(body, media_type="application/rss+xml; charset=utf-8")
    body = feeds.atom(
        title, link, base + request.url.path, entries, base + "/papers/{id}", built=pf.clock.now()
    )
    return Response(body, media_type="application/atom+xml; charset=utf-8")


@router.get("/library/{ref}", response_class=HTMLResponse)
def collection_view(
    request: Request, pf: PaperfeedDep, user: UserDep, ref: RefPath, tag: TagQuery = None, page: PageQuery = 1
) -> Response:
    """A collection: its owner manages it here; anyone may read it when it is public."""
    result = collections.collection_page(pf, user, ref, tag=tag, limit=PER_PAGE, offset=(page - 1) * PER_PAGE)
    if ref != result.collection.ref:
        query = f"?{request.url.query}" if request.url.query else ""
        return RedirectResponse(f"/library/{result.collection.ref}{query}", status_code=301)
    ids = [item.paper.paper_id for item in result.papers]
    prev_url, next_url = pager_urls(request, page, result.has_more)
    context = {
        "nav": "library",
        "page": result,
        "collection": result.collection,
        "items": result.papers,
        "tag": tag,
        "marks": marks_for(pf, user, ids),
        "badges": paper_badges(pf, ids),
        "votes": pf.store.votes.counts(ids),
        "prev_url": prev_url,
        "next_url": next_url,
    }
    return render(request, "collection.html", context)


@router.post("/library/{ref}/edit")
def edit_collection_form(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    ref: RefPath,
    name: Annotated[str | None, Form(max_length=200)] = None,
    visibility: Annotated[str | None, Form(pattern="^(private|public)$")] = None,
    description: Annotated[str | None, Form(max_length=2000)] = None,
    _csrf: CsrfChecked = None,
) -> Response:
    changed = collections.update_collection(
        pf, user, ref, name=name, visibility=visibility, description=description
    )
    return RedirectResponse(f"/library/{changed.ref}", status_code=303)


@router.post("/library/{ref}/delete")
def delete_collection_form(
    request: Request, pf: PaperfeedDep, user: UserDep, ref: RefPath, _csrf: CsrfChecked = None
) -> Response:
    collections.delete_collection(pf, user, ref)
    return RedirectResponse("/library", status_code=303)


@router.post("/library/{ref}/remove")
def remove_entry_form(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    ref: RefPath,
    paper_id: PaperIdForm,
    _csrf: CsrfChecked = None,
) -> Response:
    found = collections.owned_collection(pf, user, ref)
    collections.unsave(pf, user, paper_id, collection=found.id)
    return RedirectResponse(f"/library/{found.ref}", status_code=303)


# ------------------------------------------------------------------------------------ follows
@router.get("/follows", response_class=HTMLResponse)
def follows_view(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    days: Annotated[int, Query(ge=1, le=MAX_DAYS)] = DEFAULT_DAYS,
) -> Response:
    """The member's follows (with switches) and the new papers they bring, with the reasons."""
    if user is None:
        return sign_in_redirect(request)
    result = follows_page(pf, user, days=days, limit=FEED_SIZE)
    listed = actions.with_votes(pf, result.papers, user)
    context = {
        "nav": "follows",
        "page": result,
        "listed": listed,
        "days": days,
        "marks": marks_for(pf, user, [p.paper_id for p in result.papers]),
        "badges": paper_badges(pf, [p.paper_id for p in result.papers]),
    }
    return render(request, "follows.html", context)


@router.post("/follows")
def add_follow_form(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    kind: Annotated[str, Form(pattern="^(author|category|query)$")],
    value: Annotated[str, Form(max_length=500)],
    next: Annotated[str | None, Form(max_length=500)] = None,
    _csrf: CsrfChecked = None,
) -> Response:
    follows_lib.add_follow(pf, user, kind, value)
    return RedirectResponse(safe_next(next or "/follows"), status_code=303)


@router.post("/follows/{follow_id}/toggle")
def toggle_follow_form(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    follow_id: int,
    enabled: Annotated[str, Form(pattern="^[01]$")],
    _csrf: CsrfChecked = None,
) -> Response:
    follows_lib.set_follow_enabled(pf, user, follow_id, enabled == "1")
    return RedirectResponse("/follows", status_code=303)


@router.post("/follows/{follow_id}/delete")
def delete_follow_form(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    follow_id: int,
    next: Annotated[str | None, Form(max_length=500)] = None,
    _csrf: CsrfChecked = None,
) -> Response:
    """Unfollow, from /follows or from the author's or category's own page (``next``)."""
    follows_lib.remove_follow(pf, user, follow_id)
    return RedirectResponse(safe_next(next or "/follows"), status_code=303)
