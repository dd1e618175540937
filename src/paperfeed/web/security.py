"""Session cookies, CSRF tokens and the safe-redirect rule, in one place.

CSRF uses the double-submit pattern: a random token in an HttpOnly, SameSite=Lax cookie, repeated in
every form (hidden field ``csrf_token``) or HTMX request (header ``X-CSRF-Token``); a post whose two
copies differ is refused. With SameSite=Lax a cross-site form cannot send the cookie in the first
place; the token is the second lock, for browsers and proxies that get SameSite wrong.
"""

from __future__ import annotations

import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import HTTPException, Request

SESSION_COOKIE = "pf_session"
CSRF_COOKIE = "pf_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def new_csrf_token() -> str:
    return secrets.token_urlsafe(24)


def csrf_token(request: Request) -> str:
    """The token for forms on this response: the cookie's, or a fresh one the middleware will set."""
    token = getattr(request.state, "csrf_token", None)
    if token is None:
        token = request.cookies.get(CSRF_COOKIE) or new_csrf_token()
        request.state.csrf_token = token
    return str(token)


def csrf_ok(request: Request, submitted: str | None) -> bool:
    cookie = request.cookies.get(CSRF_COOKIE)
    candidate = submitted or request.headers.get(CSRF_HEADER)
    return bool(cookie and candidate and hmac.compare_digest(cookie, candidate))


def safe_next(target: str | None) -> str:
    """Only same-site relative paths: ``/x`` yes; ``//evil``, ``/\\evil``, ``http://evil`` no."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ch in target for ch in "\r\n\t"):
        return "/"
    return target


def require_csrf(request: Request, submitted: str | None) -> None:
    """Refuse (403) a form post whose CSRF token does not match its cookie."""
    if not csrf_ok(request, submitted):
        raise HTTPException(
            status_code=403, detail="the form expired or came from another site; reload and retry"
        )
