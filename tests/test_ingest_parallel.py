"""The child-process reader yields exactly what the in-process reader yields, errors included."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paperfeed.ingest.kaggle import read_kaggle
from paperfeed.ingest.parallel import ParallelFileReader
from tests.conftest import FORMATS

KAGGLE = FORMATS / "kaggle_snapshot" / "arxiv-metadata-oai-snapshot.first200.jsonl"


def test_parallel_reader_matches_sequential_reader(tmp_path: Path) -> None:
    lines = KAGGLE.read_text(encoding="utf-8").splitlines()
    mixed = tmp_path / "mixed.jsonl"
    mixed.write_text(
        "\n".join([*lines[:150], "{broken", *lines[150:], '{"id": "0704.9999"}']) + "\n", "utf-8"
    )
    with mixed.open(encoding="utf-8") as fh:
        expected = list(read_kaggle(fh))
    reader = ParallelFileReader(mixed, "kaggle")
    got = list(reader)
    assert got == expected
    assert len(got) == 202
    assert reader.position == mixed.stat().st_size


def test_parallel_reader_reports_a_failing_child(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match=r"missing\.jsonl"):
        list(ParallelFileReader(tmp_path / "missing.jsonl", "kaggle"))


def test_parallel_reader_can_hand_over_store_rows(tmp_path: Path) -> None:
    from paperfeed.store.rows import PaperRows, from_rows

    with KAGGLE.open(encoding="utf-8") as fh:
        expected = list(read_kaggle(fh))
    got = list(ParallelFileReader(KAGGLE, "kaggle", sqlite_dates=True))
    assert all(isinstance(item, PaperRows) for item in got)
    assert [from_rows(item) for item in got if isinstance(item, PaperRows)] == expected


def test_chunks_survive_the_transport() -> None:
    from paperfeed.ingest.parallel import _decode, _encode
    from paperfeed.records import Checkpoint, RecordError
    from paperfeed.store.rows import from_rows, to_rows

    with KAGGLE.open(encoding="utf-8") as fh:
        records = [item for item in read_kaggle(fh) if not isinstance(item, RecordError)][:20]
    rows = [to_rows(r, sqlite_dates=True) for r in records]  # type: ignore[arg-type]
    chunk = [*rows, RecordError("line 3", "invalid JSON"), Checkpoint("oai:cs", None)]
    payload = _encode(chunk)
    assert payload[:1] == b"J"  # SQLite rows are plain JSON values: the fast path
    assert _decode(payload) == chunk
    with_datetimes = [to_rows(r, sqlite_dates=False) for r in records]  # type: ignore[arg-type]
    payload = _encode(with_datetimes)  # type: ignore[arg-type]
    assert payload[:1] == b"P"  # datetimes keep their type through pickle
    assert _decode(payload) == with_datetimes
    assert [from_rows(r) for r in with_datetimes] == records


READ_ONE_THEN_WAIT = """
import sys, time
import os
from pathlib import Path
from paperfeed.ingest.parallel import ParallelFileReader
items = iter(ParallelFileReader(Path(sys.argv[1]), "kaggle"))
next(items)
time.sleep(1.0)  # meanwhile the child parses the rest and queues it, its last chunk too
print("ready", flush=True)
time.sleep(120)
"""


def _children_of(pid: int) -> list[int]:
    found = []
    for proc in Path("/proc").iterdir():
        try:
            fields = (proc / "stat").read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        if int(fields[1]) == pid:
            found.append(int(proc.name))
    return found


def _running(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except (OSError, IndexError):
        return False
    return state != "Z"  # an exited child nobody reaped (no init in a container) is not running


def test_a_child_that_parsed_everything_exits_when_its_reader_is_killed(tmp_path: Path) -> None:
    """More queued than a pipe holds (three chunks of a thousand records), the reader killed after
    one: the child must not wait for a reader that is gone (it used to, forever)."""
    lines = KAGGLE.read_text(encoding="utf-8").splitlines()
    big = tmp_path / "big.jsonl"
    big.write_text("\n".join(lines * 15) + "\n", "utf-8")  # 3,000 records
    parent = subprocess.Popen(
        [sys.executable, "-c", READ_ONE_THEN_WAIT, str(big)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == "ready"
        children = _children_of(parent.pid)
        assert children, "the reader started no child"
    finally:
        parent.send_signal(signal.SIGKILL)
        parent.wait(timeout=30)
    deadline = time.monotonic() + 20
    while any(_running(child) for child in children) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = [child for child in children if _running(child)]
    for child in left:
        os.kill(child, signal.SIGKILL)
    assert left == [], "the parse child outlived its killed reader"
