"""FastAPI dependencies: the running Paperfeed, the viewer, members and curators, the page renderer.

``CurrentMember`` and ``CurrentCurator`` are shared by the pages and the API: a route that needs a
signed-in member (or a curator) says so in its signature, and the refusal (401/403) is raised as a
typed library error that :mod:`paperfeed.web.errors` renders as a page or as JSON.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from paperfeed.community.accounts import api_token_user, session_user
from paperfeed.context import Paperfeed
from paperfeed.errors import Forbidden, SignInRequired
from paperfeed.store import User
from paperfeed.web.security import SESSION_COOKIE, csrf_token


def get_paperfeed(request: Request) -> Paperfeed:
    return request.app.state.paperfeed  # type: ignore[no-any-return,unused-ignore]


def current_user(request: Request) -> User | None:
    """The user of the session cookie (pages) or of a ``Bearer`` API token (API), else ``None``."""
    if hasattr(request.state, "user"):
        return request.state.user  # type: ignore[no-any-return,unused-ignore]
    store = get_paperfeed(request).store
    user: User | None = None
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = api_token_user(store, auth[7:].strip())
        request.state.auth = "token" if user else None
    elif (session_id := request.cookies.get(SESSION_COOKIE)) is not None:
        user = session_user(store, session_id)
        request.state.auth = "session" if user else None
    request.state.user = user
    return user


def current_member(request: Request) -> User:
    user = current_user(request)
    if user is None:
        if request.url.path.startswith("/api/"):
            raise SignInRequired(
                "send Authorization: Bearer <token> (make one with: paperfeed users token EMAIL)"
            )
        raise SignInRequired("sign in first")
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
