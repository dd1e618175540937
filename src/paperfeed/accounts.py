"""Accounts: users and roles, magic-link sign-in tokens, sessions and personal API tokens.

Sign-in is passwordless: :func:`issue_login_token` makes a random token, signed with the secret key
(so a forged or truncated link is rejected before touching the database) and recorded by its hash
with an expiry; :func:`redeem_login_token` claims it in one conditional UPDATE, so a link works
exactly once even when two tabs (or two instances) race. The first successful sign-in of an unknown
address creates a member account: the sign-in form therefore behaves the same for known and unknown
addresses. Only SHA-256 hashes of secrets reach the store.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer

from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput, NotFound
from paperfeed.store import User
from paperfeed.store.accounts import ROLES

__all__ = [
    "LOGIN_TOKEN_TTL",
    "SESSION_TTL",
    "AccountError",
    "User",
    "api_token_user",
    "create_api_token",
    "create_session",
    "end_session",
    "ensure_user",
    "get_user",
    "issue_login_token",
    "login_token_email",
    "normalize_email",
    "redeem_login_token",
    "session_user",
    "set_handle",
]

LOGIN_TOKEN_TTL = timedelta(minutes=15)
SESSION_TTL = timedelta(days=30)
_LOGIN_SALT = "paperfeed.login"
API_TOKEN_PREFIX = "pf_"


class AccountError(InvalidInput):
    """A request about accounts that cannot be honoured (bad email, unknown role, bad token)."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


_ATEXT = frozenset("abcdefghijklmnopqrstuvwxyz0123456789!#$%&'*+-/=?^_`{|}~")
_LABEL = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")


def _address_problem(value: str) -> str | None:
    """Why ``value`` (trimmed, lower-cased) is not an address paperfeed can store and mail, or None.

    The one check of an address for every shell (sign-in, subscriptions, the API, the CLI): a plain
    ASCII ``dot-atom`` before the @ (RFC 5322, no quoting, no comments), a domain of letters, digits
    and hyphens (an internationalised domain is fine), nothing that could break a header or a list."""
    if any(ord(ch) < 32 or ord(ch) == 127 or 0x80 <= ord(ch) < 0xA0 for ch in value):
        return "it contains a control character (a line break, tab or NUL)"
    if any(ch.isspace() for ch in value):
        return "it contains a space"
    if value.count("@") != 1:
        return "an address has exactly one @, as in name@example.org"
    local, domain = value.split("@")
    if not local or not domain:
        return "an address has a name before the @ and a domain after it, as in name@example.org"
    if len(value) > 254 or len(local) > 64:
        return "it is too long (at most 64 characters before the @ and 254 in all)"
    if not local.isascii():
        return "non-ASCII characters before the @ need SMTPUTF8, which paperfeed does not use"
    if bad := sorted({ch for ch in local if ch not in _ATEXT and ch != "."}):
        shown = " ".join(repr(ch) for ch in bad[:5])
        return f"{shown} cannot appear before the @ (letters, digits, dots and !#$%&'*+-/=?^_`{{|}}~ can)"
    if local.startswith(".") or local.endswith(".") or ".." in local:
        return "the part before the @ cannot start or end with a dot, or have two dots in a row"
    try:
        ascii_domain = domain.encode("idna").decode("ascii") if not domain.isascii() else domain
    except UnicodeError:
        return f"the domain {domain!r} is not a valid domain name"
    labels = ascii_domain.split(".")
    if len(labels) < 2 or not all(_LABEL.match(label) for label in labels) or len(ascii_domain) > 253:
        return f"the domain {domain!r} is not a domain name like example.org"
    if labels[-1].isdigit():
        return f"the domain {domain!r} is not a domain name like example.org"
    return None


def normalize_email(email: str) -> str:
    """The address trimmed and lower-cased, or :class:`AccountError` saying what is wrong with it."""
    value = email.strip().lower()
    problem = _address_problem(value)
    if problem is not None:
        raise AccountError(f"not an email address: {email[:80]!r}: {problem}")
    return value


def get_user(app: Paperfeed, *, email: str | None = None, user_id: int | None = None) -> User | None:
    if email is not None:
        return app.store.accounts.get_user(email=normalize_email(email))
    return app.store.accounts.get_user(user_id=user_id)


def ensure_user(app: Paperfeed, email: str, *, role: str | None = None) -> User:
    """The user with ``email``, created as a member if new; ``role`` (when given) is set either way."""
    if role is not None and role not in ROLES:
        raise AccountError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    return app.store.accounts.ensure_user(normalize_email(email), role=role, now=app.clock.now())


# ------------------------------------------------------------------------------ handles
HANDLE_PATTERN = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$")
RESERVED_HANDLES = frozenset({"admin", "curator", "paperfeed", "api", "anonymous"})


def normalize_handle(text: str) -> str:
    """A handle as stored: lower case, 1-32 letters, digits and inner hyphens (like a GitHub or
    Hugging Face user name, so it fits in URLs and the Papers API's ``submitter`` parameter)."""
    value = text.strip().removeprefix("@").lower()
    if not HANDLE_PATTERN.match(value):
        raise AccountError(
            f"a handle is 1 to 32 letters, digits and hyphens, starting and ending with a letter or "
            f"digit (got {text.strip()[:40]!r})"
        )
    if value in RESERVED_HANDLES:
        raise AccountError(f"the handle {value!r} is reserved; choose another")
    return value


def set_handle(app: Paperfeed, user: User, text: str) -> User:
    """Give ``user`` the public handle ``text`` (blank removes it); a taken handle is refused.

    The handle is the only name paperfeed shows for a member outside their own pages (as the
    submitter of a featured paper): it is chosen, never derived from the email address."""
    handle = normalize_handle(text) if text.strip() else None
    store = app.store
    if handle is not None and handle != user.handle:
        owner = store.accounts.user_by_handle(handle)
        if owner is not None and owner.id != user.id:
            raise AccountError(f"the handle {handle!r} is taken; choose another")
    if not store.accounts.set_handle(user.id, handle):
        raise AccountError(f"the handle {handle!r} is taken; choose another")
    updated = store.accounts.get_user(user_id=user.id)
    if updated is None:
        raise NotFound(f"no user {user.id}")
    return updated


# ------------------------------------------------------------------------------ magic links
def issue_login_token(app: Paperfeed, email: str) -> str:
    """A new single-use sign-in token for ``email`` (valid for :data:`LOGIN_TOKEN_TTL`)."""
    address = normalize_email(email)
    created = app.clock.now()
    nonce = secrets.token_urlsafe(32)
    app.store.accounts.add_login_token(
        _hash(nonce), address, created=created, expires=created + LOGIN_TOKEN_TTL
    )
    return URLSafeTimedSerializer(app.settings.secret_key, salt=_LOGIN_SALT).dumps(nonce)


def _login_nonce(app: Paperfeed, token: str) -> str:
    try:
        nonce = URLSafeTimedSerializer(app.settings.secret_key, salt=_LOGIN_SALT).loads(token)
    except BadSignature as exc:
        raise AccountError("this sign-in link is not valid") from exc
    if not isinstance(nonce, str):
        raise AccountError("this sign-in link is not valid")
    return nonce


def login_token_email(app: Paperfeed, token: str) -> str:
    """The address a sign-in link would sign in, without using the link up; else AccountError.

    The confirmation page names it, so that a link someone else sent (for *their* account: login
    CSRF) cannot sign a person into the wrong account without them reading whose it is."""
    email = app.store.accounts.login_token_email(_hash(_login_nonce(app, token)), now=app.clock.now())
    if email is None:
        raise AccountError("this sign-in link has expired or was already used; ask for a new one")
    return email


def redeem_login_token(app: Paperfeed, token: str) -> User:
    """The user a valid, unused, unexpired token signs in (created on first sign-in); else AccountError."""
    nonce = _login_nonce(app, token)
    email = app.store.accounts.claim_login_token(_hash(nonce), now=app.clock.now())
    if email is None:
        raise AccountError("this sign-in link has expired or was already used; ask for a new one")
    return ensure_user(app, email)


# ------------------------------------------------------------------------------ sessions
def create_session(app: Paperfeed, user: User) -> str:
    """A new session id for ``user`` (the cookie value; only its hash is stored)."""
    session_id = secrets.token_urlsafe(32)
    created = app.clock.now()
    app.store.accounts.add_session(_hash(session_id), user.id, created=created, expires=created + SESSION_TTL)
    return session_id


def session_user(app: Paperfeed, session_id: str) -> User | None:
    """The user of a live session, or ``None`` for unknown or expired ids."""
    return app.store.accounts.session_user(_hash(session_id), now=app.clock.now())


def end_session(app: Paperfeed, session_id: str) -> None:
    app.store.accounts.end_session(_hash(session_id))


# ------------------------------------------------------------------------------ API tokens
def create_api_token(app: Paperfeed, email: str) -> str:
    """A new personal API token for an existing user (shown once; only its hash is kept)."""
    user = get_user(app, email=email)
    if user is None:
        raise NotFound(f"no user {normalize_email(email)}; add one with: paperfeed users add EMAIL")
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    app.store.accounts.add_api_token(_hash(token), user.id, created=app.clock.now())
    return token


def api_token_user(app: Paperfeed, token: str) -> User | None:
    return app.store.accounts.api_token_user(_hash(token))
