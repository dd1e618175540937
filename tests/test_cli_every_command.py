"""Every CLI command under broken settings and bad paths prints a one-line error, never a traceback
(issue 18, item 15): ``PAPERFEED_MAIL_BACKEND=smtp`` without a host, a data dir that is a file, a
database that cannot be reached, arXiv unreachable, and paths that are folders, in missing folders,
or corrupt gzip files. With ``--json`` stdout is one JSON object.

The commands come from the Typer app itself, so a new command is run here too (and fails this test
until its arguments have an example value below)."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from paperfeed.cli import app

runner = CliRunner()

# Example values for required arguments, by name; paths are filled per scenario.
ARGUMENTS = {
    "email": "reader@example.org",
    "emails": "reader@example.org",
    "query": "graph",
    "paper_ids": "2602.18409",
    "paper_id": "2602.18409",
    "kind": "category",
    "value": "cs.CL",
}
PATHS = {
    "path",
    "file",
    "folder",
    "sample",
    "out_dir",
    "output",
    "out_file",
    "run_out",
    "work_dir",
    "embeddings",
}
BLOCKING = {"serve", "index follow"}  # they serve or follow until stopped when the settings work
SLOW = {"demo"}  # loads 5,000 papers when the settings work: run only where the settings are broken


def commands() -> list[tuple[list[str], typer.core.TyperCommand]]:
    found = []

    def walk(command: object, prefix: list[str]) -> None:
        subcommands = getattr(command, "commands", None)
        if subcommands is not None:
            for name, sub in subcommands.items():
                walk(sub, [*prefix, name])
        else:
            found.append((prefix, command))

    walk(typer.main.get_command(app), [])
    return found


def arguments(command: object, paths: dict[str, str]) -> list[str]:
    """The command's required arguments (example values) and every path option set to a bad path."""
    args: list[str] = []
    options: list[str] = []
    for param in command.params:  # type: ignore[attr-defined]
        if param.param_type_name == "argument":
            if param.name in PATHS:
                args.append(paths["argument"])
            else:
                assert param.name in ARGUMENTS, f"give {param.name!r} an example value in ARGUMENTS"
                args.append(ARGUMENTS[param.name])
        elif param.name in PATHS:
            options += [param.opts[0], paths["option"]]
    if any(p.name == "as_json" for p in command.params):  # type: ignore[attr-defined]
        options.append("--json")
    return [*args, *options]


def check(words: list[str], result: object, scenario: str) -> None:
    where = f"{' '.join(words)} [{scenario}]"
    output = result.output  # type: ignore[attr-defined]
    exception = result.exception  # type: ignore[attr-defined]
    assert exception is None or isinstance(exception, SystemExit), (where, exception, output)
    assert "Traceback" not in output, (where, output)
    assert result.exit_code in (0, 1, 2), (where, result.exit_code, output)  # type: ignore[attr-defined]
    if "--json" in words and result.stdout.strip():  # type: ignore[attr-defined]
        json.loads(result.stdout)  # type: ignore[attr-defined]  # one JSON object, nothing else
    if result.exit_code == 2:  # type: ignore[attr-defined]
        errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]  # type: ignore[attr-defined]
        assert len(errors) == 1 or "--json" in words or "Usage:" in result.stderr, (where, output)  # type: ignore[attr-defined]


@pytest.fixture
def places(tmp_path: Path) -> dict[str, Path]:
    corrupt = tmp_path / "corrupt.jsonl.gz"
    corrupt.write_bytes(gzip.compress(b'{"id": "2602.18409", "title": "T"}\n' * 50)[:60])
    folder = tmp_path / "a-folder"
    folder.mkdir()
    a_file = tmp_path / "a-file"
    a_file.write_text("not a folder")
    return {"corrupt": corrupt, "folder": folder, "missing": tmp_path / "missing" / "x.bib", "file": a_file}


BROKEN_SETTINGS = {
    "mail smtp without a host, arXiv unreachable, no embedding model": {
        "PAPERFEED_MAIL_BACKEND": "smtp",
        "PAPERFEED_ARXIV_API_URL": "http://127.0.0.1:1/api/query",
        "PAPERFEED_ARXIV_OAI_URL": "http://127.0.0.1:1/oai2",
        "PAPERFEED_ARXIV_MAX_RETRIES": "0",
        "PAPERFEED_ARXIV_TIMEOUT": "2",
        "PAPERFEED_EMBEDDING_MODEL": "/nonexistent/embedding-model",
    },
    "database unreachable": {"PAPERFEED_DATABASE_URL": "postgresql://nobody@127.0.0.1:1/nothing"},
    "data dir is a file": {},
}


def test_every_command_under_broken_settings_and_bad_paths(tmp_path: Path, places: dict[str, Path]) -> None:
    everything = commands()
    assert len(everything) > 30
    data = tmp_path / "data"
    quiet = {"PAPERFEED_EMBED_AFTER_INGEST": "0", "PAPERFEED_BASE_URL": None, "PAPERFEED_DATA_DIR": None}
    assert runner.invoke(app, ["--data-dir", str(data), "users", "add", "reader@example.org"]).exit_code == 0
    ran = 0
    for scenario, settings in BROKEN_SETTINGS.items():
        data_dir = places["file"] if scenario == "data dir is a file" else data
        works = scenario.startswith("mail")  # the store itself is fine
        for words, command in everything:
            name = " ".join(words)
            if works and name in BLOCKING | SLOW:
                continue
            args = arguments(command, {"argument": str(places["folder"]), "option": str(places["missing"])})
            full = ["--data-dir", str(data_dir), *words, *args]
            result = runner.invoke(app, full, env=quiet | settings)
            check(full, result, scenario)
            ran += 1
    # Bad paths with working settings: a folder, a missing folder and a corrupt .gz for each path.
    for words, command in everything:
        name = " ".join(words)
        has_paths = any(p.name in PATHS for p in command.params)  # type: ignore[attr-defined]
        if not has_paths or name in BLOCKING | SLOW:
            continue
        for argument, option in (("folder", "missing"), ("missing", "folder"), ("corrupt", "corrupt")):
            args = arguments(command, {"argument": str(places[argument]), "option": str(places[option])})
            full = ["--data-dir", str(data), *words, *args]
            result = runner.invoke(app, full, env=quiet)
            check(full, result, f"paths: {argument}/{option}")
            ran += 1
    assert ran > 100
