"""The CLI end to end: JSON reports, exit statuses, error messages without tracebacks."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paperfeed.cli import app
from tests.conftest import SAMPLE_300, SEEDS, DemoLoad, bare_cli_env

runner = CliRunner()


def run(data_dir: Path, *args: str) -> tuple[int, str, str]:
    result = runner.invoke(
        app, ["--data-dir", str(data_dir), *args], env={"PAPERFEED_EMBED_AFTER_INGEST": "0"}
    )
    return result.exit_code, result.stdout, result.stderr


def test_ingest_file_reports_json_and_is_idempotent(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, "ingest", "file", str(SAMPLE_300), "--json")
    assert code == 0
    report = json.loads(out)
    assert {k: report[k] for k in ("read", "added", "updated", "unchanged", "skipped")} == {
        "read": 300,
        "added": 300,
        "updated": 0,
        "unchanged": 0,
        "skipped": 0,
    }
    assert report["errors"] == []
    code, out, _ = run(tmp_path, "ingest", "file", str(SAMPLE_300), "--json")
    assert code == 0 and json.loads(out)["unchanged"] == 300


def test_malformed_records_are_skipped_with_line_and_reason(tmp_path: Path) -> None:
    lines = SAMPLE_300.read_text(encoding="utf-8").splitlines()[:5]
    broken = [
        lines[0],
        "{not json",
        json.dumps({"arxiv_id": "2602.99999v1", "abstract": "no title here"}),
        lines[1],
        json.dumps({"arxiv_id": "2602.99998v1", "title": "Bad date", "published_date": "yesterday-ish"}),
        json.dumps({"arxiv_id": "not/an-id", "title": "Bad id"}),
        lines[2],
    ]
    source = tmp_path / "broken.jsonl"
    source.write_text("\n".join(broken) + "\n", encoding="utf-8")
    code, out, _ = run(tmp_path / "d", "ingest", "file", str(source), "--json")
    assert code == 1
    report = json.loads(out)
    assert report["read"] == 7 and report["added"] == 3 and report["skipped"] == 4
    wheres = [e["where"] for e in report["errors"]]
    assert wheres[0] == "line 2" and "JSON" in report["errors"][0]["reason"]
    assert "title" in report["errors"][1]["reason"]
    assert "date" in report["errors"][2]["reason"]
    assert len(wheres) == 4


def test_strict_stops_at_first_malformed_record(tmp_path: Path) -> None:
    source = tmp_path / "broken.jsonl"
    good = SAMPLE_300.read_text(encoding="utf-8").splitlines()
    source.write_text("\n".join([good[0], "{oops", good[1]]) + "\n", encoding="utf-8")
    code, _, err = run(tmp_path / "d", "ingest", "file", str(source), "--strict")
    assert code == 1
    assert "line 2" in err and "Traceback" not in err
    code, out, _ = run(tmp_path / "d", "stats", "--json")
    assert json.loads(out)["papers"] == 1  # the record before the bad line is kept


def test_unreadable_input_exits_2_with_one_line(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, "ingest", "file", str(tmp_path / "missing.jsonl"))
    assert code == 2 and "no such file" in err and "Traceback" not in err
    odd = tmp_path / "odd.xyz"
    odd.write_bytes(b"\x00\x01 binary garbage")
    code, _, err = run(tmp_path, "ingest", "file", str(odd))
    assert code == 2 and "Traceback" not in err
    code, _, err = run(tmp_path, "ingest", "file", str(SAMPLE_300), "--format", "nope")
    assert code == 2 and "unknown format" in err


def test_papers_show_and_list(tmp_path: Path) -> None:
    run(tmp_path, "ingest", "file", str(SAMPLE_300))
    code, out, _ = run(tmp_path, "papers", "show", "https://arxiv.org/abs/2602.18409v1", "--json")
    assert code == 0
    paper = json.loads(out)
    assert paper["id"] == "2602.18409"
    assert paper["authors"] == ["Huan Luo", "Jonni Virtema"]
    assert paper["categories"] == ["cs.LG", "cs.AI", "cs.LO"]
    assert paper["versions"] == [{"version": 1, "submitted": "2026-02-20T18:18:48Z"}]
    assert paper["links"]["abs"] == "https://arxiv.org/abs/2602.18409"
    code, out, _ = run(
        tmp_path, "papers", "list", "--category", "cs.CL", "--since", "2026-02-20", "--limit", "5", "--json"
    )
    listed = json.loads(out)
    assert code == 0 and 0 < listed["count"] <= 5
    assert all("cs.CL" in p["categories"] and p["published"] >= "2026-02-20" for p in listed["papers"])
    dates = [p["published"] for p in listed["papers"]]
    assert dates == sorted(dates, reverse=True)


@pytest.mark.parametrize(
    ("paper_id", "message"), [("2602.00000", "no paper 2602.00000"), ("banana", "not an arXiv id")]
)
def test_papers_show_unknown_or_malformed_id_exits_2(tmp_path: Path, paper_id: str, message: str) -> None:
    code, out, err = run(tmp_path, "papers", "show", paper_id, "--json")
    assert code == 2 and "Traceback" not in err
    assert message in json.loads(out)["error"]["message"]  # with --json, errors are JSON too
    code, _, err = run(tmp_path, "papers", "show", paper_id)
    assert code == 2 and message in err and "Traceback" not in err


def test_bad_date_option_is_a_usage_error(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, "papers", "list", "--since", "last tuesday")
    assert code == 2 and "--since" in err


def test_hf_pages_merge_with_arxiv_records(tmp_path: Path) -> None:
    page = next(SEEDS.glob("000_*.txt"))
    code, out, _ = run(tmp_path, "ingest", "file", str(page), "--json")
    assert code == 0
    before = json.loads(run(tmp_path, "stats", "--json")[1])
    assert before["title_only_papers"] == before["papers"] > 50
    title = page.read_text(encoding="utf-8").split("\n\n")[5].strip()  # the first paper's title
    record = {
        "arxiv_id": "2401.00001v1",
        "title": title,
        "abstract": "The arXiv abstract.",
        "authors": ["A. Author"],
        "categories": ["cs.CV"],
        "published_date": "2024-01-01 00:00:00 UTC",
        "updated_date": "2024-01-01 00:00:00 UTC",
    }
    source = tmp_path / "one.jsonl"
    source.write_text(json.dumps(record) + "\n", encoding="utf-8")
    code, out, _ = run(tmp_path, "ingest", "file", str(source), "--json")
    after = json.loads(run(tmp_path, "stats", "--json")[1])
    assert after["papers"] == before["papers"]
    assert after["title_only_papers"] == before["title_only_papers"] - 1
    code, out, _ = run(tmp_path, "papers", "show", "2401.00001", "--json")
    assert json.loads(out)["abstract"] == "The arXiv abstract."


def test_demo_loads_once_and_python_m_works(demo_first_load: DemoLoad, tmp_path: Path) -> None:
    """The first load on an empty store (the session's, by ``paperfeed demo --embed`` without the
    semantic extra) reports papers added (no "unchanged" there: some records repeat a paper of the
    saved pages) and, asked to embed without the extra, says why it did not; a second load
    (``python -m paperfeed``) changes nothing."""
    said, warned = " ".join(demo_first_load.stdout.split()), " ".join(demo_first_load.stderr.split())
    assert re.search(r"[\d,]+ papers added from [\d,]+ records", said) and "unchanged" not in said
    assert re.search(r"\d+ records list a paper a second time", said)
    assert "semantic search needs the semantic extra" in warned  # said, whatever the demo vectors did
    assert "pip install 'paperfeed[semantic]'" in warned  # the install hint arrives whole
    data_dir = tmp_path / "data"
    shutil.copytree(demo_first_load.data_dir, data_dir)
    second = subprocess.run(
        [sys.executable, "-m", "paperfeed", "demo", "--json"],
        env=bare_cli_env(data_dir),
        capture_output=True,
        text=True,
        timeout=600,
    )
    again = json.loads(second.stdout)
    assert again["ingest"]["added"] == 0 and again["ingest"]["updated"] == 0
    assert again["ingest"]["repeated_in_corpus"] == 0
    counts = again["stats"]  # what `paperfeed stats --json` prints
    assert counts["arxiv_papers"] == 5000 and counts["title_only_papers"] > 300
    assert counts["papers"] == counts["arxiv_papers"] + counts["title_only_papers"]
