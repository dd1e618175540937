"""Feeds say when a paper entered the list, when the feed was built and who wrote the paper in the
element readers use; BibTeX leaves out what is not known (issue 11)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from email.utils import parsedate_to_datetime
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from paperfeed.accounts import ensure_user
from paperfeed.clock import utc
from paperfeed.community import votes
from paperfeed.community.submissions import feature
from paperfeed.context import Paperfeed
from paperfeed.formats.bibtex import bibtex_entry, citation_key
from paperfeed.records import PaperRecord
from tests.web_support import web_app

DC = "{http://purl.org/dc/elements/1.1/}creator"


@pytest.fixture
def client(sample_app: Paperfeed) -> Iterator[TestClient]:
    with TestClient(web_app(sample_app)) as c:
        yield c


def item(feed: bytes, paper_id: str) -> ET.Element:
    root = ET.fromstring(feed)
    return next(i for i in root.iter("item") if (i.findtext("link") or "").endswith("/" + paper_id))


def test_daily_feed_items_are_dated_when_featured(sample_app: Paperfeed, client: TestClient) -> None:
    user = ensure_user(sample_app, "curator@example.org", role="curator")
    before = utc(sample_app.clock.now()).replace(microsecond=0)  # feeds give whole seconds
    today = before.date()
    feature(sample_app, today, "2602.18409", user, source="curator")
    feed = client.get("/feeds/daily.xml").content
    entered = parsedate_to_datetime(item(feed, "2602.18409").findtext("pubDate") or "")
    assert entered >= before  # today, not the paper's 2026-02-20 submission
    built = parsedate_to_datetime(ET.fromstring(feed).findtext("./channel/lastBuildDate") or "")
    assert timedelta(0) <= built - before < timedelta(seconds=60)


def test_trending_feed_items_are_dated_by_their_first_upvote(
    sample_app: Paperfeed, client: TestClient
) -> None:
    reader = ensure_user(sample_app, "reader@example.org")
    before = utc(sample_app.clock.now()).replace(microsecond=0)  # feeds give whole seconds
    votes.vote(sample_app, reader, "2602.18409")
    feed = client.get("/feeds/trending.xml").content
    entered = parsedate_to_datetime(item(feed, "2602.18409").findtext("pubDate") or "")
    assert entered >= before
    atom = ET.fromstring(client.get("/feeds/trending.atom").content)
    updated = atom.findtext("{http://www.w3.org/2005/Atom}entry/{http://www.w3.org/2005/Atom}updated") or ""
    assert datetime.fromisoformat(updated) >= before


def test_rss_authors_are_dc_creators(client: TestClient) -> None:
    entry = item(client.get("/feeds/categories/cs.LO.xml").content, "2602.18409")
    assert [c.text for c in entry.findall(DC)] == ["Huan Luo", "Jonni Virtema"]
    assert entry.find("author") is None  # RSS's author must be an email address


def test_category_feed_dates_are_first_versions(client: TestClient) -> None:
    entry = item(client.get("/feeds/categories/cs.LO.xml").content, "2602.18409")
    assert parsedate_to_datetime(entry.findtext("pubDate") or "").date() == date(2026, 2, 20)


def test_bibtex_of_a_title_only_paper_invents_no_author() -> None:
    paper = PaperRecord(paper_id="title:0123456789abcdef", title="Principles of Scaling Laws")
    entry = bibtex_entry(paper)
    assert "author" not in entry and "Unknown" not in entry
    assert citation_key(paper) == "principlesscaling"
    assert entry.startswith("@misc{principlesscaling,")
    latex = PaperRecord(paper_id="2602.99980", title=r"\textbf{D}ynamic Routing", authors=["Ada Lovelace"])
    assert citation_key(latex) == "lovelacedynamic"
    known = PaperRecord(paper_id="2602.18409", title="Unifying approach", authors=["Huan Luo"])
    assert "author = {Huan Luo}" in bibtex_entry(known) and citation_key(known) == "luounifying"
