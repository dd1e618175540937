"""Pick the reader for a file from its name and its first few kilobytes.

The extension alone is ambiguous (a ``.json`` may be our JSON lines or the Kaggle dump; a ``.txt``
may be a saved Hugging Face page), so the head of the file decides where it can, and the error
says what was seen and how to force a format.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TextIO

import orjson

from paperfeed.ingest.bibtex import read_bibtex
from paperfeed.ingest.csv_file import read_csv
from paperfeed.ingest.hf_pages import looks_like_hf_page, read_hf_page
from paperfeed.ingest.jsonl import read_jsonl
from paperfeed.ingest.kaggle import read_kaggle
from paperfeed.records import SourceItem

Reader = Callable[[TextIO], Iterator[SourceItem]]

READERS: dict[str, Reader] = {
    "jsonl": read_jsonl,
    "kaggle": read_kaggle,
    "csv": read_csv,
    "hf-page": read_hf_page,
    "bibtex": read_bibtex,
}
"""Format name → reader; the names are what ``detect_format`` returns and what a CLI accepts."""

_COMPRESSED = (".gz", ".bz2", ".xz")


class UnknownFormat(ValueError):
    """The file's format could not be recognised; the message says what to do."""


def _strip_suffixes(path: Path) -> str:
    name = path.name.lower()
    for suffix in _COMPRESSED:
        if name.endswith(suffix):
            name = name[: -len(suffix)]
    return name


def _first_line(head: str) -> tuple[str, bool]:
    """The first non-blank line of ``head`` and whether it is complete (its end is in ``head``)."""
    lines = head.splitlines(keepends=True)
    for index, line in enumerate(lines):
        if line.strip():
            return line.strip(), line.endswith(("\n", "\r")) or index < len(lines) - 1
    return "", True


def _json_kind(path: Path, head: str) -> str:
    """``kaggle`` or ``jsonl`` from the first line; a complete line that is no JSON object is an error.

    A first line too long to have been read whole (a huge abstract) is judged by its start and by
    the snapshot's own field names; the reader then checks every line anyway.
    """
    line, complete = _first_line(head)
    if complete:
        try:
            obj = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise UnknownFormat(
                f"{path}: expected one JSON object per line, but line 1 is not JSON ({exc}); "
                f"choose the format with --format if the file is something else"
            ) from None
        if not isinstance(obj, dict):
            raise UnknownFormat(
                f"{path}: expected one JSON object per line, but line 1 is a JSON {type(obj).__name__}"
            )
        keys = set(obj)
    elif line.startswith("{"):
        keys = {key for key in ("versions", "authors_parsed", "submitter") if f'"{key}"' in line}
    else:
        raise UnknownFormat(f"{path}: expected one JSON object per line, but line 1 does not start with {{")
    if "versions" in keys and ("authors_parsed" in keys or "submitter" in keys):
        return "kaggle"
    return "jsonl"


def detect_format(path: Path, head: str) -> str:
    """One of :data:`READERS`' keys for ``path`` whose (decompressed) text starts with ``head``."""
    name = _strip_suffixes(path)
    stripped = head.lstrip("\ufeff \t\r\n")
    if name.endswith(".bib") or stripped.startswith("@"):
        return "bibtex"
    if name.endswith((".json", ".jsonl", ".ndjson")) or stripped.startswith("{"):
        return _json_kind(path, stripped)
    if name.endswith(".csv"):
        return "csv"
    if looks_like_hf_page(head):
        return "hf-page"
    raise UnknownFormat(
        f"{path}: cannot tell the format from the name or the first lines; expected .jsonl/.json, "
        f".csv, .bib, the Kaggle arXiv snapshot or a saved Hugging Face Daily Papers page "
        f"(choose one explicitly: {', '.join(READERS)})"
    )
