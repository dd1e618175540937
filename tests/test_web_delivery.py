"""How answers travel (issue 18, item 18): compressed when the client asks (the daily page was 62 KB
with ``Accept-Encoding: gzip`` asked), and static files cached for a year when their URL names
their content, revalidated otherwise."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from paperfeed.context import Paperfeed
from tests.web_support import web_app


@pytest.fixture
def client(sample_app: Paperfeed) -> Iterator[TestClient]:
    with TestClient(web_app(sample_app, indexer=False)) as c:
        yield c


def test_pages_json_and_feeds_are_compressed_when_asked(client: TestClient) -> None:
    for path in ("/daily/2026-02-20?tab=new", "/api/v1/papers?limit=50", "/feeds/daily.xml"):
        plain = client.get(path, headers={"Accept-Encoding": "identity"})
        packed = client.get(path, headers={"Accept-Encoding": "gzip"})
        assert plain.status_code == packed.status_code == 200, path
        assert "content-encoding" not in plain.headers
        assert packed.headers["content-encoding"] == "gzip" and "Accept-Encoding" in packed.headers["vary"]
        assert packed.content == plain.content  # httpx decodes it
        size = packed.num_bytes_downloaded  # the bytes that travelled
        assert size < len(plain.content) / 3, (path, size, len(plain.content))
    tiny = client.get("/healthz", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in tiny.headers  # not worth it under 1 KB


def test_versioned_static_files_are_cached_for_a_year(client: TestClient) -> None:
    page = client.get("/").text
    urls = re.findall(r'(?:href|src)="(/static/[^"]+)"', page)
    assert any(u.startswith("/static/app.css?v=") for u in urls) and len(urls) >= 6
    for url in urls:
        answer = client.get(url)
        assert answer.status_code == 200, url
        assert answer.headers["cache-control"] == "public, max-age=31536000, immutable", url
    css = next(u for u in urls if "app.css" in u)
    bare = client.get(css.split("?")[0])
    assert bare.headers["cache-control"] == "no-cache" and bare.headers.get("etag")
    stale = client.get(css.split("?")[0] + "?v=0000")
    assert stale.headers["cache-control"] == "no-cache"  # an old release's URL is not trusted
    again = client.get(css.split("?")[0], headers={"If-None-Match": bare.headers["etag"]})
    assert again.status_code == 304
    packed = client.get(css, headers={"Accept-Encoding": "gzip"})
    assert packed.headers.get("content-encoding") == "gzip" and packed.num_bytes_downloaded < len(
        packed.content
    )
    docs = client.get("/docs").text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js?v=" in docs
