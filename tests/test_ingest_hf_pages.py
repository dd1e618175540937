"""Saved Hugging Face Daily Papers pages: header skipped, title/abstract alternation, all five seeds."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from paperfeed.ids import is_title_id
from paperfeed.ingest.hf_pages import page_date_label, read_hf_page
from paperfeed.records import PaperRecord, RecordError

SEEDS = Path(__file__).parent / "data" / "seeds"
EXPECTED = {
    "000": (71, "Mar 11"),
    "001": (87, "Mar 12"),
    "002": (68, "Mar 14"),
    "003": (233, None),
    "004": (80, "May 6"),
}


def _read(path: Path) -> list[PaperRecord]:
    with path.open(encoding="utf-8") as fh:
        items = list(read_hf_page(fh))
    assert not [i for i in items if isinstance(i, RecordError)]
    return [i for i in items if isinstance(i, PaperRecord)]


@pytest.mark.parametrize("prefix", sorted(EXPECTED))
def test_each_seed_page(prefix: str) -> None:
    [path] = SEEDS.glob(f"{prefix}_*.txt")
    records = _read(path)
    count, label = EXPECTED[prefix]
    assert len(records) == count
    with path.open(encoding="utf-8") as fh:
        assert page_date_label(fh) == label
    for record in records:
        assert is_title_id(record.paper_id)
        assert len(record.title) < 200 < len(record.abstract)
        assert record.source == "hf-page"
        assert record.version is None and record.published is None


def test_all_pages_give_539_listings_of_424_papers() -> None:
    records = [r for path in sorted(SEEDS.glob("*.txt")) for r in _read(path)]
    assert len(records) == 539
    assert len({r.paper_id for r in records}) == 424


def test_subscribe_glued_to_the_first_title_is_removed() -> None:
    [path] = SEEDS.glob("003_*.txt")
    first = _read(path)[0]
    assert first.title == "Language Modeling with Deep Transformers"
    assert first.abstract.startswith("We explore deep autoregressive Transformer models")


def test_code_links_in_abstracts_are_found() -> None:
    records = [r for path in sorted(SEEDS.glob("*.txt")) for r in _read(path)]
    assert any(link.startswith("https://github.com/") for r in records for link in r.code_links)


def test_lost_title_is_reported_and_alternation_recovers() -> None:
    abstract = "An abstract sentence that goes on. " * 20
    text = "\n".join(
        [
            "new",
            "Subscribe",
            "Mar 11",
            "Title One",
            abstract,
            abstract,
            "Title Two",
            abstract,
            "Dangling title",
        ]
    )
    items = list(read_hf_page(io.StringIO(text)))
    assert [type(i).__name__ for i in items] == ["PaperRecord", "RecordError", "PaperRecord", "RecordError"]
    assert isinstance(items[1], RecordError) and items[1].where == "line 6"
    assert isinstance(items[2], PaperRecord) and items[2].title == "Title Two"
    assert isinstance(items[3], RecordError) and "Dangling title" in items[3].reason
