"""Signed links in digest mail: confirm, unsubscribe, manage, view in browser; and paper links.

Every link that acts on a subscription carries a token signed with ``PAPERFEED_SECRET_KEY`` (HMAC-SHA256,
each kind with its own derived key, so an unsubscribe token cannot be replayed as a manage token). The token is the
authority: these links work without signing in, on any instance that shares the secret key.

- confirm: ``[subscription id, nonce]``, expires after :data:`CONFIRM_TTL`; the nonce's hash must
  still be the subscription's pending one (a newer confirmation mail replaces older links).
- unsubscribe, manage: ``[subscription id]``, no expiry (an unsubscribe link in an old digest must
  keep working, RFC 8058).
- view: ``[subscription id, period key]``, no expiry: shows what that digest contained.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from datetime import datetime, timedelta
from functools import lru_cache
from urllib.parse import quote

from paperfeed.clock import utc
from paperfeed.config import Settings
from paperfeed.errors import InvalidInput

CONFIRM_TTL = timedelta(days=7)
_SALTS = {
    "confirm": "paperfeed.digest.confirm",
    "unsubscribe": "paperfeed.digest.unsubscribe",
    "manage": "paperfeed.digest.manage",
    "view": "paperfeed.digest.view",
}
_NOUNS = {
    "confirm": "confirmation link",
    "unsubscribe": "unsubscribe link",
    "manage": "link to your subscription",
    "view": "link to this digest",
}


class InvalidLink(InvalidInput):
    """A digest link that is malformed, tampered with, expired or for another kind of action."""


def _base(settings: Settings) -> str:
    return settings.base_url.rstrip("/")


@lru_cache(maxsize=32)
def _key(secret_key: str, kind: str) -> bytes:
    """The signing key of one kind of link, derived from the secret key (kinds never share a key)."""
    return hashlib.sha256(f"{_SALTS[kind]}\x00{secret_key}".encode()).digest()


def _mac(secret_key: str, kind: str, body: bytes) -> str:
    digest = hmac.new(_key(secret_key, kind), body, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(digest).decode("ascii")


_MAC_BYTES = 18
"""144 bits of HMAC-SHA256: far beyond guessing, and the token stays short enough for one line."""


def _seconds(kind: str, now: datetime | None) -> int:
    if now is None:
        raise ValueError(f"a {kind} token needs the time (now=app.clock.now()): it expires")
    return int(utc(now).timestamp())


def sign(settings: Settings, kind: str, *payload: object, now: datetime | None = None) -> str:
    """A token of ``kind`` for ``payload``: ``<base64 JSON>.<base64 HMAC>``; a confirmation token also
    carries when it was made (``now``, business time: it expires).

    Made with :mod:`hmac` directly: a digest run signs three links per message, and a general
    purpose serializer (compression, key derivation per call) cost more than rendering the digest.
    """
    data = [*payload, _seconds(kind, now)] if kind == "confirm" else list(payload)
    body = base64.urlsafe_b64encode(json.dumps(data, separators=(",", ":")).encode()).rstrip(b"=")
    return f"{body.decode('ascii')}.{_mac(settings.secret_key, kind, body)}"


def read(settings: Settings, kind: str, token: str, *, now: datetime | None = None) -> list[object]:
    """The payload of a valid token of ``kind``; :class:`InvalidLink` says what is wrong with it.
    A confirmation token is read at ``now`` (it expires)."""
    noun = _NOUNS[kind]
    invalid = InvalidLink(f"this {noun} is not valid: copy the whole link from the email")
    body, _, mac = token.strip().rpartition(".")
    if (
        not body
        or not token.isascii()
        or not hmac.compare_digest(mac, _mac(settings.secret_key, kind, body.encode()))
    ):
        raise invalid
    try:
        data = json.loads(base64.urlsafe_b64decode(body + "=" * (-len(body) % 4)))
    except ValueError:
        raise invalid from None
    if not isinstance(data, list) or not data or not isinstance(data[0], int) or isinstance(data[0], bool):
        raise invalid
    if kind == "confirm":
        made = data.pop()
        if not isinstance(made, int) or _seconds(kind, now) - made > CONFIRM_TTL.total_seconds():
            raise InvalidLink(
                f"this {noun} has expired (they last {CONFIRM_TTL.days} days); subscribe again for a new one"
            )
    return data


def subscription_id_of(settings: Settings, kind: str, token: str) -> int:
    data = read(settings, kind, token)
    return int(data[0])  # type: ignore[call-overload]


def confirm_url(settings: Settings, subscription_id: int, nonce: str, *, now: datetime) -> str:
    return f"{_base(settings)}/digest/confirm/{sign(settings, 'confirm', subscription_id, nonce, now=now)}"


def unsubscribe_url(settings: Settings, subscription_id: int) -> str:
    return f"{_base(settings)}/digest/unsubscribe/{sign(settings, 'unsubscribe', subscription_id)}"


def manage_url(settings: Settings, subscription_id: int) -> str:
    return f"{_base(settings)}/digest/manage/{sign(settings, 'manage', subscription_id)}"


def view_url(settings: Settings, subscription_id: int, period_key: str) -> str:
    return f"{_base(settings)}/digest/view/{sign(settings, 'view', subscription_id, period_key)}"


def paper_url(settings: Settings, paper_id: str) -> str:
    return f"{_base(settings)}/papers/{quote(paper_id, safe=':/')}"
