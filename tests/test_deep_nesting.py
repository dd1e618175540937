"""Deeply nested JSON (issue 18, item 10): a 990-level ``[[[…]]]`` CSL JSON file (2 KB) to the
import API, the import form or ``paperfeed library import`` is a clear 422 / one-line CLI error,
never a RecursionError; a JSON body nested as deep to any JSON route is a 4xx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from paperfeed.cli import app as cli
from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput
from paperfeed.library.csl_json import read_csl_json
from tests.web_support import sign_in, web_app

DEEP_LIST = "[" * 990 + "]" * 990
DEEP_TITLE = '[{"title": ' + "[" * 400 + '"x"' + "]" * 400 + "}]"  # parses, but a title 400 lists deep


@pytest.mark.parametrize(
    "text", [DEEP_LIST, DEEP_TITLE, '{"items": ' + DEEP_LIST + "}"], ids=["list", "title", "items"]
)
def test_the_reader_refuses_deep_nesting_in_words(text: str) -> None:
    from paperfeed.library.importers import parse_references

    with pytest.raises(InvalidInput, match="nested more than 32 levels"):
        parse_references(text, "csl-json")


def test_real_exports_are_not_too_deep() -> None:
    item = {"title": "T", "issued": {"date-parts": [[2026, 2, 20]]}, "author": [{"family": "Lovelace"}]}
    references, problems = read_csl_json(json.dumps([item]))
    assert [r.title for r in references] == ["T"] and problems == []


@pytest.fixture
def client(paperfeed_app: Paperfeed) -> Iterator[tuple[TestClient, str]]:
    with TestClient(web_app(paperfeed_app, indexer=False), raise_server_exceptions=False) as c:
        _, token = sign_in(c, paperfeed_app, "reader@example.org")
        yield c, token


def test_the_import_api_and_form_answer_422(client: tuple[TestClient, str]) -> None:
    web, token = client
    for text in (DEEP_LIST, DEEP_TITLE):
        files = {"file": ("deep.json", text.encode(), "application/json")}
        api = web.post("/api/v1/library/import", files=files, headers={"X-CSRF-Token": token})
        assert api.status_code == 422, api.text
        assert "nested more than 32 levels" in api.json()["error"]["message"]
        form = web.post("/library/import", files=files, data={"csrf_token": token})
        assert form.status_code == 422 and "nested more than 32 levels" in form.text


def test_deep_json_bodies_are_a_4xx_everywhere(client: tuple[TestClient, str]) -> None:
    web, token = client
    headers = {"content-type": "application/json", "X-CSRF-Token": token}
    for path in ("/api/v1/subscriptions", "/api/v1/library/collections", "/api/v1/follows"):
        for body in (DEEP_LIST, '{"a": ' * 990 + "1" + "}" * 990):
            answer = web.post(path, content=body, headers=headers)
            assert 400 <= answer.status_code < 500, (path, answer.status_code, answer.text[:200])


def test_the_cli_says_it_in_one_line(paperfeed_app: Paperfeed, tmp_path: Path) -> None:
    from paperfeed.accounts import ensure_user

    ensure_user(paperfeed_app, "reader@example.org")
    deep = tmp_path / "deep.json"
    deep.write_text(DEEP_LIST, encoding="utf-8")
    data = str(paperfeed_app.settings.data_dir)
    result = CliRunner().invoke(
        cli, ["--data-dir", data, "library", "import", "reader@example.org", str(deep)]
    )
    assert result.exit_code == 2, result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert "nested more than 32 levels" in result.stderr and "Traceback" not in result.output
