"""arXiv search API client against recorded real responses served through httpx.MockTransport.

The recorded pairs (tests/data/arxiv-formats/api_atom/recorded_json) hold the exact request URL arXiv
got and its answer; the fake transport serves them by the request's query parameters, so a test
fails if the client asks for anything arXiv was not actually asked.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest

from paperfeed.ingest.arxiv_api import ArxivApiClient, ArxivApiError, build_search_query, parse_feed
from paperfeed.ingest.http import PoliteOptions, SourceUnavailable
from paperfeed.records import PaperRecord, Version
from tests.fake_clock import FakeTime

API = Path(__file__).parent / "data" / "arxiv-formats" / "api_atom"

Key = frozenset[tuple[str, str]]


def _key(query: str) -> Key:
    return frozenset(parse_qsl(query, keep_blank_values=True))


def _recorded() -> dict[Key, tuple[int, str]]:
    pairs = {}
    for path in sorted((API / "recorded_json").glob("*.json")):
        data = json.loads(path.read_text(encoding="utf-8"))
        pairs[_key(urlsplit(data["url"]).query)] = (data["status_code"], data["body"])
    return pairs


class Recorded:
    """A MockTransport handler serving the recorded pairs, noting when each request arrived."""

    def __init__(
        self, time: FakeTime, before: Callable[[httpx.Request], httpx.Response | None] | None = None
    ):
        self.pairs = _recorded()
        self.time = time
        self.before = before
        self.requests: list[tuple[float, dict[str, str]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append((self.time.now, dict(request.url.params)))
        if self.before is not None and (early := self.before(request)) is not None:
            return early
        key = _key(request.url.query.decode())
        if key not in self.pairs:
            return httpx.Response(599, text=f"no recording for {request.url}")
        status, body = self.pairs[key]
        return httpx.Response(status, content=body.encode("utf-8"))


def _client(handler: Recorded, page_size: int = 100, **kwargs: Any) -> ArxivApiClient:
    options = PoliteOptions(
        transport=httpx.MockTransport(handler),
        sleep=handler.time.sleep,
        clock=handler.time.clock,
        max_retries=kwargs.pop("max_retries", 0),
        **kwargs,
    )
    return ArxivApiClient(options=options, page_size=page_size)


def test_search_pages_until_max_results_and_respects_the_interval() -> None:
    time = FakeTime()
    handler = Recorded(time)
    client = _client(handler, page_size=10)
    items = list(client.search("testing", max_results=60, sort_by="relevance"))
    assert len(items) == 60
    assert all(isinstance(i, PaperRecord) for i in items)
    assert [int(params["start"]) for _, params in handler.requests] == [0, 10, 20, 30, 40, 50]
    assert {params["max_results"] for _, params in handler.requests} == {"10"}
    times = [t for t, _ in handler.requests]
    assert all(b - a >= 3.0 for a, b in itertools.pairwise(times))
    # consecutive pages must not overlap: the recorded pages are distinct results
    assert len({r.paper_id for r in items if isinstance(r, PaperRecord)}) == 60


def test_search_last_page_is_shortened_to_max_results() -> None:
    """There is no recording of start=10&max_results=5: the s10_m10 page is served in its place
    (substitution done here, in the test), and the client must still stop at 15 results."""
    recorded = _recorded()

    def substitute(request: httpx.Request) -> httpx.Response | None:
        if request.url.params["max_results"] == "5":
            key = _key(str(request.url.copy_set_param("max_results", "10").query.decode()))
            return httpx.Response(recorded[key][0], text=recorded[key][1])
        return None

    handler = Recorded(FakeTime(), before=substitute)
    items = list(_client(handler, page_size=10).search("testing", max_results=15, sort_by="relevance"))
    assert len(items) == 15
    assert [(p["start"], p["max_results"]) for _, p in handler.requests] == [("0", "10"), ("10", "5")]


def test_fetch_old_style_versioned_and_unknown_ids() -> None:
    handler = Recorded(FakeTime())
    client = _client(handler)
    [old] = client.fetch(["astro-ph/0601001"])
    assert old.paper_id == "astro-ph/0601001" and old.version == 1
    assert old.journal_ref == "ActaAstron.56:1-50,2006"
    assert old.authors[:2] == ["Andrew Gould", "Susan Dorsher"]
    assert old.categories == ["astro-ph"]
    [versioned] = client.fetch(["quant-ph/0201082v1"])
    assert versioned.paper_id == "quant-ph/0201082" and versioned.version == 1
    [zero] = client.fetch(["https://arxiv.org/abs/2104.12255v1"])
    assert zero.title == "0" and zero.categories == ["cs.CR"]
    assert client.fetch(["0000.0000"]) == []
    records = client.fetch(["0808.05394", "1707.08567"])
    assert [r.paper_id for r in records] == ["1707.08567"]


def test_invalid_id_raises_with_arxivs_message() -> None:
    client = _client(Recorded(FakeTime()))
    with pytest.raises(ArxivApiError, match="arXiv rejected the request: incorrect id format for abc"):
        client.fetch(["abc"])


def test_retry_on_503_then_success_with_backoff() -> None:
    time = FakeTime()
    failures = iter([httpx.Response(503), httpx.Response(502)])

    def flaky(request: httpx.Request) -> httpx.Response | None:
        return next(failures, None)

    handler = Recorded(time, before=flaky)
    client = _client(handler, max_retries=4)
    [record] = client.fetch(["1605.08386"])
    assert record.paper_id == "1605.08386"
    times = [t for t, _ in handler.requests]
    # backoff 2 s then 4 s, but never closer than min_interval (3 s)
    assert [b - a for a, b in itertools.pairwise(times)] == [3.0, 4.0]


def test_timeouts_are_retried_then_reported() -> None:
    time = FakeTime()

    def always_timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    client = ArxivApiClient(
        options=PoliteOptions(
            transport=httpx.MockTransport(always_timeout), sleep=time.sleep, clock=time.clock, max_retries=2
        )
    )
    with pytest.raises(SourceUnavailable, match="after 3 attempts"):
        client.fetch(["1605.08386"])


def test_empty_page_inside_the_results_is_asked_again() -> None:
    time = FakeTime()
    empty = (API / "recorded_json" / "id_0000.0000_s0_m100_8b51d9633a68.json").read_text(encoding="utf-8")
    empty_body = json.loads(empty)["body"].replace(
        "<opensearch:totalResults>0<", "<opensearch:totalResults>214881<"
    )
    served = iter([empty_body])

    def one_empty_page(request: httpx.Request) -> httpx.Response | None:
        body = next(served, None)
        return httpx.Response(200, text=body) if body is not None else None

    handler = Recorded(time, before=one_empty_page)
    items = list(_client(handler, page_size=10).search("testing", max_results=10, sort_by="relevance"))
    assert len(items) == 10
    assert len(handler.requests) == 2


def test_legacy_2016_layout() -> None:
    items, total = parse_feed((API / "legacy_2016" / "id_list_1111.2011v2.xml").read_bytes())
    assert total == 1
    [record] = items
    assert isinstance(record, PaperRecord)
    assert record.paper_id == "1111.2011" and record.version == 2
    assert record.versions == [
        Version(1, datetime(2011, 11, 8, 18, 48, 36, tzinfo=UTC)),
        Version(2, datetime(2012, 4, 2, 12, 38, 54, tzinfo=UTC)),
    ]
    assert record.published == datetime(2011, 11, 8, 18, 48, 36, tzinfo=UTC)
    assert record.updated == datetime(2012, 4, 2, 12, 38, 54, tzinfo=UTC)
    assert record.doi == "10.1103/PhysRevB.85.115117"
    assert record.journal_ref == "Phys. Rev. B 85, 115117 (2012)"
    assert record.categories[0] == "cond-mat.str-el"
    for path in (API / "legacy_2016").glob("search_query_*.xml"):
        page, total = parse_feed(path.read_bytes())
        assert page and total >= len(page)
        assert all(isinstance(i, PaperRecord) for i in page)


def test_current_layout_100_entries() -> None:
    items, total = parse_feed(
        (API / "export_arxiv_api_query_all-testing_start0_max100_2026-04-12.xml").read_bytes()
    )
    assert total == 214881 and len(items) == 100
    records = [i for i in items if isinstance(i, PaperRecord)]
    assert len(records) == 100
    assert all(r.source == "arxiv-api" and r.published and r.updated for r in records)
    assert all(
        r.published is not None and r.updated is not None and r.published <= r.updated for r in records
    )
    first = records[0]
    assert first.paper_id == "2202.12139" and first.categories[:2] == ["cs.SE", "cs.LG"]


def test_build_search_query() -> None:
    assert (
        build_search_query(None, category="cs.LG", since=date(2026, 2, 1), until=date(2026, 11, 22))
        == "cat:cs.LG AND submittedDate:[202602010000 TO 202611222359]"
    )
    assert (
        build_search_query("all:graph OR all:tree", category="cs.AI")
        == "(all:graph OR all:tree) AND cat:cs.AI"
    )
    with pytest.raises(ValueError, match="give a query"):
        build_search_query(None)


def test_non_feed_answers_are_errors() -> None:
    with pytest.raises(ArxivApiError, match="not XML"):
        parse_feed(b"<html")
    with pytest.raises(ArxivApiError, match="not an Atom feed"):
        parse_feed(b"<html/>")
