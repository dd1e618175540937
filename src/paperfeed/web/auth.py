"""Sign-in by email magic link, sign-out, and the member's account page (their public handle).

``POST /login`` always answers the same page whether the address has an account or not (a new
address gets one on first sign-in), so the form cannot be used to probe who is a member. The
emailed link opens a confirmation page whose button posts the token: link scanners in mail systems
fetch links with GET, and must not burn the single-use token.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from typing import Annotated
from urllib.parse import urlencode

from fastapi import Form, Query, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from paperfeed import accounts
from paperfeed.context import Paperfeed
from paperfeed.mail import MailConfigError, backend_name, describe_delivery, send_login_link
from paperfeed.ratelimit import hit
from paperfeed.web.deps import (
    CsrfChecked,
    CurrentMember,
    PaperfeedDep,
    UserDep,
    current_user,
    render,
    sign_in_redirect,
)
from paperfeed.web.routers import make_router
from paperfeed.web.security import SESSION_COOKIE, safe_next

router = make_router(include_in_schema=False)
log = logging.getLogger(__name__)

LOGIN_PER_EMAIL_AND_CLIENT = 5
"""Sign-in requests per (address, client) per 15 minutes: one person asking again and again."""
LOGIN_PER_CLIENT = 30
"""Sign-in requests per client address per 15 minutes, whatever the addresses."""
LOGIN_PER_EMAIL = 50
"""Sign-in mails per address per hour from all clients together (a cap against mail floods). It is
ten times what one client may ask for, so strangers need many addresses to reach it, and a browser
that signed in to the address before (the ``pf_signed_in`` cookie) is not held by it at all: nobody
can lock a person out of signing in by asking for links for their address."""
KNOWN_COOKIE = "pf_signed_in"
KNOWN_TTL = 365 * 24 * 3600


def _known_mark(secret_key: str, address: str) -> str:
    """The ``pf_signed_in`` cookie's value after a sign-in as ``address``: an HMAC, not the address."""
    digest = hmac.new(secret_key.encode("utf-8"), f"signed-in|{address}".encode(), hashlib.sha256)
    return digest.hexdigest()[:43]


def _sign_in_allowed(request: Request, pf: Paperfeed, address: str) -> bool:
    """The three limits of ``POST /login``, in order: per (address, client), per client, and, unless
    this browser signed in as ``address`` before, per address. A request refused by an earlier limit
    does not count against a later one, so a stranger's refused tries never fill the address's cap."""
    client = request.client.host if request.client else "unknown"
    if not hit(
        pf, f"login:email-client:{address}|{client}", limit=LOGIN_PER_EMAIL_AND_CLIENT, window_seconds=900
    ):
        return False
    if not hit(pf, f"login:client:{client}", limit=LOGIN_PER_CLIENT, window_seconds=900):
        return False
    known = request.cookies.get(KNOWN_COOKIE, "")
    if known and hmac.compare_digest(known, _known_mark(pf.settings.secret_key, address)):
        return True
    return hit(pf, f"login:email:{address}", limit=LOGIN_PER_EMAIL, window_seconds=3600)


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request, next: Annotated[str | None, Query(max_length=500)] = None) -> Response:
    return render(request, "login.html", {"next": safe_next(next)})


@router.post("/login", response_class=HTMLResponse)
def login_post(
    request: Request,
    pf: PaperfeedDep,
    email: Annotated[str, Form(max_length=320)],
    next: Annotated[str | None, Form(max_length=500)] = None,
    _csrf: CsrfChecked = None,
) -> Response:
    target = safe_next(next)
    try:
        address = accounts.normalize_email(email)
    except accounts.AccountError as exc:
        return render(request, "login.html", {"next": target, "message": str(exc), "email": email}, 422)
    if not _sign_in_allowed(request, pf, address):
        message = "Too many sign-in requests; wait a few minutes and try again."
        return render(request, "login.html", {"next": target, "message": message, "email": email}, 429)
    token = accounts.issue_login_token(pf, address)
    link = pf.settings.base_url.rstrip("/") + "/login/verify?" + urlencode({"token": token, "next": target})
    try:
        outcome = send_login_link(pf.settings, address, link, expires_in=accounts.LOGIN_TOKEN_TTL)
        failure = None if outcome.ok else outcome.detail
    except MailConfigError as exc:
        failure = str(exc)
    if failure is not None:  # mail down: say so (it reveals nothing about the account)
        log.error("cannot send the sign-in email: %s", failure)
        message = "The sign-in email could not be sent right now; please try again later."
        return render(request, "login.html", {"next": target, "message": message, "email": email}, 503)
    # Without a mail server the link is in the server's log and outbox: say so, or it is a dead end.
    delivery = describe_delivery(pf.settings) if backend_name(pf.settings) == "console" else None
    return render(
        request, "login.html", {"sent": True, "email": address, "next": target, "delivery": delivery}
    )


def _verify_page(
    request: Request, pf: PaperfeedDep, token: str, target: str, status_code: int = 200
) -> Response:
    """The confirmation page: whose account the link signs in, and, when someone else is signed in
    in this browser, the choice to keep that session (the default) or to switch."""
    try:
        email = accounts.login_token_email(pf, token)
    except accounts.AccountError as exc:
        return render(request, "login_verify.html", {"message": str(exc), "token": "", "next": "/"}, 400)
    user = current_user(request)
    context = {
        "token": token,
        "next": target,
        "account": email,
        "signed_in_as": user.email if user is not None and user.email != email else None,
        "already": user is not None and user.email == email,
    }
    return render(request, "login_verify.html", context, status_code)


@router.get("/login/verify", response_class=HTMLResponse)
def login_verify_form(
    request: Request,
    pf: PaperfeedDep,
    token: Annotated[str, Query(max_length=500)],
    next: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    return _verify_page(request, pf, token, safe_next(next))


@router.post("/login/verify")
def login_verify(
    request: Request,
    pf: PaperfeedDep,
    token: Annotated[str, Form(max_length=500)],
    next: Annotated[str | None, Form(max_length=500)] = None,
    switch: Annotated[str | None, Form(max_length=10)] = None,
    _csrf: CsrfChecked = None,
) -> Response:
    """Sign in with the link's token. A browser signed in to another account keeps its session
    unless the form says ``switch`` (the button that names both accounts): a link someone sent is
    never a silent way into their account (login CSRF)."""
    target = safe_next(next)
    current = current_user(request)
    try:
        email = accounts.login_token_email(pf, token)
    except accounts.AccountError as exc:
        return render(request, "login_verify.html", {"message": str(exc), "token": "", "next": "/"}, 400)
    if current is not None and current.email == email:
        return RedirectResponse(target, status_code=303)  # already this account: nothing to replace
    if current is not None and switch != "1":
        return _verify_page(request, pf, token, target, 409)
    try:
        user = accounts.redeem_login_token(pf, token)
    except accounts.AccountError as exc:
        return render(request, "login_verify.html", {"message": str(exc), "token": "", "next": "/"}, 400)
    if (old := request.cookies.get(SESSION_COOKIE)) is not None:
        accounts.end_session(pf, old)
    session_id = accounts.create_session(pf, user)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(
        SESSION_COOKIE,
        session_id,
        max_age=int(accounts.SESSION_TTL.total_seconds()),
        httponly=True,
        samesite="lax",
        secure=pf.settings.base_url.startswith("https://"),
        path="/",
    )
    response.set_cookie(  # this browser may ask for this address's links past the per-address cap
        KNOWN_COOKIE,
        _known_mark(pf.settings.secret_key, user.email),
        max_age=KNOWN_TTL,
        httponly=True,
        samesite="lax",
        secure=pf.settings.base_url.startswith("https://"),
        path="/login",
    )
    return response


@router.post("/logout")
def logout(request: Request, pf: PaperfeedDep, _csrf: CsrfChecked = None) -> Response:
    session_id = request.cookies.get(SESSION_COOKIE)
    if session_id:
        accounts.end_session(pf, session_id)
    response = RedirectResponse("/", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/account", response_class=HTMLResponse)
def account_page(request: Request, user: UserDep) -> Response:
    """The member's account: their public handle (the name shown when they submit a paper)."""
    if user is None:
        return sign_in_redirect(request)
    return render(request, "account.html", {"handle": user.handle or ""})


@router.post("/account", response_class=HTMLResponse)
def account_post(
    request: Request,
    pf: PaperfeedDep,
    user: CurrentMember,
    handle: Annotated[str, Form(max_length=100)] = "",
    _csrf: CsrfChecked = None,
) -> Response:
    try:
        updated = accounts.set_handle(pf, user, handle)
    except accounts.AccountError as exc:
        context = {"handle": handle, "message": str(exc), "error": True}
        return render(request, "account.html", context, 422)
    request.state.user = updated
    message = f"Your handle is now {updated.handle}." if updated.handle else "You have no handle now."
    return render(request, "account.html", {"handle": updated.handle or "", "message": message})
