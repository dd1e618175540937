"""Looking at digests without sending them: previews for subscribers, and "view in browser".

A preview composes a subscription's digest now, for a period (by default the latest day that has
papers, so a store with an old corpus still previews something), exactly as a send would, and
writes nothing. "View in browser" shows what a sent digest contained: the papers and reasons
stored in the send ledger when it went out, not a new composition.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from paperfeed.accounts import AccountError, normalize_email
from paperfeed.context import Paperfeed
from paperfeed.digest import links
from paperfeed.digest.compose import ComposedDigest
from paperfeed.digest.content import PeriodContent, RankingProvider
from paperfeed.digest.due import is_announcement_day, ledger_key, parse_ledger_key, period_for
from paperfeed.digest.render import DigestRenderer, RenderedDigest
from paperfeed.enrich.view import summary_lines
from paperfeed.errors import InvalidInput, NotFound
from paperfeed.periods import Period
from paperfeed.records import PaperRecord
from paperfeed.store import Subscription, Window


@dataclass(frozen=True, slots=True)
class Preview:
    subscription: Subscription
    period: Period
    digest: ComposedDigest
    rendered: RenderedDigest | None  # None: the digest is empty and would not be sent


def default_day(app: Paperfeed) -> date:
    """The latest day that has papers (today when the store is empty)."""
    newest = app.store.papers.window_edge(Window(), newest=True)
    return newest.date() if newest is not None else app.clock.now().date()


def preview_period(frequency: str, day: date) -> Period:
    """The period a preview of ``day`` shows: a weekend day previews the Friday before it."""
    while frequency == "daily" and not is_announcement_day(day):
        day -= timedelta(days=1)
    found = period_for(frequency, day)
    assert found is not None
    return found


def preview_subscriptions(
    app: Paperfeed,
    subscriptions: Sequence[Subscription],
    *,
    day: date | None = None,
    recommendations: RankingProvider | None = None,
) -> list[Preview]:
    """Compose and render the digests of ``subscriptions`` for ``day`` (see the module docstring)."""
    chosen = day or default_day(app)
    renderer = DigestRenderer(app.settings, summaries=lambda ids: summary_lines(app, ids))
    contents: dict[str, PeriodContent] = {}
    previews = []
    for subscription in subscriptions:
        period = preview_period(subscription.choices.frequency, chosen)
        content = contents.get(ledger_key(period))
        if content is None:
            content = contents[ledger_key(period)] = PeriodContent(
                app,
                period,
                query_limit=max(20, subscription.choices.max_papers),
                recommendations=recommendations,
            )
        digest = content.compose(subscription)
        rendered = (
            None
            if digest.empty
            else renderer.render(subscription, period, digest, content.paper, view_url=None)
        )
        previews.append(Preview(subscription, period, digest, rendered))
    return previews


def preview(
    app: Paperfeed,
    email: str,
    *,
    day: date | None = None,
    recommendations: RankingProvider | None = None,
) -> list[Preview]:
    """Previews of every live subscription of ``email`` (``paperfeed digest preview``)."""
    try:
        address = normalize_email(email)
    except AccountError as exc:
        raise InvalidInput(f"email: {exc}") from None
    found = [s for s in app.store.subscriptions.for_email(address) if s.status != "unsubscribed"]
    if not found:
        raise NotFound(
            f"{address} has no digest subscription; add one with: paperfeed digest subscribe {address}"
        )
    return preview_subscriptions(app, found, day=day, recommendations=recommendations)


def _papers(app: Paperfeed, ids: Sequence[str]) -> dict[str, PaperRecord]:
    """Papers by id, following the aliases of papers merged since the digest went out."""
    found = app.store.papers.get_many(ids)
    for paper_id in ids:
        if paper_id not in found:
            merged = app.store.papers.get(paper_id)
            if merged is not None:
                found[paper_id] = merged
    return found


def view_sent(app: Paperfeed, token: str) -> RenderedDigest:
    """The digest a "view in browser" link points at, as it was sent."""
    data = links.read(app.settings, "view", token)
    if len(data) != 2 or not isinstance(data[1], str):
        raise links.InvalidLink("this link to a digest is not valid: copy the whole link from the email")
    subscription = app.store.subscriptions.get(int(data[0]))  # type: ignore[call-overload]
    period = parse_ledger_key(data[1])
    record = app.store.sends.send_of(subscription.id, ledger_key(period)) if subscription else None
    if subscription is None or record is None or record.content is None:
        raise NotFound("this digest was never sent, or its subscription no longer exists")
    digest = ComposedDigest.from_json(json.loads(record.content))
    papers = _papers(app, [item.paper_id for item in digest.items])
    renderer = DigestRenderer(app.settings, summaries=lambda ids: summary_lines(app, ids))
    return renderer.render(subscription, period, digest, papers.get, view_url=None)
