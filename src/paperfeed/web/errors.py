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
from fastapi.responses import JSONResponse, Response
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


def validation_details(exc: RequestValidationError) -> list[str]:
    details = []
    for error in exc.errors():
        loc = [str(part) for part in error.get("loc", ()) if part not in ("query", "path", "body")]
        where = ".".join(loc) or "request"
        message = str(error.get("msg", "invalid value")).removeprefix("Value error, ")
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
        response = error_response(request, exc.status_code, message)
        for name, value in (exc.headers or {}).items():
            response.headers[name] = value
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
