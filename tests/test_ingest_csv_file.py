"""CSV reader: same vocabulary as jsonl, ``;``-separated lists, header required."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from paperfeed.ingest.csv_file import read_csv
from paperfeed.records import PaperRecord, RecordError

CSV_TEXT = (
    "arxiv_id,title,authors,categories,published_date,updated_date,versions,abstract\n"
    '2602.16708v2,Policy Compiler for Secure Agentic Systems,"Nils Palumbo; Somesh Jha",'
    'cs.CR;cs.AI,2026-02-18 18:57:12 UTC,2026-02-19 03:40:05 UTC,,"Multi-line\nabstract, with a comma"\n'
    ',No id here,"A, B and C",cs.LG,,,2020-01-01;2020-05-01,\n'
    "2401.00001,,Nobody,cs.LG,,,,\n"
    '2401.00002,JSON lists,"[""X Y"", ""Z W""]","[""cs.CV""]",,,,\n'
)


def test_rows_with_semicolon_lists_and_multiline_cells() -> None:
    items = list(read_csv(io.StringIO(CSV_TEXT)))
    first, second, error, fourth = items
    assert isinstance(first, PaperRecord)
    assert first.paper_id == "2602.16708" and first.version == 2
    assert first.authors == ["Nils Palumbo", "Somesh Jha"]
    assert first.categories == ["cs.CR", "cs.AI"]
    assert first.published == datetime(2026, 2, 18, 18, 57, 12, tzinfo=UTC)
    assert first.abstract == "Multi-line abstract, with a comma"
    assert first.source == "csv"
    assert isinstance(second, PaperRecord)
    assert second.paper_id.startswith("title:")
    assert second.authors == ["A", "B", "C"]
    assert second.version == 2
    assert error == RecordError("line 5", "missing title")
    assert isinstance(fourth, PaperRecord)
    assert fourth.authors == ["X Y", "Z W"] and fourth.categories == ["cs.CV"]


def test_header_is_required() -> None:
    assert list(read_csv(io.StringIO(""))) == [
        RecordError("line 1", "empty file: a header row naming the columns is required")
    ]
    [error] = list(read_csv(io.StringIO("2401.00001,Some title\n")))
    assert isinstance(error, RecordError) and "no 'title' column" in error.reason


def test_extra_cells_are_reported() -> None:
    items = list(read_csv(io.StringIO("id,title\n2401.00001,T,extra\n2401.00002,U\n")))
    assert items[0] == RecordError("line 2", "row has more cells than the header has columns")
    assert isinstance(items[1], PaperRecord)
