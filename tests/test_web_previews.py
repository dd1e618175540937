"""Link previews (OpenGraph and Twitter-card tags) on paper, collection, daily and search pages, and
the public collections that include a paper on its page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from html.parser import HTMLParser

import pytest
from fastapi.testclient import TestClient

from paperfeed.accounts import ensure_user
from paperfeed.context import Paperfeed
from paperfeed.library.collections import create_collection, save
from paperfeed.records import PaperRecord, finalize
from tests.web_support import web_app

PAPER = "2602.18409"


class Meta(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.tags: dict[str, list[str]] = {}

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "meta":
            found = dict(attrs)
            key = found.get("property") or found.get("name")
            if key and found.get("content") is not None:
                self.tags.setdefault(key, []).append(str(found["content"]))


def meta(html: str) -> dict[str, list[str]]:
    parser = Meta()
    parser.feed(html)
    return parser.tags


@pytest.fixture
def client(sample_app: Paperfeed) -> Iterator[TestClient]:
    with TestClient(web_app(sample_app, indexer=False)) as c:
        yield c


def test_paper_page_preview_has_title_authors_excerpt_and_site(
    client: TestClient, sample_app: Paperfeed
) -> None:
    paper = sample_app.store.papers.get(PAPER)
    assert paper is not None
    tags = meta(client.get(f"/papers/{PAPER}").text)
    assert tags["og:site_name"] == ["paperfeed"] and tags["og:type"] == ["article"]
    assert tags["og:title"] == [paper.title] and tags["twitter:title"] == [paper.title]
    assert tags["og:url"] == [f"{sample_app.settings.base_url}/papers/{PAPER}"]
    assert tags["article:author"] == paper.authors[:20]
    description = tags["og:description"][0]
    assert description.startswith(f"By {paper.authors[0]}") and len(description) <= 301
    assert paper.abstract[:60] in description
    assert tags["twitter:card"] == ["summary"] and tags["twitter:description"] == [description]


@pytest.mark.parametrize("url", ["/daily/2026-02-20", "/search?q=graph+neural", "/weekly/2026-W08"])
def test_list_pages_have_previews(client: TestClient, url: str) -> None:
    tags = meta(client.get(url).text)
    assert tags["og:site_name"] == ["paperfeed"] and tags["og:title"][0] and tags["og:description"][0]
    assert tags["og:url"][0].startswith("http://127.0.0.1:8000/") and tags["twitter:card"] == ["summary"]


def test_hostile_titles_stay_text_in_previews(client: TestClient, sample_app: Paperfeed) -> None:
    sample_app.store.papers.write_batch(
        [
            finalize(
                PaperRecord(
                    paper_id="2602.66666",
                    title='"><script>alert(1)</script> $x^2$ \\textbf{Bold}',
                    abstract="An abstract with <b>tags</b> & quotes \" '.",
                    authors=['Eve "><img src=x>'],
                    categories=["cs.AI"],
                )
            )
        ]
    )
    html = client.get("/papers/2602.66666").text
    head = html.split("</head>", 1)[0]
    assert "<script>alert" not in head and "<img src=x>" not in head
    tags = meta(html)
    assert tags["og:title"] == [
        '"><script>alert(1)</script> x² Bold'
    ]  # LaTeX converted, maths flattened (nothing typesets a preview), still text
    assert tags["article:author"] == ['Eve "><img src=x>']


def test_public_collections_including_the_paper_are_on_its_page(
    client: TestClient, sample_app: Paperfeed
) -> None:
    ada = ensure_user(sample_app, "ada@example.org")
    bob = ensure_user(sample_app, "bob@example.org")
    reading = create_collection(
        sample_app, ada, "GNN reading group", visibility="public", description="Week 8"
    )
    private = create_collection(sample_app, bob, "My secret list")
    other = create_collection(sample_app, bob, "Expressivity", visibility="public")
    for collection, user in ((reading, ada), (private, bob), (other, bob)):
        save(sample_app, user, PAPER, collection=collection.id)
    save(sample_app, bob, "2602.18262", collection=other.id)
    page = client.get(f"/papers/{PAPER}").text
    section = page.split('id="collections"', 1)[1].split("</ul>", 1)[0]
    links = re.findall(r'<a href="(/library/[^"]+)">([^<]+)</a>', section)
    assert links == [
        (f"/library/{other.ref}", "Expressivity"),
        (f"/library/{reading.ref}", "GNN reading group"),
    ]
    assert "My secret list" not in page and "(2 papers)" in section and "(1 paper)" in section
    collection_tags = meta(client.get(f"/library/{reading.ref}").text)
    assert collection_tags["og:title"] == ["GNN reading group"] and collection_tags["og:description"] == [
        "Week 8"
    ]
    lonely = client.get("/papers/2602.18262").text
    assert 'id="collections"' in lonely and "GNN reading group" not in lonely
