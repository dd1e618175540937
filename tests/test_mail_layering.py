"""paperfeed.mail stays below the features: it may use the settings, never accounts, search, web or store."""

from __future__ import annotations

import ast
from pathlib import Path

import paperfeed.mail

FORBIDDEN = ("paperfeed.community", "paperfeed.search", "paperfeed.web", "paperfeed.cli", "paperfeed.store")


def test_mail_imports_no_feature_package() -> None:
    found = []
    sources = sorted(Path(paperfeed.mail.__file__).parent.glob("*.py"))
    assert len(sources) >= 8
    for source in sources:
        for node in ast.walk(ast.parse(source.read_text(encoding="utf-8"))):
            names = (
                [alias.name for alias in node.names]
                if isinstance(node, ast.Import)
                else [node.module or ""]
                if isinstance(node, ast.ImportFrom)
                else []
            )
            found += [f"{source.name}: {name}" for name in names if name.startswith(FORBIDDEN)]
    assert found == []
