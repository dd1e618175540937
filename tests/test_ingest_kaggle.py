"""Kaggle snapshot reader against the first 200 real lines of the dump, plus its speed budget."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

from paperfeed.ingest.kaggle import read_kaggle
from paperfeed.records import PaperRecord, RecordError, Version

SNAPSHOT = (
    Path(__file__).parent
    / "data"
    / "arxiv-formats"
    / "kaggle_snapshot"
    / ("arxiv-metadata-oai-snapshot.first200.jsonl")
)


def _records() -> list[PaperRecord]:
    with SNAPSHOT.open(encoding="utf-8") as fh:
        items = list(read_kaggle(fh))
    assert all(isinstance(i, PaperRecord) for i in items)
    return [i for i in items if isinstance(i, PaperRecord)]


def test_first_record_in_detail() -> None:
    first = _records()[0]
    assert first.paper_id == "0704.0001"
    assert first.title == (
        "Calculation of prompt diphoton production cross sections at Tevatron and LHC energies"
    )
    assert first.authors == ["C. Balázs", "E. L. Berger", "P. M. Nadolsky", "C. -P. Yuan"]
    assert first.categories == ["hep-ph"]
    assert first.version == 2
    assert first.versions == [
        Version(1, datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)),
        Version(2, datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC)),
    ]
    assert first.published == datetime(2007, 4, 2, 19, 18, 42, tzinfo=UTC)
    assert first.updated == datetime(2007, 7, 24, 20, 10, 27, tzinfo=UTC)
    assert first.doi == "10.1103/PhysRevD.76.013009"
    assert first.journal_ref == "Phys.Rev.D76:013009,2007"
    assert first.comment == "37 pages, 15 figures; published version"
    assert first.source == "kaggle"


def test_every_record_matches_its_raw_line() -> None:
    with SNAPSHOT.open(encoding="utf-8") as fh:
        raw = [json.loads(line) for line in fh]
    for obj, record in zip(raw, _records(), strict=True):
        assert record.paper_id == obj["id"]
        assert record.version == len(obj["versions"])
        assert len(record.authors) == len(obj["authors_parsed"])
        assert record.categories == obj["categories"].split()
        assert "\n" not in record.abstract


def test_broken_lines_are_errors() -> None:
    good = SNAPSHOT.read_text(encoding="utf-8").splitlines()[0]
    bad_version = good.replace('"version":"v2"', '"version":"second"')
    items = list(read_kaggle(io.StringIO(f"{good}\n{{oops\n{bad_version}\n")))
    assert isinstance(items[0], PaperRecord)
    assert isinstance(items[1], RecordError) and items[1].where == "line 2"
    assert items[2] == RecordError("id 0704.0001", "bad version 'second'")
