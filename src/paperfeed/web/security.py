"""Session cookies, CSRF tokens and the safe-redirect rule, in one place.

CSRF tokens are bound to who is asking, and signed with the secret key:

- signed in: the token is an HMAC of the session id. Knowing or planting any cookie does not give
  it; only a page rendered for that session carries it.
- signed out (the sign-in forms): the token is an HMAC of a random nonce kept in the HttpOnly
  ``pf_csrf`` cookie. A planted ``pf_csrf`` cookie with the same value in the form no longer passes
  (the form must carry the nonce's HMAC, which only the server can make).

Every form repeats the token (hidden field ``csrf_token``), HTMX sends it as ``X-CSRF-Token``, and
the JSON API takes a session only together with that header (tokens need no CSRF check: a browser
never adds an Authorization header on its own). SameSite=Lax cookies are the first lock; the token
is the second, for browsers and proxies that get SameSite wrong.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from urllib.parse import urlsplit

from fastapi import Request

SESSION_COOKIE = "pf_session"
CSRF_COOKIE = "pf_csrf"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


def _sign(secret_key: str, purpose: str, value: str) -> str:
    digest = hmac.new(secret_key.encode("utf-8"), f"{purpose}|{value}".encode(), hashlib.sha256)
    return digest.hexdigest()[:43]


def session_csrf_token(secret_key: str, session_id: str) -> str:
    """The CSRF token of a signed-in session."""
    return _sign(secret_key, "csrf-session", session_id)


def nonce_csrf_token(secret_key: str, nonce: str) -> str:
    """The CSRF token of a signed-out visitor whose ``pf_csrf`` cookie holds ``nonce``."""
    return _sign(secret_key, "csrf-nonce", nonce)


def expected_csrf_token(request: Request, secret_key: str, session_id: str | None) -> str:
    """The token this request's forms carry; ``session_id`` is the id of a *valid* session, if any.

    Signed out without a nonce cookie, a new nonce is made; the app's middleware sets the cookie.
    """
    if session_id:
        return session_csrf_token(secret_key, session_id)
    nonce = getattr(request.state, "csrf_nonce", None) or request.cookies.get(CSRF_COOKIE)
    if not nonce:
        nonce = secrets.token_urlsafe(24)
    request.state.csrf_nonce = nonce
    return nonce_csrf_token(secret_key, nonce)


def csrf_matches(request: Request, secret_key: str, session_id: str | None, submitted: str | None) -> bool:
    """Whether the form field (or the ``X-CSRF-Token`` header) carries this requester's token."""
    candidate = submitted or request.headers.get(CSRF_HEADER)
    if not candidate:
        return False
    if not session_id and not request.cookies.get(CSRF_COOKIE):
        return False  # a signed-out post needs the nonce cookie its page set
    expected = expected_csrf_token(request, secret_key, session_id)
    return hmac.compare_digest(expected, candidate)


def safe_next(target: str | None) -> str:
    """Only same-site relative paths: ``/x`` yes; ``//evil``, ``/\\evil``, ``http://evil`` no."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or any(ch in target for ch in "\r\n\t"):
        return "/"
    return target


def referer_path(request: Request, fallback: str = "/") -> str:
    """Where a plain form post goes back to: the referring page of this site, else ``fallback``."""
    referer = request.headers.get("referer", "")
    if "://" not in referer:
        return fallback
    rest = referer.split("://", 1)[1]
    host, _, path = rest.partition("/")
    if host != request.headers.get("host", host):
        return fallback
    target = safe_next("/" + path)
    return target if target != "/" or path == "" else fallback
