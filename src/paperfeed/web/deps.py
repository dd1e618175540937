"""FastAPI dependencies: the running Paperfeed, the viewer, members and curators, the page renderer.

``CurrentMember`` and ``CurrentCurator`` are shared by the pages and the API: a route that needs a
signed-in member (or a curator) says so in its signature, and the refusal (401/403) is raised as a
typed library error that :mod:`paperfeed.web.errors` renders as a page or as JSON.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.templating import Jinja2Templates

from paperfeed.accounts import api_token_user, session_user
from paperfeed.context import Paperfeed
from paperfeed.errors import Forbidden, SignInRequired
from paperfeed.store import User
from paperfeed.web.security import SESSION_COOKIE, csrf_matches, expected_csrf_token

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


def get_paperfeed(request: Request) -> Paperfeed:
    return request.app.state.paperfeed  # type: ignore[no-any-return,unused-ignore]


def current_user(request: Request) -> User | None:
    """The user of the session cookie (pages) or of a ``Bearer`` API token (API), else ``None``."""
    if hasattr(request.state, "user"):
        return request.state.user  # type: ignore[no-any-return,unused-ignore]
    pf = get_paperfeed(request)
    user: User | None = None
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = api_token_user(pf, auth[7:].strip())
        request.state.auth = "token" if user else None
    elif (session_id := request.cookies.get(SESSION_COOKIE)) is not None:
        user = session_user(pf, session_id)
        request.state.auth = "session" if user else None
        request.state.session_id = session_id if user else None
    request.state.user = user
    return user


def _valid_session_id(request: Request) -> str | None:
    current_user(request)
    return getattr(request.state, "session_id", None)


def csrf_token(request: Request) -> str:
    """The CSRF token the forms of this response carry (bound to the session, see web/security)."""
    return expected_csrf_token(
        request, get_paperfeed(request).settings.secret_key, _valid_session_id(request)
    )


def checked_csrf(request: Request, csrf_token: Annotated[str | None, Form()] = None) -> None:
    """Refuse a form post whose ``csrf_token`` field or ``X-CSRF-Token`` header does not carry this
    requester's token (403). Every page that writes declares ``_csrf: CsrfChecked`` (last, so that
    "sign in first" is said before "the form expired"): the check exists once."""
    secret_key = get_paperfeed(request).settings.secret_key
    if not csrf_matches(request, secret_key, _valid_session_id(request), csrf_token):
        raise Forbidden("the form expired or came from another site; reload the page and try again")


def current_member(request: Request) -> User:
    """The signed-in member; an API write made with a session cookie must also carry its CSRF header."""
    user = current_user(request)
    api = request.url.path.startswith("/api/")
    if user is None:
        if api:
            raise SignInRequired(
                "send Authorization: Bearer <token> (make one with: paperfeed users token EMAIL)"
            )
        raise SignInRequired("sign in first")
    if api and request.method not in SAFE_METHODS and request.state.auth == "session":
        secret_key = get_paperfeed(request).settings.secret_key
        if not csrf_matches(request, secret_key, _valid_session_id(request), None):
            raise Forbidden(
                "a write with the session cookie needs the X-CSRF-Token header (the page's csrf-token "
                "meta tag); scripts use Authorization: Bearer <token>"
            )
    return user


def current_curator(request: Request) -> User:
    user = current_member(request)
    if not user.is_curator:
        raise Forbidden("only curators can change featured papers")
    return user


PaperfeedDep = Annotated[Paperfeed, Depends(get_paperfeed)]
UserDep = Annotated[User | None, Depends(current_user)]
CurrentMember = Annotated[User, Depends(current_member)]
CurrentCurator = Annotated[User, Depends(current_curator)]
CsrfChecked = Annotated[None, Depends(checked_csrf)]


def sign_in_redirect(request: Request) -> RedirectResponse:
    """To the sign-in page, and back to this page (with its query) afterwards."""
    target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse("/login?" + urlencode({"next": target}, safe="/"), status_code=303)


def render(request: Request, template: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """Render a page with the values every template needs (user, CSRF token, settings)."""
    templates: Jinja2Templates = request.app.state.templates
    base = {
        "request": request,
        "user": current_user(request),
        "csrf_token": csrf_token(request),
        "settings": get_paperfeed(request).settings,
    }
    return templates.TemplateResponse(request, template, base | context, status_code=status_code)
