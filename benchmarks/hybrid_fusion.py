"""Hybrid search: the fusion variants tried for issue 16, on a BEIR folder's cached indexes.

    paperfeed eval beir DIR --split train --mode hybrid --work-dir WORK   # once: store, index, vectors
    python benchmarks/hybrid_fusion.py DIR --split train --work-dir WORK [--passages] [--titles] [--prf]

Reads the keyword index and the document vectors that ``eval beir --work-dir`` left in ``WORK``,
runs every judged query once through the production keyword search (top 1,000 BM25) and the
embedding model (one vector per query), and then scores fusion variants offline, so a grid costs
seconds. The queries are split in two seeded parts: **tune** (two thirds, where a variant would be
chosen) and **held** (one third, reported apart, so that a choice is not only fitted to the queries
it was chosen on). Variants:

* ``weighted`` (the fusion before issue 16): min-max of each list's top 100, a paper missing from a
  list gets 0 from it; ``shipped``: min-max over the union of both tops with every candidate's
  cosine (a semantic-only candidate counts BM25 0); ``calibrated``: the same with *both* scores
  of every candidate (BM25 from the top 1,000), and three other normalisations (z-score, divide
  by the maximum, raw cosine);
* ``--passages``: long abstracts embedded in passages (:func:`passages`), a paper's cosine the best
  of its passages' (MaxP), alone and fused; embeds the extra passages once (cached in ``WORK``);
* ``--titles``: the cosine to the title alone as a third signal (embeds the titles once);
* ``--prf``: pseudo-relevance feedback: dense Rocchio from the fused top k, and an RM3-like
  expansion of the keyword query from BM25's own top k or from the fused top k.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np


def passages(title: str, abstract: str, tokenizer: Any, max_tokens: int, overlap: float = 0.25) -> list[str]:
    """Extra passages of a text longer than the model's window: the title + windows of the rest of
    the abstract (overlapping by ``overlap``); none when the text fits."""

    def spans(text: str) -> list[tuple[int, int]]:
        found = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True, truncation=False)
        return [(int(a), int(b)) for a, b in found["offset_mapping"]]

    title_spans, body = spans(title) if title else [], spans(abstract) if abstract else []
    window = max_tokens - 2
    if len(title_spans) + len(body) <= window:
        return []
    room = max(16, window - min(len(title_spans), 64))
    step = max(1, int(room * (1 - overlap)))
    start, out = max(0, window - len(title_spans) - (room - step)), []
    while start < len(body) and len(out) < 8:
        end = min(len(body), start + room)
        out.append(f"{title} {abstract[body[start][0] : body[end - 1][1]]}".strip())
        if end == len(body):
            break
        start += step
    return out


def minmax(values: dict[str, float]) -> dict[str, float]:
    if not values:
        return {}
    low, high = min(values.values()), max(values.values())
    return {k: 1.0 if high == low else (v - low) / (high - low) for k, v in values.items()}


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("folder", type=Path)
    parser.add_argument("--split", default="train")
    parser.add_argument("--work-dir", type=Path, required=True)
    parser.add_argument("--passages", action="store_true")
    parser.add_argument("--titles", action="store_true")
    parser.add_argument("--prf", action="store_true")
    options = parser.parse_args()
    from paperfeed.config import Settings
    from paperfeed.context import Paperfeed
    from paperfeed.evaluation.beir import evaluate_run, load_qrels, load_queries
    from paperfeed.search.embedders import try_load_configured
    from paperfeed.search.engine import open_lexical
    from paperfeed.search.query import parse
    from paperfeed.search.vectors import open_vectors

    settings = Settings(data_dir=options.work_dir, embed_after_ingest=False)
    app = Paperfeed(settings)
    qrels = load_qrels(options.folder, options.split)
    every = load_queries(options.folder)
    queries = {q: every[q] for q in qrels if q in every}
    qids = sorted(queries)
    shuffled = qids[:]
    random.Random(16).shuffle(shuffled)
    tune = set(shuffled[: 2 * len(shuffled) // 3])
    lexical, vectors = open_lexical(app), open_vectors(app)
    if vectors is None:
        raise SystemExit(
            "no vectors in the work dir: run `paperfeed eval beir … --mode hybrid --work-dir` first"
        )
    doc_ids = list(vectors.live)
    row = {d: i for i, d in enumerate(doc_ids)}
    docs = np.asarray(vectors.get_rows(np.array([vectors.live[i] for i in doc_ids])), dtype=np.float32)
    cache = options.work_dir / "fusion-cache"
    cache.mkdir(exist_ok=True)
    embedder, why = try_load_configured(settings)
    if embedder is None:
        raise SystemExit(why)

    def cached(name: str, make: Any) -> Any:
        path = cache / f"{name}.npz"
        if not path.exists():
            np.savez(path, **make())
        return np.load(path)

    qv = cached("queries", lambda: {"v": embedder.encode([queries[q] for q in qids])})["v"]
    cos = qv @ docs.T
    bm_file = cache / "bm25.json"
    if not bm_file.exists():
        bm_file.write_text(
            json.dumps(
                {
                    q: [
                        (h.paper_id, h.score)
                        for h in lexical.search(
                            parse(queries[q], syntax=False), limit=1000, snippets=False
                        ).hits
                    ]
                    for q in qids
                }
            )
        )
    bm = json.loads(bm_file.read_text())
    texts = {}
    for line in (options.folder / "corpus.jsonl").read_text(encoding="utf-8").splitlines():
        if line.strip():
            d = json.loads(line)
            texts[str(d["_id"])] = (str(d.get("title") or ""), str(d.get("text") or ""))

    def report(name: str, run: dict[str, list[tuple[str, float]]]) -> None:
        scores = {
            part: evaluate_run(run, {q: qrels[q] for q in qrels if q in which})
            for part, which in (("all", set(qids)), ("tune", tune), ("held", set(qids) - tune))
        }
        line = {"variant": name} | {f"{p} nDCG@10": round(s["ndcg@10"], 4) for p, s in scores.items()}
        print(json.dumps(line | {"all recall@100": round(scores["all"]["recall@100"], 4)}), flush=True)

    def fuse(i: int, q: str, w: float, dense: np.ndarray, *, filled: bool | str, norm: str = "minmax",
             keyword: list[Any] | None = None) -> list[tuple[str, float]]:  # fmt: skip
        ranked = keyword if keyword is not None else bm[q]
        top = np.argpartition(-dense[i], 100)[:100]
        b = dict(ranked[:100])
        d = {doc_ids[j]: float(dense[i, j]) for j in top}
        if filled:  # True: both scores of every candidate; "cosine": the cosines only (what ships)
            everything = dict(ranked) if filled is True else b
            union = set(b) | set(d)
            b = {k: everything.get(k, 0.0) for k in union}
            d = {k: float(dense[i, row[k]]) for k in union}
        if norm == "minmax":
            nb, nd = minmax(b), minmax(d)
        elif norm == "z":

            def z(x: dict[str, float]) -> dict[str, float]:
                v = np.array(list(x.values()))
                return {k: (y - v.mean()) / (v.std() or 1.0) for k, y in x.items()}

            nb, nd = z(b), z(d)
        elif norm == "max":
            nb = {k: v / (max(b.values()) or 1) for k, v in b.items()}
            nd = {k: v / (max(d.values()) or 1) for k, v in d.items()}
        else:  # raw cosine, BM25 / max
            nb, nd = {k: v / (max(b.values()) or 1) for k, v in b.items()}, d
        low_b = min(nb.values()) if norm == "z" else 0.0
        low_d = min(nd.values()) if norm == "z" else 0.0
        out = {k: w * nb.get(k, low_b) + (1 - w) * nd.get(k, low_d) for k in set(nb) | set(nd)}
        return sorted(out.items(), key=lambda x: (-x[1], x[0]))[:100]

    report("keyword", {q: bm[q][:100] for q in qids})
    report("semantic", {q: sorted(((doc_ids[j], float(cos[i, j])) for j in np.argpartition(-cos[i], 100)[:100]), key=lambda x: -x[1]) for i, q in enumerate(qids)})  # fmt: skip
    for w in (0.4, 0.5, 0.6, 0.7):
        report(f"weighted (before) w={w}", {q: fuse(i, q, w, cos, filled=False) for i, q in enumerate(qids)})
    for w in (0.4, 0.5, 0.6):
        report(
            f"shipped: cosines filled, minmax w={w}",
            {q: fuse(i, q, w, cos, filled="cosine") for i, q in enumerate(qids)},
        )
    for norm in ("minmax", "z", "max", "raw"):
        for w in (0.3, 0.4, 0.5, 0.6, 0.7):
            report(
                f"calibrated {norm} w={w}",
                {q: fuse(i, q, w, cos, filled=True, norm=norm) for i, q in enumerate(qids)},
            )
    if options.passages:
        tokenizer = getattr(embedder, "tokenizer", None) or embedder.model.tokenizer  # type: ignore[attr-defined]

        def make_passages() -> dict[str, Any]:
            extra, owners = [], []
            for doc_id in doc_ids:
                for text in passages(*texts[doc_id], tokenizer, embedder.max_tokens):  # type: ignore[attr-defined]
                    extra.append(text)
                    owners.append(row[doc_id])
            return {"v": embedder.encode(extra), "owner": np.array(owners, dtype=np.int64)}

        found = cached("passages", make_passages)
        maxp = cos.copy()
        per = qv @ found["v"].T
        for j, owner in enumerate(found["owner"]):
            np.maximum(maxp[:, owner], per[:, j], out=maxp[:, owner])
        print(json.dumps({"passages": len(found["owner"]), "documents": len(doc_ids)}))
        report("semantic MaxP", {q: sorted(((doc_ids[j], float(maxp[i, j])) for j in np.argpartition(-maxp[i], 100)[:100]), key=lambda x: -x[1]) for i, q in enumerate(qids)})  # fmt: skip
        for a in (0.0, 0.3, 0.5, 0.7):
            mix = a * cos + (1 - a) * maxp
            report(
                f"calibrated w=0.5, dense = {a} cos + {1 - a:.1f} MaxP",
                {q: fuse(i, q, 0.5, mix, filled=True) for i, q in enumerate(qids)},
            )
    if options.titles:
        titles = cached(
            "titles", lambda: {"v": embedder.encode([texts[d][0] or texts[d][1][:200] for d in doc_ids])}
        )["v"]
        tcos = qv @ titles.T
        for a in (0.1, 0.2, 0.3):
            mix = (1 - a) * cos + a * tcos
            report(
                f"calibrated w=0.5, dense = {1 - a:.1f} cos + {a} title cos",
                {q: fuse(i, q, 0.5, mix, filled=True) for i, q in enumerate(qids)},
            )
    if options.prf:
        from paperfeed.search.analysis import stem_tokens

        base = {q: fuse(i, q, 0.5, cos, filled=True) for i, q in enumerate(qids)}
        for k in (3, 10):
            for beta in (0.3, 0.6):
                moved = qv.copy()
                for i, q in enumerate(qids):
                    v = qv[i] + beta * docs[[row[d] for d, _ in base[q][:k]]].mean(axis=0)
                    moved[i] = v / np.linalg.norm(v)
                cos2 = moved @ docs.T
                report(
                    f"dense PRF k={k} beta={beta}",
                    {q: fuse(i, q, 0.5, cos2, filled=True) for i, q in enumerate(qids)},
                )
        import tantivy

        from paperfeed.search.query import build_query

        searcher = lexical.index.searcher()
        tokens: dict[str, Counter[str]] = {}

        def expanded(
            q: str, feedback: list[tuple[str, float]], k: int, m: int, lam: float
        ) -> list[tuple[str, float]]:
            weight: Counter[str] = Counter()
            scores = np.array([s for _, s in feedback[:k]])
            share = (scores - scores.min()) / (np.ptp(scores) + 1e-9) + 0.1
            for (d, _), wd in zip(feedback[:k], share, strict=True):
                if d not in tokens:
                    tokens[d] = Counter(stem_tokens(" ".join(texts[d])))
                n = sum(tokens[d].values()) or 1
                for t, f in tokens[d].items():
                    weight[t] += wd * f / n
            terms = [t for t, _ in weight.most_common(m) if searcher.doc_freq("body", t) > 1]
            total = sum(weight[t] for t in terms) or 1.0
            original = build_query(lexical.schema, parse(queries[q], syntax=False))
            clauses = [(tantivy.Occur.Should, tantivy.Query.boost_query(original, lam))] if original else []
            clauses += [
                (tantivy.Occur.Should, tantivy.Query.boost_query(tantivy.Query.term_query(lexical.schema, "body", t), (1 - lam) * m * weight[t] / total))
                for t in terms
            ]  # fmt: skip
            found = searcher.search(tantivy.Query.boolean_query(clauses), 1000, count=False)
            return [(str(searcher.doc(a).get_first("paper_id")), s) for s, a in found.hits]

        for source, feedback in (("BM25", {q: bm[q] for q in qids}), ("hybrid", base)):
            for k, m, lam in ((3, 10, 0.7), (10, 10, 0.7), (3, 10, 0.5)):
                new = {q: expanded(q, feedback[q], k, m, lam) for q in qids}
                report(f"keyword RM3 from {source} k={k} m={m} lambda={lam}", {q: new[q][:100] for q in qids})
                report(
                    f"hybrid with RM3 from {source} k={k} m={m} lambda={lam}",
                    {q: fuse(i, q, 0.5, cos, filled=True, keyword=new[q]) for i, q in enumerate(qids)},
                )
    app.close()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
