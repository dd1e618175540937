"""A faster embedder: paperfeed's own tokenise → sort → batch → pool loop around a reduced-precision model.

Why not sentence-transformers' ``encode``: it sorts by *character* length, pads each batch with its
own tokenizer call, runs BERT's unused pooler layer, and leaves precision to the caller. Embedding a
corpus is dominated by the transformer's matrix products (about 21 MFLOP per token for
all-MiniLM-L6-v2), so the gains come from doing them in cheaper arithmetic and from padding less:

* ``bf16``: weights and activations in bfloat16, each ``Linear`` packed once for oneDNN with GELU
  and the residual adds fused (:func:`pack_linears`). On CPUs with AMX or AVX512-BF16 this embeds
  2.5-3× as many abstracts per second as fp32 (docs/benchmarks.md); elsewhere bf16 is emulated, so
  :func:`cpu_precision` picks it only where the CPU has the instructions.
* no int8: torch's dynamic quantisation of the ``Linear`` layers (``quantize_dynamic``, any engine,
  per-tensor or per-channel weights) gave cosines with fp32 of only 0.91 (mean; 0.98 per-channel,
  0.992 with the feed-forward output layers left in fp32) on real abstracts, because its
  activations are quantised per tensor to 7 bits; and ``torch._int_mm`` ran no faster than fp32
  here. CPUs without bf16 instructions therefore stay on fp32, through sentence-transformers: on
  the AVX2-only EPYC it already runs at the speed of this CPU's fp32 products, and neither this loop
  with oneDNN-packed fp32 layers nor an own lean BERT forward was reliably faster (docs/benchmarks.md).
* ``fp16``: for CUDA devices; tokenisation of the next chunk then overlaps the device's work.
* ``fp32``: the same loop in full precision (what the tests compare the others against).

Texts are tokenised once per chunk (the Rust tokenizer parallelises a batch call), truncated to
``max_tokens``, sorted by *token* count so each batch pads to nearly its own length, and the
sentence vector is the masked mean of the last hidden states, computed in float32 and L2-normalised:
the same vectors (cosine > 0.99 with fp32, checked by tests) in the same 384 dimensions.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import numpy as np

PRECISIONS = ("auto", "fp32", "bf16", "fp16")
CHUNK_BATCHES = 8  # batches tokenised together: enough texts to sort by length, small enough to pipeline


class FastPathUnsupported(ValueError):
    """The model's pooling is not one this loop reproduces (the caller falls back to fp32)."""


def cpu_precision() -> str:
    """bf16 where the CPU has AMX or AVX512-BF16 (oneDNN runs it natively), else fp32.

    Without those instructions bf16 is emulated and slower than fp32, so it is never chosen there."""
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
    if choice == "fp16" and on_cpu:
        raise ValueError("fp16 embedding is for CUDA devices; on CPU use bf16 (or auto)")
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


def onednn_fusion_available() -> bool:
    """Whether torch has the oneDNN linear ops that :func:`pack_linears` needs (CPU builds with mkldnn)."""
    import torch

    ops = getattr(torch.ops, "mkldnn", None)
    return bool(
        torch.backends.mkldnn.is_available()
        and ops is not None
        and hasattr(ops, "_linear_pointwise")
        and hasattr(ops, "_reorder_linear_weight")
    )


def _packed_linear_class() -> Any:
    import torch

    class PackedLinear(torch.nn.Module):
        """A bf16 ``Linear`` whose weight is laid out once for oneDNN, with GELU fused in when asked.

        Why: torch's plain bf16 ``Linear`` re-lays the weight out and copies the bias on every call,
        and GELU is a separate pass over the 1536-wide activations; measured on the 2-core Xeon, the
        packed, fused layers made the whole forward pass 1.6× faster than plain bf16."""

        def __init__(self, linear: torch.nn.Linear, post_op: str = "none") -> None:
            super().__init__()
            weight = linear.weight.detach()
            self.weight = torch.nn.Parameter(
                torch.ops.mkldnn._reorder_linear_weight(weight, None), requires_grad=False
            )
            bias = None if linear.bias is None else linear.bias.detach()
            self.bias = None if bias is None else torch.nn.Parameter(bias, requires_grad=False)
            self.post_op = post_op
            self.algorithm = "none" if post_op == "gelu" else ""  # "none": exact erf GELU, as BERT uses

        def forward(self, x: torch.Tensor) -> torch.Tensor:
            return torch.ops.mkldnn._linear_pointwise(
                x, self.weight, self.bias, self.post_op, [], self.algorithm
            )

    return PackedLinear


def _residual_output_class() -> Any:
    import torch

    class ResidualOutput(torch.nn.Module):
        """BERT's ``LayerNorm(dense(x) + residual)`` with the residual add done inside the product.

        Why: the add is one more pass over the activations; oneDNN adds it while writing the
        product (measured +13% on the whole forward pass over packed layers alone)."""

        def __init__(self, dense: Any, layer_norm: torch.nn.Module) -> None:
            super().__init__()
            self.dense = dense
            self.LayerNorm = layer_norm

        def forward(self, hidden_states: torch.Tensor, input_tensor: torch.Tensor) -> torch.Tensor:
            dense = self.dense
            summed = torch.ops.mkldnn._linear_pointwise.binary(
                hidden_states, input_tensor, dense.weight, dense.bias, "add"
            )
            return self.LayerNorm(summed)

    return ResidualOutput


def pack_linears(model: Any) -> int:
    """Swap a bf16 model's ``Linear`` layers for :class:`PackedLinear` (GELU fused into BERT's
    intermediate layer when the model uses exact GELU, the residual add fused into BERT's two output
    layers); returns how many layers were packed."""
    import torch

    packed_linear = _packed_linear_class()
    residual_output = _residual_output_class()
    exact_gelu = getattr(model.config, "hidden_act", None) == "gelu"
    count = 0
    for name, module in list(model.named_modules()):
        fuse = exact_gelu and name.endswith("intermediate") and hasattr(module, "intermediate_act_fn")
        for child_name, child in list(module.named_children()):
            if isinstance(child, torch.nn.Linear):
                setattr(
                    module,
                    child_name,
                    packed_linear(child, "gelu" if fuse and child_name == "dense" else "none"),
                )
                count += 1
        if fuse and isinstance(getattr(module, "dense", None), packed_linear):
            module.intermediate_act_fn = torch.nn.Identity()
    for module in list(model.modules()):
        child = getattr(module, "output", None)
        # BertSelfOutput / BertOutput (and their RoBERTa-style copies): dense, dropout, LayerNorm(h + x)
        if (
            isinstance(child, torch.nn.Module)
            and type(child).__name__.endswith("Output")
            and isinstance(getattr(child, "dense", None), packed_linear)
            and isinstance(getattr(child, "LayerNorm", None), torch.nn.LayerNorm)
        ):
            module.output = residual_output(child.dense, child.LayerNorm)
    return count


class ReducedPrecisionEmbedder:
    """A sentence-transformers-style model run in bf16, fp16 or fp32 by paperfeed's own loop."""

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
        fuse: bool = True,
    ) -> None:
        import torch
        from transformers import AutoModel, AutoTokenizer

        self.name = name
        self.path = path
        self.device = device
        self.precision = resolve_precision(precision, device)
        self.pooling = pooling_mode(path)
        self.packed_layers = 0
        self._tokenize_lock = threading.Lock()
        self.tokenizer: Any = AutoTokenizer.from_pretrained(path, use_fast=True)
        model: Any = AutoModel.from_pretrained(path)
        model.eval()
        if getattr(model, "pooler", None) is not None:
            model.pooler = None  # BERT's [CLS] pooler layer: computed by default, never used for embeddings
        limit = int(getattr(model.config, "max_position_embeddings", 512) or 512)
        own = min(model_max_tokens(path, limit), limit)
        self.max_tokens = min(max_tokens, own) if max_tokens else own  # never past what it was trained on
        self.batch_size = batch_size or (32 if device == "cpu" else 128)
        if self.precision == "bf16":
            model = model.to(torch.bfloat16)
            if device == "cpu" and fuse and onednn_fusion_available():
                self.packed_layers = pack_linears(model)
        elif self.precision == "fp16":
            model = model.half()
        self.model = model.to(device)
        self.dim = int(model.config.hidden_size)
        fused = f" ({self.packed_layers} oneDNN-packed layers)" if self.packed_layers else ""
        self.variant = f"{self.precision}{fused}, {self.max_tokens} tokens, {device}"
        # Tokenise the next chunk while an accelerator works; on CPU the cores are busy with the model.
        self._prefetch = device.split(":")[0] != "cpu" if prefetch is None else prefetch

    # ------------------------------------------------------------------ encoding
    def _tokenize(self, texts: Sequence[str]) -> list[list[int]]:
        # One call at a time: the Rust tokenizer's truncation settings are set on the shared object
        # per call, and concurrent calls (two web requests) can fail with "Already borrowed".
        with self._tokenize_lock:
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
