"""One error format: JSON ``{"error": {...}}`` under ``/api``, an HTML page everywhere else.

Validation errors are turned into sentences naming the parameter ("page: must be ≥ 1"), because a
person reading a 422 should know what to change. Unexpected exceptions are logged and answered
with a 500 in the same shape, without internals.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from paperfeed.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    PaperfeedError,
    RateLimited,
    SignInRequired,
    Unavailable,
    UpstreamUnavailable,
)
from paperfeed.web.deps import render
from paperfeed.web.hf_api import speaks_hf
from paperfeed.web.json_response import TextSafeJSONResponse as JSONResponse

log = logging.getLogger(__name__)

CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    422: "invalid_request",
    429: "rate_limited",
    500: "internal_error",
    502: "upstream_error",
    503: "unavailable",
}
# Library errors by kind, most specific first: the one place they become HTTP statuses.
STATUS_OF: list[tuple[type[PaperfeedError], int]] = [
    (UpstreamUnavailable, 502),
    (Unavailable, 503),
    (RateLimited, 429),
    (SignInRequired, 401),
    (Forbidden, 403),
    (NotFound, 404),
    (InvalidInput, 422),
]
HEADINGS = {
    404: "Not found",
    401: "Sign in needed",
    403: "Not allowed",
    422: "That request has a problem",
    429: "Slow down",
    405: "Not allowed",
}


def _wants_json(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


# What a value of these parameters looks like, instead of pydantic's regular expression.
PATTERN_HINTS = {
    "category": "not an arXiv category (examples: cs.LG, or cs for the whole archive)",
    "window": "must be day, week or month",
    "fmt": "must be xml (RSS) or atom",
    "tab": "must be featured or new",
    "action": "must be feature, unfeature, hide or unhide",
    "undo": "must be 0 or 1",
}


def _describe(error: Any) -> tuple[str, str]:
    """(where, what) of one validation error, in words."""
    raw_loc = tuple(error.get("loc", ()))
    kind = error.get("type", "")
    if kind == "json_invalid":
        ctx = error.get("ctx") or {}
        at = raw_loc[1] if len(raw_loc) > 1 else None
        reason = str(ctx.get("error", "not JSON"))
        return "body", f"not valid JSON ({reason}{f' at character {at}' if at is not None else ''})"
    loc = [str(part) for part in raw_loc if part not in ("query", "path", "body")]
    where = ".".join(loc) or ("body" if raw_loc[:1] == ("body",) else "request")
    if kind == "missing" and raw_loc == ("body",):
        return where, "a JSON object is required"
    if kind == "model_attributes_type" or (kind == "dict_type" and raw_loc == ("body",)):
        return where, "must be a JSON object"
    if kind == "string_pattern_mismatch" and loc and loc[-1] in PATTERN_HINTS:
        return where, PATTERN_HINTS[loc[-1]]
    return where, str(error.get("msg", "invalid value")).removeprefix("Value error, ")


def validation_details(exc: RequestValidationError) -> list[str]:
    details = []
    for error in exc.errors():
        where, message = _describe(error)
        value = error.get("input")
        shown = f" (got {value!r})" if isinstance(value, str | int | float) and len(repr(value)) < 60 else ""
        details.append(f"{where}: {message}{shown}")
    return details


def error_response(request: Request, status: int, message: str, details: list[str] | None = None) -> Response:
    if speaks_hf(request.url.path):
        # The Hugging Face Papers API's shape, which huggingface_hub puts into the error it raises;
        # bad parameters are a 400 there (the client raises its BadRequestError).
        return JSONResponse({"error": message}, status_code=400 if status == 422 else status)
    if _wants_json(request):
        body: dict[str, Any] = {
            "error": {
                "status": status,
                "code": CODES.get(status, "error"),
                "message": message,
                "details": details or [],
            }
        }
        return JSONResponse(body, status_code=status)
    heading = HEADINGS.get(status, "Something went wrong")
    return render(
        request,
        "error.html",
        {"status": status, "heading": heading, "message": message, "details": details or []},
        status_code=status,
    )


def install(app: FastAPI) -> None:
    @app.exception_handler(StarletteHTTPException)
    async def http_error(request: Request, exc: StarletteHTTPException) -> Response:
        message = exc.detail if isinstance(exc.detail, str) else "request failed"
        if exc.status_code == 404 and message == "Not Found":
            message = f"there is no page at {request.url.path}"
        if exc.status_code == 400 and message == "There was an error parsing the body":
            message = (
                "the body could not be read: send a UTF-8 JSON object with Content-Type: application/json"
            )
        allow = request.app.state.methods.allowed(request.url.path) if exc.status_code == 405 else []
        if allow:
            message = f"{request.method} is not supported at {request.url.path}; it takes {', '.join(allow)}"
        response = error_response(request, exc.status_code, message)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
        if allow:  # every route of the path, not only the first one (web/methods.py)
            response.headers["Allow"] = ", ".join(allow)
        return response

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, exc: RequestValidationError) -> Response:
        details = validation_details(exc)
        return error_response(request, 422, "invalid parameters: " + "; ".join(details), details)

    @app.exception_handler(PaperfeedError)
    async def library_error(request: Request, exc: PaperfeedError) -> Response:
        status = next((code for kind, code in STATUS_OF if isinstance(exc, kind)), 400)
        response = error_response(request, status, str(exc))
        if isinstance(exc, RateLimited) and exc.retry_after:
            response.headers["Retry-After"] = str(exc.retry_after)
        return response

    @app.exception_handler(Exception)
    async def crashed(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s", request.url.path)
        return error_response(request, 500, "internal error; it has been logged")
