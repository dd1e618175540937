"""The Hugging Face Papers API, spoken by paperfeed, so ``huggingface_hub`` and the tools built on it
work unchanged with ``HfApi(endpoint="http://your-paperfeed")``.

``huggingface_hub``'s own client is the specification: ``list_daily_papers`` reads
``GET /api/daily_papers``, ``list_papers`` ``GET /api/papers/search``, ``paper_info``
``GET /api/papers/{id}`` and ``read_paper`` ``GET /papers/{id}.md``; it builds ``PaperInfo`` from a
daily entry (``{"paper": {...}, "publishedAt", "title", "summary", "submittedBy", …}``) or from a
paper object, and raises on errors with the server's ``{"error": "message"}``. This module only
shapes answers; what a period's list holds and how it is ranked is
:mod:`paperfeed.community.period_lists`; comments come from :mod:`paperfeed.discussion`, links,
stars, keywords and summaries from :mod:`paperfeed.enrich` (:func:`paper_extras`). Fields
paperfeed has no source for (thumbnails, media, avatars, organisations, linked models) are left
out, never invented: docs/web.md lists them.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Path as FastApiPath
from fastapi import Query
from fastapi.responses import Response
from pydantic import AfterValidator, BaseModel

from paperfeed.community import period_lists
from paperfeed.community.paper_status import PaperStatus, paper_status, search_statuses
from paperfeed.context import Paperfeed
from paperfeed.discussion.comments import Comment, comment_counts, discussion_of
from paperfeed.discussion.markup import plain_text
from paperfeed.enrich.view import enrichment_of, github_url, project_page
from paperfeed.formats.markdown import escape as escape_markdown
from paperfeed.formats.markdown import paper_markdown
from paperfeed.periods import parse_period
from paperfeed.records import PaperRecord
from paperfeed.store import FeaturedEntry
from paperfeed.web.common import strip_to_none
from paperfeed.web.deps import PaperfeedDep
from paperfeed.web.routers import make_router


class HfError(BaseModel):
    """The Hugging Face Papers API's error shape (huggingface_hub puts ``error`` into what it raises)."""

    error: str


# Bad parameters are a 400 there, an unknown paper a 404: declared as 4XX (no 422 is ever sent).
router = make_router(
    tags=["Hugging Face Papers API"],
    responses={"4XX": {"model": HfError, "description": "A bad parameter (400) or an unknown paper (404)."}},
)

_GITHUB_REPO = re.compile(
    r"^https?://(?:www\.)?github\.com/([A-Za-z0-9_.-]+)/([A-Za-z0-9_.-]+)", re.IGNORECASE
)

# Blank means "not given"; the length check runs before that (a constraint applied to None is a 500).
OptionalText = Annotated[str | None, Query(max_length=64), AfterValidator(strip_to_none)]
LimitQuery = Annotated[int, Query(ge=1, le=100, description="Entries per page (at most 100).")]


def speaks_hf(path: str) -> bool:
    """Whether ``path`` is one of this module's routes, whose errors take Hugging Face's shape."""
    return (
        path == "/api/daily_papers"
        or path.startswith("/api/papers/")
        or (path.startswith("/papers/") and path.endswith(".md"))
    )


def hf_time(value: datetime) -> str:
    """``2026-02-20T18:18:48.000Z``: the one spelling ``huggingface_hub``'s date parser accepts."""
    moment = value.astimezone(UTC) if value.tzinfo else value
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def github_repo(paper: PaperRecord) -> str | None:
    """The first GitHub repository among the paper's code links, as ``https://github.com/owner/repo``."""
    for url in paper.code_links:
        match = _GITHUB_REPO.match(url)
        if match:
            name = match[2].removesuffix(".git")
            if name and name not in (".", ".."):
                return f"https://github.com/{match[1]}/{name}"
    return None


def submitter_json(handle: str) -> dict[str, str]:
    """A member as Hugging Face's user overview: the handle is their only public name."""
    return {"name": handle, "user": handle, "fullname": handle, "type": "user"}


def paper_object(status: PaperStatus, extras: Mapping[str, Any] | None = None) -> dict[str, Any]:
    """A paper in Hugging Face's shape: the ``paper`` of a daily entry, and ``GET /api/papers/{id}``;
    ``extras`` are the fields :func:`paper_extras` found for it (comments, links, stars, …)."""
    paper = status.paper
    body: dict[str, Any] = {
        "id": paper.paper_id,
        "authors": [{"name": name} for name in paper.authors],
        "title": paper.title,
        "summary": paper.abstract,
        "upvotes": status.upvotes,
    }
    if paper.published:
        body["publishedAt"] = hf_time(paper.published)
    if repo := github_repo(paper):
        body["githubRepo"] = repo
    if status.featured is not None:
        body["submittedOnDailyAt"] = hf_time(period_lists.featured_listed_at(status.featured))
        if status.submitter:
            body["submittedOnDailyBy"] = submitter_json(status.submitter)
    body.update(extras or {})
    return body


def daily_entry(
    status: PaperStatus, listed_at: datetime | None, extras: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """One entry of ``/api/daily_papers`` (and of search results): the paper object plus the
    entry's own fields. ``upvotes``, ``githubRepo`` and the ``extras`` (``numComments``,
    ``githubStars``, ``ai_summary``, …) are repeated at the top level because that is where the
    client reads them for entries (and ``upvotes: 0`` inside ``paper`` alone would reach it as
    ``None``)."""
    entry: dict[str, Any] = {
        "paper": paper_object(status, extras),
        "title": status.paper.title,
        "summary": status.paper.abstract,
        "upvotes": status.upvotes,
    }
    if listed_at is not None:
        # The client reads a top-level publishedAt as the paper's own date when the paper has none
        # (a paper known only by title): name the listing time unambiguously for those.
        entry["publishedAt" if status.paper.published else "submittedOnDailyAt"] = hf_time(listed_at)
        # Every entry says when it joined the list, curated or not (clients read paper.submittedOnDailyAt).
        entry["paper"]["submittedOnDailyAt"] = hf_time(listed_at)
    if repo := github_repo(status.paper):
        entry["githubRepo"] = repo
    if status.submitter:
        entry["submittedBy"] = submitter_json(status.submitter)
    entry.update(extras or {})
    return entry


def paper_extras(pf: Paperfeed, ids: Sequence[str]) -> dict[str, dict[str, Any]]:
    """The fields beyond the record and the votes, for each of ``ids``, in one query per source
    (each absent when paperfeed has nothing for it; the client then reads None, or 0 comments):
    ``numComments`` (visible comments); from the enrichment, ``githubRepo`` (the repository the
    paper's own links name, under its current name), ``githubStars`` (GitHub's count when last
    asked), ``projectPage``, ``ai_keywords`` (ranked by TF-IDF, computed locally) and
    ``ai_summary`` (only when an operator configured a language model and it wrote one)."""
    counts = comment_counts(pf, ids)
    enriched = enrichment_of(pf, ids)
    found: dict[str, dict[str, Any]] = {paper_id: {} for paper_id in ids}
    for paper_id, count in counts.items():
        found.setdefault(paper_id, {})["numComments"] = count
    for paper_id, info in enriched.items():
        extra = found.setdefault(paper_id, {})
        if repo := github_url(info):
            extra["githubRepo"] = repo
            if info.stars is not None:
                extra["githubStars"] = info.stars
        if page := project_page(info):
            extra["projectPage"] = page
        if info.keywords:
            extra["ai_keywords"] = list(info.keywords)
        if info.summary:
            extra["ai_summary"] = info.summary
    return found


def _featured_time(entry: FeaturedEntry | None) -> datetime | None:
    return period_lists.featured_listed_at(entry) if entry is not None else None


@router.get("/api/daily_papers", summary="Hugging Face Papers API: a day's, week's or month's papers")
def daily_papers(
    pf: PaperfeedDep,
    date: OptionalText = None,
    week: OptionalText = None,
    month: OptionalText = None,
    submitter: OptionalText = None,
    sort: OptionalText = None,
    p: Annotated[int, Query(ge=0, le=100_000, description="Page, from 0.")] = 0,
    limit: LimitQuery = 50,
) -> list[dict[str, Any]]:
    """The featured and new papers of one ``date`` (YYYY-MM-DD), ``week`` (YYYY-Www) or ``month``
    (YYYY-MM), the latest day when none is given; ``sort`` publishedAt (newest first) or trending."""
    period = parse_period(day=date, week=week, month=month) or period_lists.latest_period(
        pf.store, pf.settings.categories, "day", today=pf.clock.now().date()
    )
    result = period_lists.period_list(
        pf.store,
        pf.settings.categories,
        period,
        sort=sort or "publishedAt",
        submitter=submitter,
        limit=limit,
        offset=p * limit,
        now=pf.clock.now(),
    )
    extras = paper_extras(pf, [e.paper.paper_id for e in result.entries])
    return [
        daily_entry(
            PaperStatus(e.paper, e.upvotes, e.featured, e.submitter), e.listed_at, extras[e.paper.paper_id]
        )
        for e in result.entries
    ]


@router.get("/api/papers/search", summary="Hugging Face Papers API: search papers")
def search_papers(
    pf: PaperfeedDep,
    q: Annotated[str | None, Query(max_length=500, description="Search terms.")] = None,
    limit: LimitQuery = 50,
) -> list[dict[str, Any]]:
    """paperfeed's search (hybrid where papers are embedded); without ``q`` the newest papers."""
    found = search_statuses(pf, q, limit=limit)
    extras = paper_extras(pf, [s.paper.paper_id for s in found])
    return [daily_entry(s, _featured_time(s.featured), extras[s.paper.paper_id]) for s in found]


@router.get(
    "/api/papers/{paper_id:path}/comments",
    summary="Hugging Face Papers API: a paper's discussion (comments and replies)",
)
def paper_comments(pf: PaperfeedDep, paper_id: str) -> dict[str, Any]:
    """The discussion as Hugging Face's discussion events (``huggingface_hub``'s
    ``DiscussionComment``: ``id``, ``type``, ``createdAt``, ``author``, ``data.latest.raw``,
    ``data.edited``, ``data.hidden``), each thread's first comment followed by its replies (which
    name it in ``data.parentId``); only what everyone sees."""
    paper = paper_status(pf, paper_id).paper
    found = discussion_of(pf, paper, None)
    events = [
        hf_comment(comment, parent)
        for thread in found.threads
        for comment, parent in [(thread, None), *[(reply, thread.id) for reply in thread.replies]]
    ]
    return {"id": paper.paper_id, "numComments": found.count, "events": events}


def hf_comment(comment: Comment, parent: int | None) -> dict[str, Any]:
    row = comment.row
    deleted = row.deleted_at is not None
    event: dict[str, Any] = {
        "id": str(row.id),
        "type": "comment",
        "createdAt": hf_time(row.created_at),
        "data": {
            "edited": row.edits > 0 and not deleted,
            "hidden": row.hidden,
            "deleted": deleted,
            "numEdits": row.edits,
            "latest": {
                "raw": "" if deleted else row.body,
                "html": str(comment.html),
                "updatedAt": hf_time(row.edited_at or row.created_at),
            },
        },
    }
    if row.author:
        event["author"] = submitter_json(row.author)
    if parent is not None:
        event["data"]["parentId"] = str(parent)
    return event


NOT_SEARCH = r"^(?!search$).+$"
"""``/api/papers/search`` is the search route (declared first); the schema says a paper id is never
the word ``search`` alone, so generated clients and fuzzers do not expect a paper there. (In the
schema only: the validator's regex engine has no look-ahead, and the route order already decides.)"""


@router.get("/api/papers/{paper_id:path}", summary="Hugging Face Papers API: one paper")
def paper_info(
    pf: PaperfeedDep, paper_id: Annotated[str, FastApiPath(json_schema_extra={"pattern": NOT_SEARCH})]
) -> dict[str, Any]:
    status = paper_status(pf, paper_id)
    return paper_object(status, paper_extras(pf, [status.paper.paper_id])[status.paper.paper_id])


@router.get(
    "/papers/{paper_id:path}.md",
    summary="Hugging Face Papers API: one paper as Markdown",
    response_class=Response,
    responses={
        200: {
            "description": "The paper as Markdown.",
            "content": {"text/markdown": {"schema": {"type": "string"}}},
        }
    },
)
def paper_as_markdown(pf: PaperfeedDep, paper_id: str) -> Response:
    status = paper_status(pf, paper_id)
    found = discussion_of(pf, status.paper, None)
    text = paper_markdown(
        status.paper,
        upvotes=status.upvotes,
        page_url=f"{pf.settings.base_url.rstrip('/')}/papers/{status.paper.paper_id}",
        featured_on=status.featured.day if status.featured else None,
        submitter=status.submitter,
    ) + comments_markdown(found.threads)
    return Response(text, media_type="text/markdown; charset=utf-8")


def comments_markdown(threads: Sequence[Comment]) -> str:
    """The discussion after the paper: each comment escaped like paper text (a comment's own
    Markdown is shown as the characters typed, so it cannot make links or markup here)."""
    if not threads:
        return ""
    lines = ["", "## Discussion", ""]
    for thread in threads:
        for comment, depth in [(thread, 0), *[(reply, 1) for reply in thread.replies]]:
            row = comment.row
            who = escape_markdown(row.author) if row.author else "a member"
            when = row.created_at.strftime("%Y-%m-%d %H:%M UTC") + (", edited" if comment.edited else "")
            text = "(deleted)" if comment.deleted else escape_markdown(plain_text(row.body))
            lines.append(f"{'  ' * depth}- **{who}** ({when}): {text}")
    return "\n".join(lines) + "\n"
