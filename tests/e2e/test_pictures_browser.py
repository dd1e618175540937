"""Trends and the paper map in real headless Chromium, on the demo corpus (issue 19).

A real uvicorn server on loopback serves the session's demo data dir (read only). The trends page
must draw one line per query and open a period's search when a point is clicked; the map must draw
its papers and open a paper when a dot is clicked. No request may leave the app's host. Screenshots
go to ``$SCREENSHOT_DIR`` when that is set (:mod:`tests.e2e.screenshots`).
"""

from __future__ import annotations

import re
import shutil
from collections.abc import Iterator

import pytest

from paperfeed.context import Paperfeed
from tests.e2e.screenshots import keep
from tests.test_web_api_auth import free_port
from tests.web_support import serving, web_app

CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which(CHROMIUM) is None, reason="needs Debian's chromium package"),
]


@pytest.fixture
def server(demo_app: Paperfeed) -> Iterator[str]:
    port = free_port()
    demo_app.settings.base_url = f"http://127.0.0.1:{port}"
    with serving(web_app(demo_app, indexer=False, scheduler=False), port) as url:
        yield url


@pytest.fixture
def browser_page(server: str) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"],
        )
        context = browser.new_context(viewport={"width": 1100, "height": 900})
        page = context.new_page()
        page.requests = []  # type: ignore[attr-defined]
        page.on("request", lambda r: page.requests.append(r.url))  # type: ignore[attr-defined]
        yield page
        context.close()
        browser.close()


def test_trends_compares_two_queries_and_opens_a_period(browser_page: object, server: str) -> None:
    from playwright.sync_api import Page, expect

    page = browser_page
    assert isinstance(page, Page)
    page.goto(server + "/trends?q=diffusion&q=agent")
    chart = page.locator("svg.line-chart")
    expect(chart).to_be_visible()
    assert chart.locator("g.series").count() == 2
    assert chart.locator("g.series[data-series='diffusion'] circle.dot").count() == 7  # weeks 2 to 8
    assert chart.locator("g.series[data-series='agent'] line.stroke").count() == 6
    # the lines are drawn where they should be: agent (about 1,150 papers) above diffusion (about 260)
    agent_y = chart.locator("g.series[data-series='agent'] circle.dot").nth(3).bounding_box()
    diffusion_y = chart.locator("g.series[data-series='diffusion'] circle.dot").nth(3).bounding_box()
    assert agent_y is not None and diffusion_y is not None and agent_y["y"] < diffusion_y["y"]
    label = chart.get_attribute("aria-label") or ""
    assert "diffusion: " in label and "agent: " in label
    keep(page, "trends.png")
    # hover says the value; a click opens that week's search
    point = chart.locator("g.series[data-series='diffusion'] a.point").nth(6)
    assert re.fullmatch(
        r"diffusion · 2026-W08: \d+ papers \(.+ of [\d,]+\)", point.locator("title").text_content() or ""
    )
    point.locator("circle.hit").click()
    expect(page).to_have_url(re.compile(r"/search\?q=diffusion&since=2026-02-16&until=2026-02-22"))
    expect(page.locator("#results li.paper").first).to_be_visible()
    # the table under the chart, for screen readers and copying
    page.go_back()
    page.locator("details.chart-table summary").click()
    expect(page.locator("details.chart-table table th[scope=row]").first).to_have_text("2026-W02")
    assert all(url.startswith(server) for url in page.requests)  # type: ignore[attr-defined]


def test_the_map_draws_the_papers_and_opens_one(browser_page: object, server: str) -> None:
    from playwright.sync_api import Page, expect

    page = browser_page
    assert isinstance(page, Page)
    page.goto(server + "/map?q=agent")
    drawing = page.locator("svg.paper-map")
    expect(drawing).to_be_visible(timeout=120_000)  # the page reloads itself until the map is drawn
    dots = drawing.locator("a.dot")
    assert dots.count() >= 100
    assert drawing.locator("text.cluster-label").count() >= 5
    box = drawing.bounding_box()
    assert box is not None and box["width"] > 600 and box["height"] > 280
    inside = 0
    for i in range(0, dots.count(), 97):
        dot = dots.nth(i).locator("circle.fill").bounding_box()
        assert dot is not None
        inside += (
            box["x"] <= dot["x"] <= box["x"] + box["width"]
            and box["y"] <= dot["y"] <= box["y"] + box["height"]
        )
    assert inside == len(range(0, dots.count(), 97))
    keep(page, "map.png")
    target = dots.last  # drawn last, so no other dot lies over it
    title = target.locator("title").text_content() or ""
    href = target.get_attribute("href")
    assert href and href.startswith("/papers/")
    target.locator("circle.fill").click(force=True)  # a label may lie over the dot: the click is the dot's
    expect(page).to_have_url(server + href)
    expect(page.locator("article h1")).to_be_visible()
    assert title.split(" (")[0][:20] in (
        page.locator("title").inner_text() + page.locator("article h1").inner_text()
    )
    assert all(url.startswith(server) for url in page.requests)  # type: ignore[attr-defined]
