"""A large import killed with SIGKILL mid-way leaves a consistent store; the re-run completes it exactly."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

RECORDS = 10_000


def write_snapshot(path: Path, count: int) -> None:
    """Kaggle-format lines, each with two versions, three authors and two categories."""
    with path.open("w", encoding="utf-8") as fh:
        for i in range(count):
            fh.write(
                json.dumps(
                    {
                        "id": f"2401.{i:05d}",
                        "title": f"Synthetic paper number {i} on graph learning",
                        "abstract": "We study things. " * 40,
                        "authors": "A. One, B. Two, C. Three",
                        "authors_parsed": [["One", "A.", ""], ["Two", "B.", ""], ["Three", "C.", ""]],
                        "categories": "cs.LG stat.ML",
                        "comments": None,
                        "journal-ref": None,
                        "doi": None,
                        "versions": [
                            {"version": "v1", "created": "Mon, 1 Jan 2024 10:00:00 GMT"},
                            {"version": "v2", "created": "Tue, 2 Jan 2024 10:00:00 GMT"},
                        ],
                        "update_date": "2024-01-02",
                    }
                )
                + "\n"
            )


def stored_count(db_path: Path) -> int:
    if not db_path.exists():
        return 0
    try:
        with sqlite3.connect(db_path, timeout=30) as conn:
            return int(conn.execute("SELECT count(*) FROM papers").fetchone()[0])
    except sqlite3.OperationalError:  # schema not created yet
        return 0


IMPORT_ENV = dict(os.environ, PAPERFEED_INGEST_BATCH_SIZE="1000", PAPERFEED_EMBED_AFTER_INGEST="false")


def import_command(source: Path, data_dir: Path) -> list[str]:
    return [sys.executable, "-m", "paperfeed", "--data-dir", str(data_dir), "ingest", "file", str(source),
            "--format", "kaggle", "--json"]  # fmt: skip


def start_and_kill(tmp_path: Path, stored_before_kill: int) -> tuple[Path, Path, list[str]]:
    """Start an import of RECORDS records and SIGKILL it once ``stored_before_kill`` papers are stored."""
    source = tmp_path / "snapshot.jsonl"
    write_snapshot(source, RECORDS)
    data_dir = tmp_path / "data"
    command = import_command(source, data_dir)
    process = subprocess.Popen(command, env=IMPORT_ENV, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 120
    db_path = data_dir / "paperfeed.sqlite3"
    while (
        stored_count(db_path) < stored_before_kill and time.monotonic() < deadline and process.poll() is None
    ):
        time.sleep(0.05)
    assert process.poll() is None, "the import finished before it could be killed; raise RECORDS"
    process.send_signal(signal.SIGKILL)
    process.wait(timeout=30)
    return data_dir, db_path, command


@pytest.mark.slow
def test_sigkill_mid_import_then_rerun_completes_exactly(tmp_path: Path) -> None:
    _, db_path, command = start_and_kill(tmp_path, 2000)
    before = stored_count(db_path)
    assert 0 < before < RECORDS
    assert before % 1000 == 0, "a killed import must leave whole batches only"
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        authors = conn.execute("SELECT count(*) FROM paper_authors").fetchone()[0]
        assert authors == 3 * before  # no paper without its author look-ups

    # The re-run completes the store; its indexes are derived from the store's change feed and
    # their own catch-up is tested with them (``--defer-index`` spares fitting TF-IDF on 10,000
    # synthetic papers here, most of the re-run's time).
    rerun = subprocess.run(
        [*command, "--defer-index"], env=IMPORT_ENV, capture_output=True, text=True, timeout=600
    )
    assert rerun.returncode == 0, rerun.stderr
    report = json.loads(rerun.stdout)
    assert report["read"] == RECORDS
    assert report["unchanged"] == before
    assert report["added"] == RECORDS - before
    assert report["updated"] == 0 and report["skipped"] == 0
    assert stored_count(db_path) == RECORDS
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("SELECT count(DISTINCT id) FROM papers").fetchone()[0] == RECORDS
        versions = conn.execute("SELECT sum(json_array_length(versions)) FROM papers").fetchone()[0]
        assert versions == 2 * RECORDS
        assert conn.execute("SELECT count(*) FROM paper_authors").fetchone()[0] == 3 * RECORDS
        assert conn.execute("SELECT count(*) FROM paper_categories").fetchone()[0] == 2 * RECORDS


def children_of_dead_imports(marker: str) -> list[str]:
    """Processes still running whose command line names ``marker`` (the test's own tmp dir)."""
    found = []
    for proc in Path("/proc").iterdir():
        if not proc.name.isdigit():
            continue
        try:
            cmdline = (proc / "cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        if marker in cmdline:
            found.append(f"{proc.name}: {cmdline}")
    return found


@pytest.mark.slow
def test_parse_process_exits_when_its_import_is_killed(tmp_path: Path) -> None:
    data_dir, _, _ = start_and_kill(tmp_path, 2000)
    # The child notices while it waits on a full queue or for its last chunk to be taken; a loaded
    # machine parses slowly.
    deadline = time.monotonic() + 60
    while children_of_dead_imports(str(data_dir)) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert children_of_dead_imports(str(data_dir)) == []
