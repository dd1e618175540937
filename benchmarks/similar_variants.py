"""Similar papers: several methods on the same queries, MAP and nDCG@10, paired comparisons.

    python benchmarks/similar_variants.py --queries 300 [--work-dir benchmarks/out/similar] \\
        [--variants before,keyword-mlt,...] [--out FILE]

Uses the store, keyword index (and vectors, when ``paperfeed index rebuild`` embedded them) that
``benchmarks/similar.py`` builds in ``--work-dir`` from the real arXiv sample, and the same
judgements (:func:`similar.judgements`: a query paper's relevant papers are the sample's other
papers by any of its not-too-common authors; the methods never read author names).

Every variant ranks the top 100 for each query paper (seeded sample of papers with at least one
relevant paper); MAP is the mean of average precision over those 100 (relevant found at rank k adds
precision@k, divided by min(relevant, 100)), nDCG@10 has binary gains. The queries are split in two
seeded parts: **tune** (the first two thirds, where the variants' parameters were chosen) and
**held** (the last third, reported apart); each variant is compared with ``before`` (the method of
the previous version, run in the same process on the same queries) by the mean paired difference
with a bootstrap 95% interval and wins / losses. Timings are per request, in-process.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

import similar as base

ROOT = Path(__file__).resolve().parent.parent


def average_precision(ranked: list[str], relevant: set[str], depth: int = 100) -> float:
    hits, total = 0, 0.0
    for rank, pid in enumerate(ranked[:depth], start=1):
        if pid in relevant:
            hits += 1
            total += hits / rank
    return total / min(len(relevant), depth)


def ndcg10(ranked: list[str], relevant: set[str]) -> float:
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
    return sum(1 / math.log2(i + 2) for i, pid in enumerate(ranked[:10]) if pid in relevant) / ideal


def paired(a: list[float], b: list[float], seed: int = 0) -> dict[str, Any]:
    diff = np.asarray(a) - np.asarray(b)
    rng = np.random.default_rng(seed)
    means = [float(rng.choice(diff, size=len(diff)).mean()) for _ in range(2000)]
    return {
        "diff": round(float(diff.mean()), 4),
        "ci95": [round(float(np.percentile(means, 2.5)), 4), round(float(np.percentile(means, 97.5)), 4)],
        "wins": int((diff > 1e-12).sum()),
        "losses": int((diff < -1e-12).sum()),
    }


def variants(app: Any) -> dict[str, Callable[[str], list[str]]]:
    from paperfeed.search import similar as sim
    from paperfeed.search.vectors import open_vectors

    def keyword(**options: Any) -> Callable[[str], list[str]]:
        return lambda pid: [h.paper_id for h in sim._by_tfidf(app, [pid], [], 100, **options)]

    out: dict[str, Callable[[str], list[str]]] = {
        "before": keyword(boosted=False, title_weight=0.0, keyword_share=0.0),
        "shipped-tfidf": keyword(),  # the defaults of paperfeed.search.similar
    }
    # the grids of issue 16 (docs/benchmarks.md): pool query boosted by the words' weights or not,
    # the BM25 share of the score, title words counted again, more words, a larger pool
    for boosted in (False, True):
        for share in (0.2, 0.3, 0.4, 0.5, 0.7, 1.0):
            for title in (0.0, 1.0, 2.0):
                out[f"kw boosted={boosted} share={share} title={title}"] = keyword(
                    boosted=boosted, keyword_share=share, title_weight=title
                )
    for terms in (20, 50):
        out[f"kw terms={terms} boosted=True share=0.5 title=1.0"] = keyword(
            terms=terms, boosted=True, keyword_share=0.5, title_weight=1.0
        )
    out["kw pool=300 boosted=True share=0.5 title=1.0"] = keyword(
        pool_size=300, boosted=True, keyword_share=0.5, title_weight=1.0
    )
    vectors = open_vectors(app)
    if vectors is not None and len(vectors):

        def nearest(pid: str) -> list[str]:  # the previous embeddings method: nearest papers alone
            stored = vectors.get([pid])
            return [h.paper_id for h in sim._by_embeddings(vectors, stored, [pid], [], 100)] if stored else []

        out["embeddings-before"] = nearest
        for share in (0.2, 0.3, 0.4, 0.5):
            for svm in (False, True):
                out[f"fused share={share} svm={svm}"] = lambda pid, share=share, svm=svm: [
                    h.paper_id
                    for h in sim._by_embeddings_fused(
                        app, vectors, [pid], [], 100, keyword_share=share, svm=svm
                    )
                ]
        out["shipped-embeddings"] = lambda pid: [h.paper_id for h in sim.similar(app, [pid], limit=100).hits]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sample", type=Path, default=base.DEFAULT_SAMPLE)
    parser.add_argument("--queries", type=int, default=300)
    parser.add_argument("--work-dir", type=Path, default=ROOT / "benchmarks" / "out" / "similar")
    parser.add_argument("--variants", default="", help="comma-separated names (default: all)")
    parser.add_argument("--out", type=Path)
    options = parser.parse_args()
    source = base.sample_file(options.sample)
    os.environ["PAPERFEED_DATA_DIR"] = str(options.work_dir / "data")
    os.environ["PAPERFEED_EMBED_AFTER_INGEST"] = "false"
    os.environ.pop("PAPERFEED_DATABASE_URL", None)
    from paperfeed.context import Paperfeed

    app = Paperfeed()
    if app.store.papers.count() == 0:
        raise SystemExit(
            f"run benchmarks/similar.py --work-dir {options.work_dir} first (it builds the store)"
        )
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
    relevant = base.judgements(rows)
    queries = random.Random(1).sample(sorted(relevant), min(options.queries, len(relevant)))
    tune = set(queries[: 2 * len(queries) // 3])
    methods = variants(app)
    chosen = [v for v in options.variants.split(",") if v] or list(methods)
    per: dict[str, dict[str, list[float]]] = {}
    results: dict[str, Any] = {}
    for name in chosen:
        run = methods[name]
        run(queries[0])  # warm caches and imports outside the timing
        aps, ndcgs, times = [], [], []
        for pid in queries:
            started = time.perf_counter()
            ranked = run(pid)
            times.append((time.perf_counter() - started) * 1000)
            aps.append(average_precision(ranked, relevant[pid]))
            ndcgs.append(ndcg10(ranked, relevant[pid]))
        per[name] = {"ap": aps, "ndcg": ndcgs}
        tuned = [i for i, q in enumerate(queries) if q in tune]
        held = [i for i, q in enumerate(queries) if q not in tune]
        times.sort()
        results[name] = {
            "MAP": round(statistics.fmean(aps), 4),
            "nDCG@10": round(statistics.fmean(ndcgs), 4),
            "MAP tune": round(statistics.fmean(aps[i] for i in tuned), 4),
            "MAP held": round(statistics.fmean(aps[i] for i in held), 4),
            "nDCG@10 held": round(statistics.fmean(ndcgs[i] for i in held), 4),
            "p50_ms": round(times[len(times) // 2], 1),
            "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 1),
        }
        for reference in ("before", "embeddings-before"):
            if reference in per and reference != name:
                results[name][f"vs {reference}"] = {
                    "MAP": paired(aps, per[reference]["ap"]),
                    "nDCG@10": paired(ndcgs, per[reference]["ndcg"]),
                    "MAP held": paired([aps[i] for i in held], [per[reference]["ap"][i] for i in held]),
                }
        print(json.dumps({name: results[name]}), flush=True)
    report = {
        "queries": len(queries),
        "tune": len(tune),
        "load_average": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "results": results,
    }
    if options.out:
        options.out.write_text(json.dumps(report, indent=2))
    app.close()


if __name__ == "__main__":
    main()
