"""Small helpers shared by the page, feed and API routes: parameter types, day parsing, page URLs."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Query, Request
from pydantic import BeforeValidator

CATEGORY_PATTERN = r"^[A-Za-z][A-Za-z\-]*(\.[A-Za-z\-]+)?$"
PER_PAGE = 25


def blank_to_none(value: object) -> object:
    """Empty form fields (``?since=&category=``) mean "no filter", not a malformed value."""
    return None if isinstance(value, str) and not value.strip() else value


CategoryQuery = Annotated[
    str | None,
    BeforeValidator(blank_to_none),
    Query(pattern=CATEGORY_PATTERN, max_length=32, description="arXiv category, e.g. cs.LG."),
]
PageQuery = Annotated[int, Query(ge=1, le=2000, description="1-based page number.")]
WindowQuery = Annotated[str, Query(pattern="^(day|week|month)$", description="day, week or month.")]
SearchQuery = Annotated[str, Query(max_length=500, description="Search terms.")]
DateQuery = Annotated[
    date | None, BeforeValidator(blank_to_none), Query(description="A date like 2026-02-20.")
]


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
