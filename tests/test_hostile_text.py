"""Hostile paper text (issue 11): code links with other schemes, control characters, bidirectional
overrides and oversized fields, at ingest and at render, and feeds that stay valid XML whatever
the store holds."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from paperfeed.context import Paperfeed
from paperfeed.formats.feeds import atom, rss
from paperfeed.ingest.fields import record_from_mapping
from paperfeed.ingest.jobs import ingest_file
from paperfeed.records import PaperRecord, RecordInvalid, finalize
from paperfeed.search.indexer import catch_up
from tests.web_support import web_app

EVIL_LINKS = [
    "javascript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    " JavaScript:x",
]


def raw_record(**fields: object) -> PaperRecord:
    """A record as the store may hold it (written without ``finalize``: an older import, a bug)."""
    base: dict[str, object] = {
        "paper_id": "2602.99991",
        "title": "A title",
        "abstract": "An abstract.",
        "authors": ["A. Author"],
        "categories": ["cs.AI"],
        "published": datetime(2026, 2, 20, tzinfo=UTC),
    }
    return PaperRecord(**(base | fields))  # type: ignore[arg-type]


@pytest.fixture
def client(sample_app: Paperfeed) -> Iterator[TestClient]:
    with TestClient(web_app(sample_app)) as c:
        yield c


def test_only_http_code_links_are_kept_at_ingest() -> None:
    record = record_from_mapping(
        {"title": "T", "code_links": [*EVIL_LINKS, "https://github.com/a/b", "http://example.org/x"]},
        source="jsonl",
    )
    assert record.code_links == ["https://github.com/a/b", "http://example.org/x"]


def test_stored_bad_links_never_become_hrefs(sample_app: Paperfeed, client: TestClient) -> None:
    sample_app.store.papers.write_batch([raw_record(code_links=[*EVIL_LINKS, "https://github.com/ok/repo"])])
    page = client.get("/papers/2602.99991").text
    assert 'href="https://github.com/ok/repo"' in page
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs and all(h.startswith(("/", "#", "http://", "https://")) for h in hrefs), hrefs
    assert "javascript:" not in page.lower() and "data:text/html" not in page


def test_control_characters_are_stripped_at_ingest() -> None:
    record = finalize(
        raw_record(
            title="Nul\x00 bell\x07 title\x1b[31m",
            abstract="line one\nline\ttwo\x0c end\x7f",
            authors=["Ann\x00 Author"],
            categories=["cs.AI\x00"],
            comment="c\x01omment",
        )
    )
    assert record.title == "Nul bell title[31m"
    assert record.abstract == "line one line two end"
    assert record.authors == ["Ann Author"] and record.categories == ["cs.AI"]
    assert record.comment == "comment"


def test_bidi_overrides_are_stripped_at_ingest_and_render(sample_app: Paperfeed, client: TestClient) -> None:
    spoof = "Invoice \u202egnp.exe"
    assert finalize(raw_record(title=spoof, authors=["Eve \u202eresU"])).title == "Invoice gnp.exe"
    sample_app.store.papers.write_batch([raw_record(title=spoof, authors=["Eve \u202eresU"])])
    for url in ("/papers/2602.99991", "/search?q=invoice", "/daily/2026-02-20?tab=new"):
        html = client.get(url).text
        assert "\u202e" not in html, url
    assert "<bdi>Eve resU</bdi>" in client.get("/papers/2602.99991").text


def test_an_import_with_control_characters_stores_clean_text(
    paperfeed_app: Paperfeed, tmp_path: Path
) -> None:
    """On PostgreSQL a NUL used to fail the whole batch (text cannot hold it); on SQLite it was stored."""
    record = {
        "id": "2602.99992",
        "title": "Nul\u0000 title",
        "abstract": "esc\u001b abstract",
        "authors": ["A\u0000 B"],
    }
    source = tmp_path / "nul.jsonl"
    source.write_text(json.dumps(record) + "\n", encoding="utf-8")
    report = ingest_file(paperfeed_app, source)
    assert report.added == 1 and report.skipped == 0
    paper = paperfeed_app.store.papers.get("2602.99992")
    assert paper is not None and paper.title == "Nul title" and paper.abstract == "esc abstract"
    assert paper.authors == ["A B"]


def test_feeds_are_valid_xml_whatever_the_store_holds(sample_app: Paperfeed, client: TestClient) -> None:
    nul = "\x00" if sample_app.store.database.is_sqlite else "\x01"  # PostgreSQL cannot hold a NUL
    sample_app.store.papers.write_batch(
        [
            raw_record(
                title=f"Null{nul} in the title \ufffe",
                abstract="A form feed \x0c and escape \x1b and <b>tags</b> & ampersands",
                authors=["Bell\x07 Author"],
            )
        ]
    )
    catch_up(sample_app, embed=False)  # what the indexer would do: the search feed finds it
    for url in (
        "/feeds/daily.xml",
        "/feeds/daily.atom",
        "/feeds/categories/cs.AI.xml",
        "/feeds/categories/cs.AI.atom",
        "/feeds/search.xml?q=ampersands",
        "/feeds/search.atom?q=ampersands",
    ):
        answer = client.get(url)
        assert answer.status_code == 200, url
        ET.fromstring(answer.content)  # raises on invalid XML
    body = client.get("/feeds/search.xml?q=ampersands").content.decode()
    assert "Null in the title" in body and "&lt;b&gt;tags&lt;/b&gt; &amp; ampersands" in body


def test_feed_writer_drops_what_xml_cannot_carry() -> None:
    paper = raw_record(title="a\x00b", abstract="\x01\x02ok", authors=["c\x03d"], categories=["cs.AI\x04"])
    for document in (
        rss("t\x00", "http://x", "d", [(paper, None)], "http://x/{id}", built=datetime(2026, 2, 20)),
        atom("t", "http://x", "http://x/self", [(paper, None)], "http://x/{id}", built=datetime(2026, 2, 20)),
    ):
        ET.fromstring(document)


def test_oversized_fields_are_skipped_with_a_reason() -> None:
    with pytest.raises(RecordInvalid, match="the abstract is 100,001 characters long; at most 100,000"):
        finalize(raw_record(abstract="x" * 100_001))
    with pytest.raises(RecordInvalid, match="the title is"):
        finalize(raw_record(title="long " * 400))
    with pytest.raises(RecordInvalid, match="authors"):
        finalize(raw_record(authors=["A"] * 10_001))


BIDI = "\u202e\u2066"


def test_bidi_overrides_reach_no_feed_json_or_mail(sample_app: Paperfeed, client: TestClient) -> None:
    """Issue 18, item 13: U+202E/U+2066 in a collection's name or description were served raw in its
    RSS/Atom and JSON, and followed-author names carried them into digest mail; now every writer
    drops them, as pages do."""
    from datetime import date

    from paperfeed.digest.sender import send_digests
    from paperfeed.library import collections, follows
    from tests.digest_support import subscriber
    from tests.web_support import sign_in

    user, _ = sign_in(client, sample_app, "reader@example.org")
    made = collections.create_collection(
        sample_app, user, f"Evil {BIDI}gnp.exe", visibility="public", description=f"About {BIDI}txt.exe"
    )
    collections.save(sample_app, user, "2602.18409", collection=made.id)
    follows.add_follow(sample_app, user, "author", f"Haixu {BIDI}Wu")
    bodies = {
        "rss": client.get(f"/library/{made.ref}.xml").text,
        "atom": client.get(f"/library/{made.ref}.atom").text,
        "collections": client.get("/api/v1/library/collections").text,
        "follows": client.get("/api/v1/follows").text,
    }
    assert all(response for response in bodies.values())
    assert "Evil gnp.exe" in bodies["rss"] and "About txt.exe" in bodies["rss"]
    assert "Evil gnp.exe" in bodies["atom"] and "Evil gnp.exe" in json.dumps(
        json.loads(bodies["collections"])
    )
    for name, text in bodies.items():
        assert not any(ch in text for ch in BIDI), name
    assert not any(ch in json.dumps(json.loads(bodies["follows"]), ensure_ascii=False) for ch in BIDI)

    sample_app.settings.mail_backend = "console"
    subscriber(sample_app, "reader@example.org", authors=[f"Zoë {BIDI}Author"], categories=["cs.CL"])
    assert send_digests(sample_app, day=date(2026, 2, 20)).total("sent") == 1
    (mail,) = (sample_app.settings.data_dir / "outbox").glob("*.eml")
    raw = mail.read_bytes().decode("utf-8")
    assert "Zoë Author" in raw and not any(ch in raw for ch in BIDI)
