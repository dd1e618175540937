"""OAI-PMH harvester against recorded arXiv responses served through httpx.MockTransport.

The recorded ListRecords pages are complete, single-page answers (no resumptionToken). To exercise
paging, the tests *inject* a synthetic ``<resumptionToken>`` into the XML before serving it; the
record content is the real recording.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import httpx
import pytest

from paperfeed.ingest.arxiv_oai import OaiError, OaiHarvester, parse_page
from paperfeed.ingest.http import PoliteOptions, SourceUnavailable
from paperfeed.records import Checkpoint, PaperRecord, Version
from tests.fake_clock import FakeTime

OAI_DIR = Path(__file__).parent / "data" / "arxiv-formats" / "oai_pmh"
PHYSICS = (OAI_DIR / "invenio-oaiharvester__sample_arxiv_response_listrecords_physics.xml").read_bytes()
CS = (OAI_DIR / "invenio-oaiharvester__sample_arxiv_response_listrecords_cs.xml").read_bytes()
EMPTY = (OAI_DIR / "invenio-oaiharvester__sample_empty_response.xml").read_bytes()


def _with_token(xml: bytes, token: str) -> bytes:
    """Inject a resumptionToken element (synthetic; arXiv's tokens look like ``6960524|1001``)."""
    element = f'<resumptionToken cursor="0" completeListSize="196">{token}</resumptionToken>'
    return xml.replace(b"</ListRecords>", element.encode() + b"</ListRecords>")


def _error(code: str, message: str) -> bytes:
    """A synthetic OAI-PMH error answer in the layout of the recorded noRecordsMatch one."""
    return EMPTY.replace(b'code="noRecordsMatch"', f'code="{code}"'.encode()).replace(
        b"No records match the paramaters specified for this selective harvesting request.",
        message.encode(),
    )


class Server:
    """Serves the first page for a fresh request and the page a token names for a resumed one."""

    def __init__(self, time: FakeTime, pages: dict[str | None, list[httpx.Response]]) -> None:
        self.time = time
        self.pages = pages
        self.requests: list[tuple[float, dict[str, str]]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        self.requests.append((self.time.now, params))
        return self.pages[params.get("resumptionToken")].pop(0)


def _harvester(server: Server, **kwargs: float) -> OaiHarvester:
    options = PoliteOptions(
        transport=httpx.MockTransport(server),
        sleep=server.time.sleep,
        clock=server.time.clock,
        **kwargs,  # type: ignore[arg-type]
    )
    return OaiHarvester(options=options)


def test_two_page_harvest_yields_records_then_checkpoints() -> None:
    time = FakeTime(0.0)
    server = Server(
        time,
        {
            None: [httpx.Response(200, content=_with_token(PHYSICS, "tok|150"))],
            "tok|150": [
                httpx.Response(
                    200, content=CS.replace(b"</ListRecords>", b"<resumptionToken/></ListRecords>")
                )
            ],
        },
    )
    items = list(_harvester(server).harvest("physics", date(2015, 1, 16), date(2015, 1, 18)))
    assert all(isinstance(i, PaperRecord) for i in items[:150])
    assert items[150] == Checkpoint("oai:physics", "tok|150")
    assert all(isinstance(i, PaperRecord) for i in items[151:197])
    assert items[197:] == [Checkpoint("oai:physics", None)]
    first, second = (params for _, params in server.requests)
    assert first == {
        "verb": "ListRecords",
        "metadataPrefix": "arXiv",
        "set": "physics",
        "from": "2015-01-16",
        "until": "2015-01-18",
    }
    assert second == {"verb": "ListRecords", "resumptionToken": "tok|150"}
    times = [t for t, _ in server.requests]
    assert times[1] - times[0] >= 3.0


def test_resume_from_a_stored_token() -> None:
    server = Server(FakeTime(0.0), {"tok|150": [httpx.Response(200, content=CS)]})
    items = list(_harvester(server).harvest("cs", None, None, resumption_token="tok|150", checkpoint_key="k"))
    assert len(items) == 47 and items[-1] == Checkpoint("k", None)
    assert [params for _, params in server.requests] == [
        {"verb": "ListRecords", "resumptionToken": "tok|150"}
    ]


def test_503_retry_after_is_honoured() -> None:
    time = FakeTime(0.0)
    server = Server(
        time, {None: [httpx.Response(503, headers={"Retry-After": "7"}), httpx.Response(200, content=CS)]}
    )
    items = list(_harvester(server).harvest("cs", None, None))
    assert len(items) == 47
    assert time.sleeps == [7.0]
    assert server.requests[1][0] - server.requests[0][0] == 7.0


def test_503_forever_gives_up_after_the_retries() -> None:
    time = FakeTime(0.0)
    server = Server(time, {None: [httpx.Response(503, headers={"Retry-After": "5"}) for _ in range(3)]})
    with pytest.raises(SourceUnavailable, match="HTTP 503 3 times"):
        list(_harvester(server, max_retries=2).harvest("cs", None, None))


def test_no_records_match_is_an_empty_complete_harvest() -> None:
    server = Server(FakeTime(0.0), {None: [httpx.Response(200, content=EMPTY)]})
    items = list(_harvester(server).harvest("physics:hep-lat", date(2015, 1, 17), date(2015, 1, 17)))
    assert items == [Checkpoint("oai:physics:hep-lat", None)]


def test_other_oai_errors_raise_with_a_hint() -> None:
    server = Server(
        FakeTime(0.0), {"old": [httpx.Response(200, content=_error("badResumptionToken", "expired"))]}
    )
    with pytest.raises(OaiError, match="badResumptionToken: expired — the stored resumption token"):
        list(_harvester(server).harvest(None, None, None, resumption_token="old"))
    with pytest.raises(OaiError, match="badArgument"):
        parse_page(_error("badArgument", "bad from"))


def test_deleted_records_are_skipped() -> None:
    deleted = (
        b'<record><header status="deleted"><identifier>oai:arXiv.org:1501.00001</identifier>'
        b"<datestamp>2015-01-16</datestamp></header></record>"
    )
    items, token = parse_page(CS.replace(b"<ListRecords>", b"<ListRecords>" + deleted))
    assert len(items) == 46 and token is None
    assert "1501.00001" not in {i.paper_id for i in items if isinstance(i, PaperRecord)}


def test_version_semantics() -> None:
    items, _ = parse_page(CS)
    records = {r.paper_id: r for r in items if isinstance(r, PaperRecord)}
    revised = records["1101.4388"]  # has <updated>: latest version unknown (>= 2)
    assert revised.version is None
    assert revised.versions == [Version(1, datetime(2011, 1, 23, tzinfo=UTC))]
    assert revised.published == datetime(2011, 1, 23, tzinfo=UTC)
    assert revised.updated == datetime(2012, 3, 28, tzinfo=UTC)
    assert revised.doi == "10.1016/j.acha.2012.03.009"
    assert revised.authors == ["Guohui Song", "Haizhang Zhang", "Fred J. Hickernell"]
    assert revised.categories == ["stat.ML", "cs.LG", "math.FA"]
    single = [r for r in records.values() if r.updated == r.published]
    assert single and all(r.version == 1 for r in single)
    assert all(r.source == "arxiv-oai" for r in records.values())


def test_hepcrawl_pages_and_get_record() -> None:
    for name in ("hepcrawl__arxiv-physics-hep-ex.xml", "hepcrawl__arxiv-physics-hep-th.xml"):
        items, token = parse_page((OAI_DIR / name).read_bytes())
        assert len(items) == 3 and token is None
    [single], _ = parse_page((OAI_DIR / "invenio-oaiharvester__sample_arxiv_response.xml").read_bytes())
    assert isinstance(single, PaperRecord) and single.paper_id == "1507.03011" and single.version == 1
