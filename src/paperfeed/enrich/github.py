"""GitHub's REST API, asked for one thing: a repository's stars (``GET /repos/{owner}/{repo}``).

Polite by construction (:class:`~paperfeed.ingest.http.PoliteClient`: one connection, a pause
between requests, bounded retries of 5xx and time-outs), and by GitHub's own rules:

- the base URL is ``PAPERFEED_GITHUB_API_URL`` (GitHub Enterprise and tests point it elsewhere);
  ``PAPERFEED_GITHUB_TOKEN``, when set, goes as ``Authorization: Bearer`` (5,000 requests an hour
  instead of 60);
- conditional requests: the last ``ETag`` goes back as ``If-None-Match``; an unchanged repository
  answers ``304 Not Modified``, which GitHub does not count against the rate limit;
- a renamed or transferred repository answers ``301`` with the new address, which is followed; the
  answer names the repository as it is called now (``full_name``);
- the rate limit: every answer says how many requests are left (``x-ratelimit-remaining``) and when
  the window resets (``x-ratelimit-reset``); at zero, or on a ``403``/``429`` that says the limit is
  reached, :class:`GitHubRateLimited` tells the caller how long to wait (from GitHub's ``Date`` and
  reset headers, or ``Retry-After``), and the caller stops asking until then.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import parsedate_to_datetime

import httpx

from paperfeed.config import Settings
from paperfeed.errors import UpstreamUnavailable
from paperfeed.ingest.http import PoliteClient, PoliteOptions, SourceUnavailable

API_VERSION = "2022-11-28"
DEFAULT_WAIT = 3600.0
"""How long to pause when GitHub says the limit is reached but not until when."""


class GitHubUnavailable(UpstreamUnavailable):
    """GitHub could not be asked (unreachable, 5xx after retries, a refused token, a strange answer)."""


class GitHubRateLimited(GitHubUnavailable):
    """The rate limit is reached; ``wait`` seconds until GitHub takes requests again."""

    def __init__(self, message: str, wait: float) -> None:
        super().__init__(message)
        self.wait = wait


@dataclass(frozen=True, slots=True)
class RepoAnswer:
    """GitHub's answer about one repository: ``ok`` (with stars and its current name),
    ``unchanged`` (304: the stars are as last time) or ``not_found`` (deleted, private, blocked)."""

    status: str
    stars: int | None = None
    full_name: str | None = None
    etag: str | None = None


def _seconds_until_reset(response: httpx.Response) -> float | None:
    """Seconds from GitHub's own clock (``Date``) to the reset of the window, or ``Retry-After``."""
    retry_after = response.headers.get("retry-after", "").strip()
    if retry_after.isdigit():
        return float(retry_after)
    reset = response.headers.get("x-ratelimit-reset", "").strip()
    date = response.headers.get("date")
    if reset.isdigit() and date:
        try:
            return max(0.0, int(reset) - parsedate_to_datetime(date).timestamp())
        except (TypeError, ValueError):
            return None
    return None


class GitHubClient:
    """Ask GitHub about repositories; ``transport`` is where tests put recorded answers."""

    def __init__(
        self,
        settings: Settings,
        *,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.api_url = settings.github_api_url.rstrip("/")
        token = settings.github_token.get_secret_value() if settings.github_token else None
        self.headers = {"Accept": "application/vnd.github+json", "X-GitHub-Api-Version": API_VERSION}
        if token:
            self.headers["Authorization"] = f"Bearer {token}"
        self.client = PoliteClient(
            self.api_url,
            PoliteOptions(
                min_interval=0.25 if token else 1.0,
                max_retries=2,
                timeout=20.0,
                transport=transport,
                sleep=sleep,
                clock=clock,
                max_retry_after=120.0,
                url_setting="PAPERFEED_GITHUB_API_URL",
            ),
        )
        self.remaining: int | None = None
        self.reset_wait: float | None = None
        self.requests = 0

    def close(self) -> None:
        self.client.close()

    def repo(self, name: str, etag: str | None = None) -> RepoAnswer:
        """What GitHub says about ``owner/repo`` now (see the module docstring)."""
        owner, _, repo = name.partition("/")
        headers = dict(self.headers)
        if etag:
            headers["If-None-Match"] = etag
        try:
            response = self.client.request("GET", f"{self.api_url}/repos/{owner}/{repo}", headers=headers)
        except UpstreamUnavailable as exc:
            if isinstance(exc, SourceUnavailable) and "HTTP 429" in str(exc):
                raise GitHubRateLimited(f"GitHub keeps answering 429: {exc}", DEFAULT_WAIT) from exc
            raise GitHubUnavailable(f"GitHub could not be asked about {name}: {exc}") from exc
        self.requests += 1
        remaining = response.headers.get("x-ratelimit-remaining", "").strip()
        self.remaining = int(remaining) if remaining.isdigit() else None
        self.reset_wait = _seconds_until_reset(response)
        status = response.status_code
        if status == 304:
            return RepoAnswer("unchanged", etag=etag)
        if status == 200:
            try:
                data = response.json()
                stars = int(data["stargazers_count"])
                full_name = str(data["full_name"])
            except (ValueError, KeyError, TypeError) as exc:
                raise GitHubUnavailable(f"GitHub's answer about {name} has no stars ({exc!r})") from exc
            return RepoAnswer("ok", stars, full_name, response.headers.get("etag"))
        if status in (404, 410, 451):
            return RepoAnswer("not_found", etag=None)
        if status in (403, 429) and (self.remaining == 0 or "rate limit" in response.text.lower()):
            wait = _seconds_until_reset(response)
            raise GitHubRateLimited(
                f"GitHub's rate limit is reached ({'token' if 'Authorization' in self.headers else 'no token'}; "
                "set PAPERFEED_GITHUB_TOKEN for 5,000 requests an hour)",
                DEFAULT_WAIT if wait is None else wait,
            )
        if status == 401:
            raise GitHubUnavailable("GitHub refused PAPERFEED_GITHUB_TOKEN (401): check or unset it")
        raise GitHubUnavailable(f"GitHub answered HTTP {status} about {name}")

    def pause_after_last(self) -> float | None:
        """Seconds to wait when the last answer used the window's last request, else ``None``."""
        if self.remaining != 0:
            return None
        return DEFAULT_WAIT if self.reset_wait is None else self.reset_wait
