"""Typed settings, read from ``PAPERFEED_*`` environment variables (and a ``.env`` file).

One object carries every knob so the CLI, the web app and the tests agree on where data lives. The
defaults run on a laptop: a SQLite file in the platform's user data dir, arXiv at its polite rate.
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from urllib.parse import urlsplit

import platformdirs
from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

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
    categories: list[str] = Field(
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
    ingest_batch_size: int = Field(default=5000, ge=1, description="Records per ingest transaction.")
    secret_key: str = Field(default=DEFAULT_SECRET_KEY, description="Signs sessions and magic links.")
    base_url: str = Field(
        default="http://127.0.0.1:8000", description="Public URL, used in emails and feeds."
    )
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 25
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    mail_from: str = "paperfeed <paperfeed@localhost>"
    embedding_model: str = Field(
        default="all-MiniLM-L6-v2", description="sentence-transformers model name or local path."
    )
    embed_after_ingest: bool = Field(default=True, description="Embed new papers after each ingest/sync.")
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
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses of reverse proxies whose X-Forwarded-For/-Proto headers are believed "
        "(e.g. 127.0.0.1); empty: none, clients are the TCP peers.",
    )
    submissions_per_hour: int = Field(default=20, ge=1, description="Paper submissions per member per hour.")

    @field_validator("categories", "trusted_proxies", mode="before")
    @classmethod
    def _split_categories(cls, value: object) -> object:
        """Accept ``cs.LG,cs.CL`` or ``cs.LG cs.CL`` from the environment as well as a JSON list."""
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [part for part in value.replace(",", " ").split() if part]
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
            probe = path / ".write-test"
            probe.write_bytes(b"")
            probe.unlink()
        except OSError as exc:
            raise InvalidInput(
                f"cannot use the data dir {path}: {exc.strerror or exc}; choose a writable one with --data-dir"
            ) from exc
        return path

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'paperfeed.sqlite3'}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"
