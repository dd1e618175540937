"""Moving embeddings between data dirs: one ``.npz`` file of vectors with their paper ids, the hash
of the text each was made from, and which model made them (name and fingerprint of its files).

This is how the demo has semantic search from its first second: the bundled demo corpus comes with
its vectors, made by ``paperfeed index export-vectors`` (``scripts/build-demo-vectors.sh``) and
loaded by ``paperfeed demo``. An import takes a vector only for a stored paper whose current text
has the same hash, refuses a file made by another model (or another version of it), and writes the
vectors index as the data dir's indexer (holding its lock), like any other index update.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np

from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput, NotFound
from paperfeed.search.embedders import (
    EmbedderUnavailable,
    model_fingerprint,
    paper_text,
    resolve_model,
    text_hash,
)
from paperfeed.search.indexer import IndexerBusy, IndexerLock
from paperfeed.search.marks import IndexMark, valid_mark, write_mark
from paperfeed.search.vectors import VectorStore, vectors_path

FORMAT = 1


@dataclass(slots=True)
class VectorImport:
    """What an import did: vectors taken, papers whose text changed since, ids not in the store."""

    model: str
    fingerprint: str
    imported: int = 0
    stale: int = 0
    unknown: int = 0
    pending: int = 0

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def export_vectors(app: Paperfeed, out: Path) -> dict[str, Any]:
    """Write the configured model's vectors to ``out`` (compressed .npz); returns their metadata."""
    model = app.settings.embedding_model
    path = vectors_path(app.settings, model)
    if not VectorStore.exists(path):
        raise NotFound(
            f"no vectors of {model} in {app.settings.index_dir}: embed first (paperfeed index rebuild)"
        )
    store = VectorStore(path)
    ids = list(store.live)
    rows = np.array([store.live[i] for i in ids], dtype=np.int64)
    matrix = store.get_rows(rows)
    meta = {"format": FORMAT, "model": store.model, "fingerprint": store.fingerprint, "dim": store.dim}
    out.parent.mkdir(parents=True, exist_ok=True)
    with out.open("wb") as handle:
        np.savez_compressed(
            handle,
            ids=np.array(ids, dtype=str),
            hashes=np.array([store.row_hashes[r] for r in rows], dtype=str),
            vectors=matrix.astype(np.float16),
            meta=np.array(json.dumps(meta)),
        )
    return meta | {"count": len(ids)}


def _read(file: Path) -> tuple[dict[str, Any], dict[str, tuple[str, int]], np.ndarray]:
    try:
        with np.load(file, allow_pickle=False) as data:
            meta = json.loads(str(data["meta"]))
            ids = [str(i) for i in data["ids"]]
            hashes = [str(h) for h in data["hashes"]]
            vectors = np.asarray(data["vectors"], dtype=np.float16)
    except (OSError, ValueError, KeyError) as exc:
        raise InvalidInput(f"{file} is not a paperfeed vectors file: {exc}") from exc
    if meta.get("format") != FORMAT or vectors.shape != (len(ids), int(meta.get("dim", -1))):
        raise InvalidInput(f"{file} is not a paperfeed vectors file of format {FORMAT}")
    return (
        meta,
        {pid: (digest, row) for row, (pid, digest) in enumerate(zip(ids, hashes, strict=True))},
        vectors,
    )


def installed_fingerprint(model: str) -> str | None:
    """The fingerprint of the model files this machine would load, or None when none are installed."""
    try:
        return model_fingerprint(resolve_model(model))
    except EmbedderUnavailable:
        return None


def import_vectors(app: Paperfeed, file: Path) -> VectorImport:
    """Add the file's vectors to this data dir's vectors index, as its indexer (see the module)."""
    meta, by_id, vectors = _read(file)
    model = app.settings.embedding_model
    if meta["model"] != model:
        raise InvalidInput(
            f"{file.name} holds vectors of {meta['model']}, but PAPERFEED_EMBEDDING_MODEL is {model}: "
            "use that model, or embed with yours (paperfeed index rebuild)"
        )
    installed = installed_fingerprint(model)
    if installed is not None and meta.get("fingerprint") and installed != meta["fingerprint"]:
        raise InvalidInput(
            f"{file.name} was made by another version of {model} (model files {meta['fingerprint']}, "
            f"installed {installed}): its vectors would not match your queries; embed with `paperfeed index rebuild`"
        )
    lock = IndexerLock(app.settings.index_dir)
    if not lock.try_acquire():
        raise IndexerBusy(
            f"the indexes in {app.settings.index_dir} are kept by another process: stop it to import"
        )
    try:
        return _import_locked(app, meta, by_id, vectors)
    finally:
        lock.release()


def _import_locked(
    app: Paperfeed, meta: dict[str, Any], by_id: dict[str, tuple[str, int]], vectors: np.ndarray
) -> VectorImport:
    papers = app.store.papers
    path = vectors_path(app.settings, app.settings.embedding_model)
    report = VectorImport(model=str(meta["model"]), fingerprint=str(meta.get("fingerprint") or ""))
    existing = VectorStore(path) if VectorStore.exists(path) and valid_mark(path) is not None else None
    if existing is None or (existing.fingerprint and existing.fingerprint != report.fingerprint):
        store = VectorStore.create(
            path, model=report.model, dim=int(meta["dim"]), fingerprint=report.fingerprint
        )
    else:
        store = existing
    target = papers.current_seq()
    seen: set[str] = set()
    missing = 0
    for batch in papers.iter_changed(0, until_seq=target):
        ids, digests, rows = [], [], []
        for paper in batch:
            seen.add(paper.paper_id)
            digest = text_hash(paper_text(paper))
            if store.hash_of(paper.paper_id) == digest:
                continue
            found = by_id.get(paper.paper_id)
            if found is None or found[0] != digest:
                report.stale += found is not None
                missing += 1
                continue
            ids.append(paper.paper_id)
            digests.append(digest)
            rows.append(found[1])
        if ids:
            store.append(ids, digests, vectors[np.array(rows, dtype=np.int64)])
            report.imported += len(ids)
    report.unknown = sum(1 for pid in by_id if pid not in seen)
    report.pending = missing
    # Complete: the vectors are current to the store. Otherwise the indexer embeds the rest from
    # the start of the feed (skipping every vector whose text hash already matches).
    write_mark(path, IndexMark(store.index_id, target if missing == 0 else 0))
    return report
