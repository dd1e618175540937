"""A lean BERT encoder forward for fp32 embedding on CPU: the same arithmetic as transformers'
``BertModel``, fewer passes over memory.

Why its own forward: on a CPU without bf16 instructions (AVX2 only) fp32 matrix products are the
floor, and MKL's fp32 products already run near this CPU's peak (docs/benchmarks.md), so what can
still be saved is everything around them. Transformers' BERT runs Q, K and V as three products,
builds a 4-D mask for every batch, copies each residual sum into a new tensor and computes a pooler
nobody uses. Here each layer is four MKL products (Q, K, V as one 384 → 1152 product whose output
``scaled_dot_product_attention`` reads as strided views), the residual adds are in place, and a batch
with no padding runs without a mask. oneDNN's fused fp32 products (bias, GELU and the residual add in
the product, as the bf16 path uses) were measured *slower* than MKL's here, so they are not used.

Only absolute-position BERT encoders (``model_type`` "bert", exact GELU, not a decoder) are rebuilt;
:func:`lean_encoder` returns None for anything else and the caller keeps transformers' module.
"""

from __future__ import annotations

from typing import Any


def supports(model: Any) -> bool:
    """Whether ``model`` is a plain BERT encoder this forward reproduces exactly."""
    config = getattr(model, "config", None)
    return bool(
        config is not None
        and getattr(config, "model_type", None) == "bert"
        and getattr(config, "hidden_act", None) == "gelu"
        and getattr(config, "position_embedding_type", "absolute") == "absolute"
        and not getattr(config, "is_decoder", False)
        and hasattr(model, "embeddings")
        and hasattr(model, "encoder")
    )


def lean_encoder(model: Any) -> Any | None:
    """A :class:`LeanBert` module sharing ``model``'s weights, or None when ``model`` is not a plain BERT."""
    if not supports(model):
        return None
    return _lean_class()(model)


def _lean_class() -> Any:
    import torch
    from torch.nn import functional

    def frozen(tensor: torch.Tensor) -> torch.nn.Parameter:
        return torch.nn.Parameter(tensor.detach().contiguous(), requires_grad=False)

    class LeanLayer(torch.nn.Module):
        """One BERT layer: QKV product, attention, output product + residual, LayerNorm, feed-forward."""

        def __init__(self, layer: Any, heads: int) -> None:
            super().__init__()
            own = layer.attention.self
            self.heads = heads
            self.qkv_weight = frozen(torch.cat([own.query.weight, own.key.weight, own.value.weight]))
            self.qkv_bias = frozen(torch.cat([own.query.bias, own.key.bias, own.value.bias]))
            out = layer.attention.output
            self.out_weight, self.out_bias, self.norm1 = (
                frozen(out.dense.weight),
                frozen(out.dense.bias),
                out.LayerNorm,
            )
            up = layer.intermediate.dense
            self.up_weight, self.up_bias = frozen(up.weight), frozen(up.bias)
            down = layer.output
            self.down_weight, self.down_bias = frozen(down.dense.weight), frozen(down.dense.bias)
            self.norm2 = down.LayerNorm

        def forward(self, x: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
            batch, length, hidden = x.shape
            qkv = functional.linear(x, self.qkv_weight, self.qkv_bias)
            heads = qkv.view(batch, length, 3, self.heads, hidden // self.heads).permute(2, 0, 3, 1, 4)
            context = functional.scaled_dot_product_attention(heads[0], heads[1], heads[2], attn_mask=mask)
            context = context.transpose(1, 2).reshape(batch, length, hidden)
            attended = self.norm1(functional.linear(context, self.out_weight, self.out_bias).add_(x))
            up = functional.gelu(functional.linear(attended, self.up_weight, self.up_bias))
            down = functional.linear(up, self.down_weight, self.down_bias).add_(attended)
            return self.norm2(down)

    class LeanBert(torch.nn.Module):
        """BERT's embeddings and encoder layers, no pooler: ``forward(ids, padded)`` → last hidden states."""

        def __init__(self, model: Any) -> None:
            super().__init__()
            embeddings = model.embeddings
            self.word = embeddings.word_embeddings
            self.position = embeddings.position_embeddings
            # token type 0 for every token, as sentence-transformers encodes a single text
            self.token_type = frozen(embeddings.token_type_embeddings.weight[0])
            self.norm = embeddings.LayerNorm
            heads = int(model.config.num_attention_heads)
            self.layers = torch.nn.ModuleList(LeanLayer(layer, heads) for layer in model.encoder.layer)

        def forward(self, input_ids: torch.Tensor, padded: torch.Tensor | None = None) -> torch.Tensor:
            """``padded``: the (batch, length) bool mask of real tokens, None when no token is padding."""
            length = input_ids.shape[1]
            x = self.norm(self.word(input_ids) + (self.position.weight[:length] + self.token_type))
            mask = None if padded is None else padded[:, None, None, :]
            for layer in self.layers:
                x = layer(x, mask)
            return x

    return LeanBert
