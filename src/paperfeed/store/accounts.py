"""Accounts in the store: users and roles, sign-in tokens, sessions and API tokens.

Only hashes of secrets reach this module (the caller hashes session ids and tokens), so a copy of
the database does not let anyone sign in. Everything that needs atomicity across instances is one
conditional statement here: a sign-in token is claimed by one ``UPDATE … WHERE used_at IS NULL``,
a new user by ``INSERT … ON CONFLICT DO NOTHING``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, insert, select, update
from sqlalchemy.exc import IntegrityError

from paperfeed.store.database import Database
from paperfeed.store.schema import ROLES, api_tokens, login_tokens, sessions, users

__all__ = ["ROLES", "AccountStore", "User"]


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    role: str
    handle: str | None = None

    @property
    def is_curator(self) -> bool:
        return self.role in ("curator", "admin")

    @property
    def is_admin(self) -> bool:
        return self.role == "admin"


def _user(row: Any) -> User:
    return User(id=int(row.id), email=str(row.email), role=str(row.role), handle=row.handle)


class AccountStore:
    """Users, sign-in tokens, sessions and API tokens."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._engine = database.engine

    # ------------------------------------------------------------------ users
    def get_user(self, *, email: str | None = None, user_id: int | None = None) -> User | None:
        query = select(users)
        if email is not None:
            query = query.where(users.c.email == email)
        elif user_id is not None:
            query = query.where(users.c.id == user_id)
        else:
            raise TypeError("give email or user_id")
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return _user(row) if row else None

    def ensure_user(self, email: str, *, role: str | None, now: datetime) -> User:
        """The user with ``email`` (already normalised), created as a member if new; ``role`` is set
        when given. Safe when two instances create the same address at once."""
        with self._engine.begin() as conn:
            conn.execute(
                self._db.insert(users)
                .values(email=email, role=role or "member", created_at=now)
                .on_conflict_do_nothing(index_elements=["email"])
            )
            if role is not None:
                conn.execute(
                    update(users).where(users.c.email == email, users.c.role != role).values(role=role)
                )
            row = conn.execute(select(users).where(users.c.email == email)).one()
        return _user(row)

    def user_by_handle(self, handle: str) -> User | None:
        with self._engine.connect() as conn:
            row = conn.execute(select(users).where(users.c.handle == handle)).first()
        return _user(row) if row else None

    def set_handle(self, user_id: int, handle: str | None) -> bool:
        """Give the member ``handle`` (``None`` clears it); ``False`` when another member has it.
        The unique index decides, so two members claiming one name at once get one success."""
        try:
            with self._engine.begin() as conn:
                conn.execute(update(users).where(users.c.id == user_id).values(handle=handle))
        except IntegrityError:
            return False
        return True

    def handles(self, user_ids: Sequence[int]) -> dict[int, str]:
        """The handles of those of ``user_ids`` that chose one."""
        if not user_ids:
            return {}
        query = select(users.c.id, users.c.handle).where(
            users.c.id.in_(list(dict.fromkeys(user_ids))), users.c.handle.isnot(None)
        )
        with self._engine.connect() as conn:
            return {int(row.id): str(row.handle) for row in conn.execute(query)}

    # ------------------------------------------------------------ sign-in tokens
    def add_login_token(self, token_hash: str, email: str, *, created: datetime, expires: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                insert(login_tokens).values(
                    token_hash=token_hash, email=email, created_at=created, expires_at=expires
                )
            )

    def login_token_email(self, token_hash: str, *, now: datetime) -> str | None:
        """The address an unused, unexpired token signs in, without using it up (``None`` otherwise)."""
        with self._engine.connect() as conn:
            found = conn.execute(
                select(login_tokens.c.email).where(
                    login_tokens.c.token_hash == token_hash,
                    login_tokens.c.used_at.is_(None),
                    login_tokens.c.expires_at > now,
                )
            ).scalar()
        return None if found is None else str(found)

    def claim_login_token(self, token_hash: str, *, now: datetime) -> str | None:
        """Mark an unused, unexpired token used and return its email; ``None`` when it is not (any
        more). One conditional UPDATE, so two tabs (or two instances) racing get one success."""
        with self._engine.begin() as conn:
            claimed = conn.execute(
                update(login_tokens)
                .where(
                    login_tokens.c.token_hash == token_hash,
                    login_tokens.c.used_at.is_(None),
                    login_tokens.c.expires_at > now,
                )
                .values(used_at=now)
            )
            if claimed.rowcount != 1:
                return None
            return str(
                conn.execute(
                    select(login_tokens.c.email).where(login_tokens.c.token_hash == token_hash)
                ).scalar_one()
            )

    # ----------------------------------------------------------------- sessions
    def add_session(self, session_hash: str, user_id: int, *, created: datetime, expires: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                insert(sessions).values(
                    session_hash=session_hash, user_id=user_id, created_at=created, expires_at=expires
                )
            )

    def session_user(self, session_hash: str, *, now: datetime) -> User | None:
        query = (
            select(users)
            .join(sessions, sessions.c.user_id == users.c.id)
            .where(sessions.c.session_hash == session_hash, sessions.c.expires_at > now)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return _user(row) if row else None

    def end_session(self, session_hash: str) -> None:
        with self._engine.begin() as conn:
            conn.execute(delete(sessions).where(sessions.c.session_hash == session_hash))

    # --------------------------------------------------------------- API tokens
    def add_api_token(self, token_hash: str, user_id: int, *, created: datetime) -> None:
        with self._engine.begin() as conn:
            conn.execute(
                insert(api_tokens).values(token_hash=token_hash, user_id=user_id, created_at=created)
            )

    def api_token_user(self, token_hash: str) -> User | None:
        query = (
            select(users)
            .join(api_tokens, api_tokens.c.user_id == users.c.id)
            .where(api_tokens.c.token_hash == token_hash)
        )
        with self._engine.connect() as conn:
            row = conn.execute(query).first()
        return _user(row) if row else None
