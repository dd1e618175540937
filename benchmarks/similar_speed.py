"""Per-request time of similar papers at scale, the previous and the current keyword method.

    python benchmarks/similar_speed.py DATA_DIR [--samples 100] [--seed 0]

``DATA_DIR`` is any paperfeed data dir with its keyword index built (for example the store of
``benchmarks/scale.py``, or ``paperfeed ingest file`` of a large Kaggle-format file). Papers are drawn
at random (seeded) among the first 20,000 of the store's change feed; each is asked for its 10 most similar papers by the
keyword method with the previous settings (an unweighted pool, the SVM alone) and with the current
ones (title words counted again, 0.3 BM25 + 0.7 SVM), alternating, after 5 warm-ups each. Prints
p50 / p95 / p99 in milliseconds and the load average. In-process: no HTTP.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import time
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=0)
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
    methods = {
        "before": lambda pid: sim._by_tfidf(
            app, [pid], [], 10, boosted=False, title_weight=0.0, keyword_share=0.0
        ),
        "current": lambda pid: sim._by_tfidf(app, [pid], [], 10),
    }
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
    }))  # fmt: skip
    app.close()


if __name__ == "__main__":
    main()
