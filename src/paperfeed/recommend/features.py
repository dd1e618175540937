"""Paper features for the recommender: sparse TF-IDF always, dense embeddings when they exist.

Why both: TF-IDF needs nothing beyond scikit-learn and is sharp on rare technical terms (a method's
name, a dataset); sentence embeddings catch paraphrase ("LLM agent" vs "language-model-based
assistant") but need the semantic extra and cost about 1/17 s per abstract on this CPU. The
recommender works with either and blends them when both are present.

Rows are L2-normalised, so a dot product is a cosine and a member model (a weight vector) scores
any number of candidates with one matrix product.

Embeddings are cached on disk (:class:`EmbeddingCache`) by a hash of the embedded text, so an
evaluation embeds each abstract once across runs, and a changed abstract is embedded again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from paperfeed.search.tfidf import ARXIV_SANITY, TfidfConfig, fit_tfidf, paper_text

__all__ = [
    "ARXIV_SANITY",
    "DEFAULT_MODEL",
    "EmbeddingCache",
    "Features",
    "TfidfConfig",
    "build_features",
    "fit_tfidf",
    "paper_text",
    "text_key",
]

DEFAULT_MODEL = "all-MiniLM-L6-v2"


def text_key(text: str) -> str:
    """Cache key of an embedded text (a changed abstract gets a new key, so it is re-embedded)."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:20]


Encoder = Callable[[Sequence[str]], np.ndarray]


class EmbeddingCache:
    """Embeddings of texts, kept in ``<folder>/<model>.keys`` + ``<model>.f16`` (appended rows).

    The files are append-only and written batch by batch, so an interrupted run keeps what it had
    embedded; a partial trailing row is ignored on reading.
    """

    def __init__(self, folder: Path, model: str = DEFAULT_MODEL) -> None:
        self.folder = folder
        self.model = model
        slug = "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in model.lower())
        self.keys_path = folder / f"{slug}.keys"
        self.rows_path = folder / f"{slug}.f16"
        self.dim = 0
        self.index: dict[str, int] = {}
        self.matrix = np.zeros((0, 0), dtype=np.float16)
        self._load()

    def _load(self) -> None:
        if not (self.keys_path.is_file() and self.rows_path.is_file()):
            return
        keys = self.keys_path.read_text(encoding="utf-8").split()
        if not keys:
            return
        raw = np.fromfile(self.rows_path, dtype=np.float16)
        header, keys = keys[0], keys[1:]
        self.dim = int(header.split("=", 1)[1])
        rows = min(len(keys), raw.size // self.dim) if self.dim else 0
        self.matrix = raw[: rows * self.dim].reshape(rows, self.dim)
        self.index = {key: i for i, key in enumerate(keys[:rows])}

    def embed(
        self,
        texts: Sequence[str],
        encode: Encoder | None = None,
        *,
        batch_size: int = 256,
        progress: Callable[[int, int], None] | None = None,
    ) -> np.ndarray:
        """Unit vectors (float32) of ``texts``; only texts not yet cached go through ``encode``.

        ``encode`` defaults to the package's embedder for :attr:`model` (loaded only when something
        is missing, so a fully cached evaluation needs no model)."""
        keys = [text_key(t) for t in texts]
        missing = list(dict.fromkeys(k for k in keys if k not in self.index))
        if missing:
            if encode is None:
                from paperfeed.search.embedders import load_embedder

                encode = load_embedder(self.model).encode
            by_key = dict(zip(keys, texts, strict=True))
            self.folder.mkdir(parents=True, exist_ok=True)
            for start in range(0, len(missing), batch_size):
                batch = missing[start : start + batch_size]
                vectors = np.asarray(encode([by_key[k] for k in batch]), dtype=np.float32)
                self._append(batch, vectors)
                if progress is not None:
                    progress(min(start + batch_size, len(missing)), len(missing))
        rows = np.array([self.index[k] for k in keys], dtype=np.int64)
        return (
            np.asarray(self.matrix[rows], dtype=np.float32)
            if len(rows)
            else np.zeros((0, self.dim), np.float32)
        )

    def _append(self, keys: list[str], vectors: np.ndarray) -> None:
        if not self.dim:
            self.dim = int(vectors.shape[1])
            self.keys_path.write_text(f"dim={self.dim}\n", encoding="utf-8")
            self.rows_path.write_bytes(b"")
            self.matrix = np.zeros((0, self.dim), dtype=np.float16)
        block = vectors.astype(np.float16)
        with self.rows_path.open("ab") as handle:
            handle.write(block.tobytes())
        with self.keys_path.open("a", encoding="utf-8") as handle:
            handle.write("".join(f"{k}\n" for k in keys))
        base = self.matrix.shape[0]
        self.matrix = np.vstack([self.matrix, block])
        for offset, key in enumerate(keys):
            self.index[key] = base + offset


@dataclass(slots=True)
class Features:
    """Feature rows of a corpus: ``ids[i]`` is row ``i`` of ``tfidf`` (and of ``dense`` if any)."""

    ids: list[str]
    tfidf: sp.csr_matrix
    dense: np.ndarray | None = None
    row_of: dict[str, int] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.row_of:
            self.row_of = {pid: i for i, pid in enumerate(self.ids)}

    def rows(self, ids: Sequence[str]) -> np.ndarray:
        """Row numbers of ``ids`` (KeyError names the first unknown id)."""
        return np.array([self.row_of[pid] for pid in ids], dtype=np.int64)


def build_features(
    ids: Sequence[str],
    texts: Sequence[str],
    *,
    config: TfidfConfig = TfidfConfig(),
    embeddings: EmbeddingCache | None = None,
    encode: Encoder | None = None,
) -> Features:
    """TF-IDF rows for ``texts`` (fitted on them), plus cached embeddings when a cache is given."""
    _, matrix = fit_tfidf(texts, config)
    dense = embeddings.embed(texts, encode) if embeddings is not None else None
    return Features(list(ids), matrix, dense)
