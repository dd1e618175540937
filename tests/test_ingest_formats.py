"""Format detection from a file name and its head."""

from __future__ import annotations

from pathlib import Path

import pytest

from paperfeed.ingest.formats import READERS, UnknownFormat, detect_format

DATA = Path(__file__).parent / "data"


def _head(path: Path) -> str:
    with path.open(encoding="utf-8") as fh:
        return fh.read(4096)


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        (DATA / "arxiv-sample-300.jsonl", "jsonl"),
        (DATA / "arxiv-formats/kaggle_snapshot/arxiv-metadata-oai-snapshot.first200.jsonl", "kaggle"),
        (DATA / "sample.bib", "bibtex"),
        *[(p, "hf-page") for p in sorted((DATA / "seeds").glob("*.txt"))],
    ],
)
def test_real_files(path: Path, expected: str) -> None:
    assert detect_format(path, _head(path)) == expected
    assert expected in READERS


def test_names_and_heads() -> None:
    assert detect_format(Path("x.csv"), "id,title\n") == "csv"
    assert (
        detect_format(Path("dump.json.gz"), '{"id": "0704.0001", "versions": [], "submitter": "X"}')
        == "kaggle"
    )
    assert detect_format(Path("refs.txt"), "\n@article{x, title={T}}") == "bibtex"
    assert detect_format(Path("noext"), '{"title": "T"}\n') == "jsonl"


def test_unknown_format_says_what_to_do() -> None:
    with pytest.raises(UnknownFormat, match="choose one explicitly: jsonl, kaggle, csv, hf-page, bibtex"):
        detect_format(Path("notes.txt"), "just some notes\n")
    with pytest.raises(UnknownFormat, match="line 1 is a JSON list"):
        detect_format(Path("broken.jsonl"), "[1, 2]\n")
