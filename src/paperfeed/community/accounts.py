"""Accounts: users and roles, magic-link sign-in tokens, sessions and personal API tokens.

Sign-in is passwordless: :func:`issue_login_token` makes a random token, signed with the secret key
(so a forged or truncated link is rejected before touching the database) and recorded by its hash
with an expiry; :func:`redeem_login_token` marks it used in one conditional UPDATE, so a link works
exactly once even when two tabs race. The first successful sign-in of an unknown address creates a
member account: the sign-in form therefore behaves the same for known and unknown addresses.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, URLSafeTimedSerializer
from sqlalchemy import Engine, delete, insert, select, update

from paperfeed.community.clock import utcnow
from paperfeed.store.community_schema import ROLES, api_tokens, login_tokens, sessions, users

LOGIN_TOKEN_TTL = timedelta(minutes=15)
SESSION_TTL = timedelta(days=30)
_LOGIN_SALT = "paperfeed.login"


class AccountError(ValueError):
    """A request about accounts that cannot be honoured (bad email, unknown role, bad token)."""


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    role: str

    @property
    def is_curator(self) -> bool:
        return self.role in ("curator", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def normalize_email(email: str) -> str:
    """Trimmed and lower-cased; a minimal shape check (one @, a dot in the domain, no spaces)."""
    value = email.strip().lower()
    local, _, domain = value.partition("@")
    if not local or "." not in domain or " " in value or "@" in domain or len(value) > 320:
        raise AccountError(f"not an email address: {email!r}")
    return value


def _user(row: object) -> User:
    return User(id=row.id, email=row.email, role=row.role)  # type: ignore[attr-defined]


def get_user(engine: Engine, *, email: str | None = None, user_id: int | None = None) -> User | None:
    query = select(users)
    if email is not None:
        query = query.where(users.c.email == normalize_email(email))
    elif user_id is not None:
        query = query.where(users.c.id == user_id)
    else:
        raise TypeError("give email or user_id")
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return _user(row) if row else None


def ensure_user(engine: Engine, email: str, *, role: str | None = None) -> User:
    """The user with ``email``, created as a member if new; ``role`` (when given) is set either way."""
    address = normalize_email(email)
    if role is not None and role not in ROLES:
        raise AccountError(f"unknown role {role!r}; choose one of {', '.join(ROLES)}")
    with engine.begin() as conn:
        row = conn.execute(select(users).where(users.c.email == address)).first()
        if row is None:
            conn.execute(insert(users).values(email=address, role=role or "member", created_at=utcnow()))
        elif role is not None and row.role != role:
            conn.execute(update(users).where(users.c.id == row.id).values(role=role))
        row = conn.execute(select(users).where(users.c.email == address)).one()
    return _user(row)


# ------------------------------------------------------------------------------ magic links
def issue_login_token(engine: Engine, secret_key: str, email: str, *, now: datetime | None = None) -> str:
    """A new single-use sign-in token for ``email`` (valid for :data:`LOGIN_TOKEN_TTL`)."""
    address = normalize_email(email)
    created = now or utcnow()
    nonce = secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(
            insert(login_tokens).values(
                token_hash=_hash(nonce),
                email=address,
                created_at=created,
                expires_at=created + LOGIN_TOKEN_TTL,
            )
        )
    return URLSafeTimedSerializer(secret_key, salt=_LOGIN_SALT).dumps(nonce)


def redeem_login_token(engine: Engine, secret_key: str, token: str, *, now: datetime | None = None) -> User:
    """The user a valid, unused, unexpired token signs in (created on first sign-in); else AccountError."""
    try:
        nonce = URLSafeTimedSerializer(secret_key, salt=_LOGIN_SALT).loads(token)
    except BadSignature as exc:
        raise AccountError("this sign-in link is not valid") from exc
    if not isinstance(nonce, str):
        raise AccountError("this sign-in link is not valid")
    moment = now or utcnow()
    digest = _hash(nonce)
    with engine.begin() as conn:
        claimed = conn.execute(
            update(login_tokens)
            .where(
                login_tokens.c.token_hash == digest,
                login_tokens.c.used_at.is_(None),
                login_tokens.c.expires_at > moment,
            )
            .values(used_at=moment)
        )
        if claimed.rowcount != 1:
            raise AccountError("this sign-in link has expired or was already used; ask for a new one")
        email = conn.execute(
            select(login_tokens.c.email).where(login_tokens.c.token_hash == digest)
        ).scalar_one()
    return ensure_user(engine, email)


# ------------------------------------------------------------------------------ sessions
def create_session(engine: Engine, user: User, *, now: datetime | None = None) -> str:
    """A new session id for ``user`` (the cookie value; only its hash is stored)."""
    session_id = secrets.token_urlsafe(32)
    created = now or utcnow()
    with engine.begin() as conn:
        conn.execute(
            insert(sessions).values(
                session_hash=_hash(session_id),
                user_id=user.id,
                created_at=created,
                expires_at=created + SESSION_TTL,
            )
        )
    return session_id


def session_user(engine: Engine, session_id: str, *, now: datetime | None = None) -> User | None:
    """The user of a live session, or ``None`` for unknown or expired ids."""
    query = (
        select(users)
        .join(sessions, sessions.c.user_id == users.c.id)
        .where(sessions.c.session_hash == _hash(session_id), sessions.c.expires_at > (now or utcnow()))
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return _user(row) if row else None


def end_session(engine: Engine, session_id: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(sessions).where(sessions.c.session_hash == _hash(session_id)))


# ------------------------------------------------------------------------------ API tokens
API_TOKEN_PREFIX = "pf_"


def create_api_token(engine: Engine, email: str) -> str:
    """A new personal API token for an existing user (shown once; only its hash is kept)."""
    user = get_user(engine, email=email)
    if user is None:
        raise AccountError(f"no user {normalize_email(email)}; add one with: paperfeed users add EMAIL")
    token = API_TOKEN_PREFIX + secrets.token_urlsafe(32)
    with engine.begin() as conn:
        conn.execute(insert(api_tokens).values(token_hash=_hash(token), user_id=user.id, created_at=utcnow()))
    return token


def api_token_user(engine: Engine, token: str) -> User | None:
    query = (
        select(users)
        .join(api_tokens, api_tokens.c.user_id == users.c.id)
        .where(api_tokens.c.token_hash == _hash(token))
    )
    with engine.connect() as conn:
        row = conn.execute(query).first()
    return _user(row) if row else None
