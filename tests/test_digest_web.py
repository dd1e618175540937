"""Digest routes with FastAPI's TestClient: the header form (with and without HTMX), the API's one
answer for every address, rate limits, links from the mail (confirm, manage, unsubscribe, view),
members' settings and preview, and bad input that must never become a 500."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from paperfeed.context import Paperfeed
from paperfeed.digest import links
from tests.digest_support import csrf_of, mail_server, received_by, subscriber
from tests.mail_support import ScriptedInbox, body
from tests.web_support import sign_in, web_app


@pytest.fixture
def inbox(sample_app: Paperfeed) -> Iterator[ScriptedInbox]:
    with mail_server(sample_app, ScriptedInbox()) as found:
        yield found


@pytest.fixture
def client(sample_app: Paperfeed, inbox: ScriptedInbox) -> Iterator[TestClient]:
    sample_app.settings.base_url = "http://testserver"
    with TestClient(web_app(sample_app, indexer=False)) as c:
        yield c


def confirm_path(inbox: ScriptedInbox, address: str) -> str:
    message = received_by(inbox, address)[-1]
    line = next(line for line in body(message, "plain").splitlines() if "/digest/confirm/" in line)
    return line.strip().removeprefix("http://testserver")


def test_every_page_offers_the_subscription_and_it_works_without_javascript(
    client: TestClient, inbox: ScriptedInbox
) -> None:
    page = client.get("/")
    assert (
        "Get trending papers in your email inbox" in page.text and 'action="/digest/subscribe"' in page.text
    )
    answer = client.post(
        "/digest/subscribe", data={"email": "Reader@Example.org", "csrf_token": csrf_of(page.text)}
    )
    assert answer.status_code == 200 and "<html" in answer.text
    assert "confirmation link is on its way" in answer.text
    assert len(received_by(inbox, "reader@example.org")) == 1
    refused = client.post("/digest/subscribe", data={"email": "x@example.org"})
    assert refused.status_code == 403  # no CSRF token


def test_the_header_form_with_htmx_swaps_in_a_sentence(client: TestClient, inbox: ScriptedInbox) -> None:
    token = csrf_of(client.get("/").text)
    headers = {"HX-Request": "true", "X-CSRF-Token": token}
    answer = client.post("/digest/subscribe", data={"email": "fragment@example.org"}, headers=headers)
    assert answer.status_code == 200 and answer.text.startswith('<p class="subscribe-status"')
    bad = client.post("/digest/subscribe", data={"email": "not an address"}, headers=headers)
    assert bad.status_code == 200 and "not an email address" in bad.text


def test_the_api_answers_the_same_for_known_and_unknown_addresses(
    sample_app: Paperfeed, client: TestClient, inbox: ScriptedInbox
) -> None:
    subscriber(sample_app, "known@example.org")  # active, site-wide trending
    known = client.post("/api/v1/subscriptions", json={"email": "known@example.org"})
    unknown = client.post("/api/v1/subscriptions", json={"email": "unknown@example.org"})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    assert received_by(inbox, "known@example.org") == []  # already subscribed: nothing sent
    assert len(received_by(inbox, "unknown@example.org")) == 1
    full = client.post(
        "/api/v1/subscriptions",
        json={
            "email": "full@example.org",
            "frequency": "weekly",
            "categories": ["cs.CL"],
            "authors": ["Jane Doe"],
            "queries": ['"world model" -survey cat:cs.LG'],
            "trending": ["cs.LG"],
            "max_papers": 7,
        },
    )
    assert full.status_code == 202
    (pending,) = sample_app.store.subscriptions.for_email("full@example.org")
    assert pending.status == "pending" and pending.choices.max_papers == 7
    assert pending.choices.trending_categories == ("cs.LG",) and pending.choices.frequency == "weekly"


@pytest.mark.parametrize(
    ("payload", "fragment"),
    [
        ({"email": "nope"}, "email"),
        ({"email": "a@example.org", "frequency": "hourly"}, "frequency"),
        ({"email": "a@example.org", "queries": ["-survey"]}, "nothing to look for"),
        ({"email": "a@example.org", "categories": ["not a category"]}, "categories"),
        ({"email": "a@example.org", "max_papers": 0}, "max_papers"),
        ({"categories": ["cs.CL"]}, "email"),
    ],
)
def test_the_api_refuses_bad_input_with_a_reason(
    client: TestClient, payload: dict[str, object], fragment: str
) -> None:
    answer = client.post("/api/v1/subscriptions", json=payload)
    assert answer.status_code == 422
    assert fragment in answer.json()["error"]["message"]


def test_subscribing_is_rate_limited_per_address(client: TestClient) -> None:
    statuses = [
        client.post("/api/v1/subscriptions", json={"email": "flood@example.org"}).status_code
        for _ in range(6)
    ]
    assert statuses == [202] * 5 + [429]
    again = client.post("/api/v1/subscriptions", json={"email": "flood@example.org"})
    assert again.status_code == 429 and int(again.headers["Retry-After"]) > 0


def test_confirmation_needs_a_post_and_works_once(
    sample_app: Paperfeed, client: TestClient, inbox: ScriptedInbox
) -> None:
    client.post("/api/v1/subscriptions", json={"email": "c@example.org"})
    path = confirm_path(inbox, "c@example.org")
    page = client.get(path)
    assert page.status_code == 200 and 'method="post"' in page.text
    (subscription,) = sample_app.store.subscriptions.for_email("c@example.org")
    assert subscription.status == "pending"
    token = csrf_of(page.text)
    first = client.post(path, data={"csrf_token": token}, follow_redirects=False)
    assert first.status_code == 303
    manage = client.get(first.headers["location"])
    assert "Confirmed" in manage.text
    second = client.post(path, data={"csrf_token": token}, follow_redirects=False)
    assert second.status_code == 303  # a second click is harmless
    assert sample_app.store.subscriptions.get(subscription.id).status == "active"  # type: ignore[union-attr]


def test_broken_expired_and_replaced_links_say_so(
    sample_app: Paperfeed, client: TestClient, inbox: ScriptedInbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    for path in (
        "/digest/confirm/garbage",
        "/digest/unsubscribe/x.y",
        "/digest/manage/%00",
        "/digest/view/abc",
    ):
        answer = client.get(path)
        assert answer.status_code == 422 and "not valid" in answer.text, path
    client.post("/api/v1/subscriptions", json={"email": "r@example.org"})
    older = confirm_path(inbox, "r@example.org")
    client.post("/api/v1/subscriptions", json={"email": "r@example.org"})  # a new mail replaces the link
    token = csrf_of(client.get("/").text)
    replaced = client.post(older, data={"csrf_token": token})
    assert replaced.status_code == 422 and "newer one" in replaced.text
    monkeypatch.setattr(links, "CONFIRM_TTL", timedelta(seconds=-1))
    expired = client.get(confirm_path(inbox, "r@example.org"))
    assert expired.status_code == 422 and "expired" in expired.text
    sid = sample_app.store.subscriptions.for_email("r@example.org")[0].id
    never_sent = client.get(
        "/digest/view/" + links.sign(sample_app.settings, "view", sid, "daily:2026-02-20")
    )
    assert never_sent.status_code == 404
    wrong_kind = client.get("/digest/manage/" + links.sign(sample_app.settings, "unsubscribe", sid))
    assert wrong_kind.status_code == 422


def test_the_manage_link_changes_choices_and_refuses_bad_ones(
    sample_app: Paperfeed, client: TestClient
) -> None:
    sub = subscriber(sample_app, "m@example.org")
    path = "/digest/manage/" + links.sign(sample_app.settings, "manage", sub.id)
    page = client.get(path)
    assert page.status_code == 200 and "m@example.org" in page.text
    form = {
        "csrf_token": csrf_of(page.text),
        "frequency": "weekly",
        "trending": "1",
        "trending_categories": "cs.CL",
        "categories": "cs.LG, stat.ML",
        "authors": "Jane Doe\n\n  Zoë Martín ",
        "queries": '"world model" -survey\ndiffusion',
        "max_papers": "12",
        "action": "save",
    }
    saved = client.post(path, data=form, follow_redirects=False)
    assert saved.status_code == 303
    choices = sample_app.store.subscriptions.get(sub.id).choices  # type: ignore[union-attr]
    assert choices.frequency == "weekly" and choices.categories == ("cs.LG", "stat.ML")
    assert choices.authors == ("Jane Doe", "Zoë Martín") and choices.max_papers == 12
    assert choices.queries == ('"world model" -survey', "diffusion") and choices.trending_categories == (
        "cs.CL",
    )
    bad = client.post(path, data=form | {"queries": "-only -exclusions", "max_papers": "12"})
    assert bad.status_code == 422 and "nothing to look for" in bad.text and "-only -exclusions" in bad.text
    worse = client.post(path, data=form | {"max_papers": "lots"})
    assert worse.status_code == 422 and "max_papers" in worse.text


def test_unsubscribe_page_button_and_paused_resume(sample_app: Paperfeed, client: TestClient) -> None:
    sub = subscriber(sample_app, "u@example.org")
    path = "/digest/unsubscribe/" + links.sign(sample_app.settings, "unsubscribe", sub.id)
    assert "Stop sending" in client.get(path).text
    done = client.post(path)  # the page's button: no CSRF needed, the signed token is the authority
    assert done.status_code == 200 and "Unsubscribed" in done.text
    assert sample_app.store.subscriptions.get(sub.id).status == "unsubscribed"  # type: ignore[union-attr]
    paused = subscriber(sample_app, "p@example.org")
    store, now = sample_app.store, paused.created_at
    store.sends.plan("daily:2026-02-20", [paused.id], now=now)
    store.leases.acquire("run", "test", ttl_seconds=60, now=now)
    (row,) = store.sends.claim("daily:2026-02-20", "run", limit=1, now=now)
    store.sends.record_permanent_failure(
        row.id, "run", paused.id, code=550, detail="5.1.1 mailbox unavailable", pause_after=1, now=now
    )
    manage = "/digest/manage/" + links.sign(sample_app.settings, "manage", paused.id)
    page = client.get(manage)
    assert "Paused: 1 delivery was refused" in page.text and "550 5.1.1 mailbox unavailable" in page.text
    resumed = client.post(manage, data={"csrf_token": csrf_of(page.text), "action": "resume"})
    assert resumed.status_code == 200 and "Resumed" in resumed.text
    assert store.subscriptions.get(paused.id).status == "active"  # type: ignore[union-attr]


def test_members_manage_their_subscriptions_in_settings(sample_app: Paperfeed, client: TestClient) -> None:
    assert client.get("/settings", follow_redirects=False).headers["location"].startswith("/login")
    _, token = sign_in(client, sample_app, "member@example.org")
    other = subscriber(sample_app, "someone@example.org")
    page = client.get("/settings")
    assert page.status_code == 200 and "No digest yet" in page.text
    added = client.post(
        "/settings/subscriptions",
        data={"csrf_token": token, "frequency": "daily", "categories": "cs.CL", "max_papers": "5"},
        follow_redirects=False,
    )
    assert added.status_code == 303
    (mine,) = sample_app.store.subscriptions.for_email("member@example.org")
    assert mine.status == "active" and not mine.choices.trending  # no confirmation mail for members
    listed = client.get("/settings?done=added")
    assert "Subscribed" in listed.text and "new in cs.CL" in listed.text
    refused = client.post("/settings/subscriptions", data={"csrf_token": token, "queries": "-only"})
    assert refused.status_code == 422 and "nothing to look for" in refused.text and "-only" in refused.text
    bad_edit = client.post(
        f"/settings/subscriptions/{mine.id}",
        data={"csrf_token": token, "categories": "cs.LG!", "action": "save"},
    )
    assert bad_edit.status_code == 422 and "cs.LG!" in bad_edit.text
    assert client.post(f"/settings/subscriptions/{other.id}", data={"csrf_token": token}).status_code == 403
    assert client.post("/settings/subscriptions/abc", data={"csrf_token": token}).status_code == 422
    stop = client.post(
        f"/settings/subscriptions/{mine.id}", data={"csrf_token": token, "action": "unsubscribe"}
    )
    assert stop.status_code == 200 and "Subscribe again" in stop.text
    restart = client.post(
        f"/settings/subscriptions/{mine.id}", data={"csrf_token": token, "action": "restart"}
    )
    assert restart.status_code == 200
    assert sample_app.store.subscriptions.get(mine.id).status == "active"  # type: ignore[union-attr]


def test_members_preview_their_digest(sample_app: Paperfeed, client: TestClient) -> None:
    assert client.get("/digest/preview", follow_redirects=False).status_code == 303
    sign_in(client, sample_app, "viewer@example.org")
    assert "no digest yet" in client.get("/digest/preview").text
    sub = subscriber(sample_app, "viewer@example.org", trending=False, categories=["cs.CL"])
    page = client.get("/digest/preview")
    assert page.status_code == 200 and "new in cs.CL" in page.text and "<h1" in page.text
    assert "February 20, 2026" in page.text  # the latest day with papers, not today
    empty = client.get(f"/digest/preview?subscription={sub.id}&period=2026-01-05")
    assert empty.status_code == 200 and "would not be sent" in empty.text
    for query in ("?period=yesterday", "?subscription=abc", "?subscription=0", "?period="):
        assert client.get("/digest/preview" + query).status_code in (200, 422), query
    other = subscriber(sample_app, "not-me@example.org")
    assert client.get(f"/digest/preview?subscription={other.id}").status_code == 403
