"""What the CLI tells a person (issue 11): an unusable data dir, empty lists, how similar scores,
wrapped titles, what an arXiv job is trying and a name that does not resolve."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.ingest.http import PoliteClient, PoliteOptions, SourceUnavailable
from tests.conftest import SAMPLE_300

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent


def run(data_dir: Path, *args: str, env: dict[str, str] | None = None) -> tuple[int, str, str]:
    result = runner.invoke(
        app, ["--data-dir", str(data_dir), *args], env={"PAPERFEED_EMBED_AFTER_INGEST": "0", **(env or {})}
    )
    return result.exit_code, result.stdout, result.stderr


def shell(
    data_dir: Path, *args: str, columns: int = 200, timeout: float = 120
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT / "src"),
        "PAPERFEED_EMBED_AFTER_INGEST": "0",
        "COLUMNS": str(columns),
    }
    return subprocess.run(
        [sys.executable, "-m", "paperfeed", "--data-dir", str(data_dir), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )


@pytest.fixture(scope="module")
def sample_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    data = tmp_path_factory.mktemp("cli") / "data"
    code, _, err = run(data, "ingest", "file", str(SAMPLE_300))
    assert code == 0, err
    return data


def test_a_data_dir_that_is_a_file_or_unwritable_is_one_line(tmp_path: Path) -> None:
    a_file = tmp_path / "not-a-dir"
    a_file.write_text("x")
    code, _, err = run(a_file, "stats")
    assert code == 2 and "is a file, not a directory" in err and "Traceback" not in err
    code, out, _ = run(a_file, "stats", "--json")
    assert code == 2 and "--data-dir" in json.loads(out)["error"]["message"]
    code, _, err = run(a_file / "below", "stats")
    assert code == 2 and "cannot use the data dir" in err and "Traceback" not in err


def test_an_unusable_setting_is_one_line(tmp_path: Path) -> None:
    code, _, err = run(tmp_path, "stats", env={"PAPERFEED_ARXIV_MIN_INTERVAL": "1"})
    assert code == 2 and "PAPERFEED_ARXIV_MIN_INTERVAL" in err and "Traceback" not in err
    code, _, err = run(tmp_path, "stats", env={"PAPERFEED_CATEGORIES": "cs.LG, cs.CL"})
    assert code == 0, err  # a list setting written the way people write lists


def test_papers_list_says_when_nothing_matches(sample_dir: Path, tmp_path: Path) -> None:
    code, _, err = run(sample_dir, "papers", "list", "--category", "nucl-th")
    assert code == 0 and "no papers match (category nucl-th)" in err
    code, _, err = run(tmp_path / "empty", "papers", "list")
    assert code == 0 and "the store is empty" in err


def test_similar_explains_its_method_and_scores(sample_dir: Path) -> None:
    code, out, err = run(sample_dir, "similar", "2602.18409", "--limit", "3")
    assert code == 0, err
    assert "method: tfidf" in out and "decision value" in out and "higher is more alike" in out
    code, out, _ = run(sample_dir, "similar", "2602.18409", "--limit", "3", "--json")
    assert "decision value" in json.loads(out)["explanation"]


def test_long_titles_wrap_under_themselves(sample_dir: Path) -> None:
    done = shell(sample_dir, "search", "graph neural networks expressivity", "--limit", "3", columns=50)
    assert done.returncode == 0, done.stderr
    lines = [line.rstrip() for line in done.stdout.splitlines() if line.strip()]
    first = next(i for i, line in enumerate(lines) if line.startswith("1. "))
    assert lines[first + 1].startswith("   ") and not lines[first + 1].startswith("    ")  # under the title
    assert all(len(line) <= 50 for line in lines)


def test_a_notice_with_brackets_prints_as_written(sample_dir: Path) -> None:
    """Console markup is off: "[semantic]" in a message must not vanish as a style tag."""
    code, _, err = run(
        sample_dir, "search", "graph", "--mode", "semantic", env={"PAPERFEED_EMBEDDING_MODEL": "x"}
    )
    assert code == 0 and "note:" in err
    code, _, err = run(sample_dir, "papers", "show", "[/bold]")
    assert code == 2 and "[/bold]" in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("args", "setting"),
    [
        (("ingest", "arxiv", "--id", "2602.18409"), "PAPERFEED_ARXIV_API_URL"),
        (("ingest", "oai", "--set", "cs"), "PAPERFEED_ARXIV_OAI_URL"),
        (("sync",), "PAPERFEED_ARXIV_OAI_URL"),
    ],
)
def test_arxiv_jobs_say_what_they_try_and_fail_fast_without_dns(
    tmp_path: Path, args: tuple[str, ...], setting: str
) -> None:
    started = time.monotonic()
    code, out, err = run(tmp_path, *args, env={setting: "http://arxiv.invalid/endpoint"})
    elapsed = time.monotonic() - started
    assert code == 2, (out, err)
    assert "asking http://arxiv.invalid/endpoint" in err
    assert "cannot resolve arxiv.invalid" in err and "check the network" in err
    assert elapsed < 15, f"{elapsed:.0f} s"  # was about 40 s of silent retries


def test_retries_are_announced() -> None:
    said: list[str] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectTimeout("no answer", request=request)

    client = PoliteClient(
        "https://export.arxiv.org/api/query",
        PoliteOptions(
            min_interval=0,
            max_retries=2,
            timeout=1,
            transport=httpx.MockTransport(refuse),
            sleep=lambda _s: None,
            clock=time.monotonic,
            user_agent="test",
            notify=said.append,
        ),
    )
    with pytest.raises(SourceUnavailable, match="unreachable after 3 attempts"):
        client.get({"id_list": "x"})
    assert said[0].startswith("asking https://export.arxiv.org/api/query")
    assert said[1] == "no answer from export.arxiv.org (ConnectTimeout); trying again in 2 s (try 2 of 3)"
    assert said[2].endswith("trying again in 4 s (try 3 of 3)")
