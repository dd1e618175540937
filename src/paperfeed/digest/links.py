"""Signed links in digest mail: confirm, unsubscribe, manage, view in browser; and paper links.

Every link that acts on a subscription carries a token signed with ``PAPERFEED_SECRET_KEY`` (each kind
with its own salt, so an unsubscribe token cannot be replayed as a manage token). The token is the
authority: these links work without signing in, on any instance that shares the secret key.

- confirm: ``[subscription id, nonce]``, expires after :data:`CONFIRM_TTL`; the nonce's hash must
  still be the subscription's pending one (a newer confirmation mail replaces older links).
- unsubscribe, manage: ``[subscription id]``, no expiry (an unsubscribe link in an old digest must
  keep working, RFC 8058).
- view: ``[subscription id, period key]``, no expiry: shows what that digest contained.
"""

from __future__ import annotations

from datetime import timedelta
from urllib.parse import quote

from itsdangerous import BadSignature, SignatureExpired, URLSafeSerializer, URLSafeTimedSerializer

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


def sign(settings: Settings, kind: str, *payload: object) -> str:
    """A token of ``kind`` for ``payload`` (timed for confirmations)."""
    salt = _SALTS[kind]
    if kind == "confirm":
        return str(URLSafeTimedSerializer(settings.secret_key, salt=salt).dumps(list(payload)))
    return str(URLSafeSerializer(settings.secret_key, salt=salt).dumps(list(payload)))


def read(settings: Settings, kind: str, token: str) -> list[object]:
    """The payload of a valid token of ``kind``; :class:`InvalidLink` says what is wrong with it."""
    salt = _SALTS[kind]
    noun = _NOUNS[kind]
    try:
        if kind == "confirm":
            data = URLSafeTimedSerializer(settings.secret_key, salt=salt).loads(
                token, max_age=int(CONFIRM_TTL.total_seconds())
            )
        else:
            data = URLSafeSerializer(settings.secret_key, salt=salt).loads(token)
    except SignatureExpired as exc:
        raise InvalidLink(
            f"this {noun} has expired (they last {CONFIRM_TTL.days} days); subscribe again for a new one"
        ) from exc
    except BadSignature as exc:
        raise InvalidLink(f"this {noun} is not valid: copy the whole link from the email") from exc
    if not isinstance(data, list) or not data or not isinstance(data[0], int):
        raise InvalidLink(f"this {noun} is not valid: copy the whole link from the email")
    return data


def subscription_id_of(settings: Settings, kind: str, token: str) -> int:
    data = read(settings, kind, token)
    return int(data[0])  # type: ignore[call-overload]


def confirm_url(settings: Settings, subscription_id: int, nonce: str) -> str:
    return f"{_base(settings)}/digest/confirm/{sign(settings, 'confirm', subscription_id, nonce)}"


def unsubscribe_url(settings: Settings, subscription_id: int) -> str:
    return f"{_base(settings)}/digest/unsubscribe/{sign(settings, 'unsubscribe', subscription_id)}"


def manage_url(settings: Settings, subscription_id: int) -> str:
    return f"{_base(settings)}/digest/manage/{sign(settings, 'manage', subscription_id)}"


def view_url(settings: Settings, subscription_id: int, period_key: str) -> str:
    return f"{_base(settings)}/digest/view/{sign(settings, 'view', subscription_id, period_key)}"


def paper_url(settings: Settings, paper_id: str) -> str:
    return f"{_base(settings)}/papers/{quote(paper_id, safe=':/')}"
