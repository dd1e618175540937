"""BibTeX reader on a hand-written bibliography of real papers (tests/data/sample.bib)."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

from paperfeed.ingest.bibtex import read_bibtex, split_names
from paperfeed.records import PaperRecord, RecordError

SAMPLE = Path(__file__).parent / "data" / "sample.bib"


def _items() -> list[PaperRecord | RecordError]:
    with SAMPLE.open(encoding="utf-8") as fh:
        items = list(read_bibtex(fh))
    assert all(isinstance(i, PaperRecord | RecordError) for i in items)
    return items  # type: ignore[return-value]


def test_ids_from_eprint_url_and_journal() -> None:
    records = {r.title: r for r in _items() if isinstance(r, PaperRecord)}
    attention = records["Attention Is All You Need"]
    assert (attention.paper_id, attention.version) == ("1706.03762", 7)
    assert attention.categories == ["cs.CL"]
    assert attention.published == datetime(2017, 6, 1, tzinfo=UTC)
    assert "Łukasz Kaiser" in attention.authors and attention.authors[0] == "Ashish Vaswani"
    bert = records["BERT: Pre-training of Deep Bidirectional Transformers for Language Understanding"]
    assert bert.paper_id == "1810.04805"
    assert records["Adam: A Method for Stochastic Optimization"].paper_id == "1412.6980"
    assert records["Adam: A Method for Stochastic Optimization"].journal_ref is None
    maldacena = records["The Large N Limit of Superconformal Field Theories and Supergravity"]
    assert maldacena.paper_id == "hep-th/9711200"
    assert maldacena.journal_ref == "International Journal of Theoretical Physics"
    assert maldacena.doi == "10.1023/A:1026654312961"
    causal = records["Toward Causal Representation Learning"]
    assert causal.authors[0] == "Bernhard Schölkopf"
    resnet = records["Deep Residual Learning for Image Recognition"]
    assert resnet.paper_id.startswith("title:")
    assert resnet.authors == ["Kaiming He", "Xiangyu Zhang", "Shaoqing Ren", "Jian Sun"]
    assert all(r.source == "bibtex" for r in records.values())


def test_missing_title_and_broken_block_are_errors() -> None:
    errors = [i for i in _items() if isinstance(i, RecordError)]
    assert errors[0] == RecordError("line 60 (notitle2020)", "missing title")
    assert errors[1].where == "line 67"
    assert "end of file" in errors[1].reason
    assert len(_items()) == 8


def test_name_splitting() -> None:
    assert split_names("Doe, Jane and {Barnes and Noble} and von Neumann, John and others") == [
        "Jane Doe",
        "Barnes and Noble",
        "John von Neumann",
    ]
    assert split_names("King, Jr, Martin Luther") == ["Martin Luther King Jr"]


def test_empty_file() -> None:
    assert list(read_bibtex(io.StringIO(""))) == []
