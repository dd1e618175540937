"""A faster embedder: paperfeed's own tokenise → sort → batch → pool loop around a reduced-precision model.

Why not sentence-transformers' ``encode``: it sorts by *character* length, pads each batch with its
own tokenizer call, runs BERT's unused pooler layer, and leaves precision to the caller. Embedding a
corpus is dominated by the transformer's matrix products (about 21 MFLOP per token for
all-MiniLM-L6-v2), so the gains come from doing them in cheaper arithmetic and from padding less:

* ``bf16``: weights and activations in bfloat16. On CPUs with AMX or AVX512-BF16 (oneDNN uses
  them) the products run about twice as fast as fp32; elsewhere bf16 is emulated and slow, so
  :func:`cpu_precision` picks it only where the CPU has the instructions.
* ``int8``: torch's dynamic quantisation of the ``Linear`` layers (int8 weights, activations
  quantised per batch); the fallback for CPUs without bf16 instructions (fbgemm needs AVX2).
* ``fp16``: for CUDA devices; tokenisation of the next chunk then overlaps the device's work.
* ``fp32``: the same loop in full precision (what the tests compare the others against).

Texts are tokenised once per chunk (the Rust tokenizer parallelises a batch call), truncated to
``max_tokens``, sorted by *token* count so each batch pads to nearly its own length, and the
sentence vector is the masked mean of the last hidden states, computed in float32 and L2-normalised:
the same vectors (cosine > 0.99 with fp32, checked by tests) in the same 384 dimensions.
"""

from __future__ import annotations

import json
import warnings
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

PRECISIONS = ("auto", "fp32", "bf16", "int8", "fp16")
CHUNK_BATCHES = 8  # batches tokenised together: enough texts to sort by length, small enough to pipeline


class FastPathUnsupported(ValueError):
    """The model's pooling is not one this loop reproduces (the caller falls back to fp32)."""


def cpu_precision() -> str:
    """The cheapest CPU precision that is fast here: bf16 with AMX/AVX512-BF16, else int8 (else fp32).

    Measured on the 2-core Xeon with AMX: bf16 ≈ 2.2× fp32 and int8 ≈ 1.6× on the model's forward
    pass (docs/benchmarks.md); without the instructions bf16 runs emulated, slower than fp32."""
    import torch

    cpu = getattr(torch, "cpu", None)
    has_bf16 = bool(
        cpu is not None
        and torch.backends.mkldnn.is_available()
        and (
            getattr(cpu, "_is_amx_tile_supported", lambda: False)()
            or getattr(cpu, "_is_avx512_bf16_supported", lambda: False)()
        )
    )
    return "bf16" if has_bf16 else "fp32"


def resolve_precision(precision: str | None, device: str) -> str:
    """``auto`` (or None) → fp16 on CUDA, :func:`cpu_precision` on CPU; an explicit choice is checked."""
    choice = (precision or "auto").lower()
    if choice not in PRECISIONS:
        raise ValueError(f"embedding precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")
    on_cpu = device.split(":")[0] == "cpu"
    if choice == "auto":
        return cpu_precision() if on_cpu else "fp16"
    if choice == "int8" and not on_cpu:
        raise ValueError("int8 embedding is CPU-only (torch dynamic quantisation); use fp16 on a GPU")
    return choice


def pooling_mode(path: str) -> str:
    """The sentence-transformers pooling of the model at ``path``: "mean" or "cls" (others unsupported)."""
    modules_file = Path(path) / "modules.json"
    if not modules_file.is_file():
        return "mean"  # a bare transformers model: mean pooling is sentence-transformers' default too
    modules = json.loads(modules_file.read_text())
    kinds = [str(m.get("type", "")).rsplit(".", 1)[-1] for m in modules]
    if any(k not in {"Transformer", "Pooling", "Normalize"} for k in kinds):
        raise FastPathUnsupported(f"modules {kinds} (only Transformer, Pooling, Normalize are supported)")
    for module in modules:
        if str(module.get("type", "")).endswith("Pooling"):
            config = json.loads((Path(path) / module.get("path", "") / "config.json").read_text())
            modes = [k for k, v in config.items() if k.startswith("pooling_mode") and v is True]
            mode = str(config.get("pooling_mode") or "")
            if modes == ["pooling_mode_mean_tokens"] or mode == "mean":
                return "mean"
            if modes == ["pooling_mode_cls_token"] or mode == "cls":
                return "cls"
            raise FastPathUnsupported(f"pooling {modes or mode} (only mean or CLS pooling)")
    return "mean"


def model_max_tokens(path: str, fallback: int = 512) -> int:
    """The model's own sequence cap (sentence-transformers' ``max_seq_length``, 256 for MiniLM)."""
    config = Path(path) / "sentence_bert_config.json"
    if config.is_file():
        value = json.loads(config.read_text()).get("max_seq_length")
        if value:
            return int(value)
    return fallback


class ReducedPrecisionEmbedder:
    """A sentence-transformers-style model run in bf16, int8, fp16 or fp32 by paperfeed's own loop."""

    def __init__(
        self,
        name: str,
        path: str,
        *,
        precision: str = "auto",
        device: str = "cpu",
        max_tokens: int | None = None,
        batch_size: int | None = None,
        prefetch: bool | None = None,
    ) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.name = name
        self.path = path
        self.device = device
        self.precision = resolve_precision(precision, device)
        self.pooling = pooling_mode(path)
        self.tokenizer: Any = AutoTokenizer.from_pretrained(path, use_fast=True)
        model: Any = AutoModel.from_pretrained(path)
        model.eval()
        if getattr(model, "pooler", None) is not None:
            model.pooler = None  # BERT's [CLS] pooler layer: computed by default, never used for embeddings
        limit = int(getattr(model.config, "max_position_embeddings", 512) or 512)
        own = min(model_max_tokens(path, limit), limit)
        self.max_tokens = min(max_tokens, limit) if max_tokens else own
        self.batch_size = batch_size or (32 if device == "cpu" else 128)
        if self.precision == "int8":
            with warnings.catch_warnings():  # torch.ao.quantization is marked deprecated, still shipped
                warnings.simplefilter("ignore")
                model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
        elif self.precision == "bf16":
            model = model.to(torch.bfloat16)
        elif self.precision == "fp16":
            model = model.half()
        self.model = model.to(device)
        self.dim = int(model.config.hidden_size)
        self.variant = f"{self.precision}, {self.max_tokens} tokens, {device}"
        # Tokenise the next chunk while an accelerator works; on CPU the cores are busy with the model.
        self._prefetch = device.split(":")[0] != "cpu" if prefetch is None else prefetch

    # ------------------------------------------------------------------ encoding
    def _tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        encoded = self.tokenizer(
            list(texts),
            truncation=True,
            max_length=self.max_tokens,
            padding=False,
            return_attention_mask=False,
        )
        return [list(ids) for ids in encoded["input_ids"]]

    def _chunks(self, texts: Sequence[str], size: int) -> Iterator[tuple[int, list[list[int]]]]:
        """(offset, token ids) per chunk; on an accelerator the next chunk is tokenised meanwhile."""
        starts = range(0, len(texts), size)
        if not self._prefetch:
            for start in starts:
                yield start, self._tokenize(texts[start : start + size])
            return
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="paperfeed-tokenize") as pool:
            pending: Future[list[list[int]]] | None = None
            for start in starts:
                current = (
                    pending.result() if pending is not None else self._tokenize(texts[start : start + size])
                )
                nxt = start + size
                pending = pool.submit(self._tokenize, texts[nxt : nxt + size]) if nxt < len(texts) else None
                yield start, current

    def _forward(self, batch: list[list[int]]) -> np.ndarray:
        import torch

        length = max(len(ids) for ids in batch)
        pad = int(self.tokenizer.pad_token_id or 0)
        input_ids = np.full((len(batch), length), pad, dtype=np.int64)
        mask = np.zeros((len(batch), length), dtype=np.int64)
        for row, ids in enumerate(batch):
            input_ids[row, : len(ids)] = ids
            mask[row, : len(ids)] = 1
        ids_t = torch.from_numpy(input_ids).to(self.device)
        mask_t = torch.from_numpy(mask).to(self.device)
        hidden = self.model(input_ids=ids_t, attention_mask=mask_t).last_hidden_state.float()
        if self.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            weights = mask_t.unsqueeze(-1).to(hidden.dtype)
            pooled = (hidden * weights).sum(dim=1) / weights.sum(dim=1).clamp(min=1e-9)
        pooled = torch.nn.functional.normalize(pooled, p=2.0, dim=1)
        return np.asarray(pooled.cpu().numpy(), dtype=np.float32)

    def encode(self, texts: Sequence[str], *, batch_size: int | None = None) -> np.ndarray:
        """Unit float32 vectors for ``texts``, in their order."""
        import torch

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not len(texts):
            return out
        size = batch_size or self.batch_size
        with torch.inference_mode():
            for offset, token_ids in self._chunks(texts, size * CHUNK_BATCHES):
                order = sorted(range(len(token_ids)), key=lambda i: len(token_ids[i]), reverse=True)
                for start in range(0, len(order), size):
                    rows = order[start : start + size]
                    vectors = self._forward([token_ids[i] for i in rows])
                    out[[offset + i for i in rows]] = vectors
        return out
