"""Every page of ours passes axe-core's WCAG 2.1 A and AA rules in real Chromium (issue 18, item 17),
signed out and signed in, light and dark, wide and phone-sized: 0 violations. (The vendored Swagger
UI page at /docs is not ours to fix; it gets ``lang``, and is checked for that alone.)"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
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
    "/for-you?drivers=1",  # its panel open: everything the closed page shows, and the panel
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


@dataclass(frozen=True)
class Look:
    """One way of seeing a page: a colour scheme, a width, and the axe rules that can change with it."""

    scheme: str
    width: int
    rules: list[str] | None = None  # None: every WCAG 2.1 A/AA rule

    @property
    def label(self) -> str:
        return f"{self.scheme} {self.width}px"

    @property
    def viewport(self) -> dict[str, int]:
        return {"width": self.width, "height": 900 if self.width > 500 else 844}


LIGHT = Look("light", 1280)
DARK = Look("dark", 1280, COLOUR_RULES)  # only the rules whose outcome depends on the colours
PHONE = Look("dark", 390)


def _check(context: Any, base: str, looks_of: dict[str, list[Look]], who: str, found: dict[str, str]) -> None:
    """Load each page once and check it in each of its looks: switching the colour scheme and the
    width on a loaded page re-applies the stylesheet's media queries, as loading it that way does
    (the pages' script reads neither), so a page is not loaded again per look."""
    page = context.new_page()
    for path, looks in looks_of.items():
        page.set_viewport_size(LIGHT.viewport)
        page.emulate_media(color_scheme=LIGHT.scheme)
        page.goto(base + path)
        if path.startswith("/papers/2602"):  # similar papers arrive by HTMX after the page
            page.locator("section[aria-labelledby=similar-h] li.paper").first.wait_for(timeout=15_000)
        for look in looks:
            page.set_viewport_size(look.viewport)
            page.emulate_media(color_scheme=look.scheme)
            if violations := axe_violations(page, look.rules):
                found[f"[{look.label} {who}] {path}"] = describe(violations)
    page.close()


def _looks(*runs: tuple[Look, list[str]]) -> dict[str, list[Look]]:
    """Each page with the looks it is checked in, in the order of the runs."""
    looks_of: dict[str, list[Look]] = {}
    for look, paths in runs:
        for path in paths:
            looks_of.setdefault(path, []).append(look)
    return looks_of


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
    found: dict[str, str] = {}
    visitor = browser.new_context()
    install_axe(visitor)
    _check(
        visitor,
        server,
        _looks((LIGHT, SIGNED_OUT + mail_pages), (DARK, dark_visitor), (PHONE, phone[:2])),
        "visitor",
        found,
    )
    visitor.close()
    member = browser.new_context()
    install_axe(member)
    member.add_cookies([create_session_cookie(sample_app, user, server)])
    _check(member, server, _looks((LIGHT, SIGNED_IN), (DARK, dark_member), (PHONE, phone)), "member", found)
    page = member.new_page()  # the phone's header menu, opened
    page.set_viewport_size(PHONE.viewport)
    page.emulate_media(color_scheme=PHONE.scheme)
    page.goto(server + "/")
    page.click(".menu-toggle")
    if violations := axe_violations(page):
        found[f"[{PHONE.label} member, menu open] /"] = describe(violations)
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
