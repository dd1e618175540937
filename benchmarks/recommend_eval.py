"""Build the recommendation benchmarks from the arXiv sample and evaluate every method on them.

    python benchmarks/recommend_eval.py --out /tmp/pfrec [--users 600] [--embeddings]
                                        [--work-dir DIR] [--methods a,b] [--only NAME]

Writes, unless they exist, ``OUT/authors`` (:func:`~paperfeed.evaluation.authors_benchmark.
make_authors`, defaults: cold start), ``OUT/authors-inmatrix`` (the same with ``in_matrix=True``),
``OUT/colibraries`` (:func:`~paperfeed.evaluation.authors_benchmark.make_colibraries`, in-matrix) and
``OUT/categories`` (:func:`~paperfeed.evaluation.authors_benchmark.make_categories`, cold start),
runs :func:`~paperfeed.evaluation.recommend.evaluate_recommenders` on each (``--users`` samples each
benchmark; the categories one has about 100 users and is always run whole), and prints the table
rows for docs/benchmarks.md plus ``OUT/results-<name>.json``.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from functools import partial
from pathlib import Path

from paperfeed.evaluation.authors_benchmark import make_authors, make_categories, make_colibraries
from paperfeed.evaluation.recommend import evaluate_recommenders

DEFAULT_SAMPLE = (
    Path(__file__).resolve().parents[1]
    / ".."
    / "shared"
    / "data"
    / "arxiv-sample"
    / "arxiv_cs_ai_2025-2026_newest20k.jsonl"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=Path, default=DEFAULT_SAMPLE)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--users", type=int, default=None, help="sample of authors-benchmark users")
    parser.add_argument("--embeddings", action="store_true")
    parser.add_argument("--work-dir", type=Path, default=None)
    parser.add_argument("--methods", default=None, help="comma-separated subset of methods")
    parser.add_argument(
        "--only", choices=("authors", "authors-inmatrix", "colibraries", "categories"), default=None
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    builders = {
        "authors": make_authors,
        "authors-inmatrix": partial(make_authors, in_matrix=True),
        "colibraries": make_colibraries,
        "categories": make_categories,
    }
    methods = tuple(args.methods.split(",")) if args.methods else None
    for name, build in builders.items():
        if args.only and name != args.only:
            continue
        folder = args.out / name
        if not (folder / "corpus.jsonl").exists():
            print(json.dumps(build(args.sample, folder).to_dict()), file=sys.stderr)
        started = time.perf_counter()
        report = evaluate_recommenders(
            folder,
            users=args.users if name != "categories" else None,
            run_out=args.out / f"run-{name}.trec",
            embeddings=args.embeddings,
            seed=args.seed,
            methods=methods,
            work_dir=args.work_dir,
        )
        (args.out / f"results-{name}.json").write_text(json.dumps(report.to_dict(), indent=2))
        print(
            f"\n{name}: {report.users_evaluated} users, {report.papers} papers, {time.perf_counter() - started:.0f} s"
        )
        print("| method | recall@50 | recall@100 | nDCG@10 | MRR@10 | seconds |")
        print("|---|---|---|---|---|---|")
        for m in report.methods:
            print(
                f"| {m.name} | {m.recall_50:.4f} | {m.recall_100:.4f} | {m.ndcg_10:.4f} | {m.mrr_10:.4f}"
                f" | {m.seconds:.0f} |"
            )
        for c in report.comparisons:
            cells = " | ".join(
                f"{p.mean_difference:+.4f} [{p.low:+.4f}, {p.high:+.4f}], {p.wins}/{p.losses}, p={p.sign_test_p:.2g}"
                for p in c.paired
            )
            print(f"| {c.method} vs {c.against} | {cells} |")
        for method, why in report.skipped.items():
            print(f"skipped {method}: {why}")


if __name__ == "__main__":
    main()
