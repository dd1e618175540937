"""Broken and unusual input files (issue 11): a BOM, other CSV delimiters, a long first line, an
empty file, a folder, a line too long to be one paper (read without holding it), oversized fields."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from paperfeed.context import Paperfeed
from paperfeed.ingest.files import InputError, open_text
from paperfeed.ingest.jobs import ingest_file
from paperfeed.ingest.jsonl import read_jsonl
from paperfeed.ingest.kaggle import read_kaggle
from paperfeed.records import PaperRecord, RecordError
from tests.conftest import SAMPLE_300

HEADER = "id,title,authors,categories,abstract"
ROW = '2602.18409,Unifying approach,"Huan Luo; Jonni Virtema",cs.LG,An abstract.'


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_a_csv_with_a_byte_order_mark_keeps_its_first_column(
    tmp_path: Path, paperfeed_app: Paperfeed
) -> None:
    source = write(tmp_path / "excel.csv", "\ufeff" + HEADER + "\n" + ROW + "\n")
    report = ingest_file(paperfeed_app, source)
    assert report.added == 1 and report.skipped == 0
    paper = paperfeed_app.store.papers.get("2602.18409")
    assert paper is not None and paper.authors == ["Huan Luo", "Jonni Virtema"]
    assert paperfeed_app.store.papers.stats()["title_only_papers"] == 0


@pytest.mark.parametrize("delimiter", [";", "\t"])
def test_semicolon_and_tab_separated_csv(tmp_path: Path, paperfeed_app: Paperfeed, delimiter: str) -> None:
    header = HEADER.replace(",", delimiter)
    row = f'2602.18409{delimiter}Unifying approach{delimiter}"Huan Luo; Jonni Virtema"{delimiter}cs.LG{delimiter}An abstract.'
    source = write(tmp_path / "locale.csv", f"{header}\n{row}\n")
    report = ingest_file(paperfeed_app, source)
    assert report.added == 1 and report.skipped == 0, report.errors
    paper = paperfeed_app.store.papers.get("2602.18409")
    assert paper is not None and paper.title == "Unifying approach"
    assert paper.authors == ["Huan Luo", "Jonni Virtema"]


def test_a_csv_without_a_title_column_names_the_delimiters(tmp_path: Path, paperfeed_app: Paperfeed) -> None:
    report = ingest_file(paperfeed_app, write(tmp_path / "x.csv", "id|name\n1|x\n"))
    assert report.skipped == 1 and "commas, semicolons or tabs" in report.errors[0].reason


def test_a_json_lines_file_with_a_long_first_line(tmp_path: Path, paperfeed_app: Paperfeed) -> None:
    first = json.dumps({"id": "2602.00001", "title": "Long", "abstract": "word " * 12_000})  # 60 KB
    lines = [first, *SAMPLE_300.read_text(encoding="utf-8").splitlines()[:3]]
    source = write(tmp_path / "papers.jsonl", "\n".join(lines) + "\n")
    report = ingest_file(paperfeed_app, source)
    assert report.added == 4 and report.skipped == 0
    no_extension = write(tmp_path / "papers", "\n".join(lines) + "\n")
    assert ingest_file(paperfeed_app, no_extension).unchanged == 4


def test_empty_files_and_folders_say_what_they_are(tmp_path: Path, paperfeed_app: Paperfeed) -> None:
    with pytest.raises(InputError, match="is empty"):
        ingest_file(paperfeed_app, write(tmp_path / "empty.jsonl", ""))
    with pytest.raises(InputError, match="is empty"):
        ingest_file(paperfeed_app, write(tmp_path / "blank.csv", "\n\n"))
    with pytest.raises(InputError, match="is a folder"):
        ingest_file(paperfeed_app, tmp_path)
    with pytest.raises(InputError, match="no such file"):
        ingest_file(paperfeed_app, tmp_path / "missing.jsonl")


def test_an_oversized_abstract_is_skipped_with_its_line(tmp_path: Path, paperfeed_app: Paperfeed) -> None:
    good = SAMPLE_300.read_text(encoding="utf-8").splitlines()[:2]
    huge = json.dumps({"id": "2602.00002", "title": "Huge", "abstract": "x" * 150_000})
    report = ingest_file(
        paperfeed_app, write(tmp_path / "p.jsonl", "\n".join([good[0], huge, good[1]]) + "\n")
    )
    assert report.added == 2 and report.skipped == 1
    assert report.errors[0].where == "line 2" and "150,000 characters long" in report.errors[0].reason
    assert paperfeed_app.store.papers.get("2602.00002") is None


def _file_with_a_huge_line(path: Path, megabytes: int) -> Path:
    """Line 1 a real record, line 2 one JSON string of ``megabytes`` MB, line 3 a real record."""
    good = SAMPLE_300.read_text(encoding="utf-8").splitlines()
    with path.open("w", encoding="utf-8") as handle:
        handle.write(good[0] + "\n" + '{"title": "x", "abstract": "')
        chunk = "y" * (1024 * 1024)
        for _ in range(megabytes):
            handle.write(chunk)
        handle.write('"}\n' + good[1] + "\n")
    return path


@pytest.mark.parametrize("reader", [read_jsonl, read_kaggle])
def test_a_huge_line_is_reported_without_being_held(tmp_path: Path, reader: object) -> None:
    source = _file_with_a_huge_line(tmp_path / "huge.jsonl", 64)
    tracemalloc.start()
    try:
        with open_text(source) as (text, _):
            items = list(reader(text))  # type: ignore[operator]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    # Memory follows the 8 MB record limit (a few copies of it while decoding), not the line.
    assert peak < 48 * 1024 * 1024, f"peak {peak / 1e6:.0f} MB for a 64 MB line"
    assert len(items) == 3  # one item per line (the Kaggle reader refuses the jsonl records: no "id")
    too_long = [i for i in items if isinstance(i, RecordError) and "longer than 8 MB" in i.reason]
    assert [e.where for e in too_long] == ["line 2"]
    if reader is read_jsonl:
        assert sum(isinstance(i, PaperRecord) for i in items) == 2


def test_a_huge_line_through_the_parallel_reader(tmp_path: Path, paperfeed_app: Paperfeed) -> None:
    source = _file_with_a_huge_line(tmp_path / "huge.jsonl", 10)  # > 4 MB: parsed in a child process
    report = ingest_file(paperfeed_app, source, file_format="jsonl")
    assert report.added == 2 and report.skipped == 1
    assert report.errors[0].where == "line 2" and "longer than 8 MB" in report.errors[0].reason
