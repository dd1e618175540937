"""Reply notices: a mail to a member when someone answers their comment, if they chose it.

Off by default (a member turns it on on ``/settings`` or under the discussion). The mail goes
through the configured mail backend (SMTP, or the console outbox) like every mail paperfeed sends,
in plain text: the reply is shown as text (:func:`~paperfeed.discussion.markup.plain_text`), never
as HTML. Each notice carries a one-click stop link: a token signed with the secret key (its own
derived key, so no other link's token works here) naming the member; the link's page has a
button, and the same URL takes RFC 8058's one-click POST (``List-Unsubscribe-Post``) from mail
clients, without a session.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging

from paperfeed.config import Settings
from paperfeed.context import Paperfeed
from paperfeed.discussion.comments import ReplyNotice
from paperfeed.discussion.markup import plain_text
from paperfeed.errors import InvalidInput
from paperfeed.formats.latex import latex_text
from paperfeed.mail import MailBackend, MailError, SendOutcome, backend_for, build_message

log = logging.getLogger(__name__)

_SALT = "paperfeed.discussion.reply-stop"
_EXCERPT = 600


def _mac(secret_key: str, body: str) -> str:
    key = hashlib.sha256(f"{_SALT}\x00{secret_key}".encode()).digest()
    digest = hmac.new(key, body.encode("ascii"), hashlib.sha256).digest()[:18]
    return base64.urlsafe_b64encode(digest).decode("ascii")


def stop_token(settings: Settings, user_id: int) -> str:
    """The token of a member's stop link: their id and an HMAC of it (no expiry: an old mail's
    link must keep working)."""
    body = str(int(user_id))
    return f"{body}.{_mac(settings.secret_key, body)}"


def user_of_stop_token(settings: Settings, token: str) -> int:
    body, _, mac = token.strip().partition(".")
    if (
        not body.isdigit()
        or not token.isascii()
        or not hmac.compare_digest(mac, _mac(settings.secret_key, body))
    ):
        raise InvalidInput("this link to stop reply notices is not valid: copy the whole link from the email")
    return int(body)


def stop_url(settings: Settings, user_id: int) -> str:
    return f"{settings.base_url.rstrip('/')}/discussion/stop/{stop_token(settings, user_id)}"


def stop_reply_notices(app: Paperfeed, token: str) -> int:
    """Turn reply notices off for the member the token names; their id."""
    user_id = user_of_stop_token(app.settings, token)
    app.store.discussion.set_reply_notices(user_id, False, now=app.clock.now())
    return user_id


def _excerpt(text: str) -> str:
    flat = plain_text(text)
    return flat if len(flat) <= _EXCERPT else flat[: _EXCERPT - 1].rstrip() + "…"


def notice_text(settings: Settings, notice: ReplyNotice, author: str | None) -> tuple[str, str]:
    """Subject and body of the mail (plain text)."""
    base = settings.base_url.rstrip("/")
    title = " ".join(latex_text(notice.paper.title).split())
    who = author or "A member"
    subject = f"{who} replied to your comment on “{title[:120]}”"
    body = (
        f"{who} replied to your comment on {title}:\n\n"
        f"    {_excerpt(notice.reply.body)}\n\n"
        f"Your comment: {_excerpt(notice.answered.body)}\n\n"
        f"Read and answer: {base}/papers/{notice.paper.paper_id}#comment-{notice.reply.id}\n\n"
        f"You get these mails because you turned on reply notices. Stop them with one click:\n"
        f"{stop_url(settings, notice.recipient.id)}\n"
    )
    return subject, body


def send_reply_notice(
    app: Paperfeed, notice: ReplyNotice, *, backend: MailBackend | None = None
) -> SendOutcome | None:
    """Mail ``notice`` to its recipient through the configured backend (retried as the backend
    retries). A failure is logged and ``None`` or a failed outcome returned, never raised: the
    member who replied is not the one to tell."""
    author = notice.reply.author
    subject, text = notice_text(app.settings, notice, author)
    try:
        message = build_message(
            app.settings,
            to=notice.recipient.email,
            subject=subject,
            text=text,
            unsubscribe_url=stop_url(app.settings, notice.recipient.id),
            list_id="replies",
            list_name="paperfeed reply notices",
            date=app.clock.now(),
        )
        outcome = (backend or backend_for(app.settings)).send(message)
    except MailError as exc:
        log.warning("reply notice for comment %s not sent: %s", notice.reply.id, exc)
        return None
    if not outcome.ok:
        log.warning("reply notice for comment %s not delivered: %s", notice.reply.id, outcome)
    return outcome
