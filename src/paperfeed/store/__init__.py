"""The system of record, and the only package that speaks SQL.

:class:`Store` opens one database (SQLite or PostgreSQL, chosen by URL) and hands out one typed
interface per concern: ``papers`` (records, windows, the change feed), ``accounts``, ``votes``,
``featured``, ``rate_limits``, ``discussion`` (comments on papers, reports), ``enrichment``
(links, keywords, GitHub stars and summaries derived for papers), ``library`` (collections, entries, annotations), ``signals``
(follows, feedback, impressions, feed-driver switches), ``recommend`` (cached member models,
personal feed tokens), ``subscriptions`` (who gets which digest), ``sends`` (the digests' send
ledger), ``leases`` and
``schedule`` (coordination between processes). Features call these; nothing above this package
imports SQLAlchemy.
"""

from __future__ import annotations

from paperfeed.store.accounts import AccountStore, User
from paperfeed.store.database import Database, StoreUnavailable, redact_url
from paperfeed.store.discussion import CommentRow, DiscussionStore, ReportRow
from paperfeed.store.enrichment import Enrichment, EnrichmentStore, RepoState, TextState
from paperfeed.store.featured import FeaturedEntry, FeaturedStore
from paperfeed.store.leases import LeaseStore, ScheduleStore
from paperfeed.store.library import Annotation, Collection, Entry, LibraryStore
from paperfeed.store.papers import BatchResult, PaperStore, Window
from paperfeed.store.ratelimits import RateLimitStore
from paperfeed.store.recommend import ModelRow, RecommendStore, StoredBlend, StoredModel
from paperfeed.store.send_ledger import ClaimedSend, SendLedger, SendRecord
from paperfeed.store.signals import Feedback, Follow, Impression, SignalStore
from paperfeed.store.subscriptions import DigestChoices, Subscription, SubscriptionStore
from paperfeed.store.votes import VoteStore

__all__ = [
    "AccountStore",
    "Annotation",
    "BatchResult",
    "ClaimedSend",
    "Collection",
    "CommentRow",
    "Database",
    "DigestChoices",
    "DiscussionStore",
    "Enrichment",
    "EnrichmentStore",
    "Entry",
    "FeaturedEntry",
    "FeaturedStore",
    "Feedback",
    "Follow",
    "Impression",
    "LeaseStore",
    "LibraryStore",
    "ModelRow",
    "PaperStore",
    "RateLimitStore",
    "RecommendStore",
    "RepoState",
    "ReportRow",
    "ScheduleStore",
    "SendLedger",
    "SendRecord",
    "SignalStore",
    "Store",
    "StoreUnavailable",
    "StoredBlend",
    "StoredModel",
    "Subscription",
    "SubscriptionStore",
    "TextState",
    "User",
    "VoteStore",
    "Window",
    "redact_url",
]


class Store:
    """One database and its interfaces; cheap to build, safe to share between threads."""

    def __init__(self, database: Database) -> None:
        self.database = database
        self.papers = PaperStore(database)
        self.accounts = AccountStore(database)
        self.votes = VoteStore(database)
        self.featured = FeaturedStore(database)
        self.rate_limits = RateLimitStore(database)
        self.library = LibraryStore(database)
        self.signals = SignalStore(database)
        self.recommend = RecommendStore(database)
        self.subscriptions = SubscriptionStore(database)
        self.sends = SendLedger(database)
        self.leases = LeaseStore(database)
        self.schedule = ScheduleStore(database)
        self.discussion = DiscussionStore(database)
        self.enrichment = EnrichmentStore(database)

    @classmethod
    def open(cls, url: str) -> Store:
        """Open (and create or migrate) the store at ``url``."""
        return cls(Database(url))

    @property
    def dialect(self) -> str:
        return self.database.dialect

    def close(self) -> None:
        self.database.dispose()
