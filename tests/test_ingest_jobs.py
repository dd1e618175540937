"""Ingest jobs end to end with arXiv faked at the HTTP transport (recorded real responses)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import httpx
import pytest

from paperfeed.config import Settings
from paperfeed.context import Paperfeed
from paperfeed.ingest.http import SourceUnavailable
from paperfeed.ingest.jobs import harvest_oai, ingest_arxiv, oai_set_for_category, sync
from tests.conftest import FORMATS

OAI = FORMATS / "oai_pmh"
CS_PAGE = (OAI / "invenio-oaiharvester__sample_arxiv_response_listrecords_cs.xml").read_bytes()
PHYSICS_PAGE = (OAI / "invenio-oaiharvester__sample_arxiv_response_listrecords_physics.xml").read_bytes()
RECORDED = FORMATS / "api_atom" / "recorded_json"


def with_token(xml: bytes, token: str) -> bytes:
    """A recorded page with a synthetic resumptionToken injected (the recordings are single pages)."""
    return xml.replace(
        b"</ListRecords>", f"<resumptionToken>{token}</resumptionToken></ListRecords>".encode()
    )


@pytest.fixture
def app(tmp_path: Path) -> Paperfeed:
    return Paperfeed(Settings(data_dir=tmp_path, embed_after_ingest=False, arxiv_max_retries=0))


def test_killed_oai_harvest_resumes_from_the_stored_token(app: Paperfeed) -> None:
    requests: list[dict[str, str]] = []
    fail_second_page = True

    def serve(request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        requests.append(params)
        if "resumptionToken" not in params:
            return httpx.Response(200, content=with_token(PHYSICS_PAGE, "page-2"))
        if fail_second_page:
            raise httpx.ConnectError("connection reset", request=request)
        return httpx.Response(200, content=CS_PAGE)

    transport = httpx.MockTransport(serve)
    with pytest.raises(SourceUnavailable):
        harvest_oai(
            app, set_spec="physics", from_date=date(2015, 1, 16), until_date=None, transport=transport
        )
    first_page = app.store.papers.count()
    assert first_page > 100  # the physics page was committed with its token
    [key] = [k for k in app.store.papers.checkpoints() if k.startswith("oai:")]
    assert app.store.papers.get_checkpoint(key) == "page-2"

    fail_second_page = False
    report = harvest_oai(
        app, set_spec="physics", from_date=date(2015, 1, 16), until_date=None, transport=transport
    )
    assert requests[-1] == {"verb": "ListRecords", "resumptionToken": "page-2"}
    assert report.added == app.store.papers.count() - first_page > 0
    assert app.store.papers.get_checkpoint(key) is None  # complete: the next run starts a fresh harvest


def test_sync_harvests_followed_categories_from_their_checkpoint(tmp_path: Path) -> None:
    app = Paperfeed(Settings(data_dir=tmp_path, categories=["cs.LG"], embed_after_ingest=False))
    seen: list[dict[str, str]] = []

    def serve(request: httpx.Request) -> httpx.Response:
        seen.append(dict(request.url.params))
        return httpx.Response(200, content=CS_PAGE)

    transport = httpx.MockTransport(serve)
    reports = sync(app, today=date(2026, 2, 20), transport=transport)
    assert seen[0]["set"] == "cs:cs:LG" and seen[0]["from"] == "2026-02-13"
    assert reports["cs.LG"].added == app.store.papers.count() > 0
    assert app.store.papers.get_checkpoint("sync:cs.LG") == "2026-02-20"
    again = sync(app, today=date(2026, 2, 21), transport=transport)
    assert seen[-1]["from"] == "2026-02-18"  # the last sync day minus the overlap
    assert again["cs.LG"].added == 0 and again["cs.LG"].unchanged == reports["cs.LG"].read


def test_oai_sets_for_categories() -> None:
    assert oai_set_for_category("cs.LG") == "cs:cs:LG"
    assert oai_set_for_category("stat.ML") == "stat:stat:ML"
    assert oai_set_for_category("hep-th") == "physics:hep-th"
    assert oai_set_for_category("physics.optics") == "physics:physics:optics"


def test_ingest_arxiv_by_id_list_and_error_feed(app: Paperfeed) -> None:
    recorded = {}
    for path in RECORDED.glob("*.json"):
        pair = json.loads(path.read_text(encoding="utf-8"))
        recorded[httpx.URL(pair["url"]).params.get("id_list")] = pair

    def serve(request: httpx.Request) -> httpx.Response:
        pair = recorded[request.url.params.get("id_list")]
        return httpx.Response(pair["status_code"], content=pair["body"].encode("utf-8"))

    transport = httpx.MockTransport(serve)
    report = ingest_arxiv(app, ids=["astro-ph/0601001"], transport=transport)
    assert report.added == 1
    paper = app.store.papers.get("astro-ph/0601001")
    assert paper is not None and paper.title
    from paperfeed.ingest.arxiv_api import ArxivApiError

    with pytest.raises(ArxivApiError, match="abc"):
        ingest_arxiv(app, ids=["abc"], transport=transport)
