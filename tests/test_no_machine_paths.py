"""No file of the repository names a path of the machine it was written on (issue 18, item 19):
``benchmarks/embed.py`` defaulted to a path under the author's machine root, so the benchmark failed on
any other machine.
Paths are relative to the repository (``../shared/data/…``, as ``benchmarks/scale.py`` has it) or
``~`` for a home directory."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

# A home directory, root's home, a macOS home, or the root of the machine this was written on.
MACHINE_PATH = re.compile(r"(?<![\w.~-])/(?:home/[A-Za-z_][\w.-]*|root|Users/[A-Za-z_][\w.-]*|work)/")
VENDORED = ("src/paperfeed/web/static/vendor/", "tests/e2e/vendor/")  # third-party files, as published


def tracked_text_files() -> list[Path]:
    listed = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.decode("utf-8")
    files = []
    for name in filter(None, listed.split("\0")):
        if name.startswith(VENDORED) or name.endswith((".gz", ".npz", ".png", ".ico")):
            continue
        path = ROOT / name
        if path.is_file():
            files.append(path)
    return files


def test_no_tracked_file_names_a_machine_path() -> None:
    files = tracked_text_files()
    assert len(files) > 100
    found = []
    for path in files:
        try:
            text = path.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            continue
        for number, line in enumerate(text.splitlines(), start=1):
            if MACHINE_PATH.search(line):
                found.append(f"{path.relative_to(ROOT)}:{number}: {line.strip()[:120]}")
    assert found == [], "\n".join(found)


def test_the_pattern_catches_what_it_should() -> None:
    # Spelled in pieces, so this file does not hold the paths it refuses.
    bad_paths = [
        f"/{top}/{rest}"
        for top, rest in (
            ("home", "alice/x"),
            ("work", "shared/data"),
            ("root", ".cache"),
            ("Users", "bob/src"),
        )
    ]
    for bad in bad_paths:
        assert MACHINE_PATH.search(bad), bad
    for fine in ("~/.local/share/paperfeed", "../shared/data/x", "/tmp/pf", "https://example.org/home/x/"):
        assert not MACHINE_PATH.search(fine), fine
