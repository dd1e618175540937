"""Docs kept true by tests: every command, setting and doc link exists, and CI runs the README's command."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import typer.main

from paperfeed.cli import app
from paperfeed.config import Settings

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = README + "".join(p.read_text(encoding="utf-8") for p in sorted((ROOT / "docs").glob("*.md")))


def quick_start_commands() -> list[str]:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    return [block.strip() for block in re.findall(r"```\n(.*?)```", section, flags=re.S)]


def command_paths(group: Any, prefix: str = "paperfeed") -> list[str]:
    paths = []
    for name, command in group.commands.items():
        path = f"{prefix} {name}"
        if hasattr(command, "commands"):
            paths.extend(command_paths(command, path))
        else:
            paths.append(path)
    return paths


def test_quick_start_is_two_one_line_commands() -> None:
    commands = quick_start_commands()
    assert len(commands) == 2
    assert all("\n" not in command for command in commands)


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert quick_start_commands()[1] in ci.splitlines()


def test_every_cli_command_is_documented() -> None:
    group = typer.main.get_command(app)
    missing = [path for path in command_paths(group) if path not in DOCS]
    assert missing == []


def test_every_setting_is_documented() -> None:
    configuration = (ROOT / "docs" / "configuration.md").read_text(encoding="utf-8")
    missing = [
        f"PAPERFEED_{name.upper()}"
        for name in Settings.model_fields
        if f"`PAPERFEED_{name.upper()}`" not in configuration
    ]
    assert missing == []


def test_doc_links_point_at_files() -> None:
    for source in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for target in re.findall(r"\]\(([^)#:]+\.md)\)", source.read_text(encoding="utf-8")):
            assert (source.parent / target).exists(), f"{source.name} links to missing {target}"


def test_every_api_route_is_documented(tmp_path: Path) -> None:
    from paperfeed.context import Paperfeed
    from paperfeed.web.app import create_app

    web = create_app(Paperfeed(Settings(data_dir=tmp_path)), indexer=False)
    web_doc = (ROOT / "docs" / "web.md").read_text(encoding="utf-8")
    routes = [
        f"{method.upper()} {path}"
        for path, operations in web.openapi()["paths"].items()
        if path.startswith("/api/")
        for method in operations
    ]
    assert len(routes) >= 12
    missing = [route for route in routes if f"`{route}`" not in web_doc]
    assert missing == []
