"""The child-process reader yields exactly what the in-process reader yields, errors included."""

from __future__ import annotations

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
