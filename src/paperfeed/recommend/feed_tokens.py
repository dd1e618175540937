"""The personal "For you" RSS feed: a secret address per member.

Feed readers cannot sign in, so the feed's URL carries a random token
(``/feeds/for-you/<token>.xml``). Only the token's SHA-256 is stored; the member sees the token once,
when it is made on the "For you" page (or by the API), and making a new one retires the old address
at once. A token that is malformed, retired or unknown is "not found", the same answer in every
case, so the feed reveals nothing about which tokens exist.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from datetime import datetime

from paperfeed.context import Paperfeed
from paperfeed.errors import NotFound
from paperfeed.library.collections import require_member
from paperfeed.recommend.service import DEFAULT_DAYS, ForYou, for_you
from paperfeed.store import User

_TOKEN = re.compile(r"^[A-Za-z0-9_-]{32,100}$")
FEED_SIZE = 50


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_feed_token(app: Paperfeed, user: User | None, *, now: datetime | None = None) -> str:
    """A new secret for the member's feed (shown once); the previous one stops working."""
    member = require_member(user, "make your personal feed")
    token = secrets.token_urlsafe(32)
    app.store.recommend.set_feed_token(member.id, _hash(token), now=now or app.clock.now())
    return token


def revoke_feed_token(app: Paperfeed, user: User | None) -> bool:
    """Turn the member's personal feed off; whether there was one."""
    return app.store.recommend.delete_feed_token(require_member(user, "turn your personal feed off").id)


def feed_owner(app: Paperfeed, token: str) -> User:
    """The member whose feed ``token`` opens; :class:`NotFound` for anything else."""
    user = app.store.recommend.feed_token_user(_hash(token)) if _TOKEN.match(token) else None
    if user is None:
        raise NotFound("no such feed: the address is wrong, or a newer one replaced it")
    return user


def personal_feed(
    app: Paperfeed, token: str, *, days: int = DEFAULT_DAYS, now: datetime | None = None
) -> tuple[User, ForYou]:
    """The member's "For you" list for their feed reader (no impressions: readers keep their own
    read state, and polling must not use up the list)."""
    owner = feed_owner(app, token)
    return owner, for_you(app, owner, days=days, limit=FEED_SIZE, record=False, now=now)
