"""Reading a recommendation benchmark folder (``corpus.jsonl`` + ``libraries/{train,test}.tsv``).

The layout is BEIR's corpus plus two pair files; it is what ``paperfeed eval make-authors`` writes
and what anyone can build from their own data (one saved paper per line). Errors name the file and
line and say what to fix, because the usual caller is a person at a terminal.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from paperfeed.errors import InvalidInput
from paperfeed.ingest.files import open_text

HEADER = ("user-id", "paper-id")


class DatasetError(InvalidInput, ValueError):
    """The folder is not a usable benchmark (the message names file, line and the fix); an
    :class:`~paperfeed.errors.InvalidInput`, so the CLI reports it as one line."""


@dataclass(slots=True)
class Dataset:
    """A corpus and, per user, the row numbers of their train and test papers."""

    name: str
    ids: list[str]
    titles: list[str]
    texts: list[str]
    train: dict[str, list[int]] = field(default_factory=dict)
    test: dict[str, list[int]] = field(default_factory=dict)

    @property
    def documents(self) -> list[str]:
        from paperfeed.recommend.features import paper_text

        return [paper_text(t, x) for t, x in zip(self.titles, self.texts, strict=True)]


def read_corpus(path: Path) -> tuple[list[str], list[str], list[str]]:
    """(ids, titles, texts) in file order; a repeated ``_id`` is an error (it would be ranked twice)."""
    if not path.is_file():
        raise DatasetError(
            f"missing {path.name} in {path.parent}: a JSON line per paper with _id, title, text"
        )
    ids: list[str] = []
    titles: list[str] = []
    texts: list[str] = []
    seen: dict[str, int] = {}
    with open_text(path) as (handle, _):
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                raise DatasetError(f"{path}:{number}: not JSON ({exc.msg})") from exc
            if not isinstance(row, dict) or "_id" not in row:
                raise DatasetError(f'{path}:{number}: a paper needs an "_id" (and "title", "text")')
            pid = str(row["_id"])
            if pid in seen:
                raise DatasetError(f"{path}:{number}: _id {pid!r} already on line {seen[pid]}")
            seen[pid] = number
            ids.append(pid)
            titles.append(str(row.get("title") or ""))
            texts.append(str(row.get("text") or ""))
    if not ids:
        raise DatasetError(f"{path}: no papers")
    return ids, titles, texts


def read_pairs(path: Path, row_of: dict[str, int]) -> dict[str, list[int]]:
    """user → corpus rows, in file order, each paper once per user."""
    if not path.is_file():
        raise DatasetError(f"missing {path.parent.name}/{path.name} in {path.parent.parent}")
    users: dict[str, dict[int, None]] = {}
    with open_text(path) as (handle, _):
        for number, raw in enumerate(handle, start=1):
            line = raw.rstrip("\r\n")
            if number == 1:
                if tuple(line.split("\t")) != HEADER:
                    raise DatasetError(f"{path}:1: the first line must be the header 'user-id<TAB>paper-id'")
                continue
            if not line.strip():
                continue
            parts = line.split("\t")
            if len(parts) != 2 or not parts[0] or not parts[1]:
                raise DatasetError(f"{path}:{number}: expected 'user-id<TAB>paper-id', got {line[:80]!r}")
            if any(ch.isspace() for ch in parts[0]):
                raise DatasetError(
                    f"{path}:{number}: user id {parts[0]!r} has whitespace (TREC runs need none)"
                )
            row = row_of.get(parts[1])
            if row is None:
                raise DatasetError(f"{path}:{number}: paper {parts[1]!r} is not in corpus.jsonl")
            users.setdefault(parts[0], {})[row] = None
    return {user: list(rows) for user, rows in users.items()}


def read_dataset(folder: Path) -> Dataset:
    """Read and validate a benchmark folder."""
    if not folder.is_dir():
        raise DatasetError(f"{folder} is not a folder")
    ids, titles, texts = read_corpus(folder / "corpus.jsonl")
    row_of = {pid: i for i, pid in enumerate(ids)}
    train = read_pairs(folder / "libraries" / "train.tsv", row_of)
    test = read_pairs(folder / "libraries" / "test.tsv", row_of)
    return Dataset(folder.name, ids, titles, texts, train, test)
