"""Small helpers shared by the page, feed and API routes: parameter types, day parsing, page URLs.

Optional filters arrive from forms as empty strings (``?category=&since=``): those mean "no
filter", never a malformed value and never a 500. Constraints (the category pattern, a date's
shape) are declared in the OpenAPI schema and checked before the blank-to-``None`` step, because a
pydantic constraint applied to ``None`` is a crash, not a validation error.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import Path, Query, Request
from pydantic import AfterValidator, BeforeValidator

from paperfeed.search.query import MAX_QUERY_CHARS

CATEGORY_PATTERN = r"^[A-Za-z][A-Za-z\-]*(\.[A-Za-z\-]+)?$"
# The same, allowing the surrounding blanks a form sends (a blank value means "any category").
CATEGORY_OR_BLANK_PATTERN = r"^\s*(?:[A-Za-z][A-Za-z\-]*(?:\.[A-Za-z\-]+)?)?\s*$"
CATEGORY_MAX = 32
PER_PAGE = 25
SEARCH_PARAM_MAX = 100_000
"""A search parameter longer than this is refused; up to it, the query is cut to what search reads."""
_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def strip_to_none(value: str | None) -> str | None:
    if value is None:
        return None
    return value.strip() or None


def blank_to_none(value: object) -> object:
    """Empty form fields (``?since=``) mean "no filter", not a malformed value."""
    return None if isinstance(value, str) and not value.strip() else value


def _iso_date(value: object) -> object:
    """Only ``YYYY-MM-DD``: pydantic would otherwise read ``0`` or ``1700000000`` as a timestamp."""
    if isinstance(value, str) and not _ISO_DATE.fullmatch(value.strip()):
        raise ValueError("must be a date like 2026-02-20")
    return value.strip() if isinstance(value, str) else value


CategoryQuery = Annotated[
    str | None,
    Query(
        pattern=CATEGORY_OR_BLANK_PATTERN,
        max_length=CATEGORY_MAX,
        description="arXiv category (cs.LG) or a whole archive (cs); blank means any.",
        examples=["cs.LG"],
    ),
    AfterValidator(strip_to_none),
]
AuthorQuery = Annotated[
    str | None,
    Query(max_length=300, description="Part or all of an author's name, matched as search's author: does."),
    AfterValidator(strip_to_none),
]
PageQuery = Annotated[int, Query(ge=1, le=2000, description="1-based page number.")]
WindowQuery = Annotated[str, Query(pattern="^(day|week|month)$", description="day, week or month.")]
SearchQuery = Annotated[
    str,
    Query(
        max_length=SEARCH_PARAM_MAX,
        description=f"Search terms; only the first {MAX_QUERY_CHARS:,} characters are read.",
    ),
]
# What the schema says of an optional date: a date, or blank (an empty form field).
_DATE_OR_BLANK = {"anyOf": [{"type": "string", "format": "date"}, {"type": "string", "pattern": r"^\s*$"}]}
DateQuery = Annotated[
    date | None,
    BeforeValidator(_iso_date),
    BeforeValidator(blank_to_none),
    Query(description="A date like 2026-02-20; blank means no limit.", json_schema_extra=_DATE_OR_BLANK),
]
DayPath = Annotated[date, BeforeValidator(_iso_date), Path(description="A day like 2026-02-20.")]


def page_url(request: Request, page: int) -> str:
    """The current URL with ``page`` replaced (page 1 drops the parameter)."""
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "page"]
    if page > 1:
        params.append(("page", str(page)))
    query = urlencode(params)
    return request.url.path + (f"?{query}" if query else "")


def pager_urls(request: Request, page: int, has_more: bool) -> tuple[str | None, str | None]:
    return (
        page_url(request, page - 1) if page > 1 else None,
        page_url(request, page + 1) if has_more else None,
    )


def current_page_path(request: Request) -> str:
    """The path and query of the page the reader is on, for a sign-in link's ``next=``.

    An HTMX fragment (similar papers, a vote button) is requested from its own URL; the page that
    shows it is in the ``HX-Current-URL`` header, and only its path is kept (never another host).
    """
    current = request.headers.get("hx-current-url") if request.headers.get("hx-request") else None
    if current:
        parts = urlsplit(current)
        return (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    query = request.url.query
    return request.url.path + (f"?{query}" if query else "")
