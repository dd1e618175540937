"""Maps of papers (issue 19): positions by content, clusters with labels, marks for a member, the
page and the API; on the demo corpus (embeddings) and the 300-record sample (TF-IDF features)."""

from __future__ import annotations

import re
import time
from datetime import datetime

import numpy as np
import pytest
import scipy.sparse as sp
from fastapi.testclient import TestClient

from paperfeed.accounts import create_api_token
from paperfeed.context import Paperfeed
from paperfeed.library import collections, follows
from paperfeed.maps import layout, service
from paperfeed.maps.selection import MAX_PAPERS, search_selection
from paperfeed.search.engine import search
from paperfeed.store import Window
from paperfeed.web import map_pages, pictures_api
from tests.web_support import sign_in, web_app

SAMPLE_NOW = datetime(2026, 2, 21, 12, 0)


def finished(client: TestClient, url: str, **kwargs: object) -> object:
    """GET ``url`` until the map is computed (202 means: still drawing)."""
    deadline = time.monotonic() + 120
    while True:
        answer = client.get(url, **kwargs)  # type: ignore[arg-type]
        if answer.status_code != 202 or time.monotonic() > deadline:
            return answer
        time.sleep(float(answer.headers["retry-after"]) / 4)


# ------------------------------------------------------------------------------ the maths
def blobs(n_per: int, centres: list[list[float]], seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    points = np.vstack([rng.normal(c, 0.05, size=(n_per, len(c))) for c in centres])
    truth = np.repeat(np.arange(len(centres)), n_per)
    return points, truth


def test_the_layout_keeps_groups_apart_and_clusters_them() -> None:
    from sklearn.metrics import adjusted_rand_score

    centres = [[1.0 if i == j else 0.0 for i in range(20)] for j in range(4)]
    features, truth = blobs(30, centres)
    result = layout.layout(features)
    assert result.method == "t-SNE" and result.positions.shape == (120, 2)
    assert result.positions.min() == 0.0 and result.positions.max() == 1.0
    assert layout.cluster_count(120) == 5
    # five clusters over four groups: each cluster lies inside one group
    contingency = np.zeros((5, 4), dtype=int)
    for c, t in zip(result.clusters, truth, strict=True):
        contingency[c, t] += 1
    assert all((row > 0).sum() == 1 for row in contingency)
    four = layout.cluster(result.positions, 4)
    assert adjusted_rand_score(truth, four) == 1.0
    assert list(np.bincount(four)) == sorted(np.bincount(four), reverse=True)  # largest first
    again = layout.layout(features)
    assert np.array_equal(again.positions, result.positions)  # seeded: the same map every time


def test_small_sets() -> None:
    assert layout.project(np.zeros((0, 5)))[1] == "none"
    one, method = layout.project(np.ones((1, 5)))
    assert method == "none" and one.tolist() == [[0.5, 0.5]]
    few, method = layout.project(np.random.default_rng(0).normal(size=(12, 8)))
    assert method == "PCA" and few.shape == (12, 2)
    sparse, _ = layout.project(sp.random(30, 40, density=0.2, random_state=0, format="csr"))
    assert sparse.shape == (30, 2)
    assert list(layout.cluster(few)) != [] and layout.cluster(few[:2]).tolist() == [0, 0]


def test_labels_are_the_distinctive_terms_phrases_first() -> None:
    terms = ["graph", "neural", "graph neural", "protein", "design", "protein design", "model"]
    rows = sp.csr_matrix(
        np.array(
            [
                [0.5, 0.4, 0.6, 0.0, 0.0, 0.0, 0.3],
                [0.6, 0.5, 0.5, 0.0, 0.0, 0.0, 0.3],
                [0.0, 0.0, 0.0, 0.5, 0.4, 0.6, 0.3],
                [0.0, 0.0, 0.0, 0.6, 0.5, 0.5, 0.3],
            ]
        )
    )
    first = layout.distinctive_terms(rows, np.array([True, True, False, False]), terms)
    second = layout.distinctive_terms(rows, np.array([False, False, True, True]), terms)
    assert first == ["graph neural"] and second == ["protein design"]  # "model" is everywhere


# ------------------------------------------------------------------------------ the demo
@pytest.fixture
def demo_client(demo_app: Paperfeed) -> TestClient:
    return TestClient(web_app(demo_app, indexer=False, scheduler=False))


def test_a_map_of_a_search_on_the_demo(demo_client: TestClient, demo_app: Paperfeed) -> None:
    answer = finished(demo_client, "/api/v1/map?q=agent")
    assert answer.status_code == 200, answer.text  # type: ignore[attr-defined]
    body = answer.json()  # type: ignore[attr-defined]
    points, clusters = body["points"], body["clusters"]
    matching = search(demo_app, "agent", mode="keyword", limit=1, snippets=False).total
    assert len(points) == min(matching, MAX_PAPERS) >= 100
    ids = {p["paper_id"] for p in points}
    assert ids == set(search_selection(demo_app, "agent").ids)
    stored = demo_app.store.papers.get_many(list(ids)[:20])
    for point in points:
        assert 0.0 <= point["x"] <= 1.0 and 0.0 <= point["y"] <= 1.0
        assert point["title"] and point["paper_id"]
        if point["paper_id"] in stored:
            assert point["category"] == (stored[point["paper_id"]].primary_category or "other")
    assert body["basis"] == "embeddings" and body["method"] == "t-SNE"
    assert len(clusters) == 12 and {c["id"] for c in clusters} == {p["cluster"] for p in points}
    assert all(c["label"] and not c["label"].startswith("group") for c in clusters)
    assert sum(c["size"] for c in clusters) == len(points)
    # neighbours by content: a paper's nearest point on the map is much nearer than a random one
    xy = np.array([[p["x"], p["y"]] for p in points])
    distance = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    np.fill_diagonal(distance, np.inf)
    assert np.median(distance.min(axis=1)) < 0.2 * np.median(distance[np.isfinite(distance)])


def test_the_map_page_draws_every_point_as_a_link(demo_client: TestClient) -> None:
    assert finished(demo_client, "/api/v1/map?q=agent").status_code == 200  # type: ignore[attr-defined]
    html = demo_client.get("/map", params={"q": "agent"}).text  # the layout is cached now
    dots = re.findall(r'<a class="dot cluster-\d+" href="/papers/([^"]+)"', html)
    assert len(dots) >= 100
    assert 'class="cluster-label' in html and "<details" in html
    by_category = demo_client.get("/map", params={"q": "agent", "color": "category"}).text
    assert "Colour by category" in by_category and 'aria-current="page">Colour by category' in by_category
    assert demo_client.get("/map").status_code == 200
    assert demo_client.get("/map", params={"q": "agent", "color": "rainbow"}).status_code == 422


# ------------------------------------------------------------------------------ the sample
@pytest.fixture
def client(sample_app: Paperfeed) -> TestClient:
    sample_app.clock.set(SAMPLE_NOW)  # type: ignore[attr-defined]
    return TestClient(web_app(sample_app, indexer=False, scheduler=False))


def test_a_day_without_embeddings_is_mapped_by_its_words(client: TestClient, sample_app: Paperfeed) -> None:
    body = finished(client, "/api/v1/map?date=2026-02-19").json()  # type: ignore[attr-defined]
    day_papers = sample_app.store.papers.window_count(
        Window(
            categories=tuple(sample_app.settings.categories),
            since=datetime(2026, 2, 19),
            until=datetime(2026, 2, 20),
        )
    )
    assert len(body["points"]) == day_papers > 40
    assert body["basis"] == "tfidf" and body["method"] == "t-SNE"
    assert all(c["label"] for c in body["clusters"])
    week = finished(client, "/api/v1/map?week=2026-W08").json()  # type: ignore[attr-defined]
    assert len(week["points"]) >= len(body["points"])
    for odd in (
        "?date=2026-02-30",
        "?week=2026-W60",
        "?date=2026-02-19&week=2026-W08",
        "?q=a&date=2026-02-19",
        "?category=cs.LG",
        "?collection=abc",
        "",
    ):
        assert client.get("/api/v1/map" + odd).status_code == 422, odd


def test_marks_collections_and_for_you(client: TestClient, sample_app: Paperfeed) -> None:
    member, _csrf = sign_in(client, sample_app, "reader@example.org")
    found = search_selection(sample_app, "graph").ids
    assert len(found) >= 5
    saved_id, followed_id = found[0], found[1]
    collections.save(sample_app, member, saved_id)
    followed = sample_app.store.papers.get(followed_id)
    assert followed is not None
    follows.add_follow(sample_app, member, "author", followed.authors[-1])
    body = finished(client, "/api/v1/map?q=graph").json()  # type: ignore[attr-defined]
    marks = {p["paper_id"]: p["marks"] for p in body["points"]}
    assert "saved" in marks[saved_id] and "followed" in marks[followed_id]
    page = client.get("/map", params={"q": "graph"}).text
    assert "in your library" in page and 'class="ring saved"' in page
    # visitors see the same map without marks
    anonymous = TestClient(web_app(sample_app, indexer=False, scheduler=False))
    plain = finished(anonymous, "/api/v1/map?q=graph").json()  # type: ignore[attr-defined]
    assert all(p["marks"] == [] for p in plain["points"])
    assert [p["paper_id"] for p in plain["points"]] == [p["paper_id"] for p in body["points"]]

    shelf = collections.create_collection(sample_app, member, "Graphs", visibility="private")
    for paper_id in found[:6]:
        collections.save(sample_app, member, paper_id, collection=shelf.id)
    mine = finished(client, f"/api/v1/map?collection={shelf.id}").json()  # type: ignore[attr-defined]
    assert {p["paper_id"] for p in mine["points"]} == set(found[:6])
    assert anonymous.get(f"/api/v1/map?collection={shelf.id}").status_code == 404
    assert "/map?collection=" in client.get(f"/library/{shelf.id}").text

    token = create_api_token(sample_app, "reader@example.org")
    picked = finished(anonymous, "/api/v1/map?for_you=true", headers={"Authorization": f"Bearer {token}"})
    assert picked.status_code == 200  # type: ignore[attr-defined]
    assert len(picked.json()["points"]) > 10  # type: ignore[attr-defined]
    assert anonymous.get("/api/v1/map?for_you=true").status_code == 401
    assert client.get("/map?for_you=1").status_code == 200


def test_layouts_are_computed_off_the_request_path(
    client: TestClient, sample_app: Paperfeed, monkeypatch: pytest.MonkeyPatch
) -> None:
    ids = search_selection(sample_app, "learning").ids
    assert len(ids) > 40
    assert service.layout_of(sample_app, ids, wait=0) is None  # queued on the map thread
    key = service.cache_key(sample_app, ids)
    deadline = time.monotonic() + 60
    while key not in service._cache and time.monotonic() < deadline:
        time.sleep(0.05)
    assert service.layout_of(sample_app, ids, wait=0) is not None  # from the cache now
    monkeypatch.setattr(pictures_api, "API_MAP_WAIT_SECONDS", 0.0)
    pending = client.get("/api/v1/map?q=language")
    if pending.status_code == 202:  # nothing cached for this one yet: the API says so
        assert pending.json()["status"] == "computing" and int(pending.headers["retry-after"]) > 0
    assert finished(client, "/api/v1/map?q=language").status_code == 200  # type: ignore[attr-defined]
    monkeypatch.setattr(map_pages, "PAGE_WAIT_SECONDS", 0.0)
    drawing = client.get("/map", params={"q": "neural network"}).text
    assert "Drawing the map of" in drawing and 'data-reload-after="2"' in drawing
    assert "http-equiv" not in drawing and "reload now" in drawing  # no timed meta refresh (WCAG 2.2.1)
    assert finished(client, "/api/v1/map?q=neural+network").status_code == 200  # type: ignore[attr-defined]
    drawn = client.get("/map", params={"q": "neural network"}).text  # the same layout, from the cache
    assert "Drawing the map" not in drawn and 'class="chart paper-map"' in drawn


def test_hostile_titles_stay_text_on_the_map(client: TestClient, sample_app: Paperfeed) -> None:
    from paperfeed.records import PaperRecord
    from paperfeed.search.indexer import catch_up

    hostile = PaperRecord(
        paper_id="2602.99970",
        title='<img src=x onerror=alert(1)> "quoted" zebrafish',
        abstract="zebrafish zebrafish",
        authors=["Eve"],
        categories=["cs.LG"],
        published=datetime(2026, 2, 19, 9),
    )
    sample_app.store.papers.write_batch([hostile])
    catch_up(sample_app, embed=False)
    finished(client, "/api/v1/map?q=zebrafish")
    html = client.get("/map", params={"q": "zebrafish"}).text
    assert "<img src=x" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
