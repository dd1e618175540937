"""The pages a new reader meets in the first ten minutes (issue 11): long queries, the day picker,
empty and future days, the tabs, author and archive pages, sign-in links that come back, search
paging words and the address bar, LaTeX text markup."""

from __future__ import annotations

import re
from collections.abc import Iterator
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from paperfeed.accounts import create_session, ensure_user
from paperfeed.context import Paperfeed
from paperfeed.records import PaperRecord
from paperfeed.web.security import SESSION_COOKIE
from tests.web_support import recorded_fetcher, web_app


@pytest.fixture
def client(sample_app: Paperfeed) -> Iterator[TestClient]:
    with TestClient(web_app(sample_app, arxiv_fetcher=recorded_fetcher)) as c:
        yield c


def notices(html: str) -> list[str]:
    return re.findall(r'<p class="notice[^"]*">(.*?)</p>', html, flags=re.S)


def test_long_queries_are_cut_and_the_page_says_so(client: TestClient) -> None:
    medium = client.get("/search", params={"q": "graph " * 100})  # 600 characters
    assert medium.status_code == 200 and "<mark>" in medium.text
    long = client.get("/search", params={"q": "graph " + "x" * 6000})
    assert long.status_code == 200
    assert "only its first 5,000 were searched" in long.text
    api = client.get("/api/v1/search", params={"q": "graph " + "x" * 6000})
    assert api.status_code == 200 and any("5,000" in n for n in api.json()["notices"])


def test_daily_without_a_date_opens_the_latest_day(client: TestClient) -> None:
    for url in ("/daily", "/daily?date=", "/daily?date=%20"):
        moved = client.get(url, follow_redirects=False)
        assert moved.status_code == 303 and moved.headers["location"] == "/daily/2026-02-20", url
    assert (
        client.get("/daily?date=2026-02-18", follow_redirects=False).headers["location"]
        == "/daily/2026-02-18"
    )


def test_an_empty_or_future_day_has_one_notice(client: TestClient) -> None:
    past = notices(client.get("/daily/2020-01-01").text)
    assert len(past) == 1 and "No new papers" in past[0] and "nothing is featured" in past[0]
    future = notices(client.get("/daily/2099-01-01").text)
    assert len(future) == 1 and "not come yet" in future[0]
    assert "Go to the latest day" in client.get("/daily/2099-01-01").text


def test_the_tab_that_is_shown_is_the_one_selected(client: TestClient) -> None:
    page = client.get("/daily/2026-02-19").text  # nothing featured: its new papers are shown
    selected = re.findall(r'<a href="[^"]*" aria-current="page">([^<]*)</a>', page)
    assert any(s.startswith("All new papers") for s in selected)
    assert not any(s.startswith("Featured") for s in selected)


def test_an_empty_author_name_is_not_every_paper(client: TestClient) -> None:
    assert client.get("/authors/").status_code == 404
    assert client.get("/authors/%20").status_code == 404
    by_part = client.get("/authors/virtema")
    assert by_part.status_code == 200 and "Unifying approach" in by_part.text


def test_an_archive_lists_its_categories(client: TestClient) -> None:
    page = client.get("/categories/cs")
    assert page.status_code == 200 and "No papers here" not in page.text
    assert page.text.count('<li class="paper">') == 25
    feed = ET.fromstring(client.get("/feeds/categories/cs.xml").content)
    assert len(feed.findall("./channel/item")) == 50
    api = client.get("/api/v1/papers", params={"category": "cs", "limit": 5}).json()["items"]
    assert all(any(c.startswith("cs.") for c in p["categories"]) for p in api) and len(api) == 5


def test_sign_in_to_upvote_comes_back_to_the_page(client: TestClient) -> None:
    paper = client.get("/papers/2602.18409").text
    assert 'href="/login?next=/papers/2602.18409" title="Sign in to upvote"' in paper
    search = client.get("/search", params={"q": "graph"}).text
    assert 'href="/login?next=/search%3Fq%3Dgraph" title="Sign in to upvote"' in search
    fragment = client.get(
        "/papers/2602.18409/similar",
        headers={"HX-Request": "true", "HX-Current-URL": "http://testserver/papers/2602.18409"},
    ).text
    assert "next=/papers/2602.18409" in fragment and "/similar" not in fragment.split("next=")[1][:40]


def test_search_pages_say_next_and_keep_the_query_in_the_address(client: TestClient) -> None:
    page = client.get("/search", params={"q": "learning"}).text
    assert 'rel="next">Next →</a>' in page and "Older" not in page
    assert 'placeholder="any"' in page
    typed = client.get("/search", params={"q": "graph neural"}, headers={"HX-Request": "true"})
    assert typed.headers["hx-push-url"] == "/search?q=graph+neural"
    assert 'rel="next">Older →</a>' in client.get("/daily/2026-02-19?tab=new").text  # dates: older


def test_latex_text_markup_is_rendered(sample_app: Paperfeed, client: TestClient) -> None:
    record = PaperRecord(
        paper_id="2602.99990",
        title=r"\textbf{D}ynamic ``Routing'' for 5\% of Schr\"odinger's $\alpha$-nets",
        abstract=r"We improve accuracy from 5\% to 52\% with \emph{no} extra cost; see $x_1 < y$ and \textit{ours}.",
        authors=["A. Author"],
        categories=["cs.LG"],
    )
    sample_app.store.papers.write_batch([record])
    page = client.get("/papers/2602.99990").text
    assert "<b>D</b>ynamic “Routing” for 5% of Schrödinger" in page
    assert "from 5% to 52% with <i>no</i> extra cost" in page
    assert "$x_1 &lt; y$" in page and "$\\alpha$-nets" in page  # math left for KaTeX
    assert "\\textbf" not in page.split("<article>")[1].split("<pre")[0]
    assert "<title>Dynamic “Routing” for 5% of Schrödinger" in page  # plain text where no markup goes


def test_the_submit_form_says_it_may_wait(sample_app: Paperfeed, client: TestClient) -> None:
    user = ensure_user(sample_app, "m@example.org")
    client.cookies.set(SESSION_COOKIE, create_session(sample_app, user))
    page = client.get("/submit").text
    assert 'data-busy="Looking the paper up' in page and "up to 10 seconds" in page
    assert "huggingface.co/papers" in page


def test_author_pages_are_paged_newest_first_by_the_index_however_many_match(
    sample_app: Paperfeed, client: TestClient
) -> None:
    from dataclasses import replace
    from datetime import UTC, datetime

    from paperfeed.community.actions import list_papers
    from paperfeed.search.index_updates import update_lexical

    original = sample_app.store.papers.get("2602.18409")
    assert original is not None
    days = [datetime(2026, 3, day, 12, tzinfo=UTC) for day in (2, 9, 5)]
    written = [
        replace(
            original,
            paper_id=f"2699.0000{n}",
            title=f"Quuxwork {n}",
            authors=["Zed Quuxley", "Another Person"],
            versions=[],
            published=day,
            updated=day,
        )
        for n, day in enumerate(days, start=1)
    ]
    sample_app.store.papers.write_batch(written)
    update_lexical(sample_app)
    first, more = list_papers(sample_app, None, author="quuxley", limit=2)
    assert [p.paper.paper_id for p in first] == ["2699.00002", "2699.00003"] and more
    rest, more = list_papers(sample_app, None, author="quuxley", limit=2, offset=2)
    assert [p.paper.paper_id for p in rest] == ["2699.00001"] and not more
    # A part of many names (every paper here has an author called something-"Person" or not) is a
    # page, never an error: the index orders by date, only the page's documents are read.
    page = client.get("/authors/a")
    assert page.status_code == 200
