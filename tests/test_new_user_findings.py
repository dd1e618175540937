"""What a new user found (issue 18, items 4-6), each checked where it is decided: the follow state
and unfollow on an author's page, what "Not interested" says on For you, the drivers panel near the
top of For you, a collapsible header on phones, flags shown as flags in CLI help, the CLI saying
when a query was cut, maths in a browser tab, and a favicon for pages without an icon link."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from paperfeed.cli import app as cli
from paperfeed.context import Paperfeed
from paperfeed.library import collections, follows
from paperfeed.records import PaperRecord
from paperfeed.search.finder import MAX_QUERY_CHARS
from tests.web_support import sign_in, web_app

MATH_TITLE = PaperRecord(
    paper_id="2602.99970",
    title="R$^3$L: Reflect, Retry and Reinforce with $\\alpha$-Nets",
    abstract="An abstract.",
    authors=["Ada Lovelace"],
    categories=["cs.LG"],
    published=datetime(2026, 2, 19, 12, tzinfo=UTC),
)


@pytest.fixture
def client(sample_app: Paperfeed) -> Iterator[TestClient]:
    sample_app.clock.set(datetime(2026, 2, 21, 12, 0))  # type: ignore[attr-defined]
    with TestClient(web_app(sample_app, indexer=False)) as c:
        yield c


def test_an_author_page_shows_the_follow_and_unfollows(client: TestClient, sample_app: Paperfeed) -> None:
    user, token = sign_in(client, sample_app, "reader@example.org")
    page = client.get("/authors/Joseph%20Bingham").text
    assert "Follow this author" in page and "You follow this author" not in page
    client.post(
        "/follows",
        data={
            "kind": "author",
            "value": "Joseph Bingham",
            "next": "/authors/Joseph%20Bingham",
            "csrf_token": token,
        },
    )
    page = client.get("/authors/Joseph%20Bingham").text
    assert "You follow this author" in page and "Follow this author" not in page
    (followed,) = follows.follows_of(sample_app, user)
    left = client.post(
        f"/follows/{followed.id}/delete",
        data={"next": "/authors/Joseph%20Bingham", "csrf_token": token},
        follow_redirects=False,
    )
    assert left.status_code == 303 and left.headers["location"] == "/authors/Joseph%20Bingham"
    assert follows.follows_of(sample_app, user) == []
    assert "Follow this author" in client.get("/authors/Joseph%20Bingham").text
    unsafe = client.post(
        f"/follows/{followed.id}/delete", data={"next": "//evil.example", "csrf_token": token}
    )
    assert unsafe.status_code == 404  # already gone; and a foreign next would have gone to "/"


def test_not_interested_on_for_you_says_what_it_does(client: TestClient, sample_app: Paperfeed) -> None:
    user, token = sign_in(client, sample_app, "reader@example.org")
    collections.save(sample_app, user, "2602.18201")
    page = client.get("/for-you").text
    first = page.split('id="picks"', 1)[1].split('href="/papers/', 1)[1].split('"', 1)[0]
    answer = client.post(
        "/library/feedback",
        data={"paper_id": first, "kind": "not_interested"},
        headers={"HX-Request": "true", "X-CSRF-Token": token},
    )
    assert "Hidden from your follows feed" not in answer.text
    assert "Not shown to you again in For you or your follows feed" in answer.text


def test_the_drivers_panel_comes_before_the_list(client: TestClient, sample_app: Paperfeed) -> None:
    user, _ = sign_in(client, sample_app, "reader@example.org")
    collections.save(sample_app, user, "2602.18201")
    page = client.get("/for-you").text
    assert page.index('id="drivers"') < page.index('id="picks"')
    assert "sources on" in page.split('id="drivers"', 1)[1].split("</summary>", 1)[0]
    assert (
        "<details" in page.split('id="drivers"', 1)[0][-200:]
        and " open" not in page.split('id="drivers"', 1)[1][:20]
    )
    opened = client.get("/for-you?drivers=1").text
    assert 'id="drivers" open' in opened


def test_the_header_has_a_menu_button_for_phones(client: TestClient, sample_app: Paperfeed) -> None:
    sign_in(client, sample_app, "reader@example.org")
    page = client.get("/").text
    assert 'class="menu-toggle' in page and 'aria-controls="site-menu"' in page and 'id="site-menu"' in page


def test_cli_help_shows_flags_as_flags() -> None:
    runner = CliRunner()
    for command in (
        ["search", "--help"],
        ["serve", "--help"],
        ["digest", "send", "--help"],
        ["ingest", "file", "--help"],
    ):
        result = runner.invoke(cli, command, env={"COLUMNS": "120"})
        assert result.exit_code == 0, result.output
        assert "<bool>" not in result.output, command
        assert "--json" in result.output or command[0] == "serve"
    assert (
        "<int range>" in runner.invoke(cli, ["search", "--help"], env={"COLUMNS": "120"}).output
    )  # values keep types


def test_cli_search_says_when_the_query_was_cut(sample_app: Paperfeed) -> None:
    runner = CliRunner()
    long_query = "graph neural networks " * (MAX_QUERY_CHARS // 20)
    assert len(long_query) > MAX_QUERY_CHARS
    data = ["--data-dir", str(sample_app.settings.data_dir)]
    result = runner.invoke(
        cli, [*data, "search", long_query, "--limit", "3"], env={"PAPERFEED_EMBED_AFTER_INGEST": "0"}
    )
    assert result.exit_code == 0, result.output
    assert f"only its first {MAX_QUERY_CHARS:,}" in result.stderr
    as_json = runner.invoke(
        cli, [*data, "search", long_query, "--json"], env={"PAPERFEED_EMBED_AFTER_INGEST": "0"}
    )
    assert f"only its first {MAX_QUERY_CHARS:,}" in json.loads(as_json.stdout)["notice"]
    short = runner.invoke(cli, [*data, "search", "graph neural"])
    assert "only its first" not in short.stderr


def test_a_tab_shows_maths_as_text_and_every_page_has_an_icon(
    client: TestClient, sample_app: Paperfeed
) -> None:
    sample_app.store.papers.write_batch([MATH_TITLE])
    page = client.get("/papers/2602.99970").text
    title = page.split("<title>", 1)[1].split("</title>", 1)[0]
    assert title.startswith("R³L: Reflect, Retry and Reinforce with α-Nets"), title
    icon = client.get("/favicon.ico")
    assert icon.status_code == 200 and icon.headers["content-type"].startswith("image/svg+xml")
