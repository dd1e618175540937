"""A polite HTTP client for outside services: one connection, a minimum interval, bounded retries.

arXiv asks for at most one request every three seconds on a single connection and answers
overload with HTTP 503 + ``Retry-After``. Both the search API and the OAI-PMH harvester need the
same behaviour, so it lives here once (and the enrichment's clients for GitHub and language models
use it too). Time is injected (``sleep``/``clock``) so tests check the
pacing without waiting.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any
from urllib.parse import urlsplit

import httpx

from paperfeed.clock import utc, wall_now
from paperfeed.errors import UpstreamUnavailable

DEFAULT_USER_AGENT = "paperfeed/0.1 (self-hosted paper discovery; https://github.com/paperfeed)"


class SourceError(UpstreamUnavailable):
    """An ingest source failed as a whole (as opposed to one bad record); the message is for people."""


class SourceUnavailable(SourceError):
    """The service kept failing (timeouts, connection errors, 5xx) after all retries."""


Notify = Callable[[str], None]
"""Where a client says what it is doing (the CLI prints it on stderr), one sentence at a time."""


def _name_resolution_error(exc: BaseException) -> socket.gaierror | None:
    """The DNS failure behind a connection error, if that is what it is."""
    seen: BaseException | None = exc
    for _ in range(10):
        if seen is None:
            return None
        if isinstance(seen, socket.gaierror):
            return seen
        seen = seen.__cause__ or seen.__context__
    return None


@dataclass(frozen=True, slots=True)
class PoliteOptions:
    """How politely to ask one service, written once for every client (arXiv's API and OAI-PMH):
    at most one request per ``min_interval`` seconds, ``max_retries`` tries after the first with
    ``backoff * 2**attempt`` seconds between them (or the server's ``Retry-After``, capped at
    ``max_retry_after``), ``timeout`` per request. ``sleep`` and ``clock`` are injected so tests
    check the waiting without waiting; ``transport`` is where tests put recorded responses."""

    min_interval: float = 3.0
    max_retries: int = 4
    timeout: float = 30.0
    transport: httpx.BaseTransport | None = None
    sleep: Callable[[float], None] = time.sleep
    clock: Callable[[], float] = time.monotonic
    user_agent: str = DEFAULT_USER_AGENT
    notify: Notify | None = None
    backoff: float = 2.0
    max_retry_after: float = 600.0
    url_setting: str = "PAPERFEED_ARXIV_API_URL / PAPERFEED_ARXIV_OAI_URL"
    """The setting that names this service's URL, for the message when its name does not resolve."""


class PoliteClient:
    """GET requests to one endpoint, never closer together than ``min_interval`` seconds.

    Timeouts, connection errors, HTTP 429 and 5xx are retried up to ``max_retries`` times with
    exponential backoff (``backoff * 2**attempt`` seconds), or after ``Retry-After`` when the server
    sends one (capped at ``max_retry_after`` so a confused server cannot park a harvest for a day).
    A name that does not resolve is not retried: no network, or a mistyped URL, will not fix itself
    in the next half minute. ``notify`` hears what is being tried and why it waits.
    """

    def __init__(self, base_url: str, options: PoliteOptions) -> None:
        self.base_url = base_url
        self.host = urlsplit(base_url).hostname or base_url
        self._notify = options.notify
        self._announced = False
        self.min_interval = options.min_interval
        self.max_retries = options.max_retries
        self.backoff = options.backoff
        self.max_retry_after = options.max_retry_after
        self._sleep = options.sleep
        self._clock = options.clock
        self._url_setting = options.url_setting
        self._last_request: float | None = None
        self._client = httpx.Client(
            transport=options.transport,
            timeout=options.timeout,
            headers={"User-Agent": options.user_agent},
            limits=httpx.Limits(max_connections=1, max_keepalive_connections=1),
            follow_redirects=True,
        )

    def close(self) -> None:
        self._client.close()

    def _wait_turn(self) -> None:
        if self._last_request is not None:
            wait = self._last_request + self.min_interval - self._clock()
            if wait > 0:
                self._sleep(wait)
        self._last_request = self._clock()

    def _retry_after(self, response: httpx.Response) -> float | None:
        value = response.headers.get("Retry-After")
        if not value:
            return None
        value = value.strip()
        if value.isdigit():
            return float(value)
        try:  # the HTTP-date form
            return max(0.0, parsedate_to_datetime(value).timestamp() - utc(wall_now()).timestamp())
        except (TypeError, ValueError):
            return None

    def get(self, params: Mapping[str, str]) -> httpx.Response:
        """The first non-retryable response (2xx, 3xx, 4xx other than 429); raises after the retries."""
        return self.request("GET", self.base_url, params=params)

    def request(
        self,
        method: str,
        url: str,
        *,
        params: Mapping[str, str] | None = None,
        headers: Mapping[str, str] | None = None,
        json: Any = None,
    ) -> httpx.Response:
        """Any request to the service (another path, headers, a JSON body), with the same pacing
        and retries as :meth:`get`: the first response that is not 429 or 5xx."""
        attempt = 0
        if self._notify is not None and not self._announced:
            self._notify(f"asking {self.base_url} (timeout {self._client.timeout.read or 0:.0f} s) …")
            self._announced = True
        while True:
            self._wait_turn()
            try:
                response = self._client.request(
                    method, url, params=dict(params) if params else None, headers=headers, json=json
                )
            except httpx.TransportError as exc:  # timeouts, refused/reset connections, DNS
                dns = _name_resolution_error(exc)
                if dns is not None:
                    raise SourceUnavailable(
                        f"cannot resolve {self.host} ({dns.strerror or dns}): check the network "
                        f"connection, or the URL setting ({self._url_setting})"
                    ) from exc
                if attempt >= self.max_retries:
                    raise SourceUnavailable(
                        f"{url} unreachable after {attempt + 1} attempts: "
                        f"{type(exc).__name__}: {exc or 'no answer'}"
                    ) from exc
                delay = self.backoff * 2**attempt
                self._say(f"no answer from {self.host} ({type(exc).__name__})", delay, attempt)
            else:
                if response.status_code != 429 and response.status_code < 500:
                    return response
                if attempt >= self.max_retries:
                    raise SourceUnavailable(
                        f"{url} answered HTTP {response.status_code} {attempt + 1} times; try again later"
                    )
                retry_after = self._retry_after(response)
                delay = (
                    min(retry_after, self.max_retry_after)
                    if retry_after is not None
                    else self.backoff * 2**attempt
                )
                self._say(f"{self.host} answered HTTP {response.status_code}", delay, attempt)
            self._sleep(delay)
            attempt += 1

    def _say(self, what: str, delay: float, attempt: int) -> None:
        if self._notify is not None:
            self._notify(
                f"{what}; trying again in {delay:.0f} s (try {attempt + 2} of {self.max_retries + 1})"
            )
