"""The digest's "Recommended for you" section: the same ranking as the member's "For you" page.

:class:`PersonalRecommendations` is the :data:`~paperfeed.digest.content.RankingProvider` the
senders and previews are given. A subscriber whose address is a member's gets that member's ranking
over the period's papers (:mod:`paperfeed.recommend`: their library, "more like this", "not
interested", follows and switches, with each paper's reason), when the subscription chose it
(``DigestChoices.recommended``; the composer does not ask otherwise). An address without an account
gets nothing from it; the other sections still fill the digest, and an empty section is left out.

For a send (``batch=True``), the first call for a period ranks every active subscriber of the
period's frequency who chose the section at once
(:func:`paperfeed.recommend.daily_batch.recommendations_for_many`: 10,000 members in about half a
minute here), so composing 10,000 digests does not rank 10,000 times; a sender with several
workers does this before it forks them. A preview (``batch=False``) ranks only the one member: a
page must not wait for every subscriber's ranking. A subscription outside the batch is ranked alone.
"""

from __future__ import annotations

from collections.abc import Sequence

from paperfeed.context import Paperfeed
from paperfeed.digest.due import frequency_of, ledger_key
from paperfeed.periods import Period
from paperfeed.recommend.daily_batch import recommendations_for_many
from paperfeed.recommend.service import recommendations_for
from paperfeed.store import Subscription

MAX_RECOMMENDED = 100
"""Recommendations asked per subscriber: a digest never shows more papers than this in all."""


class PersonalRecommendations:
    """A ranking provider backed by the members' recommendation models (see the module docstring)."""

    def __init__(self, app: Paperfeed, *, batch: bool = True) -> None:
        self.app = app
        self.batch = batch
        self._periods: dict[str, dict[str, list[tuple[str, str]]]] = {}
        self._members: dict[str, int | None] = {}

    def _member(self, email: str) -> int | None:
        key = email.strip().lower()
        if key not in self._members:
            user = self.app.store.accounts.get_user(email=key)
            self._members[key] = user.id if user is not None else None
        return self._members[key]

    def _prepare(self, period: Period) -> dict[str, list[tuple[str, str]]]:
        if not self.batch:
            return {}
        subscriptions = [
            s
            for s in self.app.store.subscriptions.with_status("active", frequency=frequency_of(period))
            if s.choices.recommended
        ]
        members = {s.email: self._member(s.email) for s in subscriptions}
        ids = sorted({m for m in members.values() if m is not None})
        limit = min(MAX_RECOMMENDED, max([10, *(s.choices.max_papers for s in subscriptions)]))
        ranked = recommendations_for_many(self.app, ids, period.since, period.until, limit) if ids else {}
        return {email: ranked.get(m, []) if m is not None else [] for email, m in members.items()}

    def __call__(
        self, subscription: Subscription, period: Period, paper_ids: Sequence[str]
    ) -> list[tuple[str, str]]:
        prepared = self._periods.get(ledger_key(period))
        if prepared is None:
            prepared = self._periods[ledger_key(period)] = self._prepare(period)
        found = prepared.get(subscription.email)
        if found is None:  # outside the batch (a preview, a pending subscription): rank alone
            member = self._member(subscription.email)
            limit = min(MAX_RECOMMENDED, max(10, subscription.choices.max_papers))
            found = (
                []
                if member is None
                else recommendations_for(self.app, member, period.since, period.until, limit)
            )
            prepared[subscription.email] = found
        period_papers = set(paper_ids)
        return [(pid, why) for pid, why in found if pid in period_papers]
