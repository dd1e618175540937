"""End-to-end in real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright).

A real uvicorn server on loopback serves the app over the 300-record sample. Sign-in goes the way it
goes on a fresh install: no mail server, so the console mail backend writes the link to the data
dir's outbox and the page says so. Every request the browser makes is recorded: none may leave
the app's host. Screenshots of each page land in ``$SCREENSHOT_DIR`` when it is set
(:mod:`tests.e2e.screenshots`).
"""

from __future__ import annotations

import json
import re
import shutil
from collections.abc import Iterator
from datetime import UTC, datetime
from urllib.parse import urlencode

import pytest
from typer.testing import CliRunner

from paperfeed.accounts import issue_login_token
from paperfeed.cli import app as cli
from paperfeed.context import Paperfeed
from paperfeed.records import PaperRecord
from tests.e2e.axe_support import axe_violations, describe, install_axe
from tests.e2e.screenshots import keep
from tests.test_web_api_auth import Inbox, free_port
from tests.web_support import recorded_fetcher, serving, web_app

# A paper whose title and abstract use LaTeX text markup (as about one arXiv abstract in nine does).
LATEX_PAPER = PaperRecord(
    paper_id="2602.99980",
    title=r"\textbf{D}ynamic ``Routing'' for $\alpha$-Nets",
    abstract=r"Accuracy rises from 5\% to 52\% with \emph{no} extra cost on Schr\"odinger's $\alpha$-nets.",
    authors=["Ada Lovelace"],
    categories=["cs.LG"],
    published=datetime(2026, 2, 19, 12, tzinfo=UTC),
)

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian's chromium package"),
]


@pytest.fixture
def server(sample_app: Paperfeed) -> Iterator[str]:
    from paperfeed.search.indexer import catch_up

    sample_app.store.papers.write_batch([LATEX_PAPER])
    catch_up(sample_app, embed=False)
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    sample_app.settings.base_url = base  # what `serve --port` hands its workers
    sample_app.record_service_url(base)  # and what it records for commands run elsewhere (issue 18)
    assert sample_app.settings.smtp_host is None  # a fresh install: mail goes to the console backend
    with serving(web_app(sample_app, arxiv_fetcher=recorded_fetcher), port) as url:
        assert url == base
        yield base


@pytest.fixture
def page(server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        install_axe(context)
        page = context.new_page()
        page.requests = []  # type: ignore[attr-defined]
        page.on("request", lambda r: page.requests.append(r.url))  # type: ignore[attr-defined]
        yield page
        context.close()
        browser.close()


def test_reader_journey(page: object, server: str, sample_app: Paperfeed) -> None:
    from playwright.sync_api import Page, expect

    assert isinstance(page, Page)

    # Daily page opens on the latest day of the sample.
    page.goto(server + "/")
    expect(page.locator("h1")).to_contain_text("Daily Papers")
    expect(page.locator(".daynav strong")).to_contain_text("February 20, 2026")
    assert page.locator("li.paper").count() >= 20
    assert_accessible(page)
    keep(page, "daily.png")

    # Results as you type (HTMX): the address follows the query, so Back comes back to it.
    page.goto(server + "/search")
    page.locator("#q").press_sequentially("graph neural", delay=20)
    expect(page.locator("#results mark").first).to_be_visible(timeout=10_000)
    expect(page).to_have_url(re.compile(r"/search\?q=graph\+neural"), timeout=10_000)
    assert_accessible(page)
    keep(page, "search.png")
    page.locator("#results li.paper h3 a").first.click()
    expect(page.locator("article h1")).to_be_visible()
    page.go_back()
    expect(page).to_have_url(re.compile(r"/search\?q=graph\+neural"))
    expect(page.locator("#q")).to_have_value("graph neural")
    expect(page.locator("#results li.paper").first).to_be_visible()
    page.go_forward()
    expect(page.locator("article h1")).to_be_visible()
    expect(page.locator("#similar-h")).to_be_visible()
    expect(page.locator("section[aria-labelledby=similar-h] li.paper").first).to_be_visible(timeout=15_000)
    keep(page, "paper.png")

    # KaTeX renders math in an abstract that has some.
    page.goto(server + "/papers/2602.18409")
    page.goto(server + "/search?q=" + "%24")  # any page works; pick a paper known to contain $…$ below
    math_paper = _paper_with_math(page, server)
    if math_paper:
        page.goto(server + "/papers/" + math_paper)
        expect(page.locator(".abstract .katex").first).to_be_attached(timeout=5_000)
        keep(page, "math.png")

    # LaTeX text markup reads as text; the formula is typeset by KaTeX.
    page.goto(server + "/papers/2602.99980")
    expect(page.locator("article h1 b")).to_have_text("D")
    expect(page.locator("article h1")).to_contain_text("Dynamic “Routing” for")
    abstract = page.locator(".abstract")
    expect(abstract).to_contain_text("Accuracy rises from 5% to 52% with no extra cost on Schrödinger's")
    expect(abstract.locator("i")).to_have_text("no")
    expect(abstract.locator(".katex").first).to_be_attached(timeout=5_000)
    visible = abstract.evaluate(
        "e => { const c = e.cloneNode(true); c.querySelectorAll('.katex').forEach(k => k.remove()); return c.textContent; }"
    )
    assert "\\" not in visible and "$" not in visible, visible
    keep(page, "latex.png")

    # Sign in on a fresh install: the page says the link went to the outbox; it works from there.
    page.goto(server + "/papers/2602.18409")
    page.click("a.static[title='Sign in to upvote']")
    expect(page).to_have_url(server + "/login?next=/papers/2602.18409")
    page.fill("form[action='/login'] input[name=email]", "reader@example.org")
    page.click("form[action='/login'] button")
    expect(page.locator("p.notice")).to_contain_text("does not send email yet")
    expect(page.locator("p.notice")).to_contain_text("outbox")
    page.goto(server + link_in_outbox(sample_app, server))  # copied from the .eml file as it is
    expect(page.locator("main")).to_contain_text("This link signs you in as reader@example.org")
    assert_accessible(page)
    page.click("form[action='/login/verify'] button")
    expect(page).to_have_url(server + "/papers/2602.18409")
    expect(page.locator("header")).to_contain_text("reader@example.org")

    # Login CSRF: a link someone else asked for (their own account) names that account and keeps
    # the reader's session unless the reader chooses to switch.
    attacker = issue_login_token(sample_app, "attacker@example.org")
    page.goto(server + "/login/verify?" + urlencode({"token": attacker, "next": "/library/import"}))
    expect(page.locator("main")).to_contain_text("You are signed in as reader@example.org")
    expect(page.locator("main")).to_contain_text("attacker@example.org")
    assert page.evaluate("document.activeElement.tagName") == "BODY"  # no autofocused button
    assert_accessible(page)
    page.keyboard.press("Enter")  # nothing is focused, so nothing is submitted
    expect(page.locator("main")).to_contain_text("You are signed in as reader@example.org")
    page.click("text=Stay signed in as reader@example.org")
    me = page.request.get(server + "/api/v1/me").json()
    assert me["email"] == "reader@example.org", me
    expect(page.locator("header")).to_contain_text("reader@example.org")

    # Signed in at 1280 px the header's navigation is one row (the subscribe line sits below it).
    page.set_viewport_size({"width": 1280, "height": 900})
    assert page.evaluate("document.querySelector('header.site > .inner').getBoundingClientRect().height") < 60
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    page.set_viewport_size({"width": 1100, "height": 900})

    # A public handle, chosen on the account page, replaces the email in the header.
    page.click("header a[href='/account']")
    page.fill("input[name=handle]", "Reader-1")
    page.click("form[action='/account'] button")
    expect(page.locator("p.notice")).to_contain_text("Your handle is now reader-1.")
    expect(page.locator("header")).to_contain_text("reader-1")

    # Trending is empty, then an upvote (HTMX) makes the paper trend.
    page.goto(server + "/trending")
    expect(page.locator("p.notice")).to_contain_text("No upvotes")
    page.goto(server + "/papers/2602.18409")
    button = page.locator(".vote button").first
    button.click()
    expect(page.locator(".vote button").first).to_have_attribute("aria-pressed", "true")
    expect(page.locator(".vote .count").first).to_have_text("1")
    page.goto(server + "/trending")
    expect(page.locator("li.paper h3")).to_contain_text("Unifying approach")
    assert_accessible(page)
    keep(page, "trending.png")

    # The discussion (HTMX): a comment with maths, typeset by KaTeX in place; a reply under it.
    page.goto(server + "/papers/2602.18409")
    page.fill("#new-comment", "Nice bound: $O(n \\log n)$ **really**, see <b>this</b>")
    page.click("form.new-comment button")
    comment = page.locator("#discussion article.comment").first
    expect(comment.locator(".katex").first).to_be_attached(timeout=5_000)
    expect(comment.locator(".comment-body strong")).to_have_text("really")
    expect(comment.locator(".comment-body")).to_contain_text("<b>this</b>")  # typed, shown as typed
    expect(page.locator("#discussion-h")).to_have_text("Discussion (1)")
    comment.locator("summary", has_text="Reply").click()
    comment.locator("form[action$='/comments'] textarea").fill("Agreed")
    comment.locator("form[action$='/comments'] button").click()
    expect(page.locator("#discussion .replies article.comment")).to_contain_text("Agreed")
    expect(page.locator("#discussion-h")).to_have_text("Discussion (2)")
    expect(page).to_have_url(server + "/papers/2602.18409")  # posted in place
    keep(page, "discussion.png")

    # Submitting says it may wait (a paper new to the server is fetched from arXiv).
    page.goto(server + "/submit")
    page.evaluate(
        "document.querySelector('form[data-busy]').addEventListener('submit', e => e.preventDefault())"
    )
    page.fill("input[name=paper]", "2602.18409")
    page.click("form[action='/submit'] button")
    expect(page.locator("[data-busy-status]")).to_contain_text("Looking the paper up")
    expect(page.locator("form[action='/submit'] button")).to_be_disabled()

    # Library buttons (HTMX): save one paper, "not interested" folds another away; /library lists it.
    page.goto(server + "/daily/2026-02-19?tab=new")
    first, second = page.locator("li.paper").nth(0), page.locator("li.paper").nth(1)
    saved_title = first.locator("h3").inner_text()
    first.locator("form[action='/library/save'] button").click()
    expect(first.locator("form[action='/library/save'] button")).to_have_text("★ Saved")
    second.locator("form[action='/library/feedback'] button", has_text="Not interested").click()
    expect(second.locator(".actions.dismissed")).to_be_attached()
    expect(second.locator(".abstract-short")).to_be_hidden()
    expect(second.locator(".actions")).to_contain_text(
        "Not shown to you again in For you or your follows feed"
    )
    keep(page, "daily-library-buttons.png")
    page.goto(server + "/library")
    expect(page.locator("ol.papers li.paper h3").first).to_contain_text(saved_title[:40])
    keep(page, "library.png")

    # An author's page says when you follow them, and unfollows (issue 18).
    page.goto(server + "/authors/Joseph%20Bingham")
    page.locator("form.follow-state button", has_text="Follow this author").click()
    expect(page.locator("form.follow-state")).to_contain_text("You follow this author")
    assert_accessible(page)
    page.locator("form.follow-state button", has_text="Unfollow").click()
    expect(page).to_have_url(server + "/authors/Joseph%20Bingham")
    expect(page.locator("form.follow-state button")).to_have_text("Follow this author")

    # For you: the panel of what drives the feed sits near the top, folded; it opens in place.
    page.goto(server + "/for-you")
    drivers = page.locator("details#drivers")
    assert drivers.bounding_box()["y"] < 600  # type: ignore[index]
    drivers.locator("summary").click()
    expect(drivers.locator("table.drivers")).to_be_visible()
    assert_accessible(page)

    # The week's top list, and a click down to one of its days.
    page.goto(server + "/weekly/2026-W08")
    expect(page.locator("h1")).to_contain_text("Top papers of the week")
    expect(page.locator(".daynav strong")).to_have_text("Week 8, 2026")
    assert page.locator("li.paper").count() == 25
    keep(page, "weekly.png")
    page.click("nav.tabs a[href='/daily/2026-02-19']")
    expect(page).to_have_url(server + "/daily/2026-02-19")

    # Submit a paper: it is featured on today's page.
    page.goto(server + "/submit")
    page.fill("input[name=paper]", "https://arxiv.org/abs/2602.18409")
    page.click("form[action='/submit'] button")
    expect(page.locator("p.notice")).to_contain_text("Featured on")
    page.goto(server + "/")
    expect(page.locator("li.paper")).to_have_count(1)
    keep(page, "daily-featured.png")
    page.goto(server + "/weekly")  # this week now: the submission, by its submitter's handle
    expect(page.locator("li.paper").first).to_contain_text("submitted by reader-1")

    # Dark mode and a phone-sized screen.
    page.emulate_media(color_scheme="dark")
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(server + "/daily/2026-02-19?tab=new")
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(18, 21, 28)"
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    keep(page, "daily-dark-mobile.png")
    # Signed in on a phone the header is one line; "Menu" opens the links, search and subscribe line.
    header = page.evaluate("document.querySelector('header.site').getBoundingClientRect().height")
    assert header < 0.15 * 844, header
    expect(page.locator("nav.main")).to_be_hidden()
    page.click(".menu-toggle")
    expect(page.locator("nav.main a[href='/for-you']")).to_be_visible()
    expect(page.locator("#subscribe-email")).to_be_visible()
    assert page.get_attribute(".menu-toggle", "aria-expanded") == "true"
    assert_accessible(page)
    page.click(".menu-toggle")
    expect(page.locator("nav.main")).to_be_hidden()
    page.goto(server + "/monthly/2026-02")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
    keep(page, "monthly-dark-mobile.png")

    # Nothing was requested from any other host.
    hosts = {re.sub(r"^(\w+://[^/]+).*", r"\1", url) for url in page.requests}  # type: ignore[attr-defined]
    assert hosts == {server}, hosts


def assert_accessible(page: object) -> None:
    """axe-core finds no WCAG 2.1 A/AA violation on the page as it is now (issue 18)."""
    violations = axe_violations(page)
    assert violations == [], describe(violations)


def _paper_with_math(page: object, server: str) -> str | None:
    from paperfeed.web import app as _  # noqa: F401

    answer = page.request.get(server + "/api/v1/search?q=equation&limit=50")  # type: ignore[attr-defined]
    for item in answer.json()["items"]:
        if re.search(r"\$[^$]+\$", item["abstract"]):
            return str(item["id"])
    answer = page.request.get(server + "/api/v1/papers?limit=100")  # type: ignore[attr-defined]
    for item in answer.json()["items"]:
        if re.search(r"\$[^$]+\$", item["abstract"]):
            return str(item["id"])
    return None


def link_in_outbox(app: Paperfeed, server: str) -> str:
    """The sign-in link copied, as a person would, from the raw text of the newest file the console
    backend wrote to DATA_DIR/outbox/ (not decoded by a mail client: issue 18)."""
    outbox = app.settings.data_dir / "outbox"
    newest = max(outbox.glob("*.eml"), key=lambda p: p.stat().st_mtime)
    raw = newest.read_text(encoding="utf-8")
    match = re.search(re.escape(server) + r"(/login/verify\?\S+)", raw)
    assert match, raw
    return match.group(1)


def _text_part(message: object) -> str:
    for part in message.walk():  # type: ignore[attr-defined]
        if part.get_content_type() == "text/plain":
            return str(part.get_payload(decode=True).decode(part.get_content_charset() or "utf-8"))
    raise AssertionError("no text/plain part")


def _link(message: object, server: str, kind: str) -> str:
    match = re.search(re.escape(server) + r"(/digest/" + kind + r"/\S+)", _text_part(message))
    assert match, _text_part(message)
    return match.group(1)


def test_subscriber_journey(page: object, server: str, inbox: Inbox, sample_app: Paperfeed) -> None:
    """Subscribe from the header, confirm from the mail, get a digest, unsubscribe with one click."""
    from datetime import date

    from playwright.sync_api import Page, expect

    from paperfeed.digest.sender import send_digests

    assert isinstance(page, Page)
    sample_app.settings.smtp_host = "127.0.0.1"  # this journey reads its mail from a real SMTP server
    sample_app.settings.smtp_port = inbox.port  # type: ignore[attr-defined]

    # The header's form, on any page; HTMX answers in place.
    page.goto(server + "/trending")
    page.fill("#subscribe-email", "subscriber@example.org")
    page.click("form.subscribe button")
    expect(page.locator(".subscribe-status")).to_contain_text("confirmation link is on its way")
    keep(page, "subscribed.png", full_page=False)

    # The confirmation mail's link opens a page; only its button confirms.
    confirmation = inbox.wait(1)
    assert confirmation["Subject"] == "Confirm your paperfeed digest subscription"
    page.goto(server + _link(confirmation, server, "confirm"))
    (pending,) = sample_app.store.subscriptions.for_email("subscriber@example.org")
    assert pending.status == "pending"
    page.click("form[action^='/digest/confirm/'] button")
    expect(page.locator("p.notice")).to_contain_text("Confirmed")
    page.fill("input[name=categories]", "cs.CL")
    page.click("form.subscription button[value=save]")
    expect(page.locator("p.notice")).to_contain_text("Saved")
    assert_accessible(page)
    keep(page, "manage.png")

    # The operator's send, `paperfeed digest send --period 2026-02-20` run as its own command without
    # PAPERFEED_BASE_URL: its links point where the server was started (recorded in the store).
    env = {
        "PAPERFEED_DATA_DIR": str(sample_app.settings.data_dir),
        "PAPERFEED_BASE_URL": None,
        "PAPERFEED_SMTP_HOST": "127.0.0.1",
        "PAPERFEED_SMTP_PORT": str(inbox.port),  # type: ignore[attr-defined]
        "PAPERFEED_EMBED_AFTER_INGEST": "0",
    }
    if sample_app.settings.database_url:
        env["PAPERFEED_DATABASE_URL"] = sample_app.settings.database_url
    sent = CliRunner().invoke(cli, ["digest", "send", "--period", "2026-02-20", "--json"], env=env)
    assert sent.exit_code == 0, sent.output
    assert json.loads(sent.stdout)["sent"] == 1 and "a guess" not in sent.stderr
    digest = inbox.wait(2)
    assert server in digest["List-Unsubscribe"] and ":8000" not in _text_part(digest)
    assert digest["List-Unsubscribe"]
    page.goto(server + _link(digest, server, "view"))
    expect(page.locator("h1")).to_contain_text("paperfeed daily digest")
    expect(page.locator("body")).to_contain_text("new in cs.CL")
    assert_accessible(page)
    keep(page, "digest.png")

    # One click to leave, no sign-in.
    page.goto(server + _link(digest, server, "unsubscribe"))
    page.click("form[action^='/digest/unsubscribe/'] button")
    expect(page.locator("h1")).to_have_text("Unsubscribed")
    assert_accessible(page)
    keep(page, "unsubscribed.png", full_page=False)
    assert sample_app.store.subscriptions.get(pending.id).status == "unsubscribed"  # type: ignore[union-attr]
    assert send_digests(sample_app, day=date(2026, 2, 19)).total("sent") == 0
    assert len(inbox.messages) == 2

    hosts = {re.sub(r"^(\w+://[^/]+).*", r"\1", url) for url in page.requests}  # type: ignore[attr-defined]
    assert hosts == {server}, hosts
