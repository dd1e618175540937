"""The running paperfeed: settings plus the store and indexes opened from them.

The CLI, the web app and the tests all build one :class:`Paperfeed` and call library functions with
it, so "where is my data" has exactly one answer.
"""

from __future__ import annotations

from functools import cached_property

from paperfeed.config import Settings
from paperfeed.store.database import Database
from paperfeed.store.papers import PaperStore


class Paperfeed:
    """Opens what ``settings`` describe, lazily: a command that needs only the store never loads more."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()

    @cached_property
    def database(self) -> Database:
        self.settings.data_dir.mkdir(parents=True, exist_ok=True)
        return Database(self.settings.resolved_database_url)

    @cached_property
    def store(self) -> PaperStore:
        return PaperStore(self.database)

    def close(self) -> None:
        if "database" in self.__dict__:
            self.database.dispose()
