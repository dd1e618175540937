"""The discussion under a paper: threads, the safe Markdown subset, edit/delete, moderation, the
rate limit, counts on listings and in the Papers API, /api/v1, the Atom feed, the Markdown export
and reply notices through the real console mail backend (its outbox files)."""

from __future__ import annotations

import email
import email.policy
import re
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from fastapi.testclient import TestClient

from paperfeed.accounts import create_api_token, ensure_user, set_handle
from paperfeed.context import Paperfeed
from paperfeed.discussion import comments as discussion
from paperfeed.discussion.markup import plain_text, render
from paperfeed.errors import Forbidden, InvalidInput, NotFound, RateLimited, SignInRequired
from paperfeed.store import Window
from paperfeed.web.security import SESSION_COOKIE
from tests.web_support import sign_in, web_app

ATOM = "{http://www.w3.org/2005/Atom}"


@pytest.fixture
def paper_id(sample_app: Paperfeed) -> str:
    ids = sample_app.store.papers.window_ids(
        Window(since=datetime(2026, 2, 20), until=datetime(2026, 2, 21)), limit=5
    )
    return ids[0]


@pytest.fixture
def client(sample_app: Paperfeed) -> Iterator[TestClient]:
    with TestClient(web_app(sample_app, indexer=False)) as c:
        yield c


def outbox(app: Paperfeed) -> list[email.message.EmailMessage]:
    folder = Path(app.settings.data_dir) / "outbox"
    return [
        email.message_from_bytes(path.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for path in sorted(folder.glob("*.eml"))
    ]


# ------------------------------------------------------------------------------ the Markdown subset
def test_markup_is_a_safe_subset_with_maths_left_for_katex() -> None:
    html = str(render("**bold** *it* `a<b` $a_1 * b_2 < c$ see https://example.org/x?a=1&b=2."))
    assert "<strong>bold</strong>" in html and "<em>it</em>" in html and "<code>a&lt;b</code>" in html
    assert "$a_1 * b_2 &lt; c$" in html  # maths untouched by emphasis, escaped
    assert '<a href="https://example.org/x?a=1&amp;b=2" rel="nofollow ugc noopener">' in html
    assert html.endswith("</a>.</p>")  # the full stop is not part of the link
    lists = str(render("- one\n- two\n\n1. a\n2. b\n\n> quoted\n\n```\n<b>x</b> **y**\n```"))
    assert "<ul><li>one</li><li>two</li></ul>" in lists and "<ol><li>a</li><li>b</li></ol>" in lists
    assert "<blockquote><p>quoted</p></blockquote>" in lists
    assert "<pre><code>&lt;b&gt;x&lt;/b&gt; **y**</code></pre>" in lists


@pytest.mark.parametrize(
    "hostile",
    [
        "<script>alert(1)</script>",
        "<img src=x onerror=alert(1)>",
        "[x](javascript:alert(1))",
        "[x](data:text/html;base64,PHNjcmlwdD4=)",
        '[ok](https://a.example/" onmouseover="alert(1))',
        'http://a.example/"onmouseover=alert(1)',
        "![tracker](https://evil.example/pixel.png)",
        "<a href=https://evil.example>x</a>",
        "[x](//evil.example) [y](/relative) www.evil.example",
    ],
)
def test_hostile_comments_never_become_markup_or_other_links(hostile: str) -> None:
    html = str(render(hostile))
    tags = re.findall(r"<(/?[a-z]+)", html)
    assert set(tags) <= {"p", "/p", "a", "/a", "br", "strong", "/strong", "em", "/em", "code", "/code"}
    for href in re.findall(r'<a href="([^"]*)"', html):
        assert href.startswith(("https://", "http://")) and '"' not in href and "<" not in href
    assert "onerror=" not in html.replace("onerror=alert", "") or "<img" not in html
    assert (
        "<script" not in html
        and "<img" not in html
        and "javascript:" not in "".join(re.findall(r'href="[^"]*"', html))
    )
    assert plain_text(hostile)  # and the plain form keeps the words


# ------------------------------------------------------------------------------ use cases
def test_threads_replies_edit_delete_and_counts(sample_app: Paperfeed, paper_id: str) -> None:
    ada = set_handle(sample_app, ensure_user(sample_app, "ada@example.org"), "ada")
    bob = ensure_user(sample_app, "bob@example.org")
    with pytest.raises(SignInRequired):
        discussion.post_comment(sample_app, None, paper_id, "anonymous?")
    with pytest.raises(InvalidInput, match="body"):
        discussion.post_comment(sample_app, ada, paper_id, "   ")
    first = discussion.post_comment(sample_app, ada, paper_id, "Nice $x^2$ result").comment
    reply = discussion.post_comment(sample_app, bob, f"{paper_id}v1", "Agreed", parent=first.id).comment
    deeper = discussion.post_comment(sample_app, ada, paper_id, "Thanks", parent=reply.id).comment
    assert reply.parent_id == first.id and deeper.parent_id == first.id  # one level
    assert first.author == "ada" and reply.author is None  # a member without a handle has no name
    with pytest.raises(Forbidden):
        discussion.edit_comment(sample_app, bob, first.id, "hijack")
    edited = discussion.edit_comment(sample_app, ada, first.id, "Nice $x^3$ result")
    assert edited.edits == 1 and edited.edited_at is not None
    found = discussion.discussion_of(sample_app, sample_app.store.papers.get(paper_id), None)  # type: ignore[arg-type]
    assert found.count == 3 and [len(t.replies) for t in found.threads] == [2] and found.threads[0].edited
    # deleting the first comment keeps a mark while replies hang under it
    discussion.delete_comment(sample_app, ada, first.id)
    found = discussion.discussion_of(sample_app, sample_app.store.papers.get(paper_id), None)  # type: ignore[arg-type]
    assert found.count == 2 and found.threads[0].deleted and str(found.threads[0].html) == ""
    assert discussion.comment_counts(sample_app, [paper_id]) == {paper_id: 2}
    with pytest.raises(InvalidInput, match="parent"):
        other = sample_app.store.papers.list_papers(limit=300)[-1].paper_id
        discussion.post_comment(sample_app, bob, other, "wrong thread", parent=first.id)
    with pytest.raises(NotFound):
        discussion.post_comment(sample_app, bob, paper_id, "x", parent=999_999)


def test_hiding_reports_and_who_sees_what(sample_app: Paperfeed, paper_id: str) -> None:
    ada = ensure_user(sample_app, "ada@example.org")
    bob = ensure_user(sample_app, "bob@example.org")
    curator = ensure_user(sample_app, "cura@example.org", role="curator")
    spam = discussion.post_comment(sample_app, bob, paper_id, "buy now").comment
    reply = discussion.post_comment(sample_app, ada, paper_id, "what?", parent=spam.id).comment
    kept = discussion.post_comment(sample_app, ada, paper_id, "a real comment").comment
    assert discussion.report_comment(sample_app, ada, spam.id, "spam") is True
    assert discussion.report_comment(sample_app, ada, spam.id, "again") is False  # once per member
    with pytest.raises(InvalidInput):
        discussion.report_comment(sample_app, bob, spam.id)  # not your own
    with pytest.raises(Forbidden):
        discussion.hide_comment(sample_app, ada, spam.id)
    with pytest.raises(Forbidden):
        discussion.open_reports(sample_app, ada)
    [report] = discussion.open_reports(sample_app, curator)
    assert report.comment.id == spam.id and report.reports == 1 and report.reasons == ["spam"]
    discussion.hide_comment(sample_app, curator, spam.id)
    assert discussion.open_reports(sample_app, curator) == []  # hiding dealt with the report
    paper = sample_app.store.papers.get(paper_id)
    assert paper is not None
    for viewer in (None, ada, bob):
        seen = discussion.discussion_of(sample_app, paper, viewer)
        assert [t.id for t in seen.threads] == [kept.id] and seen.count == 1
    moderated = discussion.discussion_of(sample_app, paper, curator)
    assert [t.id for t in moderated.threads] == [spam.id, kept.id] and moderated.threads[0].replies[
        0
    ].id == reply.id
    assert discussion.comment_counts(sample_app, [paper_id]) == {paper_id: 1}  # the thread's reply too
    with pytest.raises(NotFound):
        discussion.post_comment(sample_app, ada, paper_id, "into a hidden thread", parent=spam.id)
    discussion.hide_comment(sample_app, curator, spam.id, hidden=False)
    assert discussion.comment_counts(sample_app, [paper_id]) == {paper_id: 3}


def test_the_hourly_limit_per_member(sample_app: Paperfeed, paper_id: str) -> None:
    sample_app.settings.comments_per_hour = 3
    ada = ensure_user(sample_app, "ada@example.org")
    bob = ensure_user(sample_app, "bob@example.org")
    for n in range(3):
        discussion.post_comment(sample_app, ada, paper_id, f"comment {n}")
    with pytest.raises(RateLimited) as caught:
        discussion.post_comment(sample_app, ada, paper_id, "one too many")
    # Sliding windows (paperfeed.ratelimit): the wait after a burst is at most two windows, and enough.
    wait = caught.value.retry_after
    assert wait and wait <= 2 * 3600
    discussion.post_comment(sample_app, bob, paper_id, "another member is not limited")
    sample_app.clock.advance(timedelta(seconds=wait))  # type: ignore[attr-defined]
    discussion.post_comment(sample_app, ada, paper_id, "after the wait")


# ------------------------------------------------------------------------------ pages
def test_a_members_comment_appears_on_the_page_listings_and_apis(
    client: TestClient, sample_app: Paperfeed, paper_id: str
) -> None:
    anonymous = client.get(f"/papers/{paper_id}")
    assert 'id="discussion"' in anonymous.text and "Sign in to join the discussion" in anonymous.text
    refused = client.post(f"/papers/{paper_id}/comments", data={"body": "hello"})
    assert refused.status_code in (401, 403)
    user, csrf = sign_in(client, sample_app, "ada@example.org")
    set_handle(sample_app, user, "ada")
    posted = client.post(
        f"/papers/{paper_id}/comments",
        data={"body": "Good **paper**: $E=mc^2$ <script>x</script>", "csrf_token": csrf},
        follow_redirects=False,
    )
    assert posted.status_code == 303 and re.fullmatch(
        rf"/papers/{re.escape(paper_id)}#comment-\d+", posted.headers["location"]
    )
    page = client.get(f"/papers/{paper_id}").text
    assert "Good <strong>paper</strong>: $E=mc^2$ &lt;script&gt;x&lt;/script&gt;" in page
    assert "Discussion (1)" in page and "<bdi>ada</bdi>" in page
    # HTMX posts answer with the section itself; a refusal is shown inside it
    swapped = client.post(
        f"/papers/{paper_id}/comments",
        data={"body": "  ", "csrf_token": csrf},
        headers={"HX-Request": "true"},
    )
    assert (
        swapped.status_code == 200
        and "a comment needs some text" in swapped.text
        and "<html" not in swapped.text
    )
    # counts on the listings (the daily page of the paper's day, its week) and in the Papers API
    day = client.get("/daily/2026-02-20?tab=new").text
    assert f'href="/papers/{paper_id}#discussion"' in day and "💬 1" in day
    entries = client.get("/api/daily_papers", params={"date": "2026-02-20", "limit": 100}).json()
    entry = next(e for e in entries if e["paper"]["id"] == paper_id)
    assert entry["numComments"] == 1 and entry["paper"]["numComments"] == 1
    assert client.get(f"/api/papers/{paper_id}").json()["numComments"] == 1
    others = [e for e in entries if e["paper"]["id"] != paper_id]
    assert others and all("numComments" not in e for e in others)  # the client then reads 0
    v1 = client.get(f"/api/v1/papers/{paper_id}/comments").json()
    assert (
        v1["count"] == 1
        and v1["items"][0]["author"] == "ada"
        and "<strong>paper</strong>" in v1["items"][0]["html"]
    )
    hf = client.get(f"/api/papers/{paper_id}/comments").json()
    assert hf["numComments"] == 1 and hf["events"][0]["type"] == "comment"
    assert hf["events"][0]["data"]["latest"]["raw"].startswith("Good **paper**")
    assert hf["events"][0]["author"]["name"] == "ada"


def test_edit_delete_report_and_hide_through_the_pages(
    client: TestClient, sample_app: Paperfeed, paper_id: str
) -> None:
    ada, ada_csrf = sign_in(client, sample_app, "ada@example.org")
    first = discussion.post_comment(sample_app, ada, paper_id, "first version").comment
    client.post(f"/comments/{first.id}/edit", data={"body": "second version", "csrf_token": ada_csrf})
    page = client.get(f"/papers/{paper_id}").text
    assert "second version" in page and "edited" in page and "first version" not in page
    bob_client = TestClient(client.app)
    _, bob_csrf = sign_in(bob_client, sample_app, "bob@example.org")
    assert (
        bob_client.post(f"/comments/{first.id}/edit", data={"body": "x", "csrf_token": bob_csrf}).status_code
        == 403
    )
    assert (
        bob_client.post(f"/comments/{first.id}/delete", data={"body": "x"}).status_code == 403
    )  # no CSRF token
    reported = bob_client.post(
        f"/comments/{first.id}/report",
        data={"reason": "rude", "csrf_token": bob_csrf},
        follow_redirects=False,
    )
    assert reported.status_code == 303
    curator_client = TestClient(client.app)
    _, cur_csrf = sign_in(curator_client, sample_app, "cura@example.org", role="curator")
    reports = curator_client.get("/discussion/reports").text
    assert "second version" in reports and "rude" in reports
    assert bob_client.get("/discussion/reports").status_code == 403
    hidden = curator_client.post(
        f"/comments/{first.id}/moderate",
        data={"action": "hide", "back": "reports", "csrf_token": cur_csrf},
        follow_redirects=False,
    )
    assert hidden.status_code == 303 and hidden.headers["location"] == "/discussion/reports"
    assert "second version" not in bob_client.get(f"/papers/{paper_id}").text
    assert "second version" not in TestClient(client.app).get(f"/papers/{paper_id}").text
    curator_view = curator_client.get(f"/papers/{paper_id}").text
    assert "second version" in curator_view and "only curators see it" in curator_view
    assert "No open reports" in curator_client.get("/discussion/reports").text
    curator_client.post(f"/comments/{first.id}/moderate", data={"action": "unhide", "csrf_token": cur_csrf})
    client.post(f"/comments/{first.id}/delete", data={"csrf_token": ada_csrf})
    assert "second version" not in curator_client.get(f"/papers/{paper_id}").text


# ------------------------------------------------------------------------------ the JSON API
def test_api_v1_comments_with_a_token_and_with_a_session(
    client: TestClient, sample_app: Paperfeed, paper_id: str
) -> None:
    assert client.post(f"/api/v1/papers/{paper_id}/comments", json={"body": "hi"}).status_code == 401
    ensure_user(sample_app, "ada@example.org")
    token = create_api_token(sample_app, "ada@example.org")
    auth = {"Authorization": f"Bearer {token}"}
    made = client.post(f"/api/v1/papers/{paper_id}/comments", json={"body": "Via the API"}, headers=auth)
    assert made.status_code == 201 and made.json()["body"] == "Via the API" and made.json()["parent"] is None
    reply = client.post(
        f"/api/v1/papers/{paper_id}/comments",
        json={"body": "A reply", "parent": made.json()["id"]},
        headers=auth,
    )
    assert reply.status_code == 201 and reply.json()["parent"] == made.json()["id"]
    listed = client.get(f"/api/v1/papers/{paper_id}/comments").json()
    assert listed["count"] == 2 and [r["body"] for r in listed["items"][0]["replies"]] == ["A reply"]
    edited = client.patch(f"/api/v1/comments/{made.json()['id']}", json={"body": "Edited"}, headers=auth)
    assert edited.status_code == 200 and edited.json()["edited"] is True
    assert (
        client.post(f"/api/v1/papers/{paper_id}/comments", json={"body": ""}, headers=auth).status_code == 422
    )
    assert (
        client.post("/api/v1/papers/2602.99999/comments", json={"body": "x"}, headers=auth).status_code == 404
    )
    # a browser session needs its CSRF header for API writes
    session_client = TestClient(client.app)
    _, csrf = sign_in(session_client, sample_app, "bob@example.org")
    assert session_client.post(f"/api/v1/papers/{paper_id}/comments", json={"body": "x"}).status_code == 403
    ok = session_client.post(
        f"/api/v1/papers/{paper_id}/comments", json={"body": "x"}, headers={"X-CSRF-Token": csrf}
    )
    assert ok.status_code == 201
    hide = client.put(f"/api/v1/comments/{ok.json()['id']}/hidden", json={"hidden": True}, headers=auth)
    assert hide.status_code == 403
    ensure_user(sample_app, "cura@example.org", role="curator")
    curator = {"Authorization": f"Bearer {create_api_token(sample_app, 'cura@example.org')}"}
    assert client.put(
        f"/api/v1/comments/{ok.json()['id']}/hidden", json={"hidden": True}, headers=curator
    ).json()["hidden"]
    assert client.get(f"/api/v1/papers/{paper_id}/comments").json()["count"] == 2
    assert client.delete(f"/api/v1/comments/{made.json()['id']}", headers=auth).json()["deleted"] is True


# ------------------------------------------------------------------------------ feed and Markdown
def test_comments_feed_and_markdown_export(client: TestClient, sample_app: Paperfeed, paper_id: str) -> None:
    ada = set_handle(sample_app, ensure_user(sample_app, "ada@example.org"), "ada")
    curator = ensure_user(sample_app, "cura@example.org", role="curator")
    first = discussion.post_comment(
        sample_app, ada, paper_id, "Visible [link](https://example.org) \x00 text"
    ).comment
    spam = discussion.post_comment(sample_app, ada, paper_id, "spam [x](https://evil.example)").comment
    discussion.hide_comment(sample_app, curator, spam.id)
    feed = ET.fromstring(client.get(f"/papers/{paper_id}/comments.atom").content)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 1 and entries[0].findtext(f"{ATOM}id", "").endswith(f"#comment-{first.id}")
    assert entries[0].findtext(f"{ATOM}author/{ATOM}name") == "ada"
    assert '<a href="https://example.org"' in entries[0].findtext(f"{ATOM}content", "")
    markdown = client.get(f"/papers/{paper_id}.md").text
    assert "## Discussion" in markdown and "**ada**" in markdown and "spam" not in markdown
    assert "[link](https://example.org)" not in markdown  # escaped: no link in the export


# ------------------------------------------------------------------------------ reply notices
def test_a_reply_notifies_when_chosen_and_the_stop_link_works(
    client: TestClient, sample_app: Paperfeed, paper_id: str
) -> None:
    ada, ada_csrf = sign_in(client, sample_app, "ada@example.org")
    first = discussion.post_comment(sample_app, ada, paper_id, "What about $\\alpha$?").comment
    bob_client = TestClient(client.app)
    bob, bob_csrf = sign_in(bob_client, sample_app, "bob@example.org")
    set_handle(sample_app, bob, "bob")
    bob_client.post(
        f"/papers/{paper_id}/comments",
        data={"body": "Off by default", "parent": first.id, "csrf_token": bob_csrf},
    )
    assert outbox(sample_app) == []  # off by default
    turned = client.post(
        "/discussion/settings",
        data={"paper_id": paper_id, "reply_notices": "on", "csrf_token": ada_csrf},
        headers={"HX-Request": "true"},
    )
    assert "Reply notices by mail are on" in turned.text
    bob_client.post(
        f"/papers/{paper_id}/comments",
        data={"body": "Now **you** hear <b>about</b> it", "parent": first.id, "csrf_token": bob_csrf},
    )
    discussion.post_comment(sample_app, ada, paper_id, "own reply: no mail", parent=first.id)
    [mail] = outbox(sample_app)
    assert mail["To"] == "ada@example.org" and "bob replied to your comment" in mail["Subject"]
    text = mail.get_content()
    assert "Now you hear <b>about</b> it" in text and "What about $\\alpha$?" in text
    stop = re.search(r"(http://\S+/discussion/stop/\S+)", text)
    assert stop and mail["List-Unsubscribe"] == f"<{stop[1]}>"
    path = stop[1].split("://", 1)[1].split("/", 1)[1]
    anonymous = TestClient(client.app)
    assert "Stop reply notices" in anonymous.get(f"/{path}").text
    assert anonymous.post(f"/{path}", data={"List-Unsubscribe": "One-Click"}).status_code == 200
    assert discussion.reply_notices_on(sample_app, ada) is False
    assert anonymous.get(f"/{path[:-3]}xyz").status_code == 422  # a broken token says so
    discussion.post_comment(sample_app, bob, paper_id, "after the stop", parent=first.id)
    assert len(outbox(sample_app)) == 1
    assert SESSION_COOKIE not in anonymous.cookies
