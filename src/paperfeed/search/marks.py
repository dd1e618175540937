"""Which store change an index is current up to, kept in the index's own directory.

A mark names the index (its id, written into the directory when it was created) and the store's
``change_seq`` it covers. It lives beside the index it describes, not in the store: several
machines share one store but each has its own indexes, and each indexer keeps its own mark. The
indexer writes a mark only after the index commit it describes (atomically: a temporary file
renamed over the old one), so a crash in between only means re-indexing one batch.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

MARK_FILE = "MARK.json"


@dataclass(frozen=True, slots=True)
class IndexMark:
    """Index ``index_id`` holds every change up to store ``seq``; with ``after_id``, a slice stopped
    inside the next change: the papers of change ``seq`` with ids up to ``after_id`` are held too, and
    the others of that change are not (one ingest batch is one change, of thousands of papers)."""

    index_id: str
    seq: int
    after_id: str | None = None

    @property
    def complete(self) -> bool:
        """Whether the mark ends on a whole change (no slice part-way through one)."""
        return self.after_id is None


@dataclass(slots=True)
class UpdateReport:
    """What one index update did."""

    index: str
    full: bool = False
    indexed: int = 0
    removed: int = 0
    seq: int = 0
    skipped: str | None = None
    pending: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def read_mark(directory: Path) -> IndexMark | None:
    """The mark of the index in ``directory``; ``None`` when missing or unreadable."""
    try:
        data = json.loads((directory / MARK_FILE).read_text(encoding="utf-8"))
        after_id = data.get("after_id")
        return IndexMark(str(data["index_id"]), int(data["seq"]), str(after_id) if after_id else None)
    except (OSError, ValueError, KeyError, TypeError):
        return None


def write_mark(directory: Path, mark: IndexMark) -> None:
    """Replace the mark atomically (write, fsync, rename)."""
    temporary = directory / f".{MARK_FILE}.{os.getpid()}"
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps(asdict(mark)))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, directory / MARK_FILE)


def directory_id(directory: Path, id_file: str = "INDEX_ID") -> str | None:
    try:
        return (directory / id_file).read_text().strip()
    except OSError:
        return None


def valid_mark(directory: Path) -> IndexMark | None:
    """The mark, when it describes the index that is in ``directory`` now (else the index must be
    rebuilt: it was deleted, replaced, or never finished)."""
    mark = read_mark(directory)
    if mark is None or directory_id(directory) != mark.index_id:
        return None
    return mark
