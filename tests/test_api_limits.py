"""Smaller findings of issue 18 (item 16): a JSON line with an escaped lone surrogate is cleaned, not
skipped; the OpenAPI limits are the limits the code keeps (a follow value of 500 characters was
allowed by the schema and refused by the code at 300); the import API's nullable ``format`` takes
null (which a form spells ``null``)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from paperfeed.context import Paperfeed
from paperfeed.digest import choices as digest_choices
from paperfeed.ingest.jsonl import read_jsonl
from paperfeed.library import annotations, collections, follows
from paperfeed.records import PaperRecord
from tests.web_support import recorded_fetcher, web_app


def test_a_json_line_with_a_lone_surrogate_is_cleaned_not_skipped() -> None:
    line = (
        '{"id": "2602.18409", "title": "Broken \\ud800 title", "abstract": "text \\udfff here", '
        '"authors": ["Ann \\ud83d Lee"], "categories": ["cs.LG"], "published": "2026-02-20"}\n'
    )
    (item,) = list(read_jsonl(io.StringIO(line)))
    assert isinstance(item, PaperRecord), item
    assert (item.title, item.abstract, item.authors) == ("Broken title", "text here", ["Ann Lee"])
    (bad,) = list(read_jsonl(io.StringIO('{"title": "\\ud800", nope}\n')))
    assert not isinstance(bad, PaperRecord)  # still not JSON: reported, not guessed


@pytest.fixture
def spec(paperfeed_app: Paperfeed) -> dict[str, Any]:
    with TestClient(web_app(paperfeed_app, indexer=False)) as client:
        return client.get("/openapi.json").json()  # type: ignore[no-any-return]


def _schema(spec: dict[str, Any], name: str) -> dict[str, Any]:
    return spec["components"]["schemas"][name]  # type: ignore[no-any-return]


def test_openapi_limits_are_the_codes_limits(spec: dict[str, Any]) -> None:
    follow = _schema(spec, "FollowIn")["properties"]["value"]
    assert follow["maxLength"] == follows.MAX_QUERY_CHARS == 300
    collection = _schema(spec, "CollectionIn")["properties"]
    assert collection["name"]["maxLength"] == collections.MAX_NAME_CHARS
    patch = _schema(spec, "AnnotationPatch")["properties"]
    note = next(s for s in patch["note"]["anyOf"] if s.get("type") == "string")
    assert note["maxLength"] == annotations.MAX_NOTE_CHARS
    tags = next(s for s in patch["tags"]["anyOf"] if s.get("type") == "array")
    assert tags["maxItems"] == annotations.MAX_TAGS_PER_PAPER
    assert tags["items"]["maxLength"] == annotations.MAX_TAG_CHARS
    digest = _schema(spec, "SubscriptionIn")["properties"]
    assert digest["queries"]["items"]["maxLength"] == digest_choices.MAX_QUERY_CHARS
    assert digest["authors"]["items"]["maxLength"] == digest_choices.MAX_AUTHOR_CHARS
    assert digest["max_papers"]["anyOf"][0]["maximum"] == digest_choices.MAX_PAPERS_LIMIT


@pytest.fixture
def member(paperfeed_app: Paperfeed) -> Iterator[tuple[TestClient, dict[str, str]]]:
    from paperfeed.accounts import create_api_token, ensure_user

    ensure_user(paperfeed_app, "reader@example.org")
    token = create_api_token(paperfeed_app, "reader@example.org")
    with TestClient(web_app(paperfeed_app, indexer=False, arxiv_fetcher=recorded_fetcher)) as client:
        yield client, {"Authorization": f"Bearer {token}"}


def test_what_the_schema_allows_the_code_takes(member: tuple[TestClient, dict[str, str]]) -> None:
    client, auth = member
    longest = "diffusion " * 29 + "x" * 10  # exactly 300 characters
    assert len(longest) == 300
    ok = client.post("/api/v1/follows", json={"kind": "query", "value": longest}, headers=auth)
    assert ok.status_code in (200, 201), ok.text
    over = client.post("/api/v1/follows", json={"kind": "query", "value": longest + "y"}, headers=auth)
    assert over.status_code == 422 and "value" in over.json()["error"]["message"]
    name = client.post("/api/v1/library/collections", json={"name": "n" * 101}, headers=auth)
    assert name.status_code == 422


def test_the_import_format_takes_null(
    member: tuple[TestClient, dict[str, str]], paperfeed_app: Paperfeed
) -> None:
    client, auth = member
    bib = b"@misc{a, title = {A paper}, eprint = {2602.18409}}\n"
    for value in ("null", "", "bibtex"):
        answer = client.post(
            "/api/v1/library/import",
            files={"file": ("refs.bib", bib, "application/x-bibtex")},
            data={"format": value},
            headers=auth,
        )
        assert answer.status_code == 200, (value, answer.text)
    refused = client.post(
        "/api/v1/library/import",
        files={"file": ("refs.bib", bib, "application/x-bibtex")},
        data={"format": "word"},
        headers=auth,
    )
    assert refused.status_code == 422
