"""Shared fixtures: a fresh data dir and store per test, on SQLite files and on a real PostgreSQL.

Every test that takes ``settings`` (or ``paperfeed_app``, ``sample_app``) runs once per backend:
``[sqlite]`` with a SQLite file in ``tmp_path``, ``[postgresql]`` with its own database in a
throwaway cluster started for the session (see ``tests/pg_cluster.py``). A cluster that cannot start
is an error, not a skip. ``PAPERFEED_TEST_BACKENDS=sqlite`` runs only SQLite (a quick local loop).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from paperfeed.clock import FixedClock
from paperfeed.config import Settings
from paperfeed.context import Paperfeed
from tests.pg_cluster import PgCluster

DATA = Path(__file__).parent / "data"
FORMATS = DATA / "arxiv-formats"
SAMPLE_300 = DATA / "arxiv-sample-300.jsonl"
SEEDS = DATA / "seeds"

TEST_NOW = datetime(2026, 12, 1, 12, 0)
"""Business time in tests: a Tuesday noon, long after the sample's papers (February 2026). Tests that
need another moment set the ``clock`` fixture; none reads the machine's date."""

BACKENDS = [b for b in os.environ.get("PAPERFEED_TEST_BACKENDS", "sqlite,postgresql").split(",") if b]


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    cluster = PgCluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """``None`` (the default SQLite file in the data dir) or a fresh PostgreSQL database's URL."""
    if backend == "sqlite":
        yield None
        return
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    url = cluster.create_database()
    try:
        yield url
    finally:
        cluster.drop_database(url)


@pytest.fixture
def settings(tmp_path: Path, database_url: str | None) -> Settings:
    """Settings pointing at an empty data dir under ``tmp_path`` (never the user's real data)."""
    return Settings(
        data_dir=tmp_path / "data", database_url=database_url, embed_after_ingest=False, indexer=False
    )


@pytest.fixture
def clock() -> FixedClock:
    """The test's business clock: :data:`TEST_NOW`, one millisecond later at every reading (so that
    two writes are ordered in time, as on a real clock)."""
    return FixedClock(TEST_NOW, step=timedelta(milliseconds=1))


@pytest.fixture
def paperfeed_app(settings: Settings, clock: FixedClock) -> Iterator[Paperfeed]:
    app = Paperfeed(settings, clock=clock)
    yield app
    app.close()


@pytest.fixture
def sample_app(paperfeed_app: Paperfeed) -> Paperfeed:
    """A store holding the 300 real arXiv records of ``tests/data/arxiv-sample-300.jsonl``, with its
    keyword index built (as the indexer would)."""
    from paperfeed.ingest.jobs import ingest_file
    from paperfeed.search.indexer import catch_up

    report = ingest_file(paperfeed_app, SAMPLE_300, file_format="jsonl")
    assert report.added == 300, report
    catch_up(paperfeed_app, embed=False)
    return paperfeed_app
