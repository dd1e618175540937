"""Subscribing, confirming (double opt-in), changing and stopping digest subscriptions.

The use cases behind the header form, ``POST /api/v1/subscriptions``, the settings page, the links
in digest mail and ``paperfeed digest subscribe``; each shell calls one of these and renders.

- A subscription belongs to an email address; members and non-members alike can have several
  (a daily one for trending, a weekly one for a category, …). Subscribing again with the same
  choices reuses the existing subscription instead of making a second one.
- :func:`subscribe` (the public form and API) answers the same way for every address, known or not:
  the subscription is ``pending`` and a confirmation mail goes out; nothing else is sent to the
  address before its link is used (:func:`confirm`). Already active with these choices: no mail at
  all (that would let anyone flood an inbox), and the same answer. Rate-limited per address and per
  client, like sign-in.
- A signed-in member proved their address by signing in, so :func:`subscribe_member` makes the
  subscription active at once; so does an operator's import with ``confirmed`` (readers who already
  consented elsewhere).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from paperfeed.accounts import AccountError, normalize_email
from paperfeed.context import Paperfeed
from paperfeed.digest import links
from paperfeed.digest.choices import same_choices
from paperfeed.digest.render import confirmation_message
from paperfeed.errors import Forbidden, InvalidInput, NotFound, RateLimited, SignInRequired, Unavailable
from paperfeed.mail import MailBackend, MailConfigError, backend_for
from paperfeed.ratelimit import check
from paperfeed.store import DigestChoices, Subscription, User

log = logging.getLogger(__name__)

SUBSCRIBE_PER_EMAIL_AND_CLIENT = 5
"""Subscription requests per (address, client) per hour (each may send a confirmation mail)."""
SUBSCRIBE_PER_CLIENT = 30
"""Subscription requests per client address per hour."""
SUBSCRIBE_PER_EMAIL = 20
"""Subscription requests per address per hour from all clients together: a cap against confirmation
floods, four times what one client may ask, so a stranger alone cannot use up a person's requests."""


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _address(email: str) -> str:
    try:
        return normalize_email(email)
    except AccountError as exc:
        raise InvalidInput(f"email: {exc}") from None


# ------------------------------------------------------------------------------ subscribing
@dataclass(frozen=True, slots=True)
class SubscribeResult:
    """What a subscription request did. Public answers must not depend on it (see the module doc)."""

    email: str
    subscription_id: int
    status: str  # pending, active
    mailed: bool  # a confirmation mail went out
    created: bool


def _send_confirmation(
    app: Paperfeed, subscription: Subscription, nonce: str, backend: MailBackend | None
) -> None:
    message = confirmation_message(
        app.settings,
        subscription,
        links.confirm_url(app.settings, subscription.id, nonce, now=app.clock.now()),
    )
    try:
        outcome = (backend or backend_for(app.settings)).send(message, max_attempts=1)
    except MailConfigError as exc:
        log.error("cannot send the digest confirmation email: %s", exc)
        raise Unavailable("the confirmation email could not be sent right now; try again later") from exc
    if not outcome.ok:
        log.error("digest confirmation to %s not sent: %s", subscription.email, outcome.detail)
        raise Unavailable("the confirmation email could not be sent right now; try again later")


def _request(
    app: Paperfeed,
    address: str,
    choices: DigestChoices,
    *,
    now: datetime,
    backend: MailBackend | None,
) -> SubscribeResult:
    """Pending + confirmation mail, reusing a subscription with the same choices."""
    digests = app.store.subscriptions
    existing = next((s for s in digests.for_email(address) if same_choices(s.choices, choices)), None)
    if existing is not None and existing.status == "active":
        if existing.choices.max_papers != choices.max_papers:
            digests.set_choices(existing.id, choices)
        return SubscribeResult(address, existing.id, "active", mailed=False, created=False)
    nonce = secrets.token_urlsafe(24)
    if existing is None:
        subscription = digests.add(address, choices, status="pending", now=now, confirm_hash=_hash(nonce))
        created = True
    else:
        if existing.status == "paused":  # asking again after bounces: confirm the address anew
            digests.unsubscribe(existing.id, now=now)
        digests.set_choices(existing.id, choices)
        digests.request_confirmation(existing.id, _hash(nonce), now=now)
        subscription = digests.get(existing.id) or existing
        created = False
    _send_confirmation(app, subscription, nonce, backend)
    return SubscribeResult(address, subscription.id, "pending", mailed=True, created=created)


def subscribe(
    app: Paperfeed,
    email: str,
    choices: DigestChoices,
    *,
    client: str | None = None,
    now: datetime | None = None,
    backend: MailBackend | None = None,
) -> SubscribeResult:
    """The public subscription (header form, API): pending until confirmed by mail; rate-limited."""
    address = _address(email)
    # In order, each counted only if the one before allowed it (sliding windows, see paperfeed.ratelimit).
    limits = [(f"digest:email-client:{address}|{client}", SUBSCRIBE_PER_EMAIL_AND_CLIENT)] if client else []
    limits += [(f"digest:client:{client}", SUBSCRIBE_PER_CLIENT)] if client else []
    limits += [(f"digest:email:{address}", SUBSCRIBE_PER_EMAIL if client else SUBSCRIBE_PER_EMAIL_AND_CLIENT)]
    for key, limit in limits:
        verdict = check(app, key, limit=limit, window_seconds=3600)
        if not verdict.allowed:
            raise RateLimited(
                "too many subscription requests; wait a while and try again", retry_after=verdict.retry_after
            )
    return _request(app, address, choices, now=now or app.clock.now(), backend=backend)


def subscribe_member(app: Paperfeed, user: User, choices: DigestChoices) -> Subscription:
    """A signed-in member's new subscription, active at once (their address is proven)."""
    digests = app.store.subscriptions
    now = app.clock.now()
    existing = next((s for s in digests.for_email(user.email) if same_choices(s.choices, choices)), None)
    if existing is not None:
        digests.set_choices(existing.id, choices)
        digests.activate(existing.id, now=now)
        return digests.get(existing.id) or existing
    return digests.add(user.email, choices, status="active", now=now)


def import_subscribers(
    app: Paperfeed,
    emails: Sequence[str],
    choices: DigestChoices,
    *,
    confirmed: bool,
    backend: MailBackend | None = None,
) -> list[SubscribeResult]:
    """An operator's import: every address is checked first (nothing is written if one is bad);
    ``confirmed`` makes them active at once, otherwise each gets the confirmation mail."""
    addresses = list(dict.fromkeys(_address(e) for e in emails))
    if not addresses:
        raise InvalidInput("give at least one email address")
    digests = app.store.subscriptions
    results = []
    for address in addresses:
        now = app.clock.now()
        if not confirmed:
            results.append(_request(app, address, choices, now=now, backend=backend))
            continue
        existing = next((s for s in digests.for_email(address) if same_choices(s.choices, choices)), None)
        if existing is None:
            added = digests.add(address, choices, status="active", now=now)
            results.append(SubscribeResult(address, added.id, "active", mailed=False, created=True))
        else:
            digests.set_choices(existing.id, choices)
            digests.activate(existing.id, now=now)
            results.append(SubscribeResult(address, existing.id, "active", mailed=False, created=False))
    return results


# ------------------------------------------------------------------------------ links
def _subscription(app: Paperfeed, subscription_id: int) -> Subscription:
    found = app.store.subscriptions.get(subscription_id)
    if found is None:
        raise NotFound("this subscription no longer exists")
    return found


def subscription_for_link(app: Paperfeed, kind: str, token: str) -> Subscription:
    """The subscription an unsubscribe or manage link is for (any status)."""
    return _subscription(app, links.subscription_id_of(app.settings, kind, token))


@dataclass(frozen=True, slots=True)
class ConfirmResult:
    subscription: Subscription
    changed: bool  # False: it already was confirmed (a second click)


def confirm(app: Paperfeed, token: str) -> ConfirmResult:
    """Use a confirmation link: the subscription becomes active (once; a second use is harmless)."""
    data = links.read(app.settings, "confirm", token, now=app.clock.now())
    if len(data) != 2 or not isinstance(data[1], str):
        raise links.InvalidLink("this confirmation link is not valid: copy the whole link from the email")
    subscription = _subscription(app, int(data[0]))  # type: ignore[call-overload]
    if app.store.subscriptions.confirm(subscription.id, _hash(data[1]), now=app.clock.now()):
        return ConfirmResult(_subscription(app, subscription.id), changed=True)
    if subscription.status == "active":
        return ConfirmResult(subscription, changed=False)
    if subscription.status == "pending":
        raise links.InvalidLink(
            "this confirmation link was replaced by a newer one: use the link in the latest email"
        )
    raise links.InvalidLink(
        f"this subscription is {subscription.status}; subscribe again to get a new confirmation link"
    )


def unsubscribe(app: Paperfeed, token: str) -> Subscription:
    """Use an unsubscribe link (idempotent: unsubscribing twice is fine)."""
    subscription = subscription_for_link(app, "unsubscribe", token)
    app.store.subscriptions.unsubscribe(subscription.id, now=app.clock.now())
    return _subscription(app, subscription.id)


def stop(app: Paperfeed, subscription: Subscription) -> Subscription:
    """Unsubscribe a subscription its owner is managing (settings page); idempotent."""
    app.store.subscriptions.unsubscribe(subscription.id, now=app.clock.now())
    return _subscription(app, subscription.id)


def unsubscribe_address(app: Paperfeed, email: str) -> list[Subscription]:
    """Stop every subscription of an address (an operator acting on a reader's request)."""
    address = _address(email)
    found = app.store.subscriptions.for_email(address)
    if not found:
        raise NotFound(f"no subscription for {address}")
    now = app.clock.now()
    for subscription in found:
        app.store.subscriptions.unsubscribe(subscription.id, now=now)
    return app.store.subscriptions.for_email(address)


def update_choices(app: Paperfeed, subscription: Subscription, choices: DigestChoices) -> Subscription:
    """New choices for an existing subscription (its status is unchanged)."""
    app.store.subscriptions.set_choices(subscription.id, choices)
    return _subscription(app, subscription.id)


def resume(app: Paperfeed, subscription: Subscription) -> Subscription:
    """A paused subscription delivers again (its owner fixed the address, or it was a glitch)."""
    if subscription.status not in ("paused", "active"):
        raise InvalidInput(f"only a paused subscription can be resumed; this one is {subscription.status}")
    app.store.subscriptions.activate(subscription.id, now=app.clock.now())
    return _subscription(app, subscription.id)


# ------------------------------------------------------------------------------ members
def member_subscriptions(app: Paperfeed, user: User) -> list[Subscription]:
    """Every subscription of the member's address (stopped ones too, so they can restart them)."""
    return app.store.subscriptions.for_email(user.email)


def member_subscription(app: Paperfeed, user: User | None, subscription_id: int) -> Subscription:
    """One subscription of the signed-in member's address; someone else's is refused."""
    if user is None:
        raise SignInRequired("sign in to manage your subscriptions")
    found = app.store.subscriptions.get(subscription_id)
    if found is None:
        raise NotFound(f"no subscription {subscription_id}")
    if found.email != user.email:
        raise Forbidden("that subscription belongs to another address")
    return found
