"""A second judged set for search relevance: arXiv titles as queries, their own abstracts as documents.

    python benchmarks/arxiv_titles_beir.py OUT [--sample DIR] [--documents 5000] [--queries 500] [--seed 0]

From the real arXiv sample (``../shared/data/arxiv-sample``): ``--documents`` papers drawn at random
(seeded) become the corpus, *abstract only* (the title is left out, so a query cannot match its
document by copying it); ``--queries`` of them give their title as a query, and the one relevant
document of a query is its own abstract. The folder is in BEIR's layout (``corpus.jsonl``,
``queries.jsonl``, ``qrels/test.tsv``), so ``paperfeed eval beir OUT --split test`` reads it. It is
a known-item task (a reader who remembers a paper's subject, not its words), unlike SciFact's claims
to verify: a second kind of query, on computer-science text, for the hybrid fusion not to be tuned
to one data set.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("out", type=Path)
    parser.add_argument("--sample", type=Path, default=ROOT.parent / "shared" / "data" / "arxiv-sample")
    parser.add_argument("--documents", type=int, default=5000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()
    source = options.sample if options.sample.is_file() else sorted(options.sample.glob("*.jsonl"))[0]
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    rng = random.Random(options.seed)
    chosen = rng.sample(rows, min(options.documents, len(rows)))
    asked = rng.sample(chosen, min(options.queries, len(chosen)))
    (options.out / "qrels").mkdir(parents=True, exist_ok=True)
    with (options.out / "corpus.jsonl").open("w", encoding="utf-8") as corpus:
        for row in chosen:
            text = " ".join(str(row["abstract"]).split())
            corpus.write(json.dumps({"_id": row["arxiv_id"], "title": "", "text": text}) + "\n")
    with (options.out / "queries.jsonl").open("w", encoding="utf-8") as queries:
        for row in asked:
            queries.write(
                json.dumps({"_id": f"q{row['arxiv_id']}", "text": " ".join(str(row["title"]).split())}) + "\n"
            )
    with (options.out / "qrels" / "test.tsv").open("w", encoding="utf-8") as qrels:
        qrels.write("query-id\tcorpus-id\tscore\n")
        for row in asked:
            qrels.write(f"q{row['arxiv_id']}\t{row['arxiv_id']}\t1\n")
    print(json.dumps({"out": str(options.out), "documents": len(chosen), "queries": len(asked)}))


if __name__ == "__main__":
    main()
