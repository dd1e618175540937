"""arXiv id parsing: property-based round trips for both id styles and the URL spellings."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from paperfeed.ids import ArxivId, InvalidArxivId, normalize_paper_id, parse_arxiv_id, title_id

versions = st.none() | st.integers(min_value=1, max_value=99)
new_style = st.builds(
    lambda yymm, number, width: f"{yymm:04d}.{number:0{width}d}",
    st.integers(min_value=701, max_value=9912),
    st.integers(min_value=0, max_value=9999),
    st.sampled_from([4, 5]),
)
old_style = st.builds(
    lambda archive, subject, number: f"{archive}{subject}/{number:07d}",
    st.sampled_from(["hep-th", "astro-ph", "math", "cond-mat", "quant-ph", "q-bio", "cs"]),
    st.sampled_from(["", ".GT", ".AI", ".CO"]),
    st.integers(min_value=0, max_value=9_999_999),
)
ids = st.builds(ArxivId, new_style | old_style, versions)


@given(ids)
def test_str_round_trips(arxiv_id: ArxivId) -> None:
    assert parse_arxiv_id(str(arxiv_id)) == arxiv_id


@given(
    ids,
    st.sampled_from(
        [
            "https://arxiv.org/abs/{}",
            "http://arxiv.org/abs/{}",
            "https://arxiv.org/pdf/{}",
            "https://arxiv.org/pdf/{}.pdf",
            "https://export.arxiv.org/abs/{}",
            "arXiv:{}",
            "oai:arXiv.org:{}",
            "https://www.arxiv.org/abs/{}?context=cs",
            " {} ",
        ]
    ),
)
def test_urls_and_prefixes_parse(arxiv_id: ArxivId, template: str) -> None:
    assert parse_arxiv_id(template.format(arxiv_id)) == arxiv_id


@pytest.mark.parametrize(
    "text", ["abc", "", "1234.567", "2602.18409v0", "hep-th/99", "https://example.org/abs/2602.18409"]
)
def test_invalid_ids(text: str) -> None:
    with pytest.raises(InvalidArxivId):
        parse_arxiv_id(text)


def test_normalize_paper_id() -> None:
    assert normalize_paper_id("arXiv:2602.18409v2") == "2602.18409"
    tid = title_id("Attention Is All You Need")
    assert normalize_paper_id(tid) == tid
    assert title_id("{BERT}: Pre-training") == title_id("BERT: pre-training")
