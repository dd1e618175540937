"""Paper embeddings on disk and nearest-neighbour search over them.

Layout of ``<index_dir>/vectors-<model>/``: ``vectors.f16`` (rows of float16, appended), ``rows.tsv``
(one line per row: ``paper_id<TAB>text hash``, or ``!paper_id`` for a removal), ``meta.json`` (model,
dim), ``INDEX_ID``. Append-only, so an update writes only new rows and a crash leaves at worst a
partial last row, which :meth:`VectorStore.load` ignores; the last row of an id wins. Re-embedding
skips papers whose text hash is unchanged (a category change costs nothing).

Search is exact (one matrix product) up to ``exact_max`` live vectors; above that a faiss IVF index
(float16 scalar quantisation, ``4·sqrt(n)`` lists, ``max(32, lists/16)`` probed) answers, with stale
rows filtered out. The indexer builds and extends the IVF file (:meth:`VectorStore.save_ann`);
searching processes only read it, adding rows appended since in memory, and search exactly until
the indexer has written one. Only the indexer writes this directory.
Its recall@10 against exact search is measured by ``benchmarks/search.py`` (docs/benchmarks.md).
"""

from __future__ import annotations

import json
import math
import os
import re
import shutil
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

EXACT_MAX_DEFAULT = 50_000  # Settings.vector_exact_max
NPROBE_DEFAULT = 0  # Settings.vector_nprobe: 0 = scale with the number of IVF lists
"""IVF lists probed per query; 0 = automatic, ``max(32, nlist // 16)``: about 6% of the lists. On
SciFact's real embeddings (287 lists) 32 probes gave recall@10 0.974 and 8 gave 0.874, so the probed
share, not the count, is what to keep as the index grows (docs/benchmarks.md)."""
ID_FILE = "INDEX_ID"


def model_slug(name: str) -> str:
    """A directory-safe name for a model (a path's last component, or the hub name)."""
    base = Path(name).name if ("/" in name and Path(name).expanduser().exists()) else name
    return re.sub(r"[^A-Za-z0-9._-]+", "_", base).strip("_").lower() or "model"


_blas: Any = None


def _single_thread_blas() -> Any:
    """One BLAS thread for a matrix-vector product: on a busy 2-core machine OpenBLAS's threads
    spin-wait for each other and a 3,000 x 384 product took 8 ms instead of 0.07 ms (measured)."""
    global _blas
    if _blas is None:
        from threadpoolctl import ThreadpoolController

        _blas = ThreadpoolController()
    return _blas.limit(limits=1, user_api="blas")


@dataclass(slots=True)
class VectorHit:
    paper_id: str
    score: float


class VectorStore:
    """The embeddings of one model: append rows, look up, search."""

    def __init__(
        self, path: Path, *, exact_max: int = EXACT_MAX_DEFAULT, nprobe: int = NPROBE_DEFAULT
    ) -> None:
        self.path = path
        self.exact_max = exact_max
        self.nprobe = nprobe
        self.dim = 0
        self.model = ""
        self.fingerprint = ""
        self.index_id = ""
        self.row_ids: list[str] = []
        self.row_hashes: list[str] = []
        self.live: dict[str, int] = {}
        self._matrix: np.ndarray | None = None
        self._dense: np.ndarray | None = None
        self._dense_ids: list[str] = []
        self._ann: Any = None
        self._ann_rows = 0
        self.load()

    # ------------------------------------------------------------------ files
    @staticmethod
    def exists(path: Path) -> bool:
        return (path / "meta.json").exists() and (path / ID_FILE).exists()

    @classmethod
    def create(cls, path: Path, *, model: str, dim: int, fingerprint: str = "", **kwargs: Any) -> VectorStore:
        """A new, empty store (replacing whatever is at ``path``) with a new id; ``fingerprint``
        records which version of the model made its vectors (see ``embedders.model_fingerprint``)."""
        if path.exists():
            shutil.rmtree(path)
        path.mkdir(parents=True)
        (path / "meta.json").write_text(json.dumps({"model": model, "dim": dim, "fingerprint": fingerprint}))
        (path / "vectors.f16").write_bytes(b"")
        (path / "rows.tsv").write_text("")
        (path / ID_FILE).write_text(uuid.uuid4().hex)
        return cls(path, **kwargs)

    def load(self) -> None:
        """(Re)read rows and vectors; a partial trailing row from a crash is ignored."""
        self._dense = None
        self._ann = None
        if not self.exists(self.path):
            return
        meta = json.loads((self.path / "meta.json").read_text())
        self.dim = int(meta["dim"])
        self.model = str(meta["model"])
        self.fingerprint = str(meta.get("fingerprint") or "")
        self.index_id = (self.path / ID_FILE).read_text().strip()
        lines = (self.path / "rows.tsv").read_text(encoding="utf-8").split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        size = (self.path / "vectors.f16").stat().st_size
        rows = min(len(lines), size // (2 * self.dim))
        self.row_ids, self.row_hashes, self.live = [], [], {}
        for row, line in enumerate(lines[:rows]):
            paper_id, _, digest = line.partition("\t")
            self.row_ids.append(paper_id)
            self.row_hashes.append(digest)
            if paper_id.startswith("!"):
                self.live.pop(paper_id[1:], None)
            else:
                self.live[paper_id] = row
        if rows:
            self._matrix = np.memmap(
                self.path / "vectors.f16", dtype=np.float16, mode="r", shape=(rows, self.dim)
            )
        else:
            self._matrix = np.zeros((0, self.dim), dtype=np.float16)

    def hash_of(self, paper_id: str) -> str | None:
        row = self.live.get(paper_id)
        return None if row is None else self.row_hashes[row]

    def append(
        self, ids: Sequence[str], hashes: Sequence[str], vectors: np.ndarray, removed: Sequence[str] = ()
    ) -> None:
        """Add rows for ``ids`` (replacing their older rows) and removal rows for ``removed``."""
        removed = [r for r in removed if r in self.live]
        if not len(ids) and not removed:
            return
        block = np.asarray(vectors, dtype=np.float16).reshape(len(ids), self.dim)
        if removed:
            block = np.vstack([block, np.zeros((len(removed), self.dim), dtype=np.float16)])
        # Vectors first, then the rows naming them: a crash in between leaves unnamed bytes, ignored.
        with (self.path / "vectors.f16").open("r+b") as handle:
            handle.seek(len(self.row_ids) * 2 * self.dim)
            handle.write(block.tobytes())
            handle.truncate()
            handle.flush()
            os.fsync(handle.fileno())
        lines = [f"{i}\t{h}" for i, h in zip(ids, hashes, strict=True)] + [f"!{r}\t" for r in removed]
        with (self.path / "rows.tsv").open("a", encoding="utf-8") as handle:
            handle.write("".join(line + "\n" for line in lines))
            handle.flush()
            os.fsync(handle.fileno())
        self.load()

    def get_rows(self, rows: np.ndarray) -> np.ndarray:
        """The float16 rows at ``rows`` (in that order)."""
        assert self._matrix is not None
        if not len(rows):
            return np.zeros((0, self.dim), dtype=np.float16)
        order = np.argsort(rows)
        out = np.empty((len(rows), self.dim), dtype=np.float16)
        out[order] = np.asarray(self._matrix[rows[order]])
        return out

    def get(self, paper_ids: Sequence[str]) -> dict[str, np.ndarray]:
        """Stored vectors (float32) of the given papers that are embedded."""
        assert self._matrix is not None
        return {
            i: np.asarray(self._matrix[self.live[i]], dtype=np.float32) for i in paper_ids if i in self.live
        }

    def __len__(self) -> int:
        return len(self.live)

    # ----------------------------------------------------------------- search
    def _dense_matrix(self) -> tuple[np.ndarray, list[str]]:
        if self._dense is None:
            assert self._matrix is not None
            self._dense_ids = list(self.live)
            rows = np.fromiter(self.live.values(), dtype=np.int64, count=len(self.live))
            self._dense = (
                np.asarray(self._matrix[rows], dtype=np.float32)
                if len(rows)
                else np.zeros((0, self.dim), dtype=np.float32)
            )
        return self._dense, self._dense_ids

    def search_exact(self, query: np.ndarray, k: int, exclude: set[str] | None = None) -> list[VectorHit]:
        """The ``k`` nearest papers by inner product (cosine: vectors are unit length), exactly."""
        matrix, ids = self._dense_matrix()
        if not len(ids) or k <= 0:
            return []
        with _single_thread_blas():
            scores = matrix @ np.asarray(query, dtype=np.float32).reshape(-1)
        want = min(len(ids), k + len(exclude or ()))
        top = np.argpartition(-scores, want - 1)[:want] if want < len(ids) else np.arange(len(ids))
        top = top[np.argsort(-scores[top], kind="stable")]
        hits = [VectorHit(ids[i], float(scores[i])) for i in top if not exclude or ids[i] not in exclude]
        return hits[:k]

    def search_subset(self, query: np.ndarray, paper_ids: Sequence[str], k: int) -> list[VectorHit]:
        """The ``k`` nearest among ``paper_ids`` (those embedded), exactly: for filtered searches."""
        assert self._matrix is not None
        ids = [i for i in dict.fromkeys(paper_ids) if i in self.live]
        if not ids or k <= 0:
            return []
        rows = np.array([self.live[i] for i in ids], dtype=np.int64)
        order = np.argsort(rows)  # memmap gathers are faster in file order
        matrix = np.asarray(self._matrix[rows[order]], dtype=np.float32)
        with _single_thread_blas():
            scores = matrix @ np.asarray(query, dtype=np.float32).reshape(-1)
        top = np.argsort(-scores, kind="stable")[:k]
        return [VectorHit(ids[order[i]], float(scores[i])) for i in top]

    def has_ann(self) -> bool:
        """Whether an IVF index file exists (written by the indexer)."""
        return (self.path / "ivf.faiss").exists() and (self.path / "ivf.json").exists()

    def save_ann(self) -> None:
        """Build or extend the IVF index and write it beside the rows (the indexer's job)."""
        self._ann_index(build=True, persist=True)

    def _ann_index(self, *, build: bool = False, persist: bool = False) -> Any:
        """The faiss IVF index over all rows: read from disk (or built, with ``build``), extended
        in memory with rows added since, and written back only with ``persist``."""
        import faiss

        assert self._matrix is not None
        total = len(self.row_ids)
        if self._ann is None:
            file = self.path / "ivf.faiss"
            info = self.path / "ivf.json"
            if file.exists() and info.exists():
                self._ann = faiss.read_index(str(file))
                self._ann_rows = int(json.loads(info.read_text())["rows"])
            elif not build:
                return None
            else:
                nlist = max(16, int(4 * math.sqrt(max(len(self.live), 1))))
                quantizer = faiss.IndexFlatIP(self.dim)
                ann = faiss.IndexIVFScalarQuantizer(
                    quantizer, self.dim, nlist, faiss.ScalarQuantizer.QT_fp16, faiss.METRIC_INNER_PRODUCT
                )
                rng = np.random.default_rng(0)
                live_rows = np.fromiter(self.live.values(), dtype=np.int64, count=len(self.live))
                # 40 training points per list is faiss's recommended minimum; more only slows training.
                sample = np.sort(rng.choice(live_rows, size=min(len(live_rows), nlist * 40), replace=False))
                ann.train(np.asarray(self._matrix[sample], dtype=np.float32))
                self._ann = ann
                self._ann_rows = 0
        if self._ann_rows < total:
            for start in range(self._ann_rows, total, 100_000):
                stop = min(total, start + 100_000)
                block = np.asarray(self._matrix[start:stop], dtype=np.float32)
                self._ann.add_with_ids(block, np.arange(start, stop, dtype=np.int64))
            self._ann_rows = total
            if persist:
                temporary = self.path / "ivf.faiss.tmp"
                faiss.write_index(self._ann, str(temporary))
                os.replace(temporary, self.path / "ivf.faiss")
                (self.path / "ivf.json").write_text(json.dumps({"rows": total}))
        self._ann.nprobe = self.nprobe or max(32, int(self._ann.nlist) // 16)
        return self._ann

    def search_ann(self, query: np.ndarray, k: int, exclude: set[str] | None = None) -> list[VectorHit]:
        """Approximate ``k`` nearest papers through faiss IVF; superseded rows are skipped."""
        if k <= 0 or not self.live:
            return []
        ann = self._ann_index()
        if ann is None:  # the indexer has not written the IVF file yet: exact is slower, never wrong
            return self.search_exact(query, k, exclude)
        fetch = k + len(exclude or ()) + 16
        scores, rows = ann.search(np.asarray(query, dtype=np.float32).reshape(1, -1), fetch)
        hits: list[VectorHit] = []
        for score, row in zip(scores[0], rows[0], strict=True):
            if row < 0:
                continue
            paper_id = self.row_ids[row]
            if paper_id.startswith("!") or self.live.get(paper_id) != row:
                continue
            if exclude and paper_id in exclude:
                continue
            hits.append(VectorHit(paper_id, float(score)))
            if len(hits) >= k:
                break
        return hits

    def search(self, query: np.ndarray, k: int, exclude: set[str] | None = None) -> list[VectorHit]:
        """Exact while small (``exact_max`` live vectors), faiss IVF above."""
        if len(self.live) <= self.exact_max:
            return self.search_exact(query, k, exclude)
        return self.search_ann(query, k, exclude)


# ------------------------------------------------------------------------ the paperfeed side
def vectors_path(settings: Any, model: str) -> Path:
    return Path(settings.index_dir) / f"vectors-{model_slug(model)}"


_open: dict[tuple[str, str], VectorStore] = {}


def open_vectors(app: Any) -> VectorStore | None:
    """The vector store for the configured model, or None when nothing has been embedded."""
    path = vectors_path(app.settings, app.settings.embedding_model)
    if not VectorStore.exists(path):
        return None
    index_id = (path / ID_FILE).read_text().strip()
    key = (str(path), index_id)
    store = _open.get(key)
    rows_size = (path / "rows.tsv").stat().st_size
    if store is None or getattr(store, "_rows_size", -1) != rows_size:
        store = VectorStore(path, exact_max=app.settings.vector_exact_max, nprobe=app.settings.vector_nprobe)
        store._rows_size = rows_size  # type: ignore[attr-defined]
        _open.clear()
        _open[key] = store
    return store
