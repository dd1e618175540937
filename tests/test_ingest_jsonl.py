"""JSON lines reader: the arxiv-sample layout imports unchanged; bad lines become errors, not crashes."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime
from pathlib import Path

from paperfeed.ingest.jsonl import read_jsonl
from paperfeed.records import PaperRecord, RecordError, Version

DATA = Path(__file__).parent / "data"


def test_arxiv_sample_layout_imports_every_record() -> None:
    with (DATA / "arxiv-sample-300.jsonl").open(encoding="utf-8") as fh:
        items = list(read_jsonl(fh))
    records = [i for i in items if isinstance(i, PaperRecord)]
    assert len(records) == 300
    first = records[0]
    assert first.paper_id == "2602.18409"
    assert first.version == 1
    assert first.title == "Unifying approach to uniform expressivity of graph neural networks"
    assert first.authors == ["Huan Luo", "Jonni Virtema"]
    assert first.categories == ["cs.LG", "cs.AI", "cs.LO"]
    assert first.published == datetime(2026, 2, 20, 18, 18, 48, tzinfo=UTC)
    assert first.updated == first.published
    assert first.source == "jsonl"
    assert all("v" not in r.paper_id for r in records)


def test_later_versions_keep_v1_date_as_published() -> None:
    with (DATA / "arxiv-sample-300.jsonl").open(encoding="utf-8") as fh:
        raw = [json.loads(line) for line in fh]
    with (DATA / "arxiv-sample-300.jsonl").open(encoding="utf-8") as fh:
        records = [i for i in read_jsonl(fh) if isinstance(i, PaperRecord)]
    revised = [
        (obj, rec) for obj, rec in zip(raw, records, strict=True) if not obj["arxiv_id"].endswith("v1")
    ]
    assert revised, "the sample has revised papers"
    for obj, rec in revised:
        number = int(obj["arxiv_id"].rsplit("v", 1)[1])
        assert rec.version == number
        assert rec.versions[0].number == 1 and rec.versions[-1].number == number
        assert rec.published is not None and rec.updated is not None
        assert rec.published <= rec.updated


def test_documented_fields_and_spellings() -> None:
    line = json.dumps(
        {
            "id": "https://arxiv.org/abs/2401.00001v3",
            "title": "  A   title\n wrapped ",
            "authors": "Ada Lovelace, Charles Babbage and Alan Turing",
            "categories": "cs.AI cs.LG",
            "primary_category": "cs.LG",
            "versions": [
                {"version": "v1", "created": "Mon, 1 Jan 2024 10:00:00 GMT"},
                {"version": "v3", "created": "2024-03-01T00:00:00Z"},
            ],
            "comments": "Code: https://github.com/example/repo.",
            "journal-ref": "J. Test 1 (2024)",
            "doi": "10.1/xyz",
        }
    )
    [record] = list(read_jsonl(io.StringIO(line + "\n")))
    assert isinstance(record, PaperRecord)
    assert record.paper_id == "2401.00001"
    assert record.version == 3
    assert record.title == "A title wrapped"
    assert record.authors == ["Ada Lovelace", "Charles Babbage", "Alan Turing"]
    assert record.categories == ["cs.LG", "cs.AI"]
    assert record.versions == [
        Version(1, datetime(2024, 1, 1, 10, tzinfo=UTC)),
        Version(3, datetime(2024, 3, 1, tzinfo=UTC)),
    ]
    assert record.published == datetime(2024, 1, 1, 10, tzinfo=UTC)
    assert record.updated == datetime(2024, 3, 1, tzinfo=UTC)
    assert record.code_links == ["https://github.com/example/repo"]
    assert record.journal_ref == "J. Test 1 (2024)"


def test_no_id_gives_title_id_and_versions_as_dates() -> None:
    line = json.dumps({"title": "Only a title", "versions": ["2020-01-01", "2020-02-01"]})
    [record] = list(read_jsonl(io.StringIO(line)))
    assert isinstance(record, PaperRecord)
    assert record.paper_id.startswith("title:")
    assert record.version == 2
    assert record.published == datetime(2020, 1, 1, tzinfo=UTC)


def test_bad_lines_become_errors_and_the_stream_continues() -> None:
    text = "\n".join(
        [
            json.dumps({"id": "2401.00001", "title": "Fine"}),
            "{not json",
            json.dumps({"id": "2401.00002"}),
            json.dumps({"id": "abc", "title": "Bad id"}),
            json.dumps({"id": "2401.00003", "title": "Bad date", "published": "yesterday"}),
            "",
            json.dumps({"arxiv_id": "2401.00004v2", "title": "Also fine"}),
        ]
    )
    items = list(read_jsonl(io.StringIO(text)))
    assert [type(i).__name__ for i in items] == [
        "PaperRecord",
        "RecordError",
        "RecordError",
        "RecordError",
        "RecordError",
        "PaperRecord",
    ]
    errors = [i for i in items if isinstance(i, RecordError)]
    assert errors[0].where == "line 2" and errors[0].reason.startswith("invalid JSON")
    assert errors[1] == RecordError("line 3", "missing title")
    assert errors[2].where == "line 4" and "abc" in errors[2].reason
    assert errors[3].where == "line 5" and "yesterday" in errors[3].reason
    last = items[-1]
    assert isinstance(last, PaperRecord) and last.version == 2 and last.versions == [Version(2, None)]
