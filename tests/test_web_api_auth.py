"""The JSON API (cursor pages, one error format, tokens) and magic-link sign-in through a real SMTP server."""

from __future__ import annotations

import email
import re
import socket
import time
from collections.abc import Iterator
from email.message import Message

import pytest
from aiosmtpd.controller import Controller
from fastapi.testclient import TestClient

from paperfeed.accounts import create_api_token, ensure_user
from paperfeed.context import Paperfeed
from tests.web_support import recorded_fetcher, web_app


class Inbox:
    """aiosmtpd handler that keeps every received message."""

    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        self.messages.append(email.message_from_bytes(envelope.content))  # type: ignore[attr-defined]
        return "250 OK"

    def wait(self, count: int, timeout: float = 10.0) -> Message:
        deadline = time.monotonic() + timeout
        while len(self.messages) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.messages) >= count, "no email arrived"
        return self.messages[count - 1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture
def inbox() -> Iterator[Inbox]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        handler.port = controller.port  # type: ignore[attr-defined]
        yield handler
    finally:
        controller.stop()


@pytest.fixture
def client(sample_app: Paperfeed, inbox: Inbox) -> Iterator[TestClient]:
    sample_app.settings.smtp_host = "127.0.0.1"
    sample_app.settings.smtp_port = inbox.port  # type: ignore[attr-defined]
    sample_app.settings.base_url = "http://testserver"
    with TestClient(web_app(sample_app, arxiv_fetcher=recorded_fetcher)) as c:
        yield c


def csrf_of(html: str) -> str:
    return html.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]


def link_in(message: Message) -> str:
    body = message.get_payload(decode=True).decode()  # type: ignore[union-attr]
    match = re.search(r"http://testserver(/login/verify\?\S+)", body)
    assert match, body
    return match.group(1)


def test_magic_link_signs_in_once_and_redirects_safely(client: TestClient, inbox: Inbox) -> None:
    token = csrf_of(client.get("/login").text)
    sent = client.post(
        "/login", data={"email": "New.Reader@Example.org", "next": "/trending", "csrf_token": token}
    )
    assert sent.status_code == 200 and "sign-in link is on its way" in sent.text
    message = inbox.wait(1)
    assert message["To"] == "new.reader@example.org"
    path = link_in(message)
    confirm = client.get(path)
    assert confirm.status_code == 200 and "Finish signing in" in confirm.text
    form = dict(re.findall(r'name="(token|next)" value="([^"]*)"', confirm.text))
    signed = client.post("/login/verify", data=form | {"csrf_token": token}, follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"] == "/trending"
    cookie = signed.headers["set-cookie"]
    assert "pf_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    home = client.get("/").text
    assert "new.reader@example.org" in home
    signed_in_token = csrf_of(home)  # bound to the new session now, not to the sign-in nonce
    assert signed_in_token != token
    replay = client.post("/login/verify", data=form | {"csrf_token": signed_in_token})
    assert replay.status_code == 400 and "already used" in replay.text


def test_login_answers_the_same_for_known_and_unknown(
    client: TestClient, sample_app: Paperfeed, inbox: Inbox
) -> None:
    ensure_user(sample_app, "known@example.org")
    token = csrf_of(client.get("/login").text)
    known = client.post("/login", data={"email": "known@example.org", "csrf_token": token})
    unknown = client.post("/login", data={"email": "stranger@example.org", "csrf_token": token})
    strip = lambda html, who: html.replace(who, "EMAIL")  # noqa: E731
    assert strip(known.text, "known@example.org") == strip(unknown.text, "stranger@example.org")
    assert client.post("/login", data={"email": "x@example.org"}).status_code == 403  # no CSRF token


def test_open_redirect_and_forged_links_refused(client: TestClient, inbox: Inbox) -> None:
    token = csrf_of(client.get("/login").text)
    client.post("/login", data={"email": "a@example.org", "next": "//evil.example/x", "csrf_token": token})
    form = dict(re.findall(r'name="(token|next)" value="([^"]*)"', client.get(link_in(inbox.wait(1))).text))
    assert form["next"] == "/"
    forged = client.post("/login/verify", data={"token": form["token"][:-3] + "abc", "csrf_token": token})
    assert forged.status_code == 400 and "not valid" in forged.text


def test_login_rate_limited_per_address(client: TestClient, inbox: Inbox) -> None:
    token = csrf_of(client.get("/login").text)
    codes = [
        client.post("/login", data={"email": "spam@example.org", "csrf_token": token}).status_code
        for _ in range(6)
    ]
    assert codes == [200] * 5 + [429]
    assert len(inbox.messages) == 5


def test_api_papers_cursor_pagination(client: TestClient) -> None:
    seen: list[str] = []
    cursor = None
    for _ in range(4):
        params = {"limit": 100} | ({"cursor": cursor} if cursor else {})
        page = client.get("/api/v1/papers", params=params).json()
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert len(seen) == len(set(seen)) == 300 and cursor is None
    one = client.get("/api/v1/papers/2602.18409").json()
    assert one["title"].startswith("Unifying approach") and one["upvotes"] == 0


def test_api_errors_have_one_shape(client: TestClient) -> None:
    for url, status in (
        ("/api/v1/papers/2601.99999", 404),
        ("/api/v1/papers?limit=0", 422),
        ("/api/v1/papers?cursor=%%%", 422),
        ("/api/v1/daily/2026-99-01", 422),
        ("/api/v1/nothing", 404),
        ("/api/v1/me", 401),
    ):
        answer = client.get(url)
        assert answer.status_code == status, url
        error = answer.json()["error"]
        assert error["status"] == status and error["message"] and isinstance(error["details"], list)
    assert "limit" in client.get("/api/v1/papers?limit=0").json()["error"]["message"]


def test_api_votes_submissions_with_token(client: TestClient, sample_app: Paperfeed) -> None:
    ensure_user(sample_app, "bot@example.org")
    auth = {"Authorization": f"Bearer {create_api_token(sample_app, 'bot@example.org')}"}
    assert client.post("/api/v1/papers/2602.18409/vote").status_code == 401
    assert (
        client.post("/api/v1/papers/2602.18409/vote", headers={"Authorization": "Bearer pf_nope"}).status_code
        == 401
    )
    for _ in range(2):
        assert client.post("/api/v1/papers/2602.18409/vote", headers=auth).json()["upvotes"] == 1
    trending = client.get("/api/v1/trending?window=day").json()["items"]
    assert [p["id"] for p in trending] == ["2602.18409"] and trending[0]["score"] > 0.99
    assert client.delete("/api/v1/papers/2602.18409/vote", headers=auth).json()["upvotes"] == 0
    made = client.post("/api/v1/submissions", json={"paper": "arXiv:2602.18409"}, headers=auth)
    assert made.status_code == 201 and made.json()["created"] is True
    again = client.post("/api/v1/submissions", json={"paper": "2602.18409"}, headers=auth)
    assert again.json()["created"] is False
    daily = client.get("/api/v1/daily").json()
    assert [p["id"] for p in daily["featured"]] == ["2602.18409"]
    bad = client.post("/api/v1/submissions", json={"paper": "nonsense"}, headers=auth)
    assert bad.status_code == 422 and "not an arXiv id" in bad.json()["error"]["message"]
    assert (
        client.post(
            "/api/v1/featured", json={"day": "2026-02-19", "paper": "2602.18409"}, headers=auth
        ).status_code
        == 403
    )


def test_openapi_and_docs(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in (
        "/api/v1/papers",
        "/api/v1/daily/{day}",
        "/api/v1/trending",
        "/api/v1/search",
        "/api/v1/submissions",
        "/api/v1/papers/{paper_id}/similar",
    ):
        assert path in spec["paths"], path
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in client.get("/docs").text


class RejectingInbox:
    """A real SMTP server that refuses every message (a full mailbox, a spam filter)."""

    async def handle_DATA(self, server: object, session: object, envelope: object) -> str:
        return "554 Transaction failed"


@pytest.mark.parametrize("smtp", ["closed port", "rejecting server"])
def test_failing_smtp_server_gives_a_clear_answer_and_a_retry(sample_app: Paperfeed, smtp: str) -> None:
    controller = None
    sample_app.settings.smtp_host = "127.0.0.1"
    if smtp == "closed port":
        sample_app.settings.smtp_port = free_port()  # nothing listens there
    else:
        controller = Controller(RejectingInbox(), hostname="127.0.0.1", port=free_port())
        controller.start()
        sample_app.settings.smtp_port = controller.port
    try:
        with TestClient(web_app(sample_app, arxiv_fetcher=recorded_fetcher)) as c:
            token = csrf_of(c.get("/login").text)
            answer = c.post("/login", data={"email": "reader@example.org", "csrf_token": token})
            assert answer.status_code == 503
            assert "could not be sent right now" in answer.text
            assert 'value="reader@example.org"' in answer.text  # the typed address is kept for the retry
    finally:
        if controller is not None:
            controller.stop()
