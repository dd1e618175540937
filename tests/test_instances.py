"""Several instances, one service: real `paperfeed serve` processes on one store.

On a throwaway PostgreSQL cluster, and on one SQLite file (several instances on one machine).

Three servers, as a two-machine deployment runs them: A and B each with their own data dir and
indexer (two machines), C with `--no-indexer` sharing A's data dir (a second instance on machine A).
Over HTTP: a session made once is valid on all three, a vote through one is counted on the others,
and a paper ingested by the CLI (next to the running servers, so it hands the indexing over) is found
by search on all three within 30 seconds.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from paperfeed.accounts import create_api_token, create_session, ensure_user
from paperfeed.config import Settings
from paperfeed.context import Paperfeed
from tests.conftest import SampleTemplates
from tests.pg_cluster import PgCluster, free_port

pytestmark = pytest.mark.slow


def _env(url: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        {
            "PAPERFEED_DATABASE_URL": url,
            "PAPERFEED_INDEXER_POLL_SECONDS": "0.5",
            "PAPERFEED_EMBED_AFTER_INGEST": "false",
        }
    )
    return env


def _cli(data_dir: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "paperfeed", "--data-dir", str(data_dir), *args],
        env=_env(url),
        capture_output=True,
        text=True,
        timeout=180,
    )


def _eventually(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError(f"not within {seconds:.0f} s: {what}")


@pytest.fixture
def cluster_url(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The shared store, holding the 300 sample papers (a copy of the session's sample store)."""
    templates: SampleTemplates = request.getfixturevalue("sample_templates")
    sample = templates.data_dir(backend)
    if backend == "sqlite":
        shared = tmp_path / "shared"
        shared.mkdir()
        for store_file in sample.glob("paperfeed.sqlite3*"):  # with its WAL, if one is left
            shutil.copy(store_file, shared / store_file.name)
        yield f"sqlite:///{shared / 'paperfeed.sqlite3'}"
        return
    pg_cluster: PgCluster = request.getfixturevalue("pg_cluster")
    url = pg_cluster.create_database(SampleTemplates.DATABASE)
    try:
        yield url
    finally:
        pg_cluster.drop_database(url)


def _launch(data_dir: Path, url: str, extra: list[str]) -> tuple[subprocess.Popen[str], int]:
    port = free_port()
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "paperfeed",
            "--data-dir",
            str(data_dir),
            "serve",
            "--port",
            str(port),
            *extra,
        ],
        env=_env(url),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, port


def _answering(process: subprocess.Popen[str], port: int) -> bool:
    """Whether the server answers /healthz within 60 s (False: its port was taken first, by
    another test's server: a port found free can be bound by someone else before serve binds it).
    Any other exit fails at once with what the server said."""
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        try:
            if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                return True
        except httpx.HTTPError:
            pass
        time.sleep(0.25)
    if process.poll() is None:
        raise AssertionError(f"not within 60 s: the server on {base} answers")
    said = process.stderr.read() if process.stderr else ""
    if f"cannot listen on 127.0.0.1:{port}" in said:
        return False
    raise AssertionError(f"the server on {base} exited ({process.returncode}): {said[-3000:]}")


@pytest.fixture
def servers(
    cluster_url: str, backend: str, tmp_path: Path, request: pytest.FixtureRequest
) -> Iterator[dict[str, str]]:
    machine_a, machine_b = tmp_path / "machine-a", tmp_path / "machine-b"
    # Machine A as `paperfeed ingest file` of the sample left it: its indexes built from the store.
    templates: SampleTemplates = request.getfixturevalue("sample_templates")
    shutil.copytree(
        templates.data_dir(backend), machine_a, ignore=shutil.ignore_patterns("paperfeed.sqlite3*")
    )
    plan = {"A": (machine_a, []), "B": (machine_b, []), "C": (machine_a, ["--no-indexer"])}
    processes: dict[str, subprocess.Popen[str]] = {}
    ports: dict[str, int] = {}
    try:
        for name, (data_dir, extra) in plan.items():  # all three start at once, as on two machines
            processes[name], ports[name] = _launch(data_dir, cluster_url, extra)
        for name, (data_dir, extra) in plan.items():
            for _retry in range(3):
                if _answering(processes[name], ports[name]):
                    break
                processes[name], ports[name] = _launch(data_dir, cluster_url, extra)
            else:
                raise AssertionError(f"server {name}: three ports in a row were taken before it listened")
        yield {name: f"http://127.0.0.1:{port}" for name, port in ports.items()}
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.terminate()
        for name, process in processes.items():
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
            assert process.returncode is not None, name


def _search_ids(base: str, query: str) -> list[str]:
    response = httpx.get(base + "/api/v1/search", params={"q": query}, timeout=10)
    if response.status_code != 200:
        return []
    return [item["id"] for item in response.json()["items"]]


def test_three_instances_on_one_store_are_one_service(
    servers: dict[str, str], cluster_url: str, tmp_path: Path
) -> None:
    # Every instance serves the papers, and B's own indexer has built B's own index from the store.
    for name, base in servers.items():
        _eventually(
            lambda base=base: "2602.18409" in _search_ids(base, "uniform expressivity graph"),
            30,
            f"{name} searches",
        )

    app = Paperfeed(Settings(data_dir=tmp_path / "accounts", database_url=cluster_url))
    try:
        ensure_user(app, "reader@example.org")
        token = create_api_token(app, "reader@example.org")
        session = create_session(app, ensure_user(app, "reader@example.org"))
    finally:
        app.close()

    # A session is a row in the store: valid on every instance.
    for base in servers.values():
        me = httpx.get(base + "/api/v1/me", cookies={"pf_session": session}, timeout=10)
        assert me.status_code == 200 and me.json()["email"] == "reader@example.org"

    # A vote through A is counted on B and C; a second vote through C is still one vote.
    auth = {"Authorization": f"Bearer {token}"}
    voted = httpx.post(servers["A"] + "/api/v1/papers/2602.18409/vote", headers=auth, timeout=10)
    assert voted.status_code == 200 and voted.json()["upvotes"] == 1
    again = httpx.post(servers["C"] + "/api/v1/papers/2602.18409/vote", headers=auth, timeout=10)
    assert again.status_code == 200 and again.json()["upvotes"] == 1
    for base in servers.values():
        paper = httpx.get(base + "/api/v1/papers/2602.18409", timeout=10).json()
        assert paper["upvotes"] == 1
        trending = httpx.get(base + "/api/v1/trending", timeout=10).json()
        assert [item["id"] for item in trending["items"]] == ["2602.18409"]

    # A paper ingested by the CLI next to the running servers: the CLI exits 0 (A's indexer holds the
    # index, so it hands over) and every instance finds the paper within 30 seconds.
    record = {
        "arxiv_id": "2603.99999v1",
        "title": "Quetzalcoatl attention for ocelot-scale sequence models",
        "authors": ["Ada Lovelace"],
        "abstract": "We study quetzalcoatl attention, a mechanism for very long sequences.",
        "categories": ["cs.LG"],
        "published_date": "2026-03-02 10:00:00 UTC",
    }
    fresh = tmp_path / "fresh.jsonl"
    fresh.write_text(json.dumps(record) + "\n")
    ingested = _cli(tmp_path / "machine-a", cluster_url, "ingest", "file", str(fresh), "--json")
    assert ingested.returncode == 0, ingested.stderr
    assert json.loads(ingested.stdout)["index"]["handed_over"] is True
    started = time.monotonic()
    for name, base in servers.items():
        _eventually(
            lambda base=base: _search_ids(base, "quetzalcoatl") == ["2603.99999"],
            30,
            f"{name} finds the paper",
        )
    assert time.monotonic() - started < 30
