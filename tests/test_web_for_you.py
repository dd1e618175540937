""" "For you" in the browser and over the JSON API, both backends: the page with reasons and the
panel, switches and resets behind CSRF, the personal RSS feed behind its secret (a wrong or
retired one is 404), the API with a personal token, odd parameters, and hostile paper text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from paperfeed.accounts import create_api_token, ensure_user
from paperfeed.context import Paperfeed
from paperfeed.library import collections, follows
from paperfeed.records import PaperRecord, Version, finalize
from paperfeed.search.indexer import catch_up
from tests.web_support import sign_in, web_app

NOW = datetime(2026, 2, 21, 12, 0)
FAIRNESS = "2602.18201"


@pytest.fixture
def client(sample_app: Paperfeed) -> Iterator[TestClient]:
    sample_app.clock.set(NOW)  # type: ignore[attr-defined]
    sample_app.settings.base_url = "http://testserver"
    with TestClient(web_app(sample_app)) as c:
        yield c


def bearer(app: Paperfeed, email: str) -> dict[str, str]:
    ensure_user(app, email)
    return {"Authorization": f"Bearer {create_api_token(app, email)}"}


def listed_ids(html: str) -> list[str]:
    picks = html.split('id="picks"', 1)[1].split("</ol>", 1)[0] if 'id="picks"' in html else ""
    return re.findall(r'<h3 class="math"[^>]*><a href="/papers/([^"]+)"', picks)


def test_visitors_are_sent_to_sign_in_and_members_see_the_cold_start(
    client: TestClient, sample_app: Paperfeed
) -> None:
    page = client.get("/for-you", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"] == "/login?next=/for-you"
    sign_in(client, sample_app, "reader@example.org")
    page = client.get("/for-you")
    assert page.status_code == 200 and "Nothing to learn from yet" in page.text
    assert 'href="/for-you" aria-current="page"' in page.text  # the nav link
    seeds = client.get("/for-you", params={"seed": "autonomous racing"})
    assert "/papers/2602.18386" in seeds.text and 'action="/library/save"' in seeds.text
    for odd in ("?days=0", "?days=91", "?days=abc", "?seed=" + "x" * 301):
        assert client.get("/for-you" + odd).status_code == 422, odd
    assert client.get("/for-you?seed=&days=30").status_code == 200  # a blank search is no search


def test_the_list_has_reasons_and_the_panel_switches_behind_csrf(
    client: TestClient, sample_app: Paperfeed
) -> None:
    user, token = sign_in(client, sample_app, "reader@example.org")
    collections.save(sample_app, user, FAIRNESS)
    follows.add_follow(sample_app, user, "author", "Joseph Bingham")
    page = client.get("/for-you")
    ids = listed_ids(page.text)
    assert len(ids) == 50 and FAIRNESS not in ids
    assert "by Joseph Bingham, whom you follow" in page.text and "saved in “Saved”" in page.text
    assert 'name="driver" value="co_saves"' in page.text and 'name="driver" value="collection:' in page.text
    assert sample_app.store.signals.impressions_of(user.id).keys() == set(ids)

    refused = client.post("/for-you/drivers", data={"driver": "library", "enabled": "0"})
    wrong = client.post(
        "/for-you/drivers", data={"driver": "library", "enabled": "0", "csrf_token": "forged"}
    )
    assert refused.status_code == wrong.status_code == 403
    assert sample_app.store.signals.drivers_of(user.id) == {}
    done = client.post(
        "/for-you/drivers",
        data={"driver": "library", "enabled": "0", "csrf_token": token},
        follow_redirects=False,
    )
    assert done.status_code == 303 and done.headers["location"] == "/for-you?drivers=1#drivers"
    assert sample_app.store.signals.drivers_of(user.id) == {"library": False}
    page = client.get("/for-you").text
    assert "saved in “Saved”" not in page and "by Joseph Bingham, whom you follow" in page
    assert len(listed_ids(page)) == 2  # the followed author's papers, but the saved one
    bad = client.post("/for-you/drivers", data={"driver": "astrology", "enabled": "0", "csrf_token": token})
    assert bad.status_code == 422
    other = client.post(
        "/for-you/drivers", data={"driver": "collection:999", "enabled": "0", "csrf_token": token}
    )
    assert other.status_code == 404

    assert client.post("/for-you/reset", data={"what": "drivers"}).status_code == 403
    client.post("/for-you/reset", data={"what": "drivers", "csrf_token": token}, follow_redirects=False)
    assert sample_app.store.signals.drivers_of(user.id) == {}
    client.post("/for-you/reset", data={"what": "impressions", "csrf_token": token}, follow_redirects=False)
    assert sample_app.store.signals.impressions_of(user.id) == {}
    assert client.post("/for-you/reset", data={"what": "all", "csrf_token": token}).status_code == 422


def test_personal_feed_behind_a_secret_that_can_be_replaced_and_revoked(
    client: TestClient, sample_app: Paperfeed
) -> None:
    user, token = sign_in(client, sample_app, "reader@example.org")
    collections.save(sample_app, user, FAIRNESS)
    assert client.post("/for-you/feed-token", data={"action": "new"}).status_code == 403
    made = client.post("/for-you/feed-token", data={"action": "new", "csrf_token": token})
    url = re.search(r'value="(http://testserver/feeds/for-you/[^"]+\.xml)"', made.text)
    assert made.status_code == 200 and url is not None
    path = url.group(1).removeprefix("http://testserver")
    secret = path.rsplit("/", 1)[1].removesuffix(".xml")
    assert secret not in str(sample_app.store.recommend.feed_token_user.__doc__)
    feed = client.get(path)
    assert feed.status_code == 200 and feed.headers["content-type"].startswith("application/rss+xml")
    items = ET.fromstring(feed.content).findall("./channel/item")
    assert len(items) == 50
    assert (items[0].findtext("description") or "").startswith("like ")
    assert sample_app.store.signals.impressions_of(user.id) == {}  # feed readers do not use up the list
    assert "made your private feed address on" in client.get("/for-you").text
    for wrong in (
        "/feeds/for-you/" + "A" * 43 + ".xml",
        "/feeds/for-you/short.xml",
        "/feeds/for-you/%3Cx%3E.xml",
    ):
        assert client.get(wrong).status_code == 404, wrong
    client.post("/for-you/feed-token", data={"action": "new", "csrf_token": token})
    assert client.get(path).status_code == 404  # the old address stopped working
    client.post("/for-you/feed-token", data={"action": "revoke", "csrf_token": token})
    assert sample_app.store.recommend.feed_token_created(user.id) is None


def test_api_with_a_token(client: TestClient, sample_app: Paperfeed) -> None:
    assert client.get("/api/v1/recommendations").status_code == 401
    headers = bearer(sample_app, "api@example.org")
    user = ensure_user(sample_app, "api@example.org")
    collections.save(sample_app, user, FAIRNESS)
    answer = client.get("/api/v1/recommendations", params={"limit": 5}, headers=headers)
    data = answer.json()
    assert answer.status_code == 200 and data["since"] == "2026-02-15" and data["until"] == "2026-02-21"
    assert len(data["items"]) == 5 and data["model"]["positives"] == 1
    first = data["items"][0]
    assert first["reason"]["driver"] == "library" and first["reason"]["paper_id"] == FAIRNESS
    assert {d["name"] for d in data["drivers"]} >= {"library", "follows", "co_saves", "not_interested"}
    assert sample_app.store.signals.impressions_of(user.id).keys() == {i["id"] for i in data["items"]}
    quiet = client.get("/api/v1/recommendations", params={"record": "false", "days": 30}, headers=headers)
    assert quiet.status_code == 200
    assert client.get("/api/v1/recommendations", params={"limit": 0}, headers=headers).status_code == 422
    drivers = client.get("/api/v1/recommendations/drivers", headers=headers).json()["drivers"]
    assert drivers["co_saves"] is True
    switched = client.put(
        "/api/v1/recommendations/drivers/co_saves", json={"enabled": False}, headers=headers
    )
    assert switched.json()["drivers"]["co_saves"] is False
    unknown = client.put(
        "/api/v1/recommendations/drivers/astrology", json={"enabled": False}, headers=headers
    )
    assert unknown.status_code == 422 and unknown.json()["error"]["code"] == "invalid_request"
    reset = client.post(
        "/api/v1/recommendations/reset", json={"what": ["drivers", "impressions"]}, headers=headers
    )
    assert reset.json() == {"feedback_removed": 0, "impressions_removed": 5, "drivers_reset": True}
    assert (
        client.post("/api/v1/recommendations/reset", json={"what": ["x"]}, headers=headers).status_code == 422
    )
    feed = client.post("/api/v1/recommendations/feed", headers=headers).json()["url"]
    assert client.get(feed.removeprefix("http://testserver")).status_code == 200
    assert client.delete("/api/v1/recommendations/feed", headers=headers).json() == {"deleted": True}
    assert client.get(feed.removeprefix("http://testserver")).status_code == 404


def test_hostile_paper_text_in_a_reason_stays_text(client: TestClient, sample_app: Paperfeed) -> None:
    title = '<script>alert("x")</script> Fairness <b>maps</b> violating self-organizing'
    sample_app.store.papers.write_batch(
        [
            finalize(
                PaperRecord(
                    paper_id="2602.99001",
                    title=title,
                    abstract="Fairness violations with self-organizing maps and <img src=x onerror=alert(1)>.",
                    versions=[Version(1, datetime(2026, 2, 10, tzinfo=UTC))],
                    source="test",
                )
            )
        ]
    )
    catch_up(sample_app, embed=False)
    user, _ = sign_in(client, sample_app, "reader@example.org")
    collections.save(sample_app, user, "2602.99001")
    page = client.get("/for-you").text
    assert "<script>alert" not in page and "&lt;script&gt;alert(&#34;x&#34;)&lt;/script&gt;" in page
    assert "<img src=x" not in page
