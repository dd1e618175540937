"""The library in the browser and over the JSON API: buttons on every listing, CSRF, collections
(public pages, feeds, exports; private ones are 404 to others), import with its report, follows,
and every /api/v1 library route with a personal token. Both backends."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from paperfeed.accounts import create_api_token, ensure_user
from paperfeed.clock import FixedClock
from paperfeed.context import Paperfeed
from paperfeed.web.request_text import refuse_control_characters
from tests.web_support import recorded_fetcher, sign_in, web_app

LIBRARY = Path(__file__).parent / "data" / "library"
NOW = datetime(2026, 2, 21, 12, 0)


@pytest.fixture
def client(sample_app: Paperfeed) -> Iterator[TestClient]:
    sample_app.settings.base_url = "http://testserver"
    with TestClient(web_app(sample_app, arxiv_fetcher=recorded_fetcher)) as c:
        yield c


@pytest.fixture
def frozen_clock(clock: FixedClock) -> None:
    """The follows feed's "last N days" end on the day after the sample's newest paper."""
    clock.set(NOW)


def htmx(token: str) -> dict[str, str]:
    return {"HX-Request": "true", "X-CSRF-Token": token}


def bearer(app: Paperfeed, email: str) -> dict[str, str]:
    ensure_user(app, email)
    return {"Authorization": f"Bearer {create_api_token(app, email)}"}


# --------------------------------------------------------------------------- listing buttons
LISTINGS = [
    "/daily/2026-02-20?tab=new",
    "/weekly/2026-W08",
    "/monthly/2026-02",
    "/trending",
    "/search?q=fairness",
    "/authors/Joseph%20Bingham",
    "/categories/cs.LG",
    "/papers/2602.18201",
]


def test_every_listing_has_the_buttons_for_members_and_a_sign_in_link_for_visitors(
    client: TestClient, sample_app: Paperfeed
) -> None:
    for url in LISTINGS:
        page = client.get(url)
        assert page.status_code == 200, url
        if url == "/trending":
            continue  # no upvotes yet: an empty list
        assert "/login?next=" in page.text and "Sign in to save papers" in page.text, url
        assert 'action="/library/save"' not in page.text
    # The sign-in link returns to the page it was on, query string included.
    daily = client.get("/daily/2026-02-20?tab=new").text
    assert "/login?next=/daily/2026-02-20%3Ftab%3Dnew" in daily
    sign_in(client, sample_app, "reader@example.org")
    for url in LISTINGS:
        page = client.get(url).text
        if url == "/trending":
            continue
        assert 'action="/library/save"' in page and "More like this" in page and "Not interested" in page, url
    partial = client.get("/search?q=fairness", headers={"HX-Request": "true"}).text
    assert 'action="/library/feedback"' in partial


def test_save_and_feedback_buttons_over_htmx_and_plain_posts(
    client: TestClient, sample_app: Paperfeed
) -> None:
    user, token = sign_in(client, sample_app, "reader@example.org")
    saved = client.post("/library/save", data={"paper_id": "2602.18201"}, headers=htmx(token))
    assert saved.status_code == 200 and "★ Saved" in saved.text and 'name="undo" value="1"' in saved.text
    assert client.get("/daily/2026-02-20?tab=new").text.count("★ Saved") == 1  # the listing remembers
    undone = client.post("/library/save", data={"paper_id": "2602.18201", "undo": "1"}, headers=htmx(token))
    assert "☆ Save" in undone.text
    more = client.post(
        "/library/feedback", data={"paper_id": "2602.18201", "kind": "more"}, headers=htmx(token)
    )
    assert "More like this ✓" in more.text and "more-like-this" in more.text  # three similar papers at once
    assert len(re.findall(r'<li><a href="/papers/', more.text)) == 3
    dismissed = client.post(
        "/library/feedback", data={"paper_id": "2602.18201", "kind": "not_interested"}, headers=htmx(token)
    )
    assert "Not interested ✓" in dismissed.text and "actions dismissed" in dismissed.text
    assert sample_app.store.signals.feedback_of(user.id)["2602.18201"].kind == "not_interested"
    plain = client.post(
        "/library/save",
        data={"paper_id": "2602.18201", "csrf_token": token},
        headers={"referer": "http://testserver/search?q=fairness"},
        follow_redirects=False,
    )
    assert plain.status_code == 303 and plain.headers["location"] == "/search?q=fairness"
    elsewhere = client.post(
        "/library/save",
        data={"paper_id": "2602.18201", "csrf_token": token},
        headers={"referer": "https://evil.example/x"},
        follow_redirects=False,
    )
    assert elsewhere.headers["location"] == "/papers/2602.18201"
    unknown = client.post("/library/save", data={"paper_id": "2602.99999"}, headers=htmx(token))
    assert unknown.status_code == 404


def test_forms_refuse_a_missing_or_wrong_csrf_token_and_write_nothing(
    client: TestClient, sample_app: Paperfeed
) -> None:
    user, _token = sign_in(client, sample_app, "reader@example.org")
    posts = [
        ("/library/save", {"paper_id": "2602.18201"}),
        ("/library/feedback", {"paper_id": "2602.18201", "kind": "more"}),
        ("/library/collections", {"name": "Sneaky"}),
        ("/library/annotate", {"paper_id": "2602.18201", "note": "x"}),
        ("/library/memberships", {"paper_id": "2602.18201"}),
        ("/follows", {"kind": "query", "value": "fairness"}),
    ]
    for url, data in posts:
        for headers in ({}, {"X-CSRF-Token": "wrong"}):
            refused = client.post(url, data=data, headers=headers)
            assert refused.status_code == 403, url
    upload = client.post("/library/import", files={"file": ("x.bib", b"@misc{a, title={x}}")})
    assert upload.status_code == 403
    signals = sample_app.store.signals
    assert sample_app.store.library.collections_of(user.id) == []
    assert signals.feedback_of(user.id) == {} and signals.follows_of(user.id) == []


def test_visitors_are_sent_to_sign_in_and_cannot_write(client: TestClient, sample_app: Paperfeed) -> None:
    for url in ("/library", "/follows", "/library/import"):
        answer = client.get(url, follow_redirects=False)
        assert answer.status_code == 303 and answer.headers["location"] == f"/login?next={url}"
    visitor_token = client.get("/").text.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    refused = client.post("/library/save", data={"paper_id": "2602.18201"}, headers=htmx(visitor_token))
    assert refused.status_code == 401


# ------------------------------------------------------------------------------- collections
def test_private_collections_are_404_to_others_and_public_ones_have_a_page_feeds_and_bibtex(
    client: TestClient, sample_app: Paperfeed
) -> None:
    _owner, token = sign_in(client, sample_app, "owner@example.org")
    made = client.post(
        "/library/collections",
        data={"name": "Fairness <b>club</b>", "csrf_token": token},
        follow_redirects=False,
    )
    assert made.status_code == 303
    path = made.headers["location"]
    ref = path.rsplit("/", 1)[1]
    assert re.fullmatch(r"/library/\d+-fairness-b-club-b", path)
    client.post(
        "/library/annotate",
        data={
            "paper_id": "2602.18201",
            "note": "<img src=x onerror=alert(1)>",
            "tags": "mine",
            "csrf_token": token,
        },
    )
    client.post(
        "/library/memberships",
        data={"paper_id": "2602.18201", "collection": ref.split("-")[0], "csrf_token": token},
    )
    page = client.get(path)
    assert page.status_code == 200 and "Fairness &lt;b&gt;club&lt;/b&gt;" in page.text
    assert "&lt;img src=x onerror=alert(1)&gt;" in page.text and "<img src=x" not in page.text
    assert client.get(f"/library/{ref.split('-')[0]}", follow_redirects=False).headers["location"] == path
    assert "2602.18201" in client.get(f"{path}.bib").text  # the owner's own export

    other = TestClient(client.app)
    sign_in(other, sample_app, "other@example.org")
    visitor = TestClient(client.app)
    for viewer in (other, visitor):
        for suffix in ("", ".xml", ".atom", ".bib", ".json", ".ris"):
            assert viewer.get(path + suffix).status_code == 404, suffix

    client.post(
        f"{path}/edit", data={"visibility": "public", "description": "Papers we read", "csrf_token": token}
    )
    public = visitor.get(path)
    assert public.status_code == 200 and "SOMtime the World" in public.text
    assert "onerror" not in public.text and "mine" not in public.text  # notes and tags stay private
    rss = ET.fromstring(visitor.get(path + ".xml").content)
    assert [i.findtext("link") for i in rss.iter("item")] == ["http://testserver/papers/2602.18201"]
    atom = visitor.get(path + ".atom")
    assert atom.headers["content-type"].startswith("application/atom+xml") and b"2602.18201" in atom.content
    bib = visitor.get(path + ".bib")
    assert (
        bib.headers["content-type"].startswith("application/x-bibtex") and "eprint = {2602.18201}" in bib.text
    )
    assert "annote" not in bib.text and "keywords" not in bib.text
    assert visitor.get(path + ".json").json()[0]["number"] == "arXiv:2602.18201"
    assert other.post(f"{path}/delete", data={"csrf_token": "x"}).status_code == 403
    _, other_token = sign_in(other, sample_app, "other@example.org")  # the session's own token
    assert other.post(f"{path}/delete", data={"csrf_token": other_token}).status_code == 404
    for bad in ("/library/abc", "/library/1.exe", "/library/99999999"):
        assert client.get(bad).status_code in (404, 422), bad
    assert client.get("/library?tag=&unread=").status_code == 200


def test_library_page_and_paper_panel(client: TestClient, sample_app: Paperfeed) -> None:
    _, token = sign_in(client, sample_app, "reader@example.org")
    client.post("/library/save", data={"paper_id": "2602.18319"}, headers=htmx(token))
    panel = client.get("/papers/2602.18319").text
    assert 'id="library"' in panel and 'name="collection"' in panel and "Saved" in panel
    client.post(
        "/library/annotate",
        data={"paper_id": "2602.18319", "note": "VR!", "tags": "vr, games", "read": "1", "csrf_token": token},
    )
    library = client.get("/library").text
    assert "Robo-Saber" in library and "VR!" in library and 'href="/library?tag=vr"' in library
    assert "Robo-Saber" not in client.get("/library?unread=1").text
    assert "Robo-Saber" in client.get("/library?tag=games").text
    bad = client.post(
        "/library/annotate", data={"paper_id": "2602.18319", "tags": "a;b,c\x07", "csrf_token": token}
    )
    assert bad.status_code == 422 and "control characters" in bad.text
    export = client.get("/library/export?format=ris")
    assert export.status_code == 200 and "KW  - vr" in export.text
    assert "attachment" in export.headers["content-disposition"]


def test_import_form_shows_the_report(client: TestClient, sample_app: Paperfeed) -> None:
    _, token = sign_in(client, sample_app, "reader@example.org")
    assert client.get("/library/import").status_code == 200
    answer = client.post(
        "/library/import",
        data={"csrf_token": token, "collection": "From Zotero"},
        files={"file": ("zotero.bib", (LIBRARY / "zotero.bib").read_bytes(), "application/x-bibtex")},
    )
    assert answer.status_code == 200
    text = answer.text
    assert "From Zotero" in text and "fetched from arXiv" in text
    assert "arXiv has no paper 0808.05394" in text and "missing title" in text
    assert sample_app.store.papers.get("1707.08567") is not None  # fetched through the recorded answer
    wrong = client.post(
        "/library/import",
        data={"csrf_token": token, "format": "csl-json"},
        files={"file": ("zotero.bib", (LIBRARY / "zotero.bib").read_bytes())},
    )
    assert wrong.status_code == 422 and "not a CSL JSON file" in wrong.text
    bad_format = client.post(
        "/library/import", data={"csrf_token": token, "format": "docx"}, files={"file": ("x.bib", b"x")}
    )
    assert bad_format.status_code == 422


# ------------------------------------------------------------------------------------ follows
def test_follows_page_add_toggle_remove_and_the_feed_with_reasons(
    client: TestClient, sample_app: Paperfeed, frozen_clock: None
) -> None:
    _, token = sign_in(client, sample_app, "reader@example.org")
    author = client.get("/authors/Joseph%20Bingham").text
    assert "Follow this author" in author
    client.post(
        "/follows",
        data={
            "kind": "author",
            "value": "Joseph Bingham",
            "next": "/authors/Joseph%20Bingham",
            "csrf_token": token,
        },
    )
    client.post(
        "/follows",
        data={
            "kind": "query",
            "value": '<script>x</script> fairness -"reinforcement learning"',
            "csrf_token": token,
        },
    )
    page = client.get("/follows")
    assert page.status_code == 200
    assert "because you follow author Joseph Bingham" in page.text
    assert "&lt;script&gt;x&lt;/script&gt;" in page.text and "<script>x" not in page.text
    assert "SOMtime the World" in page.text
    refused = client.post(
        "/follows", data={"kind": "query", "value": '-"only exclusions"', "csrf_token": token}
    )
    assert refused.status_code == 422 and "only excludes" in refused.text
    follow_id = re.search(r'action="/follows/(\d+)/toggle"', page.text).group(1)  # type: ignore[union-attr]
    client.post(f"/follows/{follow_id}/toggle", data={"enabled": "0", "csrf_token": token})
    assert "author Joseph Bingham" not in client.get("/follows").text.split("New for you")[1]
    client.post(f"/follows/{follow_id}/delete", data={"csrf_token": token})
    assert client.get("/follows?days=0").status_code == 422
    assert client.get("/follows?days=").status_code == 422


# ---------------------------------------------------------------------------------------- API
def test_api_library_routes_with_a_token(client: TestClient, sample_app: Paperfeed) -> None:
    auth = bearer(sample_app, "api@example.org")
    assert client.get("/api/v1/library/collections").status_code == 401
    assert client.put("/api/v1/library/papers/2602.18201").status_code == 401
    made = client.post(
        "/api/v1/library/collections", json={"name": "API list", "visibility": "public"}, headers=auth
    )
    assert made.status_code == 201
    collection = made.json()
    assert collection["ref"].endswith("-api-list") and collection["papers"] == 0
    put = client.put(f"/api/v1/library/collections/{collection['id']}/papers/2602.18319v1", headers=auth)
    assert put.json() == {
        "paper_id": "2602.18319",
        "collection": str(collection["id"]),
        "in_collection": True,
    }
    saved = client.put("/api/v1/library/papers/2602.18201", headers=auth).json()
    assert saved["saved"] and saved["feedback"] is None
    patched = client.patch(
        "/api/v1/library/papers/2602.18201",
        json={"note": "n", "add_tags": ["t1", "t2"], "read": True},
        headers=auth,
    ).json()
    assert (patched["note"], patched["tags"], patched["read"]) == ("n", ["t1", "t2"], True)
    kept = client.patch(
        "/api/v1/library/papers/2602.18201", json={"remove_tags": ["t1"]}, headers=auth
    ).json()
    assert (kept["note"], kept["tags"]) == ("n", ["t2"])  # a field not given is left alone
    cleared = client.patch("/api/v1/library/papers/2602.18201", json={"note": None}, headers=auth).json()
    assert cleared["note"] is None
    bad = client.patch("/api/v1/library/papers/2602.18201", json={"tags": ["a,b"]}, headers=auth)
    assert bad.status_code == 422 and bad.json()["error"]["code"] == "invalid_request"
    listed = client.get("/api/v1/library/papers?limit=1", headers=auth).json()
    assert len(listed["items"]) == 1 and listed["next_cursor"]
    rest = client.get(f"/api/v1/library/papers?limit=1&cursor={listed['next_cursor']}", headers=auth).json()
    assert {listed["items"][0]["id"], rest["items"][0]["id"]} == {"2602.18201", "2602.18319"}
    assert client.get("/api/v1/library/papers?tag=t2", headers=auth).json()["items"][0]["tags"] == ["t2"]
    one = client.get(f"/api/v1/library/collections/{collection['ref']}", headers=auth).json()
    assert [i["id"] for i in one["items"]] == ["2602.18319"] and "note" in one["items"][0]
    anonymous = client.get(f"/api/v1/library/collections/{collection['id']}").json()
    assert "note" not in anonymous["items"][0]  # public: papers only
    other = bearer(sample_app, "other@example.org")
    assert (
        client.patch(
            f"/api/v1/library/collections/{collection['id']}", json={"name": "x"}, headers=other
        ).status_code
        == 404
    )
    private = client.patch(
        f"/api/v1/library/collections/{collection['id']}", json={"visibility": "private"}, headers=auth
    )
    assert private.json()["visibility"] == "private"
    assert client.get(f"/api/v1/library/collections/{collection['id']}", headers=other).status_code == 404
    exported = client.get(
        f"/api/v1/library/export?format=csl-json&collection={collection['id']}", headers=auth
    )
    assert exported.json()[0]["number"] == "arXiv:2602.18319"
    imported = client.post(
        "/api/v1/library/import",
        data={"collection": "Imported by API"},
        files={"file": ("zotero.ris", (LIBRARY / "zotero.ris").read_bytes())},
        headers=auth,
    ).json()
    assert imported["format"] == "ris" and imported["collection"]["name"] == "Imported by API"
    assert imported["fetched"] == 1 and imported["unmatched"][0]["reason"].startswith("not in the store")
    removed = client.delete(f"/api/v1/library/collections/{collection['id']}/papers/2602.18319", headers=auth)
    assert removed.json()["in_collection"] is False
    gone = client.delete("/api/v1/library/papers/2602.18201", headers=auth).json()
    assert gone["collections"] == [] and "t2" in gone["tags"]  # annotations stay
    assert client.delete(f"/api/v1/library/collections/{collection['id']}", headers=auth).json()["deleted"]
    assert client.get("/api/v1/library/papers/2602.99999", headers=auth).status_code == 404
    assert client.get("/api/v1/library/papers?cursor=%%%", headers=auth).status_code == 422


def test_api_follows_and_feedback_with_a_token(
    client: TestClient, sample_app: Paperfeed, frozen_clock: None
) -> None:
    auth = bearer(sample_app, "api@example.org")
    added = client.post("/api/v1/follows", json={"kind": "author", "value": "Joseph Bingham"}, headers=auth)
    assert added.status_code == 201 and added.json()["created"]
    query = client.post(
        "/api/v1/follows",
        json={"kind": "query", "value": 'diffusion -"reinforcement learning"'},
        headers=auth,
    )
    assert query.status_code == 201
    invalid = client.post("/api/v1/follows", json={"kind": "query", "value": "-survey"}, headers=auth)
    assert invalid.status_code == 422 and "only excludes" in invalid.json()["error"]["message"]
    feed = client.get("/api/v1/follows/feed?days=7", headers=auth).json()
    assert feed["since"] == "2026-02-15" and feed["items"]
    first = feed["items"][0]
    assert first["reasons"] and {"kind", "value", "follow_id"} <= set(first["reasons"][0])
    ids = [i["id"] for i in feed["items"]]
    put = client.put(f"/api/v1/feedback/{ids[0]}", json={"kind": "not_interested"}, headers=auth)
    assert put.json() == {"paper_id": ids[0], "feedback": "not_interested"}
    after = [i["id"] for i in client.get("/api/v1/follows/feed?days=7", headers=auth).json()["items"]]
    assert ids[0] not in after and after == ids[1:]  # at once
    assert client.get("/api/v1/feedback?kind=not_interested", headers=auth).json()["items"][0]["id"] == ids[0]
    assert client.delete(f"/api/v1/feedback/{ids[0]}", headers=auth).json()["feedback"] is None
    assert client.put(f"/api/v1/feedback/{ids[0]}", json={"kind": "meh"}, headers=auth).status_code == 422
    follow_id = added.json()["id"]
    off = client.patch(f"/api/v1/follows/{follow_id}", json={"enabled": False}, headers=auth).json()
    assert off["enabled"] is False
    listed = client.get("/api/v1/follows", headers=auth).json()["items"]
    assert [(f["kind"], f["enabled"]) for f in listed] == [("author", False), ("query", True)]
    other = bearer(sample_app, "other@example.org")
    assert client.delete(f"/api/v1/follows/{follow_id}", headers=other).status_code == 404
    assert client.delete(f"/api/v1/follows/{follow_id}", headers=auth).json()["deleted"]
    assert client.get("/api/v1/follows").status_code == 401


# --------------------------------------------------------------------------- control characters in parameters
@pytest.mark.parametrize(
    ("path", "named"),
    [
        ("/api/v1/library/papers?tag=%00", "'tag'"),  # found by the generated-request run on PostgreSQL
        ("/api/v1/library/papers?tag=a%01b", "'tag'"),
        ("/api/v1/search?q=graph%00", "'q'"),
        ("/api/v1/papers/2602.18201%00", "paper id"),
        ("/library?tag=%00", "'tag'"),
        ("/search?q=%7F", "'q'"),
    ],
)
def test_a_control_character_in_a_parameter_is_refused_by_name(
    sample_app: Paperfeed, client: TestClient, path: str, named: str
) -> None:
    """PostgreSQL cannot compare a NUL (it answered 500), SQLite quietly matched nothing: both now
    refuse it, and any other control character, before the store is asked."""
    sign_in(client, sample_app, "nul@example.org")
    answer = client.get(path, headers=bearer(sample_app, "nul@example.org") if "/api/" in path else {})
    assert answer.status_code == 422, (path, answer.text)
    said = html.unescape(answer.text)
    assert named in said and "control character" in said


def test_every_route_refuses_control_characters_before_its_own_dependencies(client: TestClient) -> None:
    """The routers' routes are served as they are (``web.routers``), not through an include that
    would add the app's dependencies: each must carry the refusal itself, first."""
    routes = [route for route in client.app.routes if isinstance(route, APIRoute)]  # type: ignore[attr-defined]
    assert len(routes) > 100
    missing = [
        f"{sorted(route.methods)} {route.path}"
        for route in routes
        if not route.dependant.dependencies
        or route.dependant.dependencies[0].call is not refuse_control_characters
    ]
    assert missing == []


def test_tabs_and_line_breaks_in_a_search_are_still_searched(client: TestClient) -> None:
    answer = client.get("/api/v1/search", params={"q": "fairness\tgraph\n"})
    assert answer.status_code == 200
