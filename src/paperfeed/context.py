"""The running paperfeed: settings, the store opened from them, and the clock of business time.

The CLI, the web app and the tests all build one :class:`Paperfeed` and call library functions with
it, so "where is my data" and "what time is it" each have exactly one answer.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

from paperfeed.clock import Clock, FixedClock, SystemClock, parse_moment, wall_now
from paperfeed.config import Settings
from paperfeed.store import Store

SERVICE_URL_STATE = "service.base_url"
"""The store's record of the address ``paperfeed serve`` was last started at."""


@dataclass(frozen=True, slots=True)
class ServiceAddress:
    """Where links made by this process point, and how that was learnt.

    ``source``: ``setting`` (PAPERFEED_BASE_URL), ``serve`` (recorded by ``paperfeed serve`` in the
    store when it started) or ``default`` (neither: the link may point where nothing answers)."""

    url: str
    source: Literal["setting", "serve", "default"]
    recorded_at: str | None = None

    def describe(self) -> str:
        """One line for people: where links point and why."""
        if self.source == "setting":
            return f"links point at {self.url} (PAPERFEED_BASE_URL)"
        if self.source == "serve":
            return f"links point at {self.url}, where `paperfeed serve` was started on {self.recorded_at}"
        return (
            f"links point at {self.url}, a guess: PAPERFEED_BASE_URL is not set and no `paperfeed serve` "
            "has recorded its address in this store; set PAPERFEED_BASE_URL to the address readers open"
        )


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

    def record_service_url(self, url: str) -> None:
        """Remember in the store that the service is reached at ``url`` (``paperfeed serve`` does, as
        it starts), so that commands run elsewhere (``digest send`` from cron) link to it."""
        record = {"url": url.rstrip("/"), "recorded_at": wall_now().isoformat(timespec="seconds") + "Z"}
        self.store.papers.set_state(SERVICE_URL_STATE, json.dumps(record))

    def service_address(self) -> ServiceAddress:
        """The address links should use: PAPERFEED_BASE_URL when it is set, else the one ``serve``
        recorded in the store, else the default (and :meth:`ServiceAddress.describe` says so)."""
        settings = self.settings
        if "base_url" in settings.model_fields_set:
            return ServiceAddress(settings.base_url.rstrip("/"), "setting")
        raw = self.store.papers.get_state(SERVICE_URL_STATE)
        try:
            record = json.loads(raw) if raw else None
        except ValueError:
            record = None
        if isinstance(record, dict) and isinstance(record.get("url"), str) and record["url"]:
            return ServiceAddress(record["url"], "serve", str(record.get("recorded_at") or "an unknown day"))
        return ServiceAddress(settings.base_url.rstrip("/"), "default")

    def use_service_address(self) -> ServiceAddress:
        """:meth:`service_address`, made the base of every link this process writes from now on."""
        address = self.service_address()
        if address.source != "setting":
            self.settings.base_url = address.url
        return address

    def close(self) -> None:
        if "store" in self.__dict__:
            self.store.close()
