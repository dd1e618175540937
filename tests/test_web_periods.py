"""The weekly and monthly top lists, their feeds and navigation, and the account page's handle."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from paperfeed.accounts import ensure_user, set_handle
from paperfeed.context import Paperfeed
from paperfeed.store import Window
from tests.web_support import sign_in, web_app

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def voted(sample_app: Paperfeed) -> list[str]:
    """Three papers of the sample with votes cast in 2026-W08, by votes; the third is featured, so
    it leads the week's list (the curation comes first), then the other two."""
    store = sample_app.store
    ids = store.papers.window_ids(Window(since=datetime(2026, 2, 18), until=datetime(2026, 2, 19)), limit=3)
    voters = [ensure_user(sample_app, f"v{n}@example.org") for n in range(3)]
    for count, paper_id in zip((3, 2, 1), ids, strict=True):
        for voter in voters[:count]:
            store.votes.add(voter.id, paper_id, now=datetime(2026, 2, 22, 12))
    ada = set_handle(sample_app, ensure_user(sample_app, "ada@example.org"), "ada")
    store.featured.add(
        date(2026, 2, 19), ids[2], source="submission", user_id=ada.id, now=datetime(2026, 2, 19, 8)
    )
    return ids


@pytest.fixture
def client(sample_app: Paperfeed, voted: list[str]) -> Iterator[TestClient]:
    with TestClient(web_app(sample_app, indexer=False)) as c:
        yield c


def _listed(html: str) -> list[str]:
    return re.findall(r'<h3 class="math"[^>]*><a href="/papers/([^"]+)"', html)


def test_week_page_is_the_top_list_with_navigation(client: TestClient, voted: list[str]) -> None:
    page = client.get("/weekly/2026-W08")
    assert page.status_code == 200
    assert "Week 8, 2026" in page.text and "Feb 16 – Feb 22, 2026" in page.text
    assert _listed(page.text)[:3] == [voted[2], voted[0], voted[1]]  # the curation first
    assert "submitted by ada" in page.text and "3 upvotes this week" in page.text
    assert '<span class="badge">new</span>' in page.text  # the week of the newest papers
    for day in range(16, 23):
        assert f'href="/daily/2026-02-{day}"' in page.text
    assert 'href="/monthly/2026-02"' in page.text
    assert 'rel="prev"' not in page.text.split("<strong>")[0]  # nothing before the sample's week
    assert 'href="/feeds/weekly/2026-W08.xml"' in page.text
    assert _listed(client.get("/weekly").text) == _listed(page.text)
    newest = client.get("/weekly/2026-W08?sort=publishedAt")
    assert _listed(newest.text)[:3] != [voted[2], voted[0], voted[1]] and len(_listed(newest.text)) == 25
    second = client.get("/weekly/2026-W08?page=2")
    assert set(_listed(second.text)).isdisjoint(_listed(page.text))
    assert 'rel="next">Next page' in page.text


def test_month_page_links_its_weeks_and_neighbours(client: TestClient, voted: list[str]) -> None:
    page = client.get("/monthly/2026-02")
    assert page.status_code == 200 and "February 2026" in page.text
    assert _listed(page.text)[:3] == [voted[2], voted[0], voted[1]]
    for week in ("2026-W05", "2026-W06", "2026-W07", "2026-W08", "2026-W09"):
        assert f'href="/weekly/{week}"' in page.text
    empty = client.get("/monthly/2026-01")
    assert empty.status_code == 200 and "No papers in this month" in empty.text
    assert 'href="/monthly/2026-02" rel="next"' in empty.text
    assert _listed(client.get("/monthly").text) == _listed(page.text)


def test_daily_page_links_to_its_week_and_month_and_the_form_redirects(client: TestClient) -> None:
    day = client.get("/daily/2026-02-20")
    assert 'href="/weekly/2026-W08"' in day.text and 'href="/monthly/2026-02"' in day.text
    for query, target in [
        ("week=2026-W08", "/weekly/2026-W08"),
        ("month=2026-02", "/monthly/2026-02"),
        ("date=2026-02-18", "/daily/2026-02-18"),
        ("week=2026-w8&date=", None),
    ]:
        answer = client.get(f"/daily?{query}", follow_redirects=False)
        if target is None:
            assert answer.status_code == 422 and "week" in answer.text
        else:
            assert answer.status_code == 303 and answer.headers["location"] == target


@pytest.mark.parametrize(
    "url",
    [
        "/weekly/2026-W60",
        "/weekly/W08",
        "/monthly/2026-13",
        "/monthly/2026",
        "/weekly/2026-W08?sort=hot",
        "/weekly/2026-W08?page=0",
        "/feeds/weekly/2026-W99.xml",
        "/feeds/monthly/bad.atom",
    ],
)
def test_bad_periods_are_422_pages(client: TestClient, url: str) -> None:
    answer = client.get(url)
    assert answer.status_code == 422 and "<html" in answer.text


def test_week_and_month_feeds(client: TestClient, voted: list[str]) -> None:
    rss = ET.fromstring(client.get("/feeds/weekly/2026-W08.xml").content)
    links = [item.findtext("link") or "" for item in rss.iter("item")]
    assert [link.rsplit("/", 1)[-1] for link in links[:3]] == [voted[2], voted[0], voted[1]] and len(
        links
    ) == 50
    assert rss.findtext("channel/title") == "paperfeed top papers, Week 8, 2026"
    atom = ET.fromstring(client.get("/feeds/monthly/2026-02.atom").content)
    assert atom.tag == f"{ATOM}feed" and len(atom.findall(f"{ATOM}entry")) == 50
    latest, week = (
        ET.fromstring(client.get(url).content)
        for url in ("/feeds/weekly.atom", "/feeds/weekly/2026-W08.atom")
    )
    assert [e.findtext(f"{ATOM}id") for e in latest.iter(f"{ATOM}entry")] == [
        e.findtext(f"{ATOM}id") for e in week.iter(f"{ATOM}entry")
    ]
    assert client.get("/feeds/monthly.xml").status_code == 200
    assert client.get("/feeds/monthly/2026-01.xml").status_code == 200  # an empty month: an empty feed


def test_members_choose_a_handle_on_their_account_page(client: TestClient, sample_app: Paperfeed) -> None:
    assert client.get("/account", follow_redirects=False).headers["location"] == "/login?next=/account"
    user, csrf = sign_in(client, sample_app, "bea@example.org")
    page = client.get("/account")
    assert page.status_code == 200 and "bea@example.org" in page.text
    saved = client.post("/account", data={"handle": "Bea", "csrf_token": csrf})
    assert saved.status_code == 200 and "Your handle is now bea." in saved.text
    assert sample_app.store.accounts.get_user(user_id=user.id).handle == "bea"  # type: ignore[union-attr]
    taken = client.post("/account", data={"handle": "ada", "csrf_token": csrf})
    assert taken.status_code == 422 and "taken" in taken.text
    hostile = client.post("/account", data={"handle": "<script>", "csrf_token": csrf})
    assert hostile.status_code == 422 and "<script>" not in hostile.text
    assert client.post("/account", data={"handle": "x", "csrf_token": "wrong"}).status_code == 403
    cleared = client.post("/account", data={"handle": "", "csrf_token": csrf})
    assert "You have no handle now." in cleared.text
