"""Benchmark ``paperfeed serve`` over a 100,000-paper store: latency per page kind and throughput.

    python benchmarks/web.py [--papers 100000] [--duration 60] [--concurrency 50] [--workers 2]

1. Builds (once, cached in --data-dir) a store of ``--papers`` papers: the bundled demo corpus plus
   copies of its arXiv records under new ids and dates spread over 2025-2026 (text reused, so index
   sizes and page weights are realistic). Keyword index built; no embeddings (CPU embedding of 100k
   abstracts takes over an hour here), so search runs keyword-only.
2. Starts ``paperfeed serve`` on 127.0.0.1 (loopback only) and measures, one request at a time,
   the client-observed latency (server time + loopback) of the daily page, a paper page, a search
   page and an API call: p50 and p99 over ``--samples`` requests each.
3. Runs ``--concurrency`` clients for ``--duration`` seconds on a mix of those four kinds and reports
   requests/s and errors. The load generator runs on the same 2 cores as the server: the
   throughput figure is a floor, not a ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import random
import subprocess
import sys
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

QUERIES = [
    "graph neural networks",
    "diffusion",
    "large language models reasoning",
    "reinforcement learning",
    "retrieval augmented generation",
    "transformer attention",
    "causal inference",
    "robot planning",
    "benchmark evaluation",
    "multi-agent",
    "federated learning privacy",
    "vision language model",
]


def build_store(data_dir: Path, papers: int) -> list[str]:
    """The store (built once) and a sample of its paper ids."""
    os.environ["PAPERFEED_EMBED_AFTER_INGEST"] = "false"
    from paperfeed.config import Settings
    from paperfeed.context import Paperfeed
    from paperfeed.ingest.jobs import demo_files, ingest_file
    from paperfeed.records import PaperRecord, Version
    from paperfeed.search.indexer import catch_up

    app = Paperfeed(Settings(data_dir=data_dir, embed_after_ingest=False))
    if app.store.papers.count() < papers:
        started = time.perf_counter()
        for path in demo_files():
            fmt = "jsonl" if path.name.endswith(".jsonl.gz") else "hf-page"
            ingest_file(app, path, file_format=fmt)
        base = [
            p
            for batch in app.store.papers.iter_changed(0)
            for p in batch
            if not p.paper_id.startswith("title:")
        ]
        need = papers - app.store.papers.count()
        rng = random.Random(7)
        start_day = datetime(2025, 1, 1, tzinfo=UTC)
        batch: list[PaperRecord] = []
        for n in range(need):
            src = base[n % len(base)]
            when = start_day + timedelta(minutes=rng.randrange(0, 410 * 24 * 60))
            # Unique, and clear of the demo corpus's ids (all below .40000 in 2601/2602).
            month = datetime(2025 + (n % 14) // 12, (n % 14) % 12 + 1, 1)
            new_id = f"{month:%y%m}.{40000 + n // 14:05d}"
            record = replace(
                src,
                paper_id=new_id,
                published=when,
                updated=when,
                versions=[Version(1, when)],
                title=f"{src.title} ({n})",
                authors=list(src.authors),
                categories=list(src.categories),
                code_links=list(src.code_links),
            )
            batch.append(record)
            if len(batch) == 5000:
                app.store.papers.write_batch(batch)
                batch = []
        if batch:
            app.store.papers.write_batch(batch)
        catch_up(app, embed=False)
        print(
            f"built store: {app.store.papers.count():,} papers in {time.perf_counter() - started:.0f} s",
            file=sys.stderr,
        )
    ids = [p.paper_id for p in app.store.papers.list_papers(limit=2000)]
    print(f"store: {app.store.papers.count():,} papers", file=sys.stderr)
    app.close()
    return ids


def fill_random_vectors(data_dir: Path) -> None:
    """Give every paper a random unit vector so the search measured is the *hybrid* path.

    Embedding 100k abstracts on this CPU takes hours; for latency the vectors' values do not matter
    (the search issue allows random unit vectors for the latency part), but everything else is
    real: the query is encoded by the real model, the vector search runs over 100k float16 rows,
    and the results are fused with the keyword ranking. Relevance is measured by
    ``paperfeed eval beir``, not here.
    """
    import numpy as np

    from paperfeed.config import Settings
    from paperfeed.context import Paperfeed
    from paperfeed.search.embedders import paper_text, text_hash
    from paperfeed.search.marks import IndexMark, valid_mark, write_mark
    from paperfeed.search.vectors import VectorStore, vectors_path

    app = Paperfeed(Settings(data_dir=data_dir, embed_after_ingest=False))
    model = app.settings.embedding_model
    path = vectors_path(app.settings, model)
    seq = app.store.papers.current_seq()
    mark = valid_mark(path)
    if mark is not None and mark.seq >= seq:
        app.close()
        return
    rng = np.random.default_rng(7)
    vectors = VectorStore.create(vectors_path(app.settings, model), model=model, dim=384)
    for batch in app.store.papers.iter_changed(0, batch_size=5000):
        ids = [p.paper_id for p in batch]
        matrix = rng.standard_normal((len(ids), 384)).astype(np.float32)
        matrix /= np.linalg.norm(matrix, axis=1, keepdims=True)
        vectors.append(ids, [text_hash(paper_text(p)) for p in batch], matrix)
    if len(vectors) > app.settings.vector_exact_max:
        vectors.save_ann()  # what the indexer does: readers search the IVF file it writes
    write_mark(path, IndexMark(vectors.index_id, seq))
    print(f"random vectors for {len(vectors):,} papers", file=sys.stderr)
    app.close()


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def urls(kind: str, ids: list[str], rng: random.Random) -> str:
    if kind == "daily":
        return "/"
    if kind == "paper":
        return f"/papers/{rng.choice(ids)}"
    if kind == "search":
        return "/search?q=" + rng.choice(QUERIES).replace(" ", "+")
    return f"/api/v1/papers/{rng.choice(ids)}"


KINDS = ("daily", "paper", "search", "api")


def latency(base: str, ids: list[str], samples: int) -> dict[str, dict[str, float]]:
    rng = random.Random(1)
    out: dict[str, dict[str, float]] = {}
    with httpx.Client(base_url=base, timeout=30) as client:
        for kind in KINDS:
            for _ in range(5):  # warm caches
                client.get(urls(kind, ids, rng))
            times = []
            for _ in range(samples):
                url = urls(kind, ids, rng)
                t = time.perf_counter()
                answer = client.get(url)
                times.append((time.perf_counter() - t) * 1000)
                assert answer.status_code == 200, (url, answer.status_code)
            out[kind] = {
                "p50_ms": round(percentile(times, 0.5), 1),
                "p99_ms": round(percentile(times, 0.99), 1),
            }
    return out


async def load(base: str, ids: list[str], concurrency: int, duration: float) -> dict[str, float]:
    done = errors = 0
    kinds: dict[str, int] = {}
    stop = time.monotonic() + duration
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async def worker(seed: int, client: httpx.AsyncClient) -> None:
        nonlocal done, errors
        rng = random.Random(seed)
        while time.monotonic() < stop:
            try:
                url = urls(rng.choice(KINDS), ids, rng)
                answer = await client.get(url)
                if answer.status_code == 200:
                    done += 1
                else:
                    errors += 1
                    kind = f"HTTP {answer.status_code} {url}"
                    kinds[kind] = kinds.get(kind, 0) + 1
            except httpx.HTTPError as exc:
                errors += 1
                kind = f"{type(exc).__name__}: {exc}"
                kinds[kind] = kinds.get(kind, 0) + 1

    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:
        started = time.monotonic()
        await asyncio.gather(*(worker(i, client) for i in range(concurrency)))
        elapsed = time.monotonic() - started
    return {
        "requests": done,
        "errors": errors,
        "error_kinds": kinds,
        "seconds": round(elapsed, 1),
        "rps": round(done / elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/paperfeed-bench-web"))
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--duration", type=float, default=60.0)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--port", type=int, default=8765)
    parser.add_argument(
        "--random-vectors",
        action="store_true",
        help="random document vectors, so search runs hybrid (needs the semantic extra for the query)",
    )
    args = parser.parse_args()
    ids = build_store(args.data_dir, args.papers)
    if args.random_vectors:
        fill_random_vectors(args.data_dir)
    env = os.environ | {"PAPERFEED_EMBED_AFTER_INGEST": "false"}
    server = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "paperfeed",
            "--data-dir",
            str(args.data_dir),
            "serve",
            "--host",
            "127.0.0.1",
            "--port",
            str(args.port),
            "--workers",
            str(args.workers),
        ],
        env=env,
    )
    base = f"http://127.0.0.1:{args.port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("server did not start")
            time.sleep(0.3)
        result = {
            "papers": args.papers,
            "workers": args.workers,
            "latency": latency(base, ids, args.samples),
            "load": asyncio.run(load(base, ids, args.concurrency, args.duration)),
            "concurrency": args.concurrency,
            "search_mode": httpx.get(base + "/api/v1/search?q=graph+neural+networks", timeout=30)
            .json()
            .get("mode"),
        }
    finally:
        server.terminate()
        server.wait(30)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
