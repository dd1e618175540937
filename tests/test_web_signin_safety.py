"""Sign-in against a hostile user (issue 18): a sign-in link someone else sent cannot silently move a
signed-in person into the sender's account (login CSRF), and nobody can lock a person out of
sign-in by asking for links for their address from a few client addresses."""

from __future__ import annotations

import re
from collections.abc import Iterator
from urllib.parse import urlencode

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from paperfeed.accounts import issue_login_token
from paperfeed.context import Paperfeed
from tests.web_support import sign_in, web_app


@pytest.fixture
def web(paperfeed_app: Paperfeed) -> FastAPI:
    paperfeed_app.settings.base_url = "http://testserver"
    return web_app(paperfeed_app, indexer=False)


@pytest.fixture
def victim(web: FastAPI, paperfeed_app: Paperfeed) -> Iterator[TestClient]:
    with TestClient(web) as client:
        sign_in(client, paperfeed_app, "victim@example.org")
        yield client


def _form(html: str) -> dict[str, str]:
    fields = dict(re.findall(r'name="(token|next|switch|csrf_token)" value="([^"]*)"', html))
    return fields


def test_a_link_for_another_account_names_it_and_keeps_the_session(
    victim: TestClient, paperfeed_app: Paperfeed
) -> None:
    """An attacker's link, opened by a signed-in victim, must name the attacker's account and must
    not replace the victim's session unless the victim chooses to switch."""
    token = issue_login_token(paperfeed_app, "attacker@example.org")
    link = "/login/verify?" + urlencode({"token": token, "next": "/library/import"})
    page = victim.get(link)
    assert page.status_code == 200
    assert "attacker@example.org" in page.text and "victim@example.org" in page.text
    assert "autofocus" not in page.text
    form = _form(page.text)
    # The plain form (what an autofocused button or a pressed Enter would send) changes nothing.
    plain = {k: v for k, v in form.items() if k != "switch"}
    kept = victim.post("/login/verify", data=plain, follow_redirects=False)
    assert kept.status_code == 409 and "attacker@example.org" in kept.text
    assert victim.get("/api/v1/me").json()["email"] == "victim@example.org"
    # The token was not used up by the refused post: the explicit switch still works.
    switched = victim.post("/login/verify", data=form, follow_redirects=False)
    assert switched.status_code == 303 and switched.headers["location"] == "/library/import"
    assert victim.get("/api/v1/me").json()["email"] == "attacker@example.org"


def test_a_signed_out_visitor_sees_whose_account_the_link_opens(
    web: FastAPI, paperfeed_app: Paperfeed
) -> None:
    token = issue_login_token(paperfeed_app, "reader@example.org")
    with TestClient(web) as client:
        page = client.get("/login/verify?" + urlencode({"token": token}))
        assert "Sign in as reader@example.org" in page.text
        form = _form(page.text)
        signed = client.post("/login/verify", data=form, follow_redirects=False)
        assert signed.status_code == 303
        assert client.get("/api/v1/me").json()["email"] == "reader@example.org"
        # Opening the same account's link again while signed in replaces nothing.
        again = issue_login_token(paperfeed_app, "reader@example.org")
        page = client.get("/login/verify?" + urlencode({"token": again}))
        assert "already signed in as" in page.text


def test_a_used_or_forged_link_is_refused_on_the_page(web: FastAPI, paperfeed_app: Paperfeed) -> None:
    with TestClient(web) as client:
        page = client.get("/login/verify?token=nonsense")
        assert page.status_code == 400 and "not valid" in page.text


def _ask_for_link(web: FastAPI, email: str, client: str, cookies: dict[str, str] | None = None) -> int:
    with TestClient(web, client=(client, 50000), cookies=cookies) as c:
        page = c.get("/login").text
        token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
        return c.post("/login", data={"email": email, "csrf_token": token}).status_code


def test_strangers_cannot_lock_a_person_out_of_sign_in(web: FastAPI, paperfeed_app: Paperfeed) -> None:
    """Five requests for the victim's address from each of five client addresses used to refuse the
    victim for 15 minutes; now each (address, client) pair has its own small bucket."""
    paperfeed_app.settings.mail_backend = "console"
    for n in range(5):
        codes = [_ask_for_link(web, "victim@example.org", f"203.0.113.{n}") for _ in range(6)]
        assert codes == [200] * 5 + [429]  # each stranger is limited ...
    assert _ask_for_link(web, "victim@example.org", "198.51.100.1") == 200  # ... the victim is not


def test_the_per_address_cap_does_not_hold_a_browser_that_signed_in_before(
    web: FastAPI, paperfeed_app: Paperfeed
) -> None:
    """Enough strangers can fill the per-address cap (a guard against mail floods), but a browser
    that signed in to the address before keeps getting links."""
    paperfeed_app.settings.mail_backend = "console"
    with TestClient(web, client=("198.51.100.1", 50000)) as victim:
        token = issue_login_token(paperfeed_app, "victim@example.org")
        form = _form(victim.get("/login/verify?" + urlencode({"token": token})).text)
        signed = victim.post("/login/verify", data=form, follow_redirects=False)
        known = signed.cookies.get("pf_signed_in")
        assert known
    strangers = [f"203.0.113.{n}" for n in range(20)]
    codes = [_ask_for_link(web, "victim@example.org", who) for who in strangers for _ in range(5)]
    assert 429 in codes and codes.count(200) == 50  # the cap: 50 mails per address per hour
    assert _ask_for_link(web, "victim@example.org", "198.51.100.2") == 429  # a new browser waits
    assert _ask_for_link(web, "victim@example.org", "198.51.100.1", {"pf_signed_in": known}) == 200
    forged = {"pf_signed_in": "0" * 43}
    assert _ask_for_link(web, "victim@example.org", "198.51.100.3", forged) == 429


def test_sign_in_limit_does_not_double_at_a_window_edge(
    web: FastAPI, paperfeed_app: Paperfeed, clock: object
) -> None:
    """Five links just before a quarter-hour edge and five just after were all sent (fixed windows);
    the sliding window refuses the sixth."""
    from datetime import datetime

    from paperfeed.clock import FixedClock

    assert isinstance(clock, FixedClock)
    paperfeed_app.settings.mail_backend = "console"
    clock.set(datetime(2026, 12, 1, 4, 59, 57))
    assert [_ask_for_link(web, "edge@example.org", "203.0.113.9") for _ in range(5)] == [200] * 5
    clock.set(datetime(2026, 12, 1, 5, 0, 1))
    assert _ask_for_link(web, "edge@example.org", "203.0.113.9") == 429
    clock.set(datetime(2026, 12, 1, 5, 15, 1))  # a whole window later the old requests slid out
    assert _ask_for_link(web, "edge@example.org", "203.0.113.9") == 200
