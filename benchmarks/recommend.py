"""Speed of the daily recommendation step: 10,000 members × a day's 1,000 new papers.

    python benchmarks/recommend.py [--sample PATH] [--members 10000] [--candidates 1000]
                                   [--embeddings-cache DIR] [--chunk 1000] [--json]

The newest ``--candidates`` records of the arXiv sample are "today's papers"; TF-IDF is fitted on
the older ones (as production fits it on the store) and applied to today's. Members are synthetic
but made of real papers: each has a library of 5-200 older papers (log-uniform), 0-5 "not
interested" papers and 0-3 followed authors taken from today's papers' real author lists.

Timed separately:

* **train**: one model per member (:func:`~paperfeed.recommend.model.train_member`); in production
  this happens only when a member's feedback changes, so it is not part of the daily step;
* **daily step** (the target, ≤ 60 s): stack the cached models, co-saves of today's papers through
  all libraries, each member's best cosine to one of their saved papers (one candidate × saved
  papers product per chunk, which the reasons reuse), the calibrated blend for every member (chunks
  of ``--chunk`` members), exclusions, each member's top 10 and a reason for each of them.

With ``--embeddings-cache`` (a folder written by :class:`~paperfeed.recommend.features.
EmbeddingCache`) the members and papers also get their real embeddings, if all are cached.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time
from pathlib import Path

import numpy as np
import scipy.sparse as sp

from paperfeed.evaluation.authors_benchmark import read_sample
from paperfeed.recommend.batch import co_saves_for, score_members, stack_models, top_k
from paperfeed.recommend.blend import DEFAULT_WEIGHTS, heaviest_terms
from paperfeed.recommend.co_saves import SaveMatrix
from paperfeed.recommend.features import EmbeddingCache, TfidfConfig, paper_text, text_key
from paperfeed.recommend.model import Background, MemberModel, explain, follow_weights, train_member

SAMPLE = Path(__file__).resolve().parents[1] / ".." / "shared" / "data" / "arxiv-sample"
DEFAULT_SAMPLE = SAMPLE / "arxiv_cs_ai_2025-2026_newest20k.jsonl"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sample", type=Path, default=DEFAULT_SAMPLE)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--candidates", type=int, default=1000)
    parser.add_argument("--chunk", type=int, default=1000)
    parser.add_argument("--top", type=int, default=10)
    parser.add_argument("--embeddings-cache", type=Path)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    figures: dict[str, object] = {
        "members": args.members,
        "candidates": args.candidates,
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }

    records = read_sample(args.sample)  # sorted by date: the newest are today's
    old, new = records[: -args.candidates], records[-args.candidates :]
    started = time.perf_counter()
    vectorizer = TfidfConfig().vectorizer()
    old_x = sp.csr_matrix(vectorizer.fit_transform([paper_text(r.title, r.abstract) for r in old]))
    new_x = sp.csr_matrix(vectorizer.transform([paper_text(r.title, r.abstract) for r in new]))
    figures["tfidf_fit_seconds"] = round(time.perf_counter() - started, 2)
    old_d = new_d = None
    if args.embeddings_cache is not None:
        cache = EmbeddingCache(args.embeddings_cache)
        texts = [paper_text(r.title, r.abstract) for r in records]
        if all(text_key(t) in cache.index for t in texts):
            dense = cache.embed(texts)
            old_d, new_d = dense[: -args.candidates], dense[-args.candidates :]
        figures["embeddings"] = old_d is not None

    # synthetic members made of real papers
    sizes = np.exp(rng.uniform(np.log(5), np.log(200), args.members)).astype(int)
    libraries = [rng.choice(len(old), size, replace=False) for size in sizes]
    dismissed = [rng.choice(len(old), rng.integers(0, 6), replace=False) for _ in range(args.members)]
    authors_today: dict[str, list[int]] = {}
    for j, r in enumerate(new):
        for name in r.authors:
            authors_today.setdefault(name, []).append(j)
    names = sorted(authors_today)
    follows = [list(rng.choice(names, rng.integers(0, 4), replace=False)) for _ in range(args.members)]
    figures["library_papers"] = int(sizes.sum())

    started = time.perf_counter()
    models: list[MemberModel] = [
        train_member(
            old_x[libraries[m]],
            negatives=old_x[dismissed[m]] if len(dismissed[m]) else None,
            dense_positives=None if old_d is None else old_d[libraries[m]],
            dense_negatives=None if old_d is None or not len(dismissed[m]) else old_d[dismissed[m]],
            positive_ids=[old[i].paper_id for i in libraries[m]],
        )
        for m in range(args.members)
    ]
    figures["train_seconds"] = round(time.perf_counter() - started, 2)
    background = Background.from_rows(old_x[-5000:], None if old_d is None else old_d[-5000:])

    # ---- the daily step
    started = time.perf_counter()
    member_ids = [f"m{m}" for m in range(args.members)]
    everything = records  # saves index over all papers: today's are the last columns
    saves = SaveMatrix({member_ids[m]: libraries[m].tolist() for m in range(args.members)}, len(everything))
    today = np.arange(len(old), len(records))
    co = co_saves_for(saves, member_ids, today)
    co_counts = co_saves_for(saves, member_ids, today, counts=True)
    readers = saves.readers[today]
    co_at = time.perf_counter()
    rows_f, cols_f = [], []
    for m, followed in enumerate(follows):
        for name in followed:
            for j in authors_today[name]:
                rows_f.append(j)
                cols_f.append(m)
    follow_matrix = sp.csr_matrix(
        (np.ones(len(rows_f), dtype=np.float32), (rows_f, cols_f)), shape=(len(new), args.members)
    )
    follow_matrix.data[:] = 1.0
    author_boost = follow_weights(DEFAULT_WEIGHTS)["author"]
    matching = heaviest_terms(new_x)
    shown = 0
    reasons_seconds = 0.0
    for start in range(0, args.members, args.chunk):
        block = slice(start, min(start + args.chunk, args.members))
        sub = stack_models(models[block])
        # candidate × saved-paper similarities, once for the chunk's members: each member's best
        # match (the blend's per-positive maximum) and the reasons
        union = np.unique(np.concatenate(libraries[block]))
        column = np.full(len(old), -1, dtype=np.int64)
        column[union] = np.arange(len(union))
        # saved papers × candidates: a member's rows are contiguous to gather
        similarity = np.asarray((old_x[union] @ matching.T).toarray(), dtype=np.float32)
        dense_similarity = old_d[union] @ new_d.T if new_d is not None and old_d is not None else None
        own = [column[libraries[m]] for m in range(block.start, block.stop)]
        content_max = np.stack([similarity[o].max(axis=0) for o in own], axis=1)
        dense_max = (
            np.stack([dense_similarity[o].max(axis=0) for o in own], axis=1)
            if dense_similarity is not None
            else None
        )
        scored = score_members(
            sub,
            new_x,
            background,
            dense_candidates=new_d,
            content_max=content_max,
            dense_max=dense_max,
            co_saves=co[:, block],
            co_counts=co_counts[:, block],
            readers=readers,
            follows=author_boost * follow_matrix[:, block].toarray(),
        )
        best = top_k(scored.scores, args.top)
        tick = time.perf_counter()
        if dense_similarity is not None:
            similarity += dense_similarity
        for j in range(best.shape[0]):
            m = start + j
            picked = best[j][best[j] >= 0]
            explain(
                models[m],
                scored.member_parts(j),
                picked,
                new_x,
                similarity=similarity[np.ix_(own[j], picked)].T,
            )
            shown += len(picked)
        reasons_seconds += time.perf_counter() - tick
    total = time.perf_counter() - started
    figures.update(
        co_saves_seconds=round(co_at - started, 2),
        reasons_seconds=round(reasons_seconds, 2),
        daily_step_seconds=round(total, 2),
        recommendations=shown,
        target_seconds=60,
        met=total <= 60,
    )
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:22s} {value}")


if __name__ == "__main__":
    main()
