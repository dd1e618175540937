"""Keyword search: BM25 against an independent implementation, fields, filters, snippets."""

from __future__ import annotations

import json
import math
from datetime import date
from pathlib import Path

import pytest

from paperfeed.context import Paperfeed
from paperfeed.records import PaperRecord
from paperfeed.search.engine import search
from paperfeed.search.indexer import catch_up
from paperfeed.search.lexical import LexicalIndex, char_spans, paper_document
from paperfeed.search.query import FieldWeights, ParsedQuery, parse

SAMPLE = Path(__file__).parent / "data" / "arxiv-sample-300.jsonl"
BODY_ONLY = FieldWeights(title=0.0, abstract=0.0, authors=0.0, body=1.0)

# Words that no stemmer or stop list changes, so the reference can tokenize with str.split.
CORPUS = {
    "d1": ("cat dog", "cat cat bird"),
    "d2": ("fish", "dog dog dog fish bird bird"),
    "d3": ("bird", "cat"),
    "d4": ("owl", "owl owl owl owl owl owl owl owl"),
    "d5": ("dog", "fish cat bird owl dog"),
}


def reference_bm25(query: list[str], k1: float = 1.2, b: float = 0.75) -> dict[str, float]:
    """Okapi BM25 as Lucene/tantivy define it, over title + abstract as one field."""
    docs = {d: f"{t} {a}".split() for d, (t, a) in CORPUS.items()}
    n_docs = len(docs)
    avgdl = sum(len(words) for words in docs.values()) / n_docs
    scores: dict[str, float] = {}
    for term in query:
        df = sum(1 for words in docs.values() if term in words)
        idf = math.log(1 + (n_docs - df + 0.5) / (df + 0.5))
        for doc, words in docs.items():
            tf = words.count(term)
            if tf:
                norm = tf + k1 * (1 - b + b * len(words) / avgdl)
                scores[doc] = scores.get(doc, 0.0) + idf * tf * (k1 + 1) / norm
    return scores


@pytest.fixture
def small_index(tmp_path: Path) -> LexicalIndex:
    index = LexicalIndex.open_writer(tmp_path / "lexical")
    writer = index.writer()
    for doc, (title, abstract) in CORPUS.items():
        writer.add_document(paper_document(PaperRecord(paper_id=doc, title=title, abstract=abstract)))
    writer.commit()
    return index


@pytest.mark.parametrize("query", [["cat"], ["dog", "bird"], ["owl", "fish", "cat"], ["zebra"]])
def test_bm25_matches_reference(small_index: LexicalIndex, query: list[str]) -> None:
    found = small_index.search(ParsedQuery(words=query), limit=10, snippets=False, weights=BODY_ONLY)
    expected = reference_bm25(query)
    got = {h.paper_id: h.score for h in found.hits}
    assert set(got) == set(expected)
    for doc, score in expected.items():
        assert got[doc] == pytest.approx(score, rel=1e-4), doc
    assert [h.paper_id for h in found.hits] == sorted(expected, key=lambda d: (-expected[d], d))


def test_title_boost_ranks_title_match_first(small_index: LexicalIndex) -> None:
    found = small_index.search(ParsedQuery(words=["fish"]), limit=10, snippets=False)
    assert found.hits[0].paper_id == "d2"  # fish in the title beats fish in a longer abstract (d5)


def _sample() -> list[dict[str, object]]:
    return [json.loads(line) for line in SAMPLE.read_text().splitlines()]


@pytest.fixture
def indexed(sample_app: Paperfeed) -> Paperfeed:
    catch_up(sample_app, embed=False)
    return sample_app


def _all_ids(app: Paperfeed, query: str, **kwargs: object) -> set[str]:
    return {h.paper_id for h in search(app, query, mode="keyword", limit=1000, **kwargs).hits}  # type: ignore[arg-type]


def test_author_search_finds_exactly_their_papers(indexed: Paperfeed) -> None:
    rows = _sample()
    expected = {str(r["arxiv_id"]).split("v")[0] for r in rows if "Joseph Bingham" in r["authors"]}  # type: ignore[operator]
    assert len(expected) == 3
    assert _all_ids(indexed, 'author:"Joseph Bingham"') == expected
    assert _all_ids(indexed, 'author:"Bingham Joseph"') == set()  # a phrase, in order


def test_category_filter_and_cat_syntax(indexed: Paperfeed) -> None:
    rows = _sample()
    expected = {str(r["arxiv_id"]).split("v")[0] for r in rows if "cs.CV" in r["categories"]}  # type: ignore[operator]
    assert _all_ids(indexed, "cat:cs.CV") == expected
    assert _all_ids(indexed, "", category="cs.CV") == expected
    learning = _all_ids(indexed, "learning")
    assert _all_ids(indexed, "learning", category="cs.CV") == learning & expected
    assert _all_ids(indexed, "learning -cat:cs.CV") == learning - expected


def test_phrase_and_exclusion(indexed: Paperfeed) -> None:
    rows = _sample()
    phrase = {
        str(r["arxiv_id"]).split("v")[0]
        for r in rows
        if "large language model" in (str(r["title"]) + " " + str(r["abstract"])).lower()
    }
    got = _all_ids(indexed, '"large language model"')
    assert phrase <= got  # stemming also matches "large language models"
    surveys = _all_ids(indexed, "survey")
    assert surveys
    assert not (_all_ids(indexed, '"large language model" -survey') & surveys)


def test_date_filters_are_inclusive_days(indexed: Paperfeed) -> None:
    rows = _sample()
    day = date(2026, 2, 19)
    expected = {
        str(r["arxiv_id"]).split("v")[0] for r in rows if str(r["published_date"]).startswith("2026-02-19")
    }
    assert expected
    assert _all_ids(indexed, "", since=day, until=day) == expected
    later = {str(r["arxiv_id"]).split("v")[0] for r in rows if str(r["published_date"]) >= "2026-02-19"}
    assert _all_ids(indexed, "", since=day) == later


def test_id_lookup(indexed: Paperfeed) -> None:
    assert _all_ids(indexed, "id:2602.18409v1") == {"2602.18409"}
    assert "2602.18409" in _all_ids(indexed, "2602.18409")


def test_snippets_are_text_with_spans_of_matched_words(indexed: Paperfeed) -> None:
    results = search(indexed, "graph neural networks", mode="keyword", limit=3)
    assert results.hits and results.total >= 3
    top = results.hits[0]
    paper = indexed.store.papers.get(top.paper_id)
    assert paper is not None
    marked = [paper.title[a:b].lower() for a, b in top.title_spans] + [
        top.snippet[a:b].lower() for a, b in top.snippet_spans
    ]
    assert marked and all(word.startswith(("graph", "neural", "network")) for word in marked)
    # tantivy gives UTF-8 byte offsets; spans are characters
    assert char_spans("a <b> & c", [(8, 9)]) == [(8, 9)]
    assert char_spans("héllo wörld", [(7, 13)]) == [(6, 11)]


def test_paging(indexed: Paperfeed) -> None:
    full = [h.paper_id for h in search(indexed, "learning", mode="keyword", limit=20).hits]
    page2 = [h.paper_id for h in search(indexed, "learning", mode="keyword", limit=10, offset=10).hits]
    assert page2 == full[10:20]


def test_unknown_mode_is_an_error(indexed: Paperfeed) -> None:
    with pytest.raises(ValueError):
        search(indexed, "x", mode="magic")


def test_parse_used_by_engine_is_the_documented_one() -> None:
    assert parse("a -b").excluded


def test_counting_stops_at_the_cap(small_index: LexicalIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    from paperfeed.search import lexical

    monkeypatch.setattr(lexical, "COUNT_CAP", 2)
    over = small_index.search(ParsedQuery(words=["cat", "zebra"]), limit=1, snippets=False)
    assert (over.total, over.total_exact) == (2, False)  # "cat" alone is in 3 papers: not counted
    assert len(over.hits) == 1
    under = small_index.search(ParsedQuery(words=["owl"]), limit=1, snippets=False)
    assert (under.total, under.total_exact) == (2, True)  # owl: d4 and d5, counted
    fielded = small_index.search(parse("cat -owl"), limit=10, snippets=False)
    assert fielded.total_exact and fielded.total == 2  # constraints: always counted


def test_the_abstract_snippet_is_cut_from_the_stored_abstract(small_index: LexicalIndex) -> None:
    hit = small_index.search(ParsedQuery(words=["bird"]), limit=10).hits
    by_id = {h.paper_id: h for h in hit}
    assert by_id["d1"].snippet == "cat cat bird"
    assert [by_id["d1"].snippet[a:b] for a, b in by_id["d1"].snippet_spans] == ["bird"]
    assert by_id["d3"].title_spans == [(0, 4)]
