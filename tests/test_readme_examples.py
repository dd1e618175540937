"""The README's usage examples, run as written on the demo corpus (issue 11): each one that needs
neither the network nor a file of the reader's own exits 0, and the searches find papers."""

from __future__ import annotations

import json
import re
import shlex
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paperfeed.cli import app

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
runner = CliRunner()

# Left out, with the reason: they reach arXiv (or GitHub: ``enrich`` asks for stars), block (a server), name the reader's own file or
# benchmark folder (``eval recommend``: ``eval make-authors`` writes one from a 20,000-record
# sample, minutes of work), or need a subscription for an address no earlier example subscribes.
NOT_RUN = (
    "paperfeed ingest arxiv",
    "paperfeed ingest oai",
    "paperfeed sync",
    "paperfeed serve",
    "paperfeed ingest file",
    "paperfeed library import",
    "paperfeed eval recommend",
    "paperfeed digest preview",
    "paperfeed enrich",
)


def usage_examples() -> list[list[str]]:
    block = README.split("## Usage", 1)[1].split("```", 2)[1]
    commands = []
    for line in block.splitlines():
        line = line.split("  #", 1)[0].strip()
        if line.startswith("paperfeed ") and not line.startswith(NOT_RUN):
            commands.append(shlex.split(line)[1:])
    return commands


@pytest.fixture(scope="module")
def demo_dir(tmp_path_factory: pytest.TempPathFactory, demo_template: Path) -> Path:
    """The demo corpus as ``paperfeed demo`` (the first example) loads it: a copy of the session's.
    The first example then runs ``demo`` on it again (idempotent, as the README says)."""
    data = tmp_path_factory.mktemp("readme") / "data"
    shutil.copytree(demo_template, data)
    return data


def test_the_usage_block_is_what_this_test_runs() -> None:
    names = [" ".join(args[:2]) for args in usage_examples()]
    assert "demo" in names[0] and any(n.startswith("search") for n in names)
    assert any(n.startswith("eval beir") for n in names) and any(n.startswith("similar") for n in names)


@pytest.mark.parametrize("args", usage_examples(), ids=lambda args: " ".join(args[:2]))
def test_usage_example_runs_on_the_demo(demo_dir: Path, args: list[str]) -> None:
    if args[:2] == ["eval", "beir"]:
        folder = ROOT / args[2]
        assert (folder / "corpus.jsonl").exists(), f"the README's BEIR folder {args[2]} is not in the project"
        args = [*args[:2], str(folder), *args[3:]]
        # As written but keyword-only: hybrid would embed the folder first (minutes on a CPU).
        args = [
            "keyword" if previous == "--mode" else a
            for previous, a in zip(["", *args[:-1]], args, strict=True)
        ]
    result = runner.invoke(
        app, ["--data-dir", str(demo_dir), *args], env={"PAPERFEED_EMBED_AFTER_INGEST": "0"}
    )
    assert result.exit_code == 0, (args, result.stdout, result.stderr)
    if args[0] == "search":
        found = runner.invoke(app, ["--data-dir", str(demo_dir), *args, "--json"])
        assert json.loads(found.stdout)["total"] >= 1, "the README's search finds nothing on the demo"
    if args[0] == "similar" or args[:2] == ["papers", "list"]:
        assert re.search(r"\b2\d{3}\.\d{5}\b", result.stdout), result.stdout
