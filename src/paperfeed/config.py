"""Typed settings, read from ``PAPERFEED_*`` environment variables (and a ``.env`` file).

One object carries every knob so the CLI, the web app and the tests agree on where data lives. The
defaults run on a laptop: a SQLite file in the platform's user data dir, arXiv at its polite rate.
"""

from __future__ import annotations

import ipaddress
import json
import tempfile
from pathlib import Path
from typing import Annotated, Literal
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from paperfeed.clock import parse_moment
from paperfeed.errors import InvalidInput

DEFAULT_SECRET_KEY = "paperfeed-development-secret-change-me"
SECRET_HINT = (
    "set PAPERFEED_SECRET_KEY to a long random value "
    "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
)


class UnsafeSettings(InvalidInput):
    """The settings would expose the service with the development secret key."""


def is_loopback(host: str) -> bool:
    """``localhost`` and loopback addresses; anything else (0.0.0.0 included) is reachable from outside."""
    host = host.strip("[]")
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def default_data_dir() -> Path:
    return Path(platformdirs.user_data_dir("paperfeed", appauthor=False))


class Settings(BaseSettings):
    """paperfeed's configuration. Every field can be set as ``PAPERFEED_<FIELD>``."""

    model_config = SettingsConfigDict(env_prefix="PAPERFEED_", env_file=".env", extra="ignore")

    data_dir: Path = Field(default_factory=default_data_dir, description="Where the store and indexes live.")
    database_url: str | None = Field(
        default=None, description="SQLAlchemy URL of the store; default: a SQLite file in the data dir."
    )
    categories: Annotated[list[str], NoDecode] = Field(
        default_factory=lambda: ["cs.AI", "cs.LG", "cs.CL", "cs.CV", "stat.ML"],
        description="arXiv categories that `paperfeed sync` follows.",
    )
    arxiv_api_url: str = "https://export.arxiv.org/api/query"
    arxiv_oai_url: str = "https://export.arxiv.org/oai2"
    arxiv_min_interval: float = Field(
        default=3.0, ge=3.0, description="Seconds between requests to arXiv (arXiv asks for at least 3)."
    )
    arxiv_max_retries: int = Field(default=4, ge=0)
    arxiv_timeout: float = Field(default=30.0, gt=0)
    ingest_batch_size: int = Field(default=20000, ge=1, description="Records per ingest transaction.")
    secret_key: str = Field(default=DEFAULT_SECRET_KEY, description="Signs sessions and magic links.")
    base_url: str = Field(
        default="http://127.0.0.1:8000", description="Public URL, used in emails and feeds."
    )
    mail_backend: Literal["console", "smtp"] | None = Field(
        default=None,
        description="Where outgoing mail goes: `console` (server log + DATA_DIR/outbox) or `smtp`; "
        "default: smtp when an SMTP host is set, console otherwise.",
    )
    mail_from: str = Field(
        default="paperfeed <paperfeed@localhost>",
        description="Sender of paperfeed's emails; its domain also names the Message-IDs.",
    )
    smtp_host: str | None = Field(
        default=None,
        description="SMTP server; setting it turns the smtp backend on (unless MAIL_BACKEND says).",
    )
    smtp_port: int | None = Field(
        default=None,
        ge=1,
        le=65535,
        description="SMTP port; default 465 with tls, 587 with starttls, else 25.",
    )
    smtp_security: Literal["none", "starttls", "tls"] | None = Field(
        default=None,
        description="none, starttls (upgrade a plain connection) or tls (TLS from the first byte, port 465); "
        "default: starttls when SMTP_STARTTLS is true, else none.",
    )
    smtp_starttls: bool = Field(
        default=False, description="Older spelling of SMTP_SECURITY=starttls, still honoured."
    )
    smtp_username: str | None = Field(default=None, description="SMTP login, when the server wants one.")
    smtp_password: SecretStr | None = Field(default=None, description="SMTP password (never logged).")
    smtp_timeout: float = Field(default=30.0, gt=0, description="Seconds before an SMTP command times out.")
    smtp_tls_ca_file: Path | None = Field(
        default=None, description="PEM file of CA certificates to trust for the SMTP server (a private CA)."
    )
    smtp_tls_verify: bool = Field(
        default=True, description="Verify the SMTP server's certificate; false is for tests only."
    )
    smtp_max_connections: int = Field(
        default=4, ge=1, le=64, description="Parallel SMTP connections for bulk sends (digests)."
    )
    smtp_max_attempts: int = Field(
        default=4, ge=1, le=20, description="Tries per message on temporary failures (4xx, connection lost)."
    )
    smtp_retry_delay: float = Field(
        default=2.0,
        ge=0,
        description="Seconds before the first retry; each further retry waits twice as long.",
    )
    embedding_model: str = Field(
        default="all-MiniLM-L6-v2", description="sentence-transformers model name or local path."
    )
    embedding_precision: Literal["auto", "fp32", "bf16", "fp16"] = Field(
        default="auto",
        description=(
            "Arithmetic of the embedding model. auto: bf16 on CPUs with AMX/AVX512-BF16, else fp32; fp16 "
            "on CUDA. fp32 is the sentence-transformers reference."
        ),
    )
    embedding_max_tokens: int = Field(
        default=0,
        ge=0,
        description=(
            "Tokens of title + abstract embedded; 0 (or more than the model's own cap) = that cap, "
            "256 for all-MiniLM-L6-v2. Lower caps were measured to cost nDCG (docs/benchmarks.md)."
        ),
    )
    embedding_device: str = Field(
        default="cpu",
        description="Where the embedding model runs: cpu, or cuda (fp16, tokenising in parallel).",
    )
    embedding_batch_size: int = Field(
        default=0, ge=0, description="Texts per model batch; 0 = the embedding path's own default."
    )
    embed_after_ingest: bool = Field(
        default=True, description="The indexer embeds new papers as they arrive."
    )
    vector_exact_max: int = Field(
        default=50_000, ge=0, description="Up to this many vectors search is exact; above, a faiss IVF index."
    )
    vector_nprobe: int = Field(
        default=0, ge=0, description="IVF lists probed per query; 0 scales with the index size."
    )

    indexer: bool = Field(
        default=True,
        description="Run the indexer inside `paperfeed serve` (set false on extra instances: `--no-indexer`).",
    )
    indexer_poll_seconds: float = Field(
        default=2.0, gt=0, description="How often the indexer looks for new changes in the store."
    )
    trusted_proxies: Annotated[list[str], NoDecode] = Field(
        default_factory=list,
        description="Addresses of reverse proxies whose X-Forwarded-For/-Proto headers are believed "
        "(e.g. 127.0.0.1); empty: none, clients are the TCP peers.",
    )
    submissions_per_hour: int = Field(default=20, ge=1, description="Paper submissions per member per hour.")
    comments_per_hour: int = Field(default=30, ge=1, description="Comments per member per hour.")
    github_api_url: str = Field(
        default="https://api.github.com",
        description="GitHub's REST API (GitHub Enterprise: https://HOST/api/v3), for repository stars.",
    )
    github_token: SecretStr | None = Field(
        default=None, description="A GitHub token for the stars refresh (5,000 requests/hour instead of 60)."
    )
    enrich_days: int = Field(
        default=14,
        ge=1,
        le=3650,
        description="Papers first published in the last N days get their stars refreshed and summaries made.",
    )
    github_refresh_hours: float = Field(
        default=24.0, gt=0, description="Hours before a repository's star count is asked for again."
    )
    llm_base_url: str | None = Field(
        default=None,
        description="An OpenAI-compatible server (its /v1/chat/completions) for AI summaries; unset: none.",
    )
    llm_model: str | None = Field(default=None, description="The model the summaries are asked of.")
    llm_api_key: SecretStr | None = Field(
        default=None, description="Bearer key for the language model server."
    )
    llm_daily_budget: int = Field(
        default=200, ge=0, description="Requests to the language model per UTC day (0: none)."
    )
    llm_timeout: float = Field(default=60.0, gt=0, description="Seconds before a summary request times out.")
    digest_max_papers: int = Field(
        default=20, ge=1, le=100, description="Size limit of a new digest subscription (papers per digest)."
    )
    digest_batch_size: int = Field(
        default=100, ge=1, le=5000, description="Digests a sender claims from the send ledger at a time."
    )
    digest_workers: int = Field(
        default=1,
        ge=1,
        le=16,
        description="Processes `paperfeed digest send` uses to send a period together (one per CPU core "
        "helps large lists).",
    )
    digest_claim_ttl: float = Field(
        default=60.0,
        ge=1.0,
        description="Seconds a digest sender's claims outlive its last heartbeat; after a crash, the "
        "next run takes them over once this has passed.",
    )
    digest_pause_after: int = Field(
        default=3,
        ge=1,
        description="Permanent delivery failures in a row after which a subscription is paused.",
    )
    digest_give_up_after: int = Field(
        default=5,
        ge=1,
        description="Runs that may try a digest again after temporary failures before it is recorded failed.",
    )
    scheduler: bool = Field(
        default=False,
        description="Run `sync` and the digest send on a schedule inside `paperfeed serve` "
        "(`serve --scheduler`); one instance at a time holds the scheduler's lease.",
    )
    scheduler_sync_time: str = Field(
        default="02:30",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="When the scheduler runs `sync` (HH:MM UTC).",
    )
    scheduler_digest_time: str = Field(
        default="06:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="When the scheduler sends the digests that are due (HH:MM UTC).",
    )
    scheduler_enrich_time: str = Field(
        default="03:00",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="When the scheduler runs `paperfeed enrich` (HH:MM UTC).",
    )
    scheduler_fit_time: str = Field(
        default="05:30",
        pattern=r"^([01]\d|2[0-3]):[0-5]\d$",
        description="When the scheduler fits For you's blend weights on the members (`paperfeed "
        "recommend fit`, HH:MM UTC).",
    )
    scheduler_poll_seconds: float = Field(
        default=60.0, gt=0, description="How often the scheduler looks whether a job is due."
    )
    now: str | None = Field(
        default=None,
        description="Replay a moment: business time (votes, windows, digests due, link expiry) stands "
        "still at this UTC time, e.g. `2026-02-23T09:00`. For tests and reproducing a past day; "
        "unset in production (the machine's clock).",
    )

    @field_validator("categories", "trusted_proxies", mode="before")
    @classmethod
    def _split_categories(cls, value: object) -> object:
        """Accept ``cs.LG,cs.CL`` or ``cs.LG cs.CL`` from the environment as well as a JSON list.

        (``NoDecode`` on the fields hands the raw string here: pydantic-settings would otherwise try
        to read every list setting as JSON and stop with a traceback on ``cs.LG,cs.CL``.)"""
        if isinstance(value, str):
            if value.lstrip().startswith("["):
                return json.loads(value)
            return [part for part in value.replace(",", " ").split() if part]
        return value

    @field_validator("now", mode="before")
    @classmethod
    def _valid_moment(cls, value: object) -> object:
        """A blank ``PAPERFEED_NOW`` means the machine's clock; anything else must be an ISO time."""
        if isinstance(value, str):
            if not value.strip():
                return None
            try:
                parse_moment(value)
            except ValueError:
                raise ValueError(
                    f"PAPERFEED_NOW must be a UTC time like 2026-02-23T09:00, not {value!r}"
                ) from None
        return value

    @model_validator(mode="after")
    def _refuse_public_development_secret(self) -> Settings:
        """A public base URL with the development secret would let anyone forge sign-in links."""
        host = urlsplit(self.base_url).hostname or ""
        if self.secret_key == DEFAULT_SECRET_KEY and host and not is_loopback(host):
            raise UnsafeSettings(
                f"PAPERFEED_BASE_URL is {self.base_url}, a public address, but the secret key is the "
                f"development default: {SECRET_HINT}"
            )
        return self

    def check_can_serve(self, host: str) -> None:
        """Refuse to listen on a non-loopback ``host`` with the development secret (UnsafeSettings)."""
        if self.secret_key == DEFAULT_SECRET_KEY and not is_loopback(host):
            raise UnsafeSettings(
                f"refusing to serve on {host} with the default secret key: {SECRET_HINT}, "
                "or listen on 127.0.0.1"
            )

    def ensure_data_dir(self) -> Path:
        """The data dir, created if missing; a clear error when it is a file or not writable."""
        path = self.data_dir
        if path.exists() and not path.is_dir():
            raise InvalidInput(
                f"the data dir {path} is a file, not a directory: choose another with --data-dir"
            )
        try:
            path.mkdir(parents=True, exist_ok=True)
            # A uniquely named probe: two commands started at once must not delete each other's.
            with tempfile.TemporaryFile(dir=path):
                pass
        except OSError as exc:
            raise InvalidInput(
                f"cannot use the data dir {path}: {exc.strerror or exc}; choose a writable one with --data-dir"
            ) from exc
        return path

    @field_validator("mail_backend", "smtp_security", mode="before")
    @classmethod
    def _lowercase_choice(cls, value: object) -> object:
        """Accept ``SMTP`` or `` tls `` from the environment; an empty value means "not set"."""
        if isinstance(value, str):
            value = value.strip().lower()
            return value or None
        return value

    @field_validator("smtp_host", "llm_base_url", "llm_model", mode="before")
    @classmethod
    def _blank_host_is_none(cls, value: object) -> object:
        """``PAPERFEED_SMTP_HOST=`` (empty) means no SMTP server, as if it were unset (and a blank
        ``PAPERFEED_LLM_BASE_URL`` or ``PAPERFEED_LLM_MODEL`` no language model)."""
        if isinstance(value, str) and not value.strip():
            return None
        return value

    @model_validator(mode="after")
    def _smtp_security_agrees(self) -> Settings:
        """Refuse two settings that ask for different connection security, rather than guess."""
        if self.smtp_starttls and self.smtp_security not in (None, "starttls"):
            raise ValueError(
                f"PAPERFEED_SMTP_SECURITY={self.smtp_security} contradicts PAPERFEED_SMTP_STARTTLS=true; "
                "remove PAPERFEED_SMTP_STARTTLS (it is the older spelling of PAPERFEED_SMTP_SECURITY=starttls)"
            )
        return self

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'paperfeed.sqlite3'}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"
