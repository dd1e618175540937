"""CSRF (issue 11): API writes with a session cookie need the CSRF header, and tokens are bound to the
session, so a planted ``pf_csrf`` cookie with the same value in the form no longer passes."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from paperfeed.accounts import create_session, ensure_user
from paperfeed.context import Paperfeed
from paperfeed.web.security import CSRF_COOKIE, SESSION_COOKIE
from tests.web_support import recorded_fetcher, sign_in, web_app


@pytest.fixture
def client(sample_app: Paperfeed) -> Iterator[TestClient]:
    sample_app.settings.mail_backend = "console"
    with TestClient(web_app(sample_app, arxiv_fetcher=recorded_fetcher)) as c:
        yield c


def csrf_of(html: str) -> str:
    return html.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


def test_api_write_with_only_the_session_cookie_is_refused(client: TestClient, sample_app: Paperfeed) -> None:
    _, token = sign_in(client, sample_app, "reader@example.org")
    bare = client.post("/api/v1/papers/2602.18409/vote")
    assert bare.status_code == 403 and "X-CSRF-Token" in bare.json()["error"]["message"]
    assert client.delete("/api/v1/papers/2602.18409/vote").status_code == 403
    wrong = client.post("/api/v1/papers/2602.18409/vote", headers={"X-CSRF-Token": "guess"})
    assert wrong.status_code == 403
    page_token = csrf_of(client.get("/papers/2602.18409").text)
    assert page_token == token
    ok = client.post("/api/v1/papers/2602.18409/vote", headers={"X-CSRF-Token": page_token})
    assert ok.status_code == 200 and ok.json()["upvotes"] == 1
    assert client.get("/api/v1/me").status_code == 200  # reads need no token


def test_a_planted_csrf_cookie_does_not_pass(client: TestClient, sample_app: Paperfeed) -> None:
    """Double-submit of an attacker's own value: the cookie and the form agree, and still no."""
    user = ensure_user(sample_app, "victim@example.org")
    client.cookies.set(SESSION_COOKIE, create_session(sample_app, user))
    client.cookies.set(CSRF_COOKIE, "planted-value-0123456789")
    form = {"paper_id": "2602.18409", "undo": "0", "csrf_token": "planted-value-0123456789"}
    assert client.post("/vote", data=form).status_code == 403
    assert sample_app.store.votes.counts(["2602.18409"]) == {}
    signed_out = TestClient(client.app)
    signed_out.cookies.set(CSRF_COOKIE, "planted-value-0123456789")
    planted = signed_out.post(
        "/login", data={"email": "x@example.org", "csrf_token": "planted-value-0123456789"}
    )
    assert planted.status_code == 403


def test_tokens_are_bound_to_the_session(client: TestClient, sample_app: Paperfeed) -> None:
    _, first = sign_in(client, sample_app, "one@example.org")
    other = TestClient(client.app)
    _, second = sign_in(other, sample_app, "two@example.org")
    assert first != second
    form = {"paper_id": "2602.18409", "undo": "0"}
    assert other.post("/vote", data=form | {"csrf_token": first}).status_code == 403
    assert other.post("/vote", data=form | {"csrf_token": second}, follow_redirects=False).status_code == 303


def test_signed_out_forms_still_work(client: TestClient) -> None:
    token = csrf_of(client.get("/login").text)
    assert client.cookies.get(CSRF_COOKIE) and client.cookies.get(CSRF_COOKIE) != token
    sent = client.post("/login", data={"email": "new@example.org", "csrf_token": token})
    assert sent.status_code == 200 and "outbox" in sent.text
