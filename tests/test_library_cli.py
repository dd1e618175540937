"""``paperfeed library …`` and ``paperfeed follows …`` end to end: reports, files, exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paperfeed.cli import app
from tests.conftest import SAMPLE_300
from tests.web_support import recorded_ids_fetcher

runner = CliRunner()
LIBRARY = Path(__file__).parent / "data" / "library"


def run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(
        app, ["--data-dir", str(data_dir), *args], env={"PAPERFEED_EMBED_AFTER_INGEST": "0"}
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setattr("paperfeed.cli.library.fetch_arxiv_ids", recorded_ids_fetcher)  # arXiv, recorded
    assert run(tmp_path, "ingest", "file", str(SAMPLE_300))[0] == 0
    assert run(tmp_path, "users", "add", "reader@example.org")[0] == 0
    return tmp_path


def test_import_prints_a_report_and_export_writes_the_file(data_dir: Path, tmp_path: Path) -> None:
    code, out, err = run(data_dir, "library", "import", "reader@example.org", str(LIBRARY / "zotero.ris"))
    assert code == 0
    assert out == (
        "7 entries (ris): 4 matched into 'zotero', 4 newly added, 1 fetched from arXiv, 2 not found, 1 unreadable\n"
    )
    assert (
        "not found: line 42: 'Calculation of prompt diphoton" in err
    )  # its DOI's paper is not in this store
    assert "not found: line 57" in err and "unreadable: line 64: no title (TI)" in err
    code, out, _ = run(
        data_dir,
        "library",
        "import",
        "reader@example.org",
        str(LIBRARY / "zotero.bib"),
        "--collection",
        "Main",
        "--no-fetch",
        "--json",
    )
    report = json.loads(out)
    assert code == 0 and report["collection"]["name"] == "Main" and report["fetched"] == 0
    assert {u["arxiv_id"] for u in report["unmatched"] if u["arxiv_id"]} == {"0808.05394"}
    code, out, _ = run(data_dir, "library", "collections", "reader@example.org", "--json")
    assert {(c["name"], c["papers"]) for c in json.loads(out)["collections"]} == {("zotero", 4), ("Main", 7)}
    target = tmp_path / "main.ris"
    code, _, err = run(
        data_dir,
        "library",
        "export",
        "reader@example.org",
        "--collection",
        "Main",
        "--format",
        "ris",
        "--output",
        str(target),
    )
    assert code == 0 and "7 papers written" in err
    assert target.read_text(encoding="utf-8").count("TY  - ") == 7
    code, out, _ = run(data_dir, "library", "export", "reader@example.org", "--format", "csl-json")
    assert code == 0 and len(json.loads(out)) == 7  # the whole library: both collections, each paper once


def test_errors_are_one_line_with_exit_status_2(data_dir: Path) -> None:
    code, _, err = run(data_dir, "library", "import", "nobody@example.org", str(LIBRARY / "zotero.bib"))
    assert code == 2 and "no user nobody@example.org; add one with: paperfeed users add" in err
    code, _, err = run(data_dir, "library", "import", "reader@example.org", "missing.bib")
    assert code == 2 and "no such file: missing.bib" in err
    code, _, err = run(
        data_dir, "library", "import", "reader@example.org", str(LIBRARY / "zotero.bib"), "--format", "docx"
    )
    assert code == 2 and "--format must be one of bibtex, csl-json, ris" in err
    code, _, err = run(data_dir, "library", "export", "reader@example.org", "--collection", "Nope")
    assert code == 2 and "no collection named 'Nope'" in err
    code, out, _ = run(data_dir, "follows", "add", "reader@example.org", "--json", "query", "--", "-survey")
    assert code == 2 and json.loads(out)["error"]["code"] == "invalid_input"
    assert "Traceback" not in err


def test_follows_add_list_and_feed(data_dir: Path, monkeypatch: pytest.MonkeyPatch) -> None:

    from paperfeed.search.indexer import catch_up

    monkeypatch.setenv("PAPERFEED_NOW", "2026-02-21T12:00")
    code, out, _ = run(data_dir, "follows", "add", "reader@example.org", "author", "Joseph Bingham", "--json")
    assert code == 0 and json.loads(out)["created"] is True
    code, out, _ = run(
        data_dir, "follows", "add", "reader@example.org", "query", 'fairness -"self-organizing"'
    )
    assert code == 0 and out.startswith("following query")
    code, out, _ = run(data_dir, "follows", "list", "reader@example.org", "--json")
    assert [f["kind"] for f in json.loads(out)["follows"]] == ["author", "query"]
    from paperfeed.config import Settings
    from paperfeed.context import Paperfeed

    catch_up(Paperfeed(Settings(data_dir=data_dir, embed_after_ingest=False)), embed=False)
    code, out, _ = run(data_dir, "follows", "feed", "reader@example.org", "--days", "7", "--json")
    feed = json.loads(out)
    assert code == 0 and feed["since"] == "2026-02-15" and feed["notices"] == []
    reasons = {item["paper_id"]: {r["kind"] for r in item["reasons"]} for item in feed["items"]}
    assert reasons["2602.18201"] == {"author"}  # the fairness paper about self-organizing maps is excluded
    assert any(kinds == {"query"} for kinds in reasons.values())
