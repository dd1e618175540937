"""Route tests of the HTML pages against a real SQLite store with the 300 sample records."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from paperfeed.context import Paperfeed
from paperfeed.records import PaperRecord
from tests.web_support import recorded_fetcher, sign_in, web_app


@pytest.fixture
def indexed_app(sample_app: Paperfeed) -> Paperfeed:
    from paperfeed.search.indexer import catch_up

    catch_up(sample_app, embed=False)
    return sample_app


@pytest.fixture
def client(indexed_app: Paperfeed) -> Iterator[TestClient]:
    with TestClient(web_app(indexed_app, arxiv_fetcher=recorded_fetcher)) as c:
        yield c


def test_home_opens_on_latest_day_with_its_new_papers(client: TestClient) -> None:
    page = client.get("/")
    assert page.status_code == 200
    assert "Friday, February 20, 2026" in page.text
    assert "Nothing is featured on this day yet" in page.text
    assert "Unifying approach to uniform expressivity of graph neural networks" in page.text
    assert '<span class="badge">new</span>' in page.text
    assert 'href="/daily/2026-02-19" rel="prev"' in page.text


def test_daily_navigation_and_pagination(client: TestClient) -> None:
    first = client.get("/daily/2026-02-19?tab=new")
    second = client.get("/daily/2026-02-19?tab=new&page=2")
    assert first.status_code == second.status_code == 200
    assert 'rel="next"' in first.text and "/daily/2026-02-20" in first.text
    titles = lambda html: {line for line in html.splitlines() if 'href="/papers/' in line}  # noqa: E731
    assert titles(first.text).isdisjoint(titles(second.text))
    assert (
        client.get("/daily?date=2026-02-18", follow_redirects=False).headers["location"]
        == "/daily/2026-02-18"
    )


def test_empty_day_says_so_and_bad_dates_are_422(client: TestClient) -> None:
    empty = client.get("/daily/2020-01-01")
    assert empty.status_code == 200 and "No new papers" in empty.text
    bad = client.get("/daily/2026-02-31")
    assert bad.status_code == 422 and "day" in bad.text
    assert client.get("/daily/2026-02-19?page=0").status_code == 422
    assert client.get("/trending?window=year").status_code == 422


def test_paper_page_has_citation_meta_links_and_bibtex(client: TestClient) -> None:
    page = client.get("/papers/2602.18409")
    assert page.status_code == 200
    assert '<meta name="citation_title" content="Unifying approach' in page.text
    assert '<meta name="citation_author" content="Huan Luo">' in page.text
    assert '<meta name="citation_pdf_url" content="https://arxiv.org/pdf/2602.18409">' in page.text
    assert 'href="/authors/Jonni%20Virtema"' in page.text
    assert "eprint = {2602.18409}" in page.text
    bib = client.get("/papers/2602.18409.bib")
    assert bib.text.startswith("@misc{luo2026unifying,")


def test_paper_ids_versions_and_unknown(client: TestClient) -> None:
    moved = client.get("/papers/2602.18409v1", follow_redirects=False)
    assert moved.status_code == 301 and moved.headers["location"] == "/papers/2602.18409"
    assert client.get("/papers/2601.99999").status_code == 404
    assert client.get("/papers/not-an-id").status_code == 404
    assert client.get("/papers/2601.99999.bib").status_code == 404


def test_paper_text_is_escaped(indexed_app: Paperfeed, client: TestClient) -> None:
    evil = PaperRecord(
        paper_id="2602.99999",
        title="<script>alert(1)</script> & $x<y$",
        abstract="We show <b>bold</b> claims & $\\alpha < \\beta$.",
        authors=["<img src=x onerror=alert(2)>"],
        categories=["cs.AI"],
    )
    indexed_app.store.papers.write_batch([evil])
    page = client.get("/papers/2602.99999")
    assert page.status_code == 200
    assert "<script>alert(1)" not in page.text and "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in page.text
    assert "<img src=x" not in page.text and "<b>bold</b>" not in page.text
    assert "$\\alpha &lt; \\beta$" in page.text  # LaTeX kept for KaTeX, escaped for HTML


def test_search_page_and_htmx_fragment(client: TestClient) -> None:
    page = client.get("/search", params={"q": "graph neural"})
    assert page.status_code == 200 and "<mark>" in page.text and "<html" in page.text
    fragment = client.get("/search", params={"q": "graph neural"}, headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and "<mark>" in fragment.text
    nothing = client.get("/search", params={"q": "zzzyqx"})
    assert "No papers match" in nothing.text
    assert client.get("/search", params={"q": "x", "category": "not a cat"}).status_code == 422
    bib = client.get("/search.bib", params={"q": "graph neural"})
    assert bib.status_code == 200 and bib.text.count("@misc{") >= 5


def test_a_search_past_the_count_cap_says_more_than(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from paperfeed.search import lexical

    monkeypatch.setattr(lexical, "COUNT_CAP", 5)
    page = client.get("/search", params={"q": "graph", "mode": "keyword"})
    assert page.status_code == 200 and "more than 5 results" in page.text
    api = client.get("/api/v1/search", params={"q": "graph"}).json()
    if api["mode"] == "keyword":
        assert (api["total"], api["total_exact"]) == (5, False)
    exact = client.get("/api/v1/search", params={"q": "graph", "category": "cs.LO"}).json()
    assert exact["total_exact"] is True


def test_author_and_category_pages(client: TestClient) -> None:
    author = client.get("/authors/Huan Luo")
    assert author.status_code == 200 and "Unifying approach" in author.text
    category = client.get("/categories/cs.LO")
    assert category.status_code == 200 and "Unifying approach" in category.text
    assert client.get("/categories/<x>").status_code == 404


def test_vote_is_idempotent_and_needs_csrf(indexed_app: Paperfeed, client: TestClient) -> None:
    _, csrf = sign_in(client, indexed_app, "reader@example.org")
    form = {"paper_id": "2602.18409", "undo": "0", "csrf_token": csrf}
    assert client.post("/vote", data=form | {"csrf_token": "wrong"}).status_code == 403
    for _ in range(3):
        answer = client.post("/vote", data=form, headers={"HX-Request": "true"})
        assert answer.status_code == 200
    assert '<span class="count">1</span>' in answer.text and 'aria-pressed="true"' in answer.text
    trending = client.get("/trending")
    assert "Unifying approach" in trending.text
    undone = client.post("/vote", data=form | {"undo": "1"}, headers={"HX-Request": "true"})
    assert '<span class="count">0</span>' in undone.text
    assert client.post("/vote", data=form | {"paper_id": "2601.99999"}).status_code == 404


def test_submit_features_paper_once_and_fetches_missing(indexed_app: Paperfeed, client: TestClient) -> None:
    _, csrf = sign_in(client, indexed_app, "member@example.org")
    first = client.post("/submit", data={"paper": "https://arxiv.org/abs/2602.18409v1", "csrf_token": csrf})
    assert first.status_code == 200 and "Featured on" in first.text
    again = client.post("/submit", data={"paper": "2602.18409", "csrf_token": csrf})
    assert "Already featured" in again.text
    home = client.get("/")
    assert "submitted" in home.text and "Unifying approach" in home.text
    fetched = client.post("/submit", data={"paper": "1707.08567", "csrf_token": csrf})
    assert fetched.status_code == 200 and "Featured on" in fetched.text
    assert indexed_app.store.papers.get("1707.08567") is not None
    bad = client.post("/submit", data={"paper": "not an id", "csrf_token": csrf})
    assert bad.status_code == 422 and "not an arXiv id" in bad.text
    missing = client.post("/submit", data={"paper": "2601.00001", "csrf_token": csrf})
    assert missing.status_code == 422 and "arXiv has no paper 2601.00001" in missing.text


def test_submit_requires_sign_in(client: TestClient) -> None:
    page = client.get("/submit").text
    assert "Sign in" in page
    token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    assert client.post("/submit", data={"paper": "2602.18409", "csrf_token": token}).status_code == 401


def test_curators_feature_and_hide_members_cannot(indexed_app: Paperfeed, client: TestClient) -> None:
    _, csrf = sign_in(client, indexed_app, "member2@example.org")
    form = {"day": "2026-02-19", "paper_id": "2602.18409", "action": "feature", "csrf_token": csrf}
    assert client.post("/curate", data=form).status_code == 403
    _, csrf = sign_in(client, indexed_app, "curator@example.org", role="curator")
    assert client.post("/curate", data=form | {"csrf_token": csrf}, follow_redirects=False).status_code == 303
    day = client.get("/daily/2026-02-19")
    assert "curator&#39;s pick" in day.text and "Unifying approach" in day.text
    client.post("/curate", data=form | {"csrf_token": csrf, "action": "hide"})
    assert "Nothing is featured on this day yet" in client.get("/daily/2026-02-19").text


def test_feeds_are_valid_xml(client: TestClient) -> None:
    from xml.etree import ElementTree as ET

    for url in (
        "/feeds/daily.xml",
        "/feeds/daily.atom",
        "/feeds/trending.xml",
        "/feeds/categories/cs.LG.atom",
        "/feeds/search.xml?q=graph",
        "/feeds/search.atom?q=graph",
    ):
        answer = client.get(url)
        assert answer.status_code == 200, url
        root = ET.fromstring(answer.content)
        assert root.tag in ("rss", "{http://www.w3.org/2005/Atom}feed")
    rss = ET.fromstring(client.get("/feeds/daily.xml").content)
    assert len(rss.findall("./channel/item")) == 50
    assert client.get("/feeds/daily.json").status_code == 422


def test_pages_load_only_local_assets(client: TestClient) -> None:
    import re

    for url in ("/", "/papers/2602.18409", "/search?q=graph", "/trending", "/login", "/docs"):
        html = client.get(url).text
        for ref in re.findall(r'(?:src|href)="([^"]+)"', html):
            if ref.startswith("http"):
                assert "arxiv.org" in ref or "github" in ref, (url, ref)  # links out, never assets
            else:
                assert ref.startswith(("/", "#")), (url, ref)
    for asset in (
        "/static/vendor/htmx/htmx.min.js",
        "/static/vendor/katex/katex.min.js",
        "/static/vendor/katex/fonts/KaTeX_Main-Regular.woff2",
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
    ):
        assert client.get(asset).status_code == 200, asset
    assert "default-src 'self'" in client.get("/").headers["content-security-policy"]
