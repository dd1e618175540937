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
from paperfeed.web.app import create_app
from tests.web_support import sign_in


@pytest.fixture
def web(paperfeed_app: Paperfeed) -> FastAPI:
    paperfeed_app.settings.base_url = "http://testserver"
    return create_app(paperfeed_app, indexer=False)





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


def test_a_signed_out_visitor_sees_whose_account_the_link_opens(web: FastAPI, paperfeed_app: Paperfeed) -> None:
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
