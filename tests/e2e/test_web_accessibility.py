"""Every page of ours passes axe-core's WCAG 2.1 A and AA rules in real Chromium (issue 18, item 17),
signed out and signed in, light and dark, wide and phone-sized: 0 violations. (The vendored Swagger
UI page at /docs is not ours to fix; it gets ``lang``, and is checked for that alone.)"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest

from paperfeed.accounts import ensure_user, issue_login_token
from paperfeed.context import Paperfeed
from paperfeed.digest import links
from paperfeed.digest.sender import send_digests
from paperfeed.library import collections, follows
from tests.digest_support import subscriber
from tests.e2e.axe_support import COLOUR_RULES, axe_violations, describe, install_axe
from tests.test_web_api_auth import free_port
from tests.web_support import create_session_cookie, recorded_fetcher, serving, web_app

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian's chromium package"),
]

SIGNED_OUT = [
    "/",
    "/daily/2026-02-19?tab=new",
    "/daily/2026-02-19",
    "/weekly/2026-W08",
    "/monthly/2026-02",
    "/trending",
    "/search?q=graph+neural",
    "/search",
    "/papers/2602.18409",
    "/authors/Joseph%20Bingham",
    "/categories/cs.LG",
    "/login",
    "/submit",
    "/papers/2601.99999",  # a 404 page
    "/trends?q=graph&q=language+model",
    "/map?q=graph+neural",
    "/map?week=2026-W08",
]
SIGNED_IN = [
    "/",
    "/papers/2602.18409",
    "/authors/Joseph%20Bingham",
    "/library",
    "/library/import",
    "/follows",
    "/for-you",
    "/for-you?drivers=1",
    "/map?for_you=1",
    "/settings",
    "/account",
    "/submit",
    "/trending",
]


@pytest.fixture
def server(sample_app: Paperfeed) -> Iterator[str]:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    sample_app.settings.base_url = base
    sample_app.settings.mail_backend = "console"
    with serving(web_app(sample_app, arxiv_fetcher=recorded_fetcher), port) as url:
        yield url


@pytest.fixture
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        yield chromium
        chromium.close()


def _check(
    context: Any,
    base: str,
    paths: list[str],
    label: str,
    found: dict[str, str],
    rules: list[str] | None = None,
) -> None:
    page = context.new_page()
    for path in paths:
        page.goto(base + path)
        if path.startswith("/papers/2602"):  # similar papers arrive by HTMX after the page
            page.locator("section[aria-labelledby=similar-h] li.paper").first.wait_for(timeout=15_000)
        violations = axe_violations(page, rules)
        if violations:
            found[f"{label} {path}"] = describe(violations)
    page.close()


def test_every_page_of_ours_has_no_wcag_violations(server: str, browser: Any, sample_app: Paperfeed) -> None:
    """Light, wide: every rule on every page; dark: the rules that depend on colour, on pages with
    every kind of element; a phone: every rule on the pages whose layout changes most, with the
    header's menu open."""
    user = ensure_user(sample_app, "reader@example.org")
    collections.save(sample_app, user, "2602.18201")
    made = collections.create_collection(
        sample_app, user, "Reading group", visibility="public", description="Graphs."
    )
    collections.save(sample_app, user, "2602.18409", collection=made.id)
    follows.add_follow(sample_app, user, "author", "Joseph Bingham")
    reader = subscriber(sample_app, "reader@example.org", categories=["cs.CL"], trending=False)
    assert send_digests(sample_app, day=date(2026, 2, 20)).total("sent") == 1
    now = sample_app.clock.now()
    mail_pages = [
        "/digest/manage/" + links.sign(sample_app.settings, "manage", reader.id),
        "/digest/unsubscribe/" + links.sign(sample_app.settings, "unsubscribe", reader.id),
        links.view_url(sample_app.settings, reader.id, "daily:2026-02-20").removeprefix(server),
        links.confirm_url(sample_app.settings, reader.id, "nonce", now=now).removeprefix(server),
        "/library/" + made.ref,
        "/login/verify?token=" + issue_login_token(sample_app, "reader@example.org"),
    ]
    # Dark: every kind of element the pages have (badges, highlights, notices, forms, the digest).
    dark_visitor = [
        "/daily/2026-02-19",
        "/search?q=graph+neural",
        "/papers/2602.18409",
        "/login",
        *mail_pages[:3],
    ]
    dark_member = ["/", "/library", "/for-you?drivers=1", "/follows", "/authors/Joseph%20Bingham"]
    phone = ["/", "/papers/2602.18409", "/for-you?drivers=1"]
    runs = (
        ("light", 1280, None, SIGNED_OUT + mail_pages, SIGNED_IN),
        ("dark", 1280, COLOUR_RULES, dark_visitor, dark_member),
        ("dark", 390, None, phone[:2], phone),
    )
    found: dict[str, str] = {}
    for scheme, width, rules, visitor_pages, member_pages in runs:
        viewport = {"width": width, "height": 900 if width > 500 else 844}
        visitor = browser.new_context(color_scheme=scheme, viewport=viewport)
        install_axe(visitor)
        _check(visitor, server, visitor_pages, f"[{scheme} {width}px visitor]", found, rules)
        visitor.close()
        member = browser.new_context(color_scheme=scheme, viewport=viewport)
        install_axe(member)
        member.add_cookies([create_session_cookie(sample_app, user, server)])
        _check(member, server, member_pages, f"[{scheme} {width}px member]", found, rules)
        if width < 500:  # the phone's header menu, opened
            page = member.new_page()
            page.goto(server + "/")
            page.click(".menu-toggle")
            if violations := axe_violations(page):
                found[f"[{scheme} phone, menu open] /"] = describe(violations)
            page.close()
        member.close()
    assert found == {}, "\n\n".join(f"{where}\n{what}" for where, what in found.items())


def test_the_vendored_api_docs_page_has_a_language(server: str, browser: Any) -> None:
    context = browser.new_context()
    page = context.new_page()
    page.goto(server + "/docs")
    assert page.evaluate("document.documentElement.lang") == "en"
    assert re.search(r"<html[^>]* lang=\"en\"", page.content())
    context.close()
