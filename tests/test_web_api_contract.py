"""The JSON API's contract (issue 11): blank filters, author matching, unknown parameters, bodies that
are not JSON, OPTIONS, the documented security scheme and statuses, and the security headers."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from paperfeed.accounts import create_api_token, ensure_user
from paperfeed.context import Paperfeed
from tests.web_support import recorded_fetcher, web_app


@pytest.fixture
def client(sample_app: Paperfeed) -> Iterator[TestClient]:
    with TestClient(web_app(sample_app, arxiv_fetcher=recorded_fetcher), raise_server_exceptions=False) as c:
        yield c


@pytest.mark.parametrize("blank", ["", "%20"])
@pytest.mark.parametrize(
    "url",
    [
        "/api/v1/trending?category={}",
        "/api/v1/papers?category={}",
        "/api/v1/search?q=graph&category={}",
        "/search.bib?q=graph&category={}",
        "/feeds/search.xml?q=graph&category={}",
        "/trending?category={}",
        "/search?q=graph&category={}",
        "/api/v1/search?q=graph&since={}&until={}",
    ],
)
def test_a_blank_filter_means_no_filter(client: TestClient, url: str, blank: str) -> None:
    answer = client.get(url.format(blank, blank))
    assert answer.status_code == 200, (url, answer.text[:300])


def test_malformed_filters_are_422_in_words(client: TestClient) -> None:
    bad = client.get("/api/v1/papers?category=0000")
    assert bad.status_code == 422
    assert "not an arXiv category" in bad.json()["error"]["message"]
    assert client.get("/api/v1/daily/0").status_code == 422  # not read as the epoch
    assert client.get("/api/v1/search?q=x&since=1700000000").status_code == 422


def test_author_filter_matches_like_search(client: TestClient) -> None:
    for name in ("Jonni Virtema", "virtema", "VIRTEMA", "Jonni"):
        ids = [p["id"] for p in client.get("/api/v1/papers", params={"author": name}).json()["items"]]
        assert "2602.18409" in ids, name
    assert client.get("/api/v1/papers", params={"author": "Nobody Atall"}).json()["items"] == []
    every = client.get("/api/v1/papers", params={"author": " ", "limit": 100}).json()["items"]
    assert len(every) == 100  # blank: no filter


def test_unknown_query_parameters_are_refused_by_name(client: TestClient) -> None:
    answer = client.get("/api/v1/papers?categroy=cs.LG")
    assert answer.status_code == 422
    message = answer.json()["error"]["message"]
    assert "'categroy'" in message and "category" in message and "author" in message


def test_a_body_that_is_not_json_says_what_is_wrong(client: TestClient, sample_app: Paperfeed) -> None:
    ensure_user(sample_app, "bot@example.org")
    auth = {"Authorization": f"Bearer {create_api_token(sample_app, 'bot@example.org')}"}
    answer = client.post(
        "/api/v1/submissions",
        content=b'{"paper": ',
        headers=auth | {"Content-Type": "application/json"},
    )
    assert answer.status_code == 422
    message = answer.json()["error"]["message"]
    assert "not valid JSON" in message and "0: JSON decode error" not in message
    empty = client.post("/api/v1/submissions", headers=auth)
    assert empty.status_code == 422 and "JSON object is required" in empty.json()["error"]["message"]


def test_options_and_405_list_every_method_of_the_resource(client: TestClient) -> None:
    options = client.options("/api/v1/papers/2602.18409/vote")
    assert options.status_code == 204
    assert set(options.headers["allow"].split(", ")) == {"POST", "DELETE", "OPTIONS"}
    put = client.put("/api/v1/papers/2602.18409/vote")
    assert put.status_code == 405 and "DELETE" in put.headers["allow"]
    assert "PUT is not supported" in put.json()["error"]["message"]
    assert client.options("/api/v1/nothing-here").status_code == 404


def test_openapi_declares_the_token_scheme_and_error_statuses(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    schemes = spec["components"]["securitySchemes"]
    assert schemes["personalToken"]["type"] == "http" and schemes["personalToken"]["scheme"] == "bearer"
    vote = spec["paths"]["/api/v1/papers/{paper_id}/vote"]["post"]
    assert vote["security"] == [{"personalToken": []}]
    assert {"401", "403", "404", "422"} <= set(vote["responses"])
    submit = spec["paths"]["/api/v1/submissions"]["post"]["responses"]
    assert {"401", "403", "422", "429", "502"} <= set(submit)
    error_schema = submit["429"]["content"]["application/json"]["schema"]["$ref"]
    assert error_schema.endswith("/ErrorBody")
    assert "401" in spec["paths"]["/api/v1/me"]["get"]["responses"]
    assert "404" in spec["paths"]["/api/v1/papers/{paper_id}"]["get"]["responses"]


def test_security_headers(sample_app: Paperfeed) -> None:
    with TestClient(web_app(sample_app)) as plain:
        answer = plain.get("/")
        assert "camera=()" in answer.headers["permissions-policy"]
        assert "strict-transport-security" not in answer.headers  # http: a browser would ignore it
    sample_app.settings.base_url = "https://papers.example.org"
    sample_app.settings.secret_key = "a-real-secret-for-this-test-0123456789"
    with TestClient(web_app(sample_app), base_url="https://papers.example.org") as secure:
        answer = secure.get("/")
        assert answer.headers["strict-transport-security"].startswith("max-age=")
        assert "permissions-policy" in answer.headers
