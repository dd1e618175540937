"""FastAPI dependencies: the running Paperfeed, the signed-in user, the page renderer."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from paperfeed.community.accounts import User, api_token_user, session_user
from paperfeed.context import Paperfeed
from paperfeed.web.security import SESSION_COOKIE, csrf_token


def get_paperfeed(request: Request) -> Paperfeed:
    return request.app.state.paperfeed  # type: ignore[no-any-return,unused-ignore]


def current_user(request: Request) -> User | None:
    """The user of the session cookie (pages) or of a ``Bearer`` API token (API), else ``None``."""
    if hasattr(request.state, "user"):
        return request.state.user  # type: ignore[no-any-return,unused-ignore]
    engine = get_paperfeed(request).store.engine
    user: User | None = None
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        user = api_token_user(engine, auth[7:].strip())
    elif (session_id := request.cookies.get(SESSION_COOKIE)) is not None:
        user = session_user(engine, session_id)
    request.state.user = user
    return user


PaperfeedDep = Annotated[Paperfeed, Depends(get_paperfeed)]
UserDep = Annotated[User | None, Depends(current_user)]


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


def not_found(what: str) -> HTTPException:
    return HTTPException(status_code=404, detail=what)
