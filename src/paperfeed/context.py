"""The running paperfeed: settings, the store opened from them, and the clock of business time.

The CLI, the web app and the tests all build one :class:`Paperfeed` and call library functions with
it, so "where is my data" and "what time is it" each have exactly one answer.
"""

from __future__ import annotations

from functools import cached_property

from paperfeed.clock import Clock, FixedClock, SystemClock, parse_moment
from paperfeed.config import Settings
from paperfeed.store import Store


class Paperfeed:
    """Opens what ``settings`` describe, lazily: a command that needs only settings opens nothing.

    ``clock`` is business time for every feature (:mod:`paperfeed.clock`): the machine's clock by
    default, a fixed moment when ``PAPERFEED_NOW`` is set, or whatever a test hands in.
    """

    def __init__(self, settings: Settings | None = None, *, clock: Clock | None = None) -> None:
        self.settings = settings or Settings()
        if clock is None:
            clock = FixedClock(parse_moment(self.settings.now)) if self.settings.now else SystemClock()
        self.clock: Clock = clock

    @cached_property
    def store(self) -> Store:
        self.settings.ensure_data_dir()
        return Store.open(self.settings.resolved_database_url)

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
