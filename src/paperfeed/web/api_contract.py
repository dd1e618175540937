"""What the JSON API promises in its OpenAPI document, beyond the routes themselves.

- The error shape ``{"error": {status, code, message, details}}`` as a schema, and which statuses
  each route can answer with (:func:`errors`), so clients and schema-driven testers know them.
- The security scheme: a personal token as ``Authorization: Bearer pf_…`` (the "Authorize" button of
  ``/docs``). A signed-in browser may instead send its session cookie *and* the ``X-CSRF-Token``
  header; OpenAPI cannot say "cookie and header together", so the scheme's description does.
- Unknown query parameters are refused (422 naming them and listing the known ones): a misspelt
  filter (``?categroy=cs.LG``) silently ignored gives a plausible but wrong answer.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request, Security
from fastapi.dependencies.models import Dependant
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from paperfeed.errors import InvalidInput
from paperfeed.store import User
from paperfeed.web.deps import current_curator, current_member


class ErrorDetail(BaseModel):
    status: int = Field(description="The HTTP status, repeated.")
    code: str = Field(
        description="A stable name for the kind of error, e.g. not_found.", examples=["not_found"]
    )
    message: str = Field(description="What went wrong and what to do, for people.")
    details: list[str] = Field(description="One sentence per invalid parameter, when there are several.")


class ErrorBody(BaseModel):
    """Every error of the API has this shape."""

    error: ErrorDetail


_MEANING = {
    400: "The body could not be read (not UTF-8, or not JSON at all).",
    401: "No (valid) credentials: send Authorization: Bearer <token>.",
    403: "Not allowed: the role is missing, or a session cookie came without its X-CSRF-Token header.",
    404: "No such paper (or the id is not an id paperfeed understands).",
    422: "A parameter or the body is invalid (the message names it).",
    429: "Too many requests of this kind; Retry-After says when to try again.",
    502: "arXiv could not be reached to fetch a missing paper; try again later.",
    503: "The mail server (or the store) cannot be reached right now; try again later.",
}


def errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The ``responses=`` entry documenting ``statuses`` with the one error shape."""
    return {status: {"model": ErrorBody, "description": _MEANING[status]} for status in statuses}


bearer = HTTPBearer(
    auto_error=False,
    scheme_name="personalToken",
    description="A personal API token (`paperfeed users token EMAIL`, starts with pf_). "
    "A signed-in browser may use its session cookie instead, together with the X-CSRF-Token header "
    "(the value of the page's csrf-token meta tag).",
)
TokenCredentials = Annotated[HTTPAuthorizationCredentials | None, Security(bearer)]


def api_member(request: Request, _credentials: TokenCredentials) -> User:
    """The member behind the token (or the session, with its CSRF header); declares the scheme."""
    return current_member(request)


def api_curator(request: Request, _credentials: TokenCredentials) -> User:
    return current_curator(request)


ApiMember = Annotated[User, Depends(api_member)]
ApiCurator = Annotated[User, Depends(api_curator)]


def _query_names(dependant: Dependant) -> set[str]:
    names = {param.alias for param in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def reject_unknown_query_params(request: Request) -> None:
    """Refuse query parameters the route does not declare (a router-wide dependency)."""
    route = request.scope.get("route")
    dependant = getattr(route, "dependant", None)
    if dependant is None:
        return
    known = _query_names(dependant)
    unknown = sorted({name for name in request.query_params if name not in known})
    if unknown:
        accepted = ", ".join(sorted(known)) or "none"
        raise InvalidInput(
            f"unknown query parameter{'s' if len(unknown) > 1 else ''} {', '.join(map(repr, unknown))}; "
            f"this endpoint accepts: {accepted}"
        )
