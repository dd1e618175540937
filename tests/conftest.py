"""Shared fixtures: a fresh data dir and store per test, on SQLite files and, where the backend can
make a difference, on a real PostgreSQL.

Backends. Tests that take ``settings`` (or ``paperfeed_app``, ``sample_app``) run on SQLite; the
modules in :data:`BOTH_BACKENDS` (the store, the send ledger, leases and claims, the change feed and
the indexes that follow it, several instances, and the web and API paths whose SQL differs) run once
more on PostgreSQL, with their own database in a throwaway cluster started for the session (see
``tests/pg_cluster.py``). A cluster that cannot start is an error, not a skip.
``PAPERFEED_TEST_BACKENDS=sqlite`` runs only SQLite (a quick local loop); ``=sqlite,postgresql``
(the default) as described; ``=all`` runs every store-backed test on both.

Built once. The sample store (300 real arXiv records with its keyword and features indexes) is built
once per session and backend; every ``sample_app`` gets a copy (the data dir copied, the PostgreSQL
database cloned from a template), so a test costs milliseconds to set up, not a re-import.

Time. Business time in tests is the ``clock`` fixture (:data:`TEST_NOW`), never the machine's date.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from paperfeed.clock import FixedClock
from paperfeed.config import Settings
from paperfeed.context import Paperfeed
from tests.pg_cluster import PgCluster


def _convert_the_cli_once() -> None:
    """Typer's test runner converts the Typer app to a Click command on every ``invoke`` (43 ms for
    paperfeed's ~50 commands, some 400 times a run); the command does not change, so convert once."""
    import functools

    import typer.testing

    if hasattr(typer.testing, "_get_command"):
        typer.testing._get_command = functools.cache(typer.testing._get_command)


_convert_the_cli_once()

ROOT = Path(__file__).resolve().parent.parent
DATA = Path(__file__).parent / "data"
FORMATS = DATA / "arxiv-formats"
SAMPLE_300 = DATA / "arxiv-sample-300.jsonl"
SEEDS = DATA / "seeds"

TEST_NOW = datetime(2026, 12, 1, 12, 0)
"""Business time in tests: a Tuesday noon, long after the sample's papers (February 2026). Tests that
need another moment set the ``clock`` fixture; none reads the machine's date."""

_CHOSEN = os.environ.get("PAPERFEED_TEST_BACKENDS", "sqlite,postgresql")
BACKENDS = [b for b in _CHOSEN.replace("all", "sqlite,postgresql").split(",") if b]
EVERY_TEST_ON_BOTH = "all" in _CHOSEN

BOTH_BACKENDS = frozenset(
    {
        # the store itself: reads, writes, layout, migrations
        "test_store",
        "test_store_layout",
        "test_store_queries",
        "test_ingest_jobs",
        # the send ledger, its claims and leases, the scheduler's lease
        "test_digest_store",
        "test_digest_send",
        "test_digest_exactly_once",
        "test_digest_schedule",
        # the change feed and the indexes that follow it
        "test_search_indexer",
        "test_search_tfidf_index",
        # several instances on one store
        "test_instances",
        # web and API paths over queries that differ by dialect: sessions and tokens, period lists
        # and trending, library and signals (the generated requests of test_web_schemathesis go to
        # every backend of the run in one test: generating them is most of its time)
        "test_web_api_auth",
        "test_hf_papers_api",
        "test_web_periods",
        "test_web_library",
        "test_recommend_service",
        "test_library_use_cases",
        "test_digest_recommended",
        # comments: threads, counts over a self-join, upserted settings, reports
        "test_discussion",
        # enrichment: upserts, joins on lower-cased repository names, marks in store_state
        "test_enrich",
        # rate-limit counters: the sliding window reads two windows' rows in one transaction
        "test_ratelimit",
    }
)
"""Test modules whose behaviour can differ by backend: they run on PostgreSQL too."""


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """``backend`` is SQLite, and PostgreSQL too for the modules of :data:`BOTH_BACKENDS`."""
    if "backend" not in metafunc.fixturenames:
        return
    module = metafunc.module.__name__.rsplit(".", 1)[-1]
    both = EVERY_TEST_ON_BOTH or module in BOTH_BACKENDS
    chosen = [b for b in BACKENDS if both or b == "sqlite"] or BACKENDS[:1]
    metafunc.parametrize("backend", chosen, scope="function")


SLOWEST_FIRST = (
    "tests/test_web_schemathesis.py",
    "tests/e2e/test_web_accessibility.py",
    "tests/e2e/test_web_browser.py",
    "tests/test_instances.py",
    "tests/test_ingest_kill.py",
    "tests/test_digest_exactly_once.py",
    "tests/test_readme_examples.py",
    "tests/test_readme_digest_walkthrough.py",
    "tests/test_cli.py",
    "tests/test_store.py",
    "tests/test_cli_serve.py",
    "tests/test_cli_every_command.py",
    "tests/test_search_embedders_fast.py",
    "tests/test_search_semantic.py",
    "tests/test_search_partial_embed.py",
    "tests/test_search_vector_files.py",
)
"""The modules whose tests take longest (tens of seconds: servers, browsers, killed processes,
generated requests), started first so that the workers finish together (longest first is the
classic rule for sharing jobs between machines). Only the order changes; a stale list costs time,
never a test."""

KEPT_TOGETHER = {
    # module-scoped fixtures (a loaded model, a demo store, a TLS server): built once, on one worker.
    # The modules that load the embedding model (importing torch and the weights costs a process
    # ~9 s) and the modules on the demo corpus (5,424 papers with vectors, 15-20 s to load; the
    # README's examples, which search it semantically, also build on their earlier commands) share
    # one worker: the model is loaded once in the session, the corpus once (the CLI's tests read
    # what the first demo load printed).
    "tests/test_search_embedders_fast.py": "model-and-demo",
    "tests/test_search_semantic.py": "model-and-demo",
    "tests/test_search_partial_embed.py": "model-and-demo",
    "tests/test_search_vector_files.py": "model-and-demo",
    "tests/test_readme_examples.py": "model-and-demo",
    "tests/test_readme_digest_walkthrough.py": "model-and-demo",
    "tests/test_pictures_maps.py": "model-and-demo",
    "tests/test_pictures_trends.py": "model-and-demo",
    "tests/e2e/test_pictures_browser.py": "model-and-demo",
    "tests/test_cli.py": "model-and-demo",
    "tests/test_cli_messages.py": "cli-messages",
    "tests/test_cli_serve.py": "cli-serve",  # two real servers, shared by the module's tests
    "tests/test_mail_tls.py": "mail-tls",
}
"""Modules that run on one worker, in order (pytest-xdist's ``loadgroup``); every other test goes
to whichever worker is free."""


@pytest.hookimpl(tryfirst=True)  # before pytest-xdist reads the groups
def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """The slowest modules first, the modules of :data:`KEPT_TOGETHER` grouped; and ``semantic``
    tests skip, saying why, where the semantic extra is not installed."""
    from importlib.util import find_spec

    def rank(item: pytest.Item) -> int:
        module = item.nodeid.split("::", 1)[0]
        return SLOWEST_FIRST.index(module) if module in SLOWEST_FIRST else len(SLOWEST_FIRST)

    items.sort(key=rank)  # stable: the order within a module stays as written
    for item in items:
        if (group := KEPT_TOGETHER.get(item.nodeid.split("::", 1)[0])) is not None:
            item.add_marker(pytest.mark.xdist_group(group))

    missing = [name for name in ("torch", "sentence_transformers") if find_spec(name) is None]
    if not missing:
        return
    reason = f"needs the semantic extra ({', '.join(missing)} not installed): pip install -e '.[semantic]'"
    for item in items:
        if item.get_closest_marker("semantic") is not None:
            item.add_marker(pytest.mark.skip(reason=reason))


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[PgCluster]:
    cluster = PgCluster().start()
    try:
        yield cluster
    finally:
        cluster.stop()


class SampleTemplates:
    """The sample store, built once per backend: a data dir to copy and, on PostgreSQL, a database
    to clone."""

    DATABASE = "pf_sample"

    def __init__(self, root: Path, request: pytest.FixtureRequest) -> None:
        self.root = root
        self.request = request
        self.built: dict[str, Path] = {}

    def data_dir(self, backend: str) -> Path:
        if backend not in self.built:
            self.built[backend] = self._build(backend)
        return self.built[backend]

    def _build(self, backend: str) -> Path:
        from paperfeed.ingest.jobs import ingest_file
        from paperfeed.search.indexer import catch_up

        data_dir = self.root / backend
        url = None
        if backend == "postgresql":
            cluster: PgCluster = self.request.getfixturevalue("pg_cluster")
            url = cluster.create_database(name=self.DATABASE)
        app = Paperfeed(
            Settings(data_dir=data_dir, database_url=url, embed_after_ingest=False, indexer=False),
            clock=FixedClock(TEST_NOW),
        )
        try:
            report = ingest_file(app, SAMPLE_300, file_format="jsonl")
            assert report.added == 300, report
            catch_up(app, embed=False)
        finally:
            app.close()  # no connection may stay open on a template database
        return data_dir


@pytest.fixture(scope="session")
def sample_templates(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> SampleTemplates:
    return SampleTemplates(tmp_path_factory.mktemp("sample-templates"), request)


def _wants_sample(request: pytest.FixtureRequest) -> bool:
    return "sample_app" in request.fixturenames


WITHOUT_SEMANTIC_EXTRA = (
    "import runpy, sys\n"
    "class NoExtra:\n"
    "    def find_spec(self, name, path=None, target=None):\n"
    "        if name.split('.')[0] in ('sentence_transformers', 'torch', 'transformers'):\n"
    "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
    "sys.meta_path.insert(0, NoExtra())\n"
    "runpy.run_module('paperfeed', run_name='__main__')"
)
"""``python -c`` this, then the CLI's arguments: ``paperfeed`` as on a machine without the semantic
extra. The extra's packages cannot be imported (a finder refuses them), as when they are not
installed. Not ``sys.modules[name] = None``: SciPy (under scikit-learn, which the indexer's TF-IDF
features need) looks ``torch`` up in sys.modules and fails on a None there."""


def bare_cli_env(data_dir: Path) -> dict[str, str]:
    """The environment of a CLI process that knows nothing of the machine's settings: this
    checkout's code, ``data_dir``, no embedding after ingest, and a plain PATH."""
    return {
        "PAPERFEED_DATA_DIR": str(data_dir),
        "PAPERFEED_EMBED_AFTER_INGEST": "0",
        "PATH": "/usr/bin:/bin",
        "PYTHONPATH": str(ROOT / "src"),
    }


@dataclass(frozen=True)
class DemoLoad:
    """The session's one load of the demo corpus into an empty data dir, and what it printed."""

    data_dir: Path
    stdout: str
    stderr: str


@pytest.fixture(scope="session")
def demo_first_load(tmp_path_factory: pytest.TempPathFactory) -> DemoLoad:
    """``paperfeed demo --embed`` on an empty data dir, once per session (loading 5,000 papers takes
    10-20 s on two cores), in a process of its own as a new user without the semantic extra runs
    it: the bundled vectors load all the same (no model is needed to store them), and nothing is
    embedded. Tests that check what a first load says read its output here; the data dir is the
    session's demo (:func:`demo_template`)."""
    data = tmp_path_factory.mktemp("demo-template") / "data"
    done = subprocess.run(
        [sys.executable, "-c", WITHOUT_SEMANTIC_EXTRA, "demo", "--embed"],
        env=bare_cli_env(data),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    return DemoLoad(data, done.stdout, done.stderr)


@pytest.fixture(scope="session")
def demo_template(demo_first_load: DemoLoad) -> Path:
    """A data dir with the bundled demo corpus loaded (``paperfeed demo``), built once per session.
    Tests copy it (``shutil.copytree``) and never write to it."""
    return demo_first_load.data_dir


@pytest.fixture
def database_url(backend: str, request: pytest.FixtureRequest) -> Iterator[str | None]:
    """``None`` (the default SQLite file in the data dir) or a fresh PostgreSQL database's URL (a
    clone of the sample's when the test asked for ``sample_app``)."""
    if backend == "sqlite":
        yield None
        return
    cluster: PgCluster = request.getfixturevalue("pg_cluster")
    if _wants_sample(request):
        templates: SampleTemplates = request.getfixturevalue("sample_templates")
        templates.data_dir(backend)
        url = cluster.create_database(SampleTemplates.DATABASE)
    else:
        url = cluster.create_database()
    try:
        yield url
    finally:
        cluster.drop_database(url)


@pytest.fixture
def settings(
    tmp_path: Path, database_url: str | None, backend: str, request: pytest.FixtureRequest
) -> Settings:
    """Settings pointing at an empty data dir under ``tmp_path`` (never the user's real data), or at
    a copy of the sample's when the test asked for ``sample_app``."""
    data_dir = tmp_path / "data"
    if _wants_sample(request):
        templates: SampleTemplates = request.getfixturevalue("sample_templates")
        shutil.copytree(templates.data_dir(backend), data_dir)
    elif backend == "sqlite" and "paperfeed_app" in request.fixturenames:
        # the test opens the store at once: start from an empty, migrated one (10 ms, not 120)
        data_dir.mkdir()
        shutil.copy(request.getfixturevalue("empty_sqlite_store"), data_dir / "paperfeed.sqlite3")
    return store_settings(data_dir, database_url)


def store_settings(data_dir: Path, database_url: str | None) -> Settings:
    """What every test store runs with: no embedding after ingest, no background indexer."""
    return Settings(data_dir=data_dir, database_url=database_url, embed_after_ingest=False, indexer=False)


@contextmanager
def sample_app_on(
    backend: str, data_dir: Path, request: pytest.FixtureRequest, clock: FixedClock
) -> Iterator[Paperfeed]:
    """A copy of the sample store on ``backend`` in ``data_dir``, for a test that needs the sample on
    every backend at once (``sample_app`` gives one backend per test)."""
    templates: SampleTemplates = request.getfixturevalue("sample_templates")
    shutil.copytree(templates.data_dir(backend), data_dir)
    url = None
    if backend == "postgresql":
        cluster: PgCluster = request.getfixturevalue("pg_cluster")
        url = cluster.create_database(SampleTemplates.DATABASE)
    app = Paperfeed(store_settings(data_dir, url), clock=clock)
    try:
        yield app
    finally:
        app.close()
        if url is not None:
            cluster.drop_database(url)


@pytest.fixture(scope="session")
def empty_sqlite_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An empty SQLite store with every migration applied, made once per session (copied per test)."""
    from paperfeed.store import Database

    path = tmp_path_factory.mktemp("empty-store") / "paperfeed.sqlite3"
    Database(f"sqlite:///{path}").dispose()
    return path


@pytest.fixture(autouse=True)
def _web_apps() -> Iterator[None]:
    """Frees the web apps a test took from ``tests.web_support.web_app`` when it ends."""
    yield
    import sys

    if (support := sys.modules.get("tests.web_support")) is not None:
        support.release_web_apps()


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


@pytest.fixture(scope="session")
def demo_data_dir(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> Path:
    """The bundled demo corpus (5,424 papers over seven weeks, with its bundled vectors and the
    indexes), as ``paperfeed demo`` leaves it: a copy of :func:`demo_template`, once per session.
    Tests only read it (open it with :func:`demo_app`)."""
    data_dir = tmp_path_factory.mktemp("demo") / "data"
    shutil.copytree(demo_template, data_dir)
    return data_dir


@pytest.fixture
def demo_app(demo_data_dir: Path, clock: FixedClock) -> Iterator[Paperfeed]:
    """A Paperfeed on the session's demo data dir (read only: write nothing through it)."""
    app = Paperfeed(Settings(data_dir=demo_data_dir, embed_after_ingest=False, indexer=False), clock=clock)
    yield app
    app.close()


@pytest.fixture
def sample_app(paperfeed_app: Paperfeed) -> Paperfeed:
    """A store holding the 300 real arXiv records of ``tests/data/arxiv-sample-300.jsonl``, with its
    keyword and features indexes built (as the indexer would): a copy of the session's template."""
    return paperfeed_app
