"""Per-request time of similar papers at scale, the previous and the current keyword method.

    python benchmarks/similar_speed.py DATA_DIR [--samples 100] [--seed 0]

``DATA_DIR`` is any paperfeed data dir with its keyword index built (for example the store of
``benchmarks/scale.py``, or ``paperfeed ingest file`` of a large Kaggle-format file). Papers are drawn
at random (seeded) among the first 20,000 of the store's change feed; each is asked for its 10 most similar papers by the
keyword method with the previous settings (an unweighted pool, the SVM alone) and with the current
ones (title words counted again, 0.3 BM25 + 0.7 SVM), alternating, after 5 warm-ups each. Prints
p50 / p95 / p99 in milliseconds and the load average. In-process: no HTTP.

``--random-vectors`` gives every paper a random unit vector first (when the data dir has no vectors;
a faiss IVF index is built above 50,000, as the indexer does), then also times the embeddings
methods (the nearest papers alone, as before; fused with the keyword evidence, as now) and what
hybrid search's fusion adds per query (reading the keyword-only candidates' vectors and fusing,
``engine.hybrid_fusion``, for a keyword query of three words from the paper's title). Only the
vectors' values are fake: the work is the same; quality is measured elsewhere.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path
from typing import Any


def random_vectors(app: Any, seed: int) -> Any:
    """The data dir's vectors, made random (one unit vector per paper) when there are none."""
    import numpy as np

    from paperfeed.search.embedders import text_hash
    from paperfeed.search.marks import IndexMark, write_mark
    from paperfeed.search.vectors import VectorStore, open_vectors, vectors_path

    found = open_vectors(app)
    if found is not None and len(found):
        return found
    path = vectors_path(app.settings, app.settings.embedding_model)
    store = VectorStore.create(path, model=app.settings.embedding_model, dim=384)
    rng = np.random.default_rng(seed)
    for batch in app.store.papers.iter_changed(0, batch_size=20_000):
        block = rng.standard_normal((len(batch), 384)).astype(np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        store.append([p.paper_id for p in batch], [text_hash(p.title) for p in batch], block)
    if len(store) > app.settings.vector_exact_max:
        store.save_ann()
    write_mark(path, IndexMark(store.index_id, app.store.papers.current_seq()))
    return open_vectors(app)


def vector_methods(app: Any, seed: int) -> dict[str, Any]:
    import numpy as np

    from paperfeed.search import similar as sim
    from paperfeed.search.engine import hybrid_fusion, open_lexical, semantic_ranking
    from paperfeed.search.query import parse

    vectors = random_vectors(app, seed)
    lexical = open_lexical(app)
    rng = np.random.default_rng(seed)

    def nearest(pid: str) -> Any:
        return sim._by_embeddings(vectors, vectors.get([pid]), [pid], [], 10)

    def hybrid_part(pid: str) -> Any:
        paper = app.store.papers.get(pid)
        parsed = parse(" ".join((paper.title if paper else "graph network").split()[:3]), syntax=False)
        keyword = [(h.paper_id, h.score) for h in lexical.search(parsed, limit=100, snippets=False).hits]
        query = rng.standard_normal(vectors.dim).astype(np.float32)
        query /= np.linalg.norm(query)
        semantic = semantic_ranking(app, lexical, None, vectors, parsed, depth=100, query_vector=query)
        started = time.perf_counter()
        hybrid_fusion(vectors, keyword, semantic, query)
        fill_ms.append((time.perf_counter() - started) * 1000)

    fill_ms: list[float] = []
    methods = {
        "embeddings-before": nearest,
        "embeddings-fused": lambda pid: sim._by_embeddings_fused(app, vectors, [pid], [], 10),
        "hybrid-keyword+semantic+fusion": hybrid_part,
    }
    FILL_TIMES.append(fill_ms)
    return methods


FILL_TIMES: list[list[float]] = []


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--random-vectors", action="store_true")
    options = parser.parse_args()
    os.environ["PAPERFEED_DATA_DIR"] = str(options.data_dir)
    os.environ["PAPERFEED_EMBED_AFTER_INGEST"] = "false"
    from paperfeed.context import Paperfeed
    from paperfeed.search import similar as sim
    from paperfeed.search.engine import open_lexical

    app = Paperfeed()
    total = int(open_lexical(app).index.searcher().num_docs)
    seen: list[str] = []
    for batch in app.store.papers.iter_changed(0):  # the first 20,000 papers of the change feed
        seen.extend(p.paper_id for p in batch)
        if len(seen) >= 20_000:
            break
    papers = random.Random(options.seed).sample(seen, min(len(seen), options.samples + 5))
    methods: dict[str, Any] = {
        "before": lambda pid: sim._by_tfidf(
            app, [pid], [], 10, boosted=False, title_weight=0.0, keyword_share=0.0
        ),
        "current": lambda pid: sim._by_tfidf(app, [pid], [], 10),
    }
    if options.random_vectors:
        methods.update(vector_methods(app, options.seed))
    times: dict[str, list[float]] = {name: [] for name in methods}
    for i, pid in enumerate(papers):
        for name, run in methods.items():
            started = time.perf_counter()
            run(pid)
            if i >= 5:
                times[name].append((time.perf_counter() - started) * 1000)

    def pct(values: list[float], p: float) -> float:
        ordered = sorted(values)
        return round(ordered[min(len(ordered) - 1, int(p * (len(ordered) - 1)))], 1)

    print(json.dumps({
        "papers": total,
        "samples": options.samples,
        "load_average": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        **{name: {"p50_ms": pct(v, 0.5), "p95_ms": pct(v, 0.95), "p99_ms": pct(v, 0.99)} for name, v in times.items()},
        **({"hybrid fusion alone (engine.hybrid_fusion)": {"p50_ms": pct(FILL_TIMES[0][5:], 0.5), "p99_ms": pct(FILL_TIMES[0][5:], 0.99)}} if FILL_TIMES else {}),
    }))  # fmt: skip
    app.close()


if __name__ == "__main__":
    main()
