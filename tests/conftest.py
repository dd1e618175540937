"""Shared fixtures: a fresh data dir and store per test, real SQLite files in ``tmp_path``."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from paperfeed.config import Settings
from paperfeed.context import Paperfeed

DATA = Path(__file__).parent / "data"
FORMATS = DATA / "arxiv-formats"
SAMPLE_300 = DATA / "arxiv-sample-300.jsonl"
SEEDS = DATA / "seeds"


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    """Settings pointing at an empty data dir under ``tmp_path`` (never the user's real data)."""
    return Settings(data_dir=tmp_path / "data", embed_after_ingest=False)


@pytest.fixture
def paperfeed_app(settings: Settings) -> Iterator[Paperfeed]:
    app = Paperfeed(settings)
    yield app
    app.close()


@pytest.fixture
def sample_app(paperfeed_app: Paperfeed) -> Paperfeed:
    """A store holding the 300 real arXiv records of ``tests/data/arxiv-sample-300.jsonl``."""
    from paperfeed.ingest.jobs import ingest_file

    report = ingest_file(paperfeed_app, SAMPLE_300, file_format="jsonl", defer_index=True)
    assert report.added == 300, report
    return paperfeed_app
