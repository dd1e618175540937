"""The fast embedding path (paperfeed's own loop in reduced precision) against sentence-transformers fp32.

Real all-MiniLM-L6-v2 on real abstracts; skipped cleanly without the semantic extra.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from paperfeed.search.embedders import (
    EmbedderUnavailable,
    SentenceTransformerEmbedder,
    load_embedder,
    resolve_model,
)
from paperfeed.search.quantized import (
    ReducedPrecisionEmbedder,
    cpu_precision,
    onednn_fusion_available,
    resolve_precision,
)

pytestmark = pytest.mark.semantic
SAMPLE = Path(__file__).parent / "data" / "arxiv-sample-300.jsonl"
MODEL = "all-MiniLM-L6-v2"


def _papers(n: int) -> list[dict[str, str]]:
    rows = [json.loads(line) for line in SAMPLE.read_text().splitlines()[:n]]
    return [{"title": str(r["title"]), "text": f"{r['title']} {r['abstract']}".strip()} for r in rows]


@pytest.fixture(scope="module")
def reference() -> SentenceTransformerEmbedder:
    return SentenceTransformerEmbedder(MODEL)


@pytest.fixture(scope="module")
def fast() -> ReducedPrecisionEmbedder:
    embedder = load_embedder(MODEL)  # the default: what search and indexing use on this CPU
    if not isinstance(embedder, ReducedPrecisionEmbedder):
        pytest.skip(f"this CPU's default embedding path is {cpu_precision()}, not a reduced-precision one")
    return embedder


@pytest.fixture(scope="module")
def texts() -> list[str]:
    return [p["text"] for p in _papers(12)]


def test_fast_vectors_are_unit_and_close_to_fp32(
    fast: ReducedPrecisionEmbedder, reference: SentenceTransformerEmbedder, texts: list[str]
) -> None:
    if fast.precision == "bf16" and onednn_fusion_available():
        assert fast.packed_layers == 36  # 6 layers x (Q, K, V, attention output, 2 feed-forward)
        fused_adds = [m for m in fast.model.modules() if type(m).__name__ == "ResidualOutput"]
        assert len(fused_adds) == 12  # each layer's attention output and feed-forward output
    got, want = fast.encode(texts), reference.encode(texts)
    assert got.shape == want.shape == (len(texts), 384) and got.dtype == np.float32
    assert np.allclose(np.linalg.norm(got, axis=1), 1.0, atol=1e-4)
    cosine = (got * want).sum(axis=1)
    assert cosine.min() > 0.99, cosine.min()


def test_fast_path_ranks_a_tiny_corpus_like_fp32(
    fast: ReducedPrecisionEmbedder, reference: SentenceTransformerEmbedder
) -> None:
    papers = _papers(24)
    queries = [p["title"] for p in papers[:8]] + [
        "reinforcement learning agents",
        "large language model safety",
    ]
    docs_fast, docs_ref = (
        fast.encode([p["text"] for p in papers]),
        reference.encode([p["text"] for p in papers]),
    )
    q_fast, q_ref = fast.encode(queries), reference.encode(queries)
    for i in range(len(queries)):
        top_fast = list(np.argsort(-(docs_fast @ q_fast[i]))[:3])
        top_ref = list(np.argsort(-(docs_ref @ q_ref[i]))[:3])
        assert top_fast[0] == top_ref[0], (queries[i], top_fast, top_ref)
        assert set(top_fast) == set(top_ref), (queries[i], top_fast, top_ref)


def test_query_and_document_order_do_not_change_a_vector(
    fast: ReducedPrecisionEmbedder, texts: list[str]
) -> None:
    """Length sorting and batching are internal: a text's vector does not depend on its neighbours."""
    together = fast.encode(texts)
    alone = np.vstack([fast.encode([t]) for t in texts[:4]])
    reversed_ = fast.encode(texts[::-1])[::-1]
    assert np.allclose(together[:4], alone, atol=2e-2)
    assert np.allclose(together, reversed_, atol=2e-2)


def test_token_cap_is_respected(texts: list[str]) -> None:
    capped = load_embedder(MODEL, max_tokens=8)
    assert capped.max_tokens == 8  # type: ignore[attr-defined]
    title = _papers(1)[0]["title"]
    with_tail = title + " Completely unrelated words about cooking pasta and tomato sauce."
    a, b = capped.encode([title, with_tail])
    assert float(a @ b) > 0.9999  # everything past token 8 ([CLS] + 6 words + [SEP]) is cut
    c, d = load_embedder(MODEL).encode([title, with_tail])
    assert float(c @ d) < 0.95  # the default cap (256) sees the tail
    reference_capped = load_embedder(MODEL, precision="fp32", max_tokens=8)
    assert reference_capped.max_tokens == 8  # type: ignore[attr-defined]
    assert float(reference_capped.encode([with_tail])[0] @ b) > 0.99


def test_accelerator_code_path_on_cpu_matches_sentence_transformers(
    reference: SentenceTransformerEmbedder,
) -> None:
    """The CUDA path (tokenising the next chunk in a thread) run on CPU in fp32: same vectors as fp32."""
    papers = _papers(10)
    short = [p["title"] for p in papers] + [papers[0]["text"]]  # titles keep it quick; one full abstract
    embedder = ReducedPrecisionEmbedder(
        MODEL, resolve_model(MODEL), precision="fp32", device="cpu", batch_size=1, prefetch=True
    )
    got = embedder.encode(short)  # chunks of 8 texts: the second is tokenised while the first runs
    again = embedder.encode(short, batch_size=3)
    want = reference.encode(short)
    assert (got * want).sum(axis=1).min() > 0.9999
    assert np.allclose(got, again, atol=1e-5)


def test_unavailable_device_says_so() -> None:
    with pytest.raises(EmbedderUnavailable, match=r"'cuda' is not available"):
        load_embedder(MODEL, device="cuda", batch_size=256)
    with pytest.raises(EmbedderUnavailable, match="unknown embedding device"):
        load_embedder(MODEL, device="gpu-please")
    with pytest.raises(EmbedderUnavailable, match="precision must be one of"):
        load_embedder(MODEL, precision="int4")


def test_precision_choice() -> None:
    assert resolve_precision("auto", "cuda:0") == "fp16"
    assert resolve_precision(None, "cpu") == cpu_precision()
    assert resolve_precision("FP32", "cuda") == "fp32"
    with pytest.raises(ValueError, match="for CUDA devices"):
        resolve_precision("fp16", "cpu")


def test_default_path_on_a_cpu_without_bf16_is_the_reference() -> None:
    """Where bf16 is emulated (AVX2 only) "auto" is sentence-transformers fp32: paperfeed's own fp32
    loop, packed or not, was not reliably faster there (docs/benchmarks.md, issue 20)."""
    if cpu_precision() != "fp32":
        pytest.skip("this CPU runs bf16 by default")
    assert isinstance(load_embedder(MODEL), SentenceTransformerEmbedder)


def test_length_batched_vectors_equal_one_by_one_fp32() -> None:
    """Sorting by token count and batching change no vector: paperfeed's loop in fp32, batched with
    mixed lengths against one text at a time, within 1e-4 of cosine."""
    embedder = ReducedPrecisionEmbedder(MODEL, resolve_model(MODEL), precision="fp32")
    papers = _papers(8)
    long_ = [p["text"] for p in papers]
    texts = long_ + [p["title"] for p in papers[:3]] + ["graph neural networks", long_[0]]
    batched = embedder.encode(texts, batch_size=4)  # mixed lengths: some batches padded, some not
    alone = np.vstack([embedder.encode([t]) for t in texts])
    cosine = (batched * alone).sum(axis=1)
    assert cosine.min() > 1 - 1e-4, cosine.min()
    assert np.allclose(batched[0], batched[-1], atol=1e-5)  # same text, different batch and position
