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
