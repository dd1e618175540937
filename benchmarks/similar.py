"""Quality and speed of "similar papers" without embeddings, on the real arXiv sample.

    python benchmarks/similar.py --queries 200 [--work-dir benchmarks/out/similar]

The sample (``../shared/data/arxiv-sample``, 20,000 real records) is imported into a fresh store and
keyword index in ``--work-dir`` (once; re-used afterwards). The relevance judgement is one a reader
would agree with and that no method can see: for a query paper, the relevant papers are the
sample's other papers by any of its authors (authors with 2 to 15 papers in the sample; more is
usually several people sharing a name). The methods see titles and abstracts only: the keyword
query and the classifier never read author names.

For ``--queries`` papers drawn at random (seeded) among those with at least one relevant paper,
``similar(app, [paper], limit=10, method="tfidf")`` is timed and its top 10 scored: recall@10
(relevant found / min(10, relevant)) and nDCG@10 (binary gains). Run it against another checkout
(``PYTHONPATH=<checkout>/src``) to compare implementations on the same queries; ``--per-query``
files of two runs give a paired comparison.
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
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SAMPLE = ROOT.parent / "shared" / "data" / "arxiv-sample"


def sample_file(path: Path) -> Path:
    if path.is_file():
        return path
    files = sorted(path.glob("*.jsonl"))
    if not files:
        raise SystemExit(f"no .jsonl file in {path}")
    return files[0]


def base_id(arxiv_id: str) -> str:
    head, _, tail = arxiv_id.rpartition("v")
    return head if head and tail.isdigit() else arxiv_id


def judgements(rows: list[dict[str, object]]) -> dict[str, set[str]]:
    """Query paper id -> its relevant papers (other papers by the same, not too common, authors)."""
    by_author: dict[str, set[str]] = {}
    for row in rows:
        for author in row["authors"]:  # type: ignore[attr-defined]
            by_author.setdefault(author, set()).add(base_id(str(row["arxiv_id"])))
    usable = {a: ids for a, ids in by_author.items() if 2 <= len(ids) <= 15}
    relevant: dict[str, set[str]] = {}
    for row in rows:
        pid = base_id(str(row["arxiv_id"]))
        found: set[str] = set()
        for author in row["authors"]:  # type: ignore[attr-defined]
            found |= usable.get(author, set())
        found.discard(pid)
        if found:
            relevant[pid] = found
    return relevant


def scores(ranked: list[str], relevant: set[str]) -> tuple[float, float]:
    gains = [1.0 if pid in relevant else 0.0 for pid in ranked[:10]]
    ideal = sum(1 / math.log2(i + 2) for i in range(min(10, len(relevant))))
    dcg = sum(g / math.log2(i + 2) for i, g in enumerate(gains))
    return sum(gains) / min(10, len(relevant)), dcg / ideal


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sample", type=Path, default=DEFAULT_SAMPLE)
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--work-dir", type=Path, default=ROOT / "benchmarks" / "out" / "similar")
    parser.add_argument("--method", default="tfidf")
    parser.add_argument("--per-query", type=Path, help="write each query's nDCG@10 here (JSON), to pair runs")
    options = parser.parse_args()
    source = sample_file(options.sample)
    data_dir = options.work_dir / "data"
    os.environ["PAPERFEED_DATA_DIR"] = str(data_dir)
    os.environ["PAPERFEED_EMBED_AFTER_INGEST"] = "false"
    os.environ.pop("PAPERFEED_DATABASE_URL", None)
    from paperfeed.context import Paperfeed
    from paperfeed.ingest.jobs import ingest_file
    from paperfeed.search.indexer import catch_up
    from paperfeed.search.similar import similar

    app = Paperfeed()
    if app.store.papers.count() == 0:
        ingest_file(app, source, file_format="jsonl")
    catch_up(app, embed=False)
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines()]
    relevant = judgements(rows)
    rng = random.Random(1)
    queries = rng.sample(sorted(relevant), min(options.queries, len(relevant)))
    similar(app, [queries[0]], limit=10, method=options.method)  # load sklearn once, outside the timing
    recalls, ndcgs, times = [], [], []
    for pid in queries:
        started = time.perf_counter()
        hits = similar(app, [pid], limit=10, method=options.method).hits
        times.append((time.perf_counter() - started) * 1000)
        recall, ndcg = scores([h.paper_id for h in hits], relevant[pid])
        recalls.append(recall)
        ndcgs.append(ndcg)
    times.sort()
    result = {
        "method": options.method,
        "queries": len(queries),
        "recall@10": round(statistics.fmean(recalls), 4),
        "ndcg@10": round(statistics.fmean(ndcgs), 4),
        "ndcg@10_stderr": round(statistics.stdev(ndcgs) / math.sqrt(len(ndcgs)), 4),
        "p50_ms": round(times[len(times) // 2], 1),
        "p99_ms": round(times[min(len(times) - 1, int(len(times) * 0.99))], 1),
        "load_average": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
    }
    if options.per_query:
        options.per_query.write_text(json.dumps(dict(zip(queries, ndcgs, strict=True))))
    print(json.dumps(result, indent=2))
    sys.stdout.flush()
    app.close()


if __name__ == "__main__":
    main()
