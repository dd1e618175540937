"""The running paperfeed: settings plus the store opened from them.

The CLI, the web app and the tests all build one :class:`Paperfeed` and call library functions with
it, so "where is my data" has exactly one answer.
"""

from __future__ import annotations

from functools import cached_property

from paperfeed.config import Settings
from paperfeed.store import Store


class Paperfeed:
    """Opens what ``settings`` describe, lazily: a command that needs only settings opens nothing."""

    def __init__(self, settings: Settings | None = None) -> None:
        self.settings = settings or Settings()

    @cached_property
    def store(self) -> Store:
        self.settings.ensure_data_dir()
        return Store.open(self.settings.resolved_database_url)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
