"""Query syntax: parsing rules, and that no input string can make search raise."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from paperfeed.context import Paperfeed
from paperfeed.search.engine import search
from paperfeed.search.indexer import catch_up
from paperfeed.search.query import Clause, parse


def test_parse_words_phrases_fields_and_exclusions() -> None:
    parsed = parse('author:"Yann LeCun" cat:cs.LG "self-supervised" -survey vision -"literature review" ti:x')
    assert parsed.words == ["vision"]
    assert Clause("Yann LeCun", "author", True) in parsed.required
    assert Clause("cs.LG", "cat", False) in parsed.required
    assert Clause("self-supervised", None, True) in parsed.required
    assert Clause("x", "title", False) in parsed.required
    assert parsed.excluded == [Clause("survey"), Clause("literature review", None, True)]


def test_parse_operators_parentheses_and_unknown_prefixes() -> None:
    parsed = parse("(graph AND neural) OR NOT survey http://x.org re:thing")
    assert parsed.words == ["graph", "neural", "http://x.org", "re:thing"]
    assert parsed.excluded == [Clause("survey")]


def test_parse_unbalanced_quote_runs_to_the_end() -> None:
    parsed = parse('diffusion "protein design')
    assert parsed.words == ["diffusion"]
    assert parsed.required == [Clause("protein design", None, True)]


def test_parse_without_syntax_reads_plain_words() -> None:
    parsed = parse('"quoted" -dash author:x', syntax=False)
    assert parsed.words == ['"quoted"', "-dash", "author:x"]
    assert not parsed.required and not parsed.excluded


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        '"',
        '""',
        "(",
        ")",
        "((()",
        "AND OR (",
        "-",
        "--",
        "NOT",
        "author:",
        'author:"',
        "cat:",
        "title:()",
        "🎉🎉",
        "\x00\x01",
        "a" * 5000,
        "word " * 1000,
        ":::",
        "-author:",
        "id:notanid",
        "*?~^",
    ],
)
def test_hostile_queries_return_results_or_nothing(sample_app: Paperfeed, text: str) -> None:
    catch_up(sample_app, embed=False)
    results = search(sample_app, text, mode="keyword", limit=5)
    assert isinstance(results.hits, list)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    '"',
                    "(",
                    ")",
                    "-",
                    ":",
                    "*",
                    "^",
                    "~",
                    " ",
                    "AND",
                    "OR",
                    "NOT",
                    "author:",
                    "cat:",
                    "title:",
                    "id:",
                    "-cat:",
                    "learning",
                    "graph",
                ]
            ),
            st.text(max_size=8),
        ),
        max_size=12,
    ).map("".join)
)
def test_fuzz_no_query_raises(sample_app: Paperfeed, text: str) -> None:
    catch_up(sample_app, embed=False)  # cheap after the first call: nothing changed
    for mode in ("keyword", None):
        results = search(sample_app, text, mode=mode, limit=3)
        assert len(results.hits) <= 3
