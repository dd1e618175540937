"""Search speed on synthetic corpora: keyword latency, vector latency and recall, build time, size, RSS.

    python benchmarks/search.py --papers 100000 [--out benchmarks/out/search-100k.json]
    python benchmarks/search.py --tune-beir DIR --split train --work-dir DIR   # the relevance grids

Keyword: a synthetic corpus whose titles (8 words) and abstracts (~150 words) are drawn with Zipf
frequencies from the real vocabulary of the bundled arXiv sample, indexed by paperfeed's own
:class:`LexicalIndex`; 500 queries of 1–8 words (same distribution) timed through the same
``search`` method the engine uses (BM25 over the fields, snippets on and off).

Vectors: ``--papers`` synthetic unit vectors (384-d, stored float16 like real embeddings) in
paperfeed's :class:`VectorStore`, uniform random and clustered (see :func:`vector_benchmark`); 500
queries timed against exact search and faiss IVF, whose recall@10 against exact is reported. Uniform
random vectors have no structure, IVF's worst case; ``--real-vectors DIR`` measures recall on real
embeddings (SciFact's, as cached by ``paperfeed eval beir --work-dir``).
Query encoding (all-MiniLM-L6-v2, one query at a time) is timed separately when the model is available.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

from paperfeed.records import PaperRecord
from paperfeed.search.lexical import LexicalIndex, paper_document
from paperfeed.search.query import parse
from paperfeed.search.vectors import VectorStore

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "tests" / "data" / "arxiv-sample-300.jsonl"


def percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)

    def at(p: float) -> float:
        return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]

    return {
        "p50_ms": round(at(0.50), 3),
        "p95_ms": round(at(0.95), 3),
        "p99_ms": round(at(0.99), 3),
        "mean_ms": round(statistics.fmean(ordered), 3),
    }


def timed(fn: Callable[[], object], repeat: int) -> list[float]:
    out = []
    for _ in range(repeat):
        started = time.perf_counter()
        fn()
        out.append((time.perf_counter() - started) * 1000)
    return out


def dir_size(path: Path) -> int:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def vocabulary() -> tuple[np.ndarray, np.ndarray]:
    """Real words of the arXiv sample with Zipf (rank^-1.07) weights."""
    counts: dict[str, int] = {}
    for line in SAMPLE.read_text(encoding="utf-8").splitlines():
        row = json.loads(line)
        for word in f"{row['title']} {row['abstract']}".split():
            word = word.strip(".,;:()[]\"'").lower()
            if word.isalpha():
                counts[word] = counts.get(word, 0) + 1
    words = np.array(sorted(counts, key=lambda w: -counts[w]))
    weights = 1.0 / np.arange(1, len(words) + 1) ** 1.07
    return words, weights / weights.sum()


def keyword_benchmark(n: int, work: Path, rng: np.random.Generator) -> dict[str, object]:
    words, probs = vocabulary()
    index = LexicalIndex.open_writer(work / "lexical")
    writer = index.writer(threads=2 if n > 50_000 else 1)  # as the indexer builds large indexes
    started = time.perf_counter()
    chunk = 10_000
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        title_words = rng.choice(len(words), size=(size, 8), p=probs)
        abstract_words = rng.choice(len(words), size=(size, 150), p=probs)
        for i in range(size):
            pid = f"{2600 + (start + i) // 100000}.{(start + i) % 100000:05d}"
            paper = PaperRecord(
                paper_id=pid,
                title=" ".join(words[title_words[i]]),
                abstract=" ".join(words[abstract_words[i]]),
                authors=[f"Author {rng.integers(0, 50000)}", f"Author {rng.integers(0, 50000)}"],
                categories=[str(rng.choice(["cs.LG", "cs.AI", "cs.CL", "cs.CV", "stat.ML"]))],
            )
            writer.add_document(paper_document(paper))
    writer.commit()
    writer.wait_merging_threads()
    build_s = time.perf_counter() - started
    # Queries: 1-8 words, content words (skip the 50 most frequent, which are mostly stop words).
    queries = []
    for _ in range(500):
        k = int(rng.integers(1, 9))
        picks = rng.choice(np.arange(50, len(words)), size=k, p=probs[50:] / probs[50:].sum())
        queries.append(" ".join(words[picks]))
    parsed = [parse(q) for q in queries]
    for p in parsed[:20]:
        index.search(p, limit=10)  # warm the page cache and the reader
    with_snippets: list[float] = []
    without: list[float] = []
    for p in parsed:
        with_snippets += timed(lambda p=p: index.search(p, limit=10), 1)  # type: ignore[misc]
        without += timed(lambda p=p: index.search(p, limit=10, snippets=False), 1)  # type: ignore[misc]
    capped = sum(not index.search(p, limit=10, snippets=False).total_exact for p in parsed)
    # The same queries counting every match (as before the cap), for the comparison in one run.
    from paperfeed.search import lexical

    cap, lexical.COUNT_CAP = lexical.COUNT_CAP, 2**62
    exact_count: list[float] = []
    for p in parsed:
        exact_count += timed(lambda p=p: index.search(p, limit=10), 1)  # type: ignore[misc]
    lexical.COUNT_CAP = cap
    index.index.reload()
    return {
        "documents": n,
        "build_seconds": round(build_s, 1),
        "index_bytes": dir_size(work / "lexical"),
        "segments": index.index.searcher().num_segments,
        "queries": len(queries),
        "queries_counted_only_to_the_cap": capped,
        "load_average": os.getloadavg(),
        "latency_top10_with_snippets": percentiles(with_snippets),
        "latency_top10_no_snippets": percentiles(without),
        "latency_top10_with_snippets_exact_count": percentiles(exact_count),
    }


def _unit(rows: np.ndarray) -> np.ndarray:
    return (rows / np.linalg.norm(rows, axis=1, keepdims=True)).astype(np.float32)


def vector_benchmark(
    n: int, work: Path, rng: np.random.Generator, kind: str = "random", dim: int = 384
) -> dict[str, object]:
    """``random``: uniform unit vectors (no structure: IVF's worst case). ``clustered``: n/50 topic
    centres, each vector a centre plus noise (cosine to its centre ≈ 0.6, like papers of one topic),
    queries drawn the same way; closer to real embeddings, still synthetic."""
    path = work / f"vectors-{kind}"
    store = VectorStore.create(path, model=kind, dim=dim, exact_max=n)
    centres = _unit(rng.standard_normal((max(1, n // 50), dim)))

    def draw(size: int) -> np.ndarray:
        if kind == "random":
            return _unit(rng.standard_normal((size, dim)))
        picks = centres[rng.integers(0, len(centres), size)]
        return _unit(picks + rng.standard_normal((size, dim)).astype(np.float32) * (1.33 / np.sqrt(dim)))

    started = time.perf_counter()
    chunk = 100_000
    for start in range(0, n, chunk):
        size = min(chunk, n - start)
        ids = [f"v{start + i}" for i in range(size)]
        store.append(ids, [""] * size, draw(size))
    write_s = time.perf_counter() - started
    queries = draw(500)
    store.search_exact(queries[0], 10)  # builds the in-memory float32 matrix
    exact_ms: list[float] = []
    exact_hits = []
    for q in queries:
        started = time.perf_counter()
        exact_hits.append({h.paper_id for h in store.search_exact(q, 10)})
        exact_ms.append((time.perf_counter() - started) * 1000)
    started = time.perf_counter()
    store._ann_index()
    ivf_build_s = time.perf_counter() - started
    result: dict[str, object] = {
        "kind": kind,
        "vectors": n,
        "dim": dim,
        "write_seconds": round(write_s, 1),
        "bytes_on_disk_f16": (path / "vectors.f16").stat().st_size,
        "exact": percentiles(exact_ms),
        "ivf_build_seconds": round(ivf_build_s, 1),
        "ivf_nlist": int(store._ann.nlist),
    }
    for nprobe in (8, 32, 128, 256):
        store.nprobe = nprobe
        ann_ms: list[float] = []
        recall = 0.0
        for q, truth in zip(queries, exact_hits, strict=True):
            started = time.perf_counter()
            got = {h.paper_id for h in store.search_ann(q, 10)}
            ann_ms.append((time.perf_counter() - started) * 1000)
            recall += len(got & truth) / 10
        result[f"ivf_nprobe_{nprobe}"] = percentiles(ann_ms) | {"recall@10": round(recall / len(queries), 4)}
    return result


def real_vector_recall(path: Path, nprobes: tuple[int, ...] = (8, 32, 128)) -> dict[str, object]:
    """IVF recall@10 against exact on real embeddings (e.g. SciFact's, from ``eval beir --work-dir``):
    500 stored papers as queries, each excluded from its own results."""
    import shutil

    copy = Path(tempfile.mkdtemp(prefix="paperfeed-real-")) / "v"
    shutil.copytree(path, copy, ignore=shutil.ignore_patterns("ivf.*"))
    store = VectorStore(copy, exact_max=0)
    ids = list(store.live)[:500]
    vectors = store.get(ids)
    truth = {i: {h.paper_id for h in store.search_exact(vectors[i], 10, exclude={i})} for i in ids}
    out: dict[str, object] = {"vectors": len(store), "queries": len(ids)}
    store._ann_index()
    out["ivf_nlist"] = int(store._ann.nlist)
    for nprobe in nprobes:
        store.nprobe = nprobe
        recall = sum(
            len(truth[i] & {h.paper_id for h in store.search_ann(vectors[i], 10, exclude={i})}) / 10
            for i in ids
        )
        out[f"recall@10_nprobe_{nprobe}"] = round(recall / len(ids), 4)
    shutil.rmtree(copy.parent)
    return out


def encoding_benchmark() -> dict[str, object]:
    from paperfeed.search.embedders import try_load_embedder

    embedder, why = try_load_embedder("all-MiniLM-L6-v2")
    if embedder is None:
        return {"skipped": why}
    texts = [f"diffusion models for protein design {i}" for i in range(100)]
    embedder.encode(texts[:5])
    return {
        "model": "all-MiniLM-L6-v2",
        "one_query": percentiles(
            timed(lambda: embedder.encode(["graph neural networks for molecules"]), 100)
        ),
    }


def tune_beir(folder: Path, split: str, work_dir: Path) -> dict[str, object]:
    """The grids behind the defaults: keyword field weights and hybrid fusion, on one BEIR split.

    Re-uses ``work_dir`` (the corpus, its index and its embeddings, as ``eval beir --work-dir``
    leaves them), so only the first run embeds the corpus."""
    from paperfeed.config import Settings
    from paperfeed.context import Paperfeed
    from paperfeed.evaluation import beir
    from paperfeed.search.engine import open_lexical, semantic_available, semantic_ranking
    from paperfeed.search.fusion import rrf, weighted
    from paperfeed.search.indexer import catch_up
    from paperfeed.search.query import FieldWeights

    app = Paperfeed(Settings(data_dir=work_dir, embed_after_ingest=False))
    beir.load_into(app, folder)
    catch_up(app, embed=True)
    qrels = beir.load_qrels(folder, split)
    texts = beir.load_queries(folder)
    parsed = {q: parse(texts[q], syntax=False) for q in qrels if q in texts}
    lexical = open_lexical(app)
    out: dict[str, object] = {}
    grid = [(2, 1, 0), (1, 1, 0), (3, 1, 0), (0, 0, 1), (0.2, 0, 1), (0.3, 0, 1), (0.5, 0, 1), (1, 0, 1)]
    for title, abstract, body in grid:
        weights = FieldWeights(title=title, abstract=abstract, authors=1.0, body=body)
        run = {
            q: [
                (h.paper_id, h.score)
                for h in lexical.search(p, limit=100, snippets=False, weights=weights).hits
            ]
            for q, p in parsed.items()
        }
        out[f"keyword title={title} abstract={abstract} body={body}"] = beir.evaluate_run(run, qrels)
    embedder, vectors, why = semantic_available(app)
    if embedder is None:
        out["fusion"] = f"skipped: {why}"
        return out
    keyword = {
        q: [(h.paper_id, h.score) for h in lexical.search(p, limit=200, snippets=False).hits]
        for q, p in parsed.items()
    }
    semantic = {q: semantic_ranking(app, lexical, embedder, vectors, p, depth=200) for q, p in parsed.items()}
    out["keyword"] = beir.evaluate_run(keyword, qrels)
    out["semantic"] = beir.evaluate_run(semantic, qrels)
    for depth in (50, 100, 200):
        for k in (10, 30, 60, 100):
            run = {q: rrf([keyword[q][:depth], semantic[q][:depth]], k=k)[:100] for q in parsed}
            out[f"rrf depth={depth} k={k}"] = beir.evaluate_run(run, qrels)
    for w in (0.3, 0.4, 0.5, 0.6, 0.7):
        run = {q: weighted([keyword[q][:100], semantic[q][:100]], [w, 1 - w])[:100] for q in parsed}
        out[f"weighted keyword={w}"] = beir.evaluate_run(run, qrels)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--skip", choices=["keyword", "vectors", "encoding"], action="append", default=[])
    parser.add_argument("--vectors", default="clustered,random", help="random, clustered or both")
    parser.add_argument("--real-vectors", type=Path, help="a vectors-<model> dir to measure IVF recall on")
    parser.add_argument("--out", type=Path)
    parser.add_argument("--tune-beir", type=Path, help="print the tuning grids on this BEIR folder instead")
    parser.add_argument("--split", default="train")
    parser.add_argument("--work-dir", type=Path, default=Path("benchmarks/out/beir-work"))
    args = parser.parse_args()
    if args.tune_beir:
        print(json.dumps(tune_beir(args.tune_beir, args.split, args.work_dir), indent=2))
        return
    rng = np.random.default_rng(42)
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    report: dict[str, object] = {
        "machine": {"nproc": os.cpu_count(), "cpu": cpu, "python": sys.version.split()[0]},
        "command": " ".join(["python", *sys.argv]),
    }
    with tempfile.TemporaryDirectory(prefix="paperfeed-bench-") as tmp:
        work = Path(tmp)
        if "keyword" not in args.skip:
            report["keyword"] = keyword_benchmark(args.papers, work, rng)
            report["peak_rss_mb_after_keyword"] = peak_rss_mb()
        if "vectors" not in args.skip:
            for kind in args.vectors.split(","):
                report[f"vectors_{kind}"] = vector_benchmark(args.papers, work, rng, kind)
                shutil.rmtree(work / f"vectors-{kind}")
            report["peak_rss_mb_after_vectors"] = peak_rss_mb()
        if args.real_vectors:
            report["real_vectors"] = real_vector_recall(args.real_vectors)
        if "encoding" not in args.skip:
            report["query_encoding"] = encoding_benchmark()
    text = json.dumps(report, indent=2)
    print(text)
    if args.out:
        args.out.parent.mkdir(parents=True, exist_ok=True)
        args.out.write_text(text + "\n")


if __name__ == "__main__":
    main()
