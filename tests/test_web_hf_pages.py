"""Hugging Face's page addresses lead to paperfeed's pages, and the daily page agrees with the
Papers API on what a day's curation is."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date, datetime

import pytest
from fastapi.testclient import TestClient

from paperfeed.accounts import ensure_user
from paperfeed.context import Paperfeed
from paperfeed.store import Window
from tests.web_support import web_app

DAY = date(2026, 2, 20)


@pytest.fixture
def client(sample_app: Paperfeed) -> Iterator[TestClient]:
    with TestClient(web_app(sample_app, indexer=False)) as c:
        yield c


def _listed(html: str) -> list[str]:
    return re.findall(r'<h3 class="math"[^>]*><a href="/papers/([^"]+)"', html)


@pytest.mark.parametrize(
    ("asked", "lands"),
    [
        ("/papers/date/2026-02-20", "/daily/2026-02-20"),
        ("/papers/week/2026-W08", "/weekly/2026-W08"),
        ("/papers/month/2026-02", "/monthly/2026-02"),
        ("/papers/trending", "/trending"),
        ("/papers?date=2026-02-20", "/daily/2026-02-20"),
        ("/papers?week=2026-W08", "/weekly/2026-W08"),
        ("/papers?month=2026-02", "/monthly/2026-02"),
        ("/papers", "/daily/2026-02-20"),  # the latest day of the sample
    ],
)
def test_hugging_face_page_urls_lead_to_the_matching_pages(
    client: TestClient, asked: str, lands: str
) -> None:
    first = client.get(asked, follow_redirects=False)
    assert first.status_code in (301, 302) and first.headers["location"] == lands
    page = client.get(asked)
    assert page.status_code == 200 and str(page.url).endswith(lands)
    if lands.startswith(("/daily", "/weekly", "/monthly", "/trending")) and "trending" not in lands:
        assert _listed(page.text), asked  # the papers, linked as /papers/{id} as on Hugging Face


def test_a_day_page_by_hugging_faces_address_lists_that_days_papers(
    client: TestClient, sample_app: Paperfeed
) -> None:
    page = client.get("/papers/date/2026-02-20")
    assert page.status_code == 200
    day_ids = set(
        sample_app.store.papers.window_ids(
            Window(
                categories=tuple(sample_app.settings.categories),
                since=datetime(2026, 2, 20),
                until=datetime(2026, 2, 21),
            ),
            limit=1000,
        )
    )
    assert _listed(page.text) and set(_listed(page.text)) <= day_ids


@pytest.mark.parametrize(
    "url",
    ["/papers/date/2026-02-30", "/papers/week/2026-W60", "/papers/month/2026-13", "/papers?date=20260220"],
)
def test_malformed_periods_are_422_pages(client: TestClient, url: str) -> None:
    answer = client.get(url)
    assert answer.status_code == 422 and "<html" in answer.text


def test_daily_page_and_api_agree_on_the_curation(client: TestClient, sample_app: Paperfeed) -> None:
    """The daily page's Featured tab holds exactly the entries the API puts first for that date."""
    store = sample_app.store
    ids = store.papers.window_ids(Window(since=datetime(2026, 2, 20), until=datetime(2026, 2, 21)), limit=100)
    curator = ensure_user(sample_app, "cura@example.org", role="curator")
    voter = ensure_user(sample_app, "v@example.org")
    picks = [ids[-1], ids[-2], ids[5]]
    for n, paper_id in enumerate(picks):
        store.featured.add(
            DAY, paper_id, source="curator", user_id=curator.id, now=datetime(2026, 2, 20, 9, n)
        )
    store.votes.add(voter.id, ids[-2], now=datetime(2026, 2, 20, 12))
    featured_tab = _listed(client.get("/daily/2026-02-20").text)
    assert set(featured_tab) == set(picks) and featured_tab[0] == ids[-2]  # ranked by upvotes
    for sort in ("publishedAt", "trending"):
        entries = client.get("/api/daily_papers", params={"date": "2026-02-20", "sort": sort}).json()
        assert {e["paper"]["id"] for e in entries[:3]} == set(picks)
        assert not set(picks) & {e["paper"]["id"] for e in entries[3:]}
    trending = client.get("/api/daily_papers", params={"date": "2026-02-20", "sort": "trending"}).json()
    assert trending[0]["paper"]["id"] == featured_tab[0]
    new_tab = _listed(client.get("/daily/2026-02-20?tab=new").text)
    assert set(picks) & set(new_tab)  # "All new" still lists every new paper of the day
