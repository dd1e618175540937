"""What a period offers every digest of it: its papers, and each source computed once.

Composing 10,000 digests must not run 10,000 searches: subscribers who follow the same category,
author or query, or who want the same trending list, share one :class:`~paperfeed.digest.compose.Source`.
:class:`PeriodContent` loads the period's papers once, indexes them by category and author, and
computes trending lists and keyword queries on first use, then serves the cached source.

- Category: the period's papers listed in the category (any of their categories), newest first.
- Author: papers with an author whose name matches the followed name, ignoring case, accents and
  spacing ("Zoë  Martín" follows "zoe martin"); initials are not expanded ("J. Doe" is not "Jane Doe").
- Query: the keyword index (:func:`paperfeed.search.engine.search`, keyword mode) over the period's
  dates, with every plain word required, phrases, ``author:``/``cat:`` clauses and ``-exclusions``
  as in search; best match first.
- Trending: the period's papers, and papers featured on its days, that the community upvoted or
  featured, ranked by the trending score (:func:`paperfeed.community.trending.rank`: upvotes
  decaying with a one-day half-life, counted at composition time); featured papers without votes
  follow the voted ones. "Trending in cs.CL" keeps the papers listed in cs.CL.
- Recommended: for subscriptions that chose it, a :data:`RankingProvider`, when one is given
  (:class:`paperfeed.digest.recommended.PersonalRecommendations`, the member's "For you" ranking);
  none is built into this module.
"""

from __future__ import annotations

import logging
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Sequence
from datetime import datetime

from paperfeed.community.trending import rank
from paperfeed.context import Paperfeed
from paperfeed.digest.compose import ComposedDigest, Source, compose
from paperfeed.periods import Period
from paperfeed.records import PaperRecord
from paperfeed.search.engine import search
from paperfeed.store import Subscription, Window

log = logging.getLogger(__name__)

RankingProvider = Callable[[Subscription, Period, Sequence[str]], Sequence[tuple[str, str]]]
"""Personal recommendations for one subscriber: given the subscription, the period and the ids of
the period's papers, return ``(paper id, why)`` pairs, best first (``why`` is shown as the reason,
e.g. "like 'Attention is all you need', which you saved"). The recommendations feature passes one
to :func:`paperfeed.digest.sender.send_digests` and :func:`paperfeed.digest.preview.preview`."""

MAX_PERIOD_PAPERS = 200_000
"""A week of the whole of arXiv is about 25,000 papers; this only guards against a runaway window."""


def name_key(name: str) -> str:
    """An author name compared without case, accents or extra spaces."""
    decomposed = unicodedata.normalize("NFKD", name)
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return " ".join(stripped.casefold().replace(".", ". ").split())


class PeriodContent:
    """The papers of one period and the digest sources over them, computed once and shared.

    ``query_limit`` bounds each keyword query's results (the largest size limit of any digest is
    enough). ``now`` is when trending is computed (votes decay with age).
    """

    def __init__(
        self,
        app: Paperfeed,
        period: Period,
        *,
        query_limit: int = 100,
        now: datetime | None = None,
        recommendations: RankingProvider | None = None,
    ) -> None:
        self.app = app
        self.period = period
        self.query_limit = query_limit
        self.now = now or app.clock.now()
        self.recommendations = recommendations
        store = app.store
        window = Window(since=period.since, until=period.until)
        self.ids: list[str] = store.papers.window_ids(window, limit=MAX_PERIOD_PAPERS)
        self.papers: dict[str, PaperRecord] = store.papers.get_many(self.ids)
        self._by_category: dict[str, list[str]] = defaultdict(list)
        self._by_author: dict[str, list[str]] = defaultdict(list)
        self._author_label: dict[str, dict[str, str]] = defaultdict(dict)
        for paper_id in self.ids:
            paper = self.papers.get(paper_id)
            if paper is None:
                continue
            for category in dict.fromkeys(paper.categories):
                self._by_category[category].append(paper_id)
            for author in paper.authors:
                key = name_key(author)
                if key:
                    self._by_author[key].append(paper_id)
                    self._author_label[key].setdefault(paper_id, author)
        self._sources: dict[tuple[str, str], Source] = {}
        self._trending: list[str] | None = None
        self.notices: list[str] = []

    # ------------------------------------------------------------------ papers
    def paper(self, paper_id: str) -> PaperRecord | None:
        """A paper of a digest (loaded on demand when it is not one of the period's own)."""
        found = self.papers.get(paper_id)
        if found is None:
            found = self.app.store.papers.get(paper_id)
            if found is not None:
                self.papers[paper_id] = found
        return found

    def _load(self, ids: Sequence[str]) -> None:
        missing = [i for i in ids if i not in self.papers]
        if missing:
            self.papers.update(self.app.store.papers.get_many(missing))

    # ------------------------------------------------------------------ sources
    def source(self, kind: str, key: str) -> Source:
        """The shared source for one followed thing (computed on first use)."""
        cache_key = (kind, key)
        found = self._sources.get(cache_key)
        if found is None:
            found = self._build(kind, key)
            self._sources[cache_key] = found
        return found

    def _build(self, kind: str, key: str) -> Source:
        if kind == "category":
            return Source(kind, key, self._by_category.get(key, []))
        if kind == "author":
            name = name_key(key)
            return Source(kind, key, self._by_author.get(name, []), self._author_label.get(name))
        if kind == "query":
            return Source(kind, key, self._query(key))
        if kind == "trending":
            ranked = self.trending_ids()
            if key:
                ranked = [
                    pid
                    for pid in ranked
                    if key in (self.papers[pid].categories if pid in self.papers else ())
                ]
            return Source(kind, key, ranked)
        raise ValueError(f"no shared source of kind {kind!r}")

    def _query(self, query: str) -> list[str]:
        results = search(
            self.app,
            query,
            mode="keyword",
            since=self.period.first,
            until=self.period.last,
            limit=self.query_limit,
            all_words=True,
        )
        if results.notice and results.notice not in self.notices:
            self.notices.append(results.notice)
        ids = [hit.paper_id for hit in results.hits]
        self._load(ids)
        return [pid for pid in ids if pid in self.papers]

    def trending_ids(self) -> list[str]:
        """The period's upvoted or featured papers, best first (computed once)."""
        if self._trending is None:
            store = self.app.store
            featured = store.featured.for_days(self.period.first, self.period.last)
            featured_ids = list(dict.fromkeys(entry.paper_id for entry in featured))
            candidates = list(dict.fromkeys([*self.ids, *featured_ids]))
            times = store.votes.times_for(candidates)
            voted = [entry.paper_id for entry in rank(times, self.now)]
            unvoted_featured = [pid for pid in featured_ids if pid not in times]
            ranked = voted + unvoted_featured
            self._load(ranked)
            self._trending = [pid for pid in ranked if pid in self.papers]
        return self._trending

    def sources_for(self, subscription: Subscription) -> list[Source]:
        """The sources of a subscription's choices, in priority order (see :mod:`.compose`)."""
        choices = subscription.choices
        sources: list[Source] = []
        if choices.trending:
            for category in choices.trending_categories or ("",):
                sources.append(self.source("trending", category))
        if choices.recommended and self.recommendations is not None:
            sources.append(self._recommended(subscription))
        sources.extend(self.source("author", name) for name in choices.authors)
        sources.extend(self.source("query", query) for query in choices.queries)
        sources.extend(self.source("category", category) for category in choices.categories)
        return sources

    def _recommended(self, subscription: Subscription) -> Source:
        assert self.recommendations is not None
        ranked = list(self.recommendations(subscription, self.period, self.ids))
        ids = [pid for pid, _ in ranked]
        self._load(ids)
        return Source("recommended", "", [pid for pid in ids if pid in self.papers], dict(ranked))

    def compose(self, subscription: Subscription) -> ComposedDigest:
        """The digest of ``subscription`` for this period (possibly empty: then it is not sent)."""
        return compose(self.sources_for(subscription), subscription.choices.max_papers)
