"""The TF-IDF features index: every paper's TF-IDF row and first-version date, on disk, for the
recommender. Written only by the indexer (:mod:`paperfeed.search.tfidf_updates`); read by every
process, memory-mapped.

Why an index: a member's "For you" page scores the last days' papers against the member's model,
and fitting TF-IDF (or even transforming a week of abstracts) per request would cost seconds. The
vocabulary is fitted once per *generation*, every paper's row is computed once when the paper
changes, and a request only gathers rows.

Layout of ``<index_dir>/tfidf-v1/``::

    CURRENT                  the generation readers use (its directory name), replaced atomically
    g-<id>/vocabulary.json   the fitted vocabulary and IDF (:class:`~paperfeed.search.tfidf.FittedVocabulary`)
    g-<id>/MANIFEST.json     {"seq", "segments", "complete", "store_papers", "fitted_at"}: the mark
    g-<id>/s000001/          one segment: ids.txt, published.npy, indptr.npy, indices.npy, data.npy,
                             removed.txt (ids merged away)

Segments are immutable and applied in order (a segment's removals, then its rows; the last row of
an id wins), so an update writes one new segment and then the manifest; a crash in between leaves
an unlisted segment that nobody reads. A new generation (new vocabulary) is built beside the
current one and becomes current when it has caught up; readers that still map the old files keep
working (Linux keeps unlinked files alive while mapped).
"""

from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from paperfeed.search.tfidf import FittedVocabulary

SCHEMA = "tfidf-v1"
CURRENT_FILE = "CURRENT"
MANIFEST_FILE = "MANIFEST.json"
VOCABULARY_FILE = "vocabulary.json"
NO_DATE = np.iinfo(np.int64).min
"""``published`` of a paper without a first-version date (title-only papers): in no window."""


def tfidf_path(index_dir: Path) -> Path:
    return Path(index_dir) / SCHEMA


def epoch_seconds(moment: datetime | None) -> int:
    """Seconds since 1970 (UTC; naive datetimes are UTC, the store's convention), or :data:`NO_DATE`."""
    if moment is None:
        return int(NO_DATE)
    aware = moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
    return int(aware.timestamp())


def write_json_atomic(path: Path, data: Any) -> None:
    """Write, fsync, rename: a reader sees the old file or the new one, never a torn one."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(json.dumps(data))
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


def write_text_atomic(path: Path, text: str) -> None:
    temporary = path.with_name(f".{path.name}.{os.getpid()}.{threading.get_ident()}")
    with temporary.open("w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)


# ------------------------------------------------------------------------------------ segments
@dataclass(slots=True)
class Segment:
    """One immutable batch of rows (memory-mapped) and removals."""

    name: str
    ids: list[str]
    published: np.ndarray
    matrix: sp.csr_matrix
    removed: list[str]

    @property
    def nnz(self) -> int:
        return int(self.matrix.nnz)


def _save(path: Path, array: np.ndarray) -> None:
    with path.open("wb") as handle:
        np.save(handle, array)
        handle.flush()
        os.fsync(handle.fileno())


def write_segment(
    folder: Path,
    ids: Sequence[str],
    published: np.ndarray,
    matrix: sp.csr_matrix,
    removed: Sequence[str] = (),
) -> None:
    """Write a segment directory (replacing a half-written one of the same name)."""
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    csr = sp.csr_matrix(matrix, dtype=np.float32)
    csr.sort_indices()
    # One index dtype for both arrays, so scipy maps them as they are instead of converting.
    index_dtype = np.int32 if csr.nnz < np.iinfo(np.int32).max else np.int64
    _save(folder / "indptr.npy", np.asarray(csr.indptr, dtype=index_dtype))
    _save(folder / "indices.npy", np.asarray(csr.indices, dtype=index_dtype))
    _save(folder / "data.npy", np.asarray(csr.data, dtype=np.float32))
    _save(folder / "published.npy", np.asarray(published, dtype=np.int64))
    for name, lines in (("ids.txt", ids), ("removed.txt", removed)):
        with (folder / name).open("w", encoding="utf-8") as handle:
            handle.write("".join(f"{line}\n" for line in lines))
            handle.flush()
            os.fsync(handle.fileno())


def read_segment(folder: Path, width: int) -> Segment:
    """A segment, its arrays memory-mapped (nothing is read until rows are gathered)."""

    def lines(name: str) -> list[str]:
        text = (folder / name).read_text(encoding="utf-8")
        return text.split("\n")[:-1] if text else []

    ids = lines("ids.txt")
    indptr = np.load(folder / "indptr.npy", mmap_mode="r")
    indices = np.load(folder / "indices.npy", mmap_mode="r")
    data = np.load(folder / "data.npy", mmap_mode="r")
    if len(indptr) != len(ids) + 1:
        raise OSError(f"segment {folder} is inconsistent: {len(ids)} ids, {len(indptr) - 1} rows")
    matrix = sp.csr_matrix((data, indices, indptr), shape=(len(ids), width), copy=False)
    published = np.load(folder / "published.npy", mmap_mode="r")
    return Segment(folder.name, ids, published, matrix, lines("removed.txt"))


# ------------------------------------------------------------------------------------ manifest
@dataclass(slots=True)
class Manifest:
    """A generation's mark: which segments make it, the store change it covers, and its fit."""

    generation: str
    seq: int = 0
    segments: list[str] = field(default_factory=list)
    complete: bool = False
    store_papers: int = 0  # papers in the store when the vocabulary was fitted (refit on doubling)
    fitted_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "generation": self.generation,
            "seq": self.seq,
            "segments": self.segments,
            "complete": self.complete,
            "store_papers": self.store_papers,
            "fitted_at": self.fitted_at,
        }

    @classmethod
    def read(cls, folder: Path) -> Manifest | None:
        try:
            data = json.loads((folder / MANIFEST_FILE).read_text(encoding="utf-8"))
            return cls(
                generation=str(data["generation"]),
                seq=int(data["seq"]),
                segments=[str(s) for s in data["segments"]],
                complete=bool(data["complete"]),
                store_papers=int(data.get("store_papers", 0)),
                fitted_at=str(data.get("fitted_at", "")),
            )
        except (OSError, ValueError, KeyError, TypeError):
            return None

    def write(self, folder: Path) -> None:
        write_json_atomic(folder / MANIFEST_FILE, self.to_dict())


def current_generation(root: Path) -> str | None:
    try:
        name = (root / CURRENT_FILE).read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return name or None


# ------------------------------------------------------------------------------------ snapshot
class TfidfSnapshot:
    """One consistent view of the current generation: live rows by paper, and date windows.

    Immutable once built; :func:`open_tfidf` swaps in a new snapshot when the indexer has moved the
    manifest (re-reading only the new segments)."""

    def __init__(
        self,
        folder: Path,
        manifest: Manifest,
        vocabulary: FittedVocabulary,
        segments: list[Segment],
    ) -> None:
        self.folder = folder
        self.manifest = manifest
        self.vocabulary = vocabulary
        self.segments = segments
        self.width = len(vocabulary)
        live: dict[str, tuple[int, int]] = {}
        for s, segment in enumerate(segments):
            for paper_id in segment.removed:
                live.pop(paper_id, None)
            for row, paper_id in enumerate(segment.ids):
                live[paper_id] = (s, row)
        self.live = live
        self.ids = list(live)
        places = np.array(list(live.values()), dtype=np.int64).reshape(-1, 2)
        self._segment_of = places[:, 0]
        self._row_of = places[:, 1]
        published = np.full(len(self.ids), NO_DATE, dtype=np.int64)
        for s, segment in enumerate(segments):
            mine = self._segment_of == s
            if mine.any():
                published[mine] = np.asarray(segment.published)[self._row_of[mine]]
        self.published = published
        self._vectorizer: Any = None

    @property
    def generation(self) -> str:
        return self.manifest.generation

    @property
    def seq(self) -> int:
        return self.manifest.seq

    def __len__(self) -> int:
        return len(self.ids)

    def __contains__(self, paper_id: object) -> bool:
        return paper_id in self.live

    def _gather(self, segment_of: np.ndarray, row_of: np.ndarray) -> sp.csr_matrix:
        """Rows given by (segment, row) pairs, in that order, as one CSR matrix."""
        n = len(segment_of)
        if n == 0:
            return sp.csr_matrix((0, self.width), dtype=np.float32)
        blocks: list[sp.csr_matrix] = []
        positions: list[np.ndarray] = []
        for s in np.unique(segment_of):
            mine = np.flatnonzero(segment_of == s)
            blocks.append(sp.csr_matrix(self.segments[int(s)].matrix[row_of[mine]], dtype=np.float32))
            positions.append(mine)
        stacked = sp.csr_matrix(sp.vstack(blocks, format="csr"), dtype=np.float32)
        order = np.empty(n, dtype=np.int64)
        order[np.concatenate(positions)] = np.arange(n)
        return sp.csr_matrix(stacked[order], dtype=np.float32)

    def rows(self, paper_ids: Sequence[str]) -> tuple[list[str], sp.csr_matrix]:
        """The rows of those ``paper_ids`` that are indexed (in the given order), and their ids."""
        found = [p for p in dict.fromkeys(paper_ids) if p in self.live]
        places = np.array([self.live[p] for p in found], dtype=np.int64).reshape(-1, 2)
        return found, self._gather(places[:, 0], places[:, 1])

    def window(self, since: datetime, until: datetime) -> tuple[list[str], np.ndarray, sp.csr_matrix]:
        """Papers whose first version is in ``[since, until)``, newest first (then larger id first):
        their ids, first-version dates (epoch seconds) and rows."""
        low, high = epoch_seconds(since), epoch_seconds(until)
        chosen = np.flatnonzero((self.published >= low) & (self.published < high))
        if len(chosen):
            ids = np.array([self.ids[i] for i in chosen], dtype=object)
            order = np.lexsort((ids, self.published[chosen]))[::-1]
            chosen = chosen[order]
        ids_out = [self.ids[i] for i in chosen]
        matrix = self._gather(self._segment_of[chosen], self._row_of[chosen])
        return ids_out, self.published[chosen], matrix

    def vectorizer(self) -> Any:
        """The generation's fitted vectorizer (built on first use; the indexer's, not a request's)."""
        if self._vectorizer is None:
            self._vectorizer = self.vocabulary.vectorizer()
        return self._vectorizer


def load_snapshot(root: Path, previous: TfidfSnapshot | None = None) -> TfidfSnapshot | None:
    """The current generation's snapshot, reusing ``previous``'s segments when they still apply.

    Returns ``None`` when there is no complete generation yet. A generation or segment deleted
    while it was being read (the indexer compacted or switched) is retried from the new state."""
    for _ in range(5):
        name = current_generation(root)
        if name is None:
            return None
        folder = root / name
        manifest = Manifest.read(folder)
        if manifest is None or not manifest.complete:
            return None
        try:
            same = previous is not None and previous.generation == manifest.generation
            if same and previous is not None and previous.manifest.to_dict() == manifest.to_dict():
                return previous
            vocabulary = (
                previous.vocabulary
                if same and previous is not None
                else FittedVocabulary.load(folder / VOCABULARY_FILE)
            )
            known = {s.name: s for s in previous.segments} if same and previous is not None else {}
            segments = [
                known.get(name) or read_segment(folder / name, len(vocabulary)) for name in manifest.segments
            ]
            return TfidfSnapshot(folder, manifest, vocabulary, segments)
        except (OSError, ValueError):
            continue  # switched or compacted under us: read the new state
    return None


_cache: dict[str, TfidfSnapshot] = {}
_stamps: dict[str, tuple[Any, ...]] = {}
_lock = threading.Lock()


def _stamp(root: Path) -> tuple[Any, ...] | None:
    try:
        current = (root / CURRENT_FILE).stat()
        name = (root / CURRENT_FILE).read_text(encoding="utf-8").strip()
        manifest = (root / name / MANIFEST_FILE).stat()
    except OSError:
        return None
    return (
        current.st_mtime_ns,
        current.st_ino,
        name,
        manifest.st_mtime_ns,
        manifest.st_ino,
        manifest.st_size,
    )


def open_tfidf(index_dir: Path) -> TfidfSnapshot | None:
    """The TF-IDF features of a data dir's index folder, or ``None`` before the indexer built them.

    Cheap when nothing changed (two ``stat`` calls); after an indexer round only the new segments
    are read."""
    root = tfidf_path(index_dir)
    key = str(root)
    stamp = _stamp(root)
    if stamp is None:
        return None
    with _lock:
        cached = _cache.get(key)
        if cached is not None and _stamps.get(key) == stamp:
            return cached
        snapshot = load_snapshot(root, cached)
        if snapshot is None:
            _cache.pop(key, None)
            _stamps.pop(key, None)
            return None
        _cache[key] = snapshot
        _stamps[key] = stamp
        return snapshot
