"""Typed settings, read from ``PAPERFEED_*`` environment variables (and a ``.env`` file).

One object carries every knob so the CLI, the web app and the tests agree on where data lives. The
defaults run on a laptop: a SQLite file in the platform's user data dir, arXiv at its polite rate.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import platformdirs
from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_SECRET_KEY = "paperfeed-development-secret-change-me"


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
    embed_after_ingest: bool = Field(default=True, description="Embed new papers after each ingest/sync.")
    vector_exact_max: int = Field(
        default=50_000, ge=0, description="Up to this many vectors search is exact; above, a faiss IVF index."
    )
    vector_nprobe: int = Field(
        default=0, ge=0, description="IVF lists probed per query; 0 scales with the index size."
    )

    @field_validator("categories", mode="before")
    @classmethod
    def _split_categories(cls, value: object) -> object:
        """Accept ``cs.LG,cs.CL`` or ``cs.LG cs.CL`` from the environment as well as a JSON list."""
        if isinstance(value, str) and not value.lstrip().startswith("["):
            return [part for part in value.replace(",", " ").split() if part]
        return value

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{self.data_dir / 'paperfeed.sqlite3'}"

    @property
    def index_dir(self) -> Path:
        return self.data_dir / "index"
