"""Time and quality of paper maps: laying out 500, 1,000 and 2,000 papers, by embeddings and by TF-IDF.

    nice python benchmarks/maps.py [--data-dir benchmarks/out/maps/demo] [--runs 3]

Uses the demo corpus (5,424 papers with their bundled all-MiniLM-L6-v2 vectors and the TF-IDF
features index; loaded with ``paperfeed demo`` into ``--data-dir`` when it is not there yet). For
each size it takes the best keyword matches of a broad query (``learning``: 2,332 matches) or, past
them, the newest papers, and times :func:`paperfeed.maps.service.build_map` (the work the map
thread does: features, projection, clusters, labels, titles): wall time and CPU time (the CPU time
says what the work costs on a quiet machine when other processes share the cores), p50 of
``--runs``. Then, for 2,000 papers, the parts on their own, and the quality of the layout:
trustworthiness (scikit-learn's, 10 neighbours, cosine on the features: 1.0 when every paper's
nearest neighbours on the map are among its nearest in the features) of t-SNE against PCA, the
baseline projection. Finally the cached answer as the web app serves it (``/api/v1/map`` and
``/map``, in-process).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from scale import load_average, machine  # noqa: E402


def ensure_demo(data_dir: Path) -> None:
    if (data_dir / "paperfeed.sqlite3").exists():
        return
    subprocess.run(
        [sys.executable, "-m", "paperfeed", "--data-dir", str(data_dir), "demo", "--json"],
        check=True,
        capture_output=True,
        env={**os.environ, "PAPERFEED_EMBED_AFTER_INGEST": "0"},
    )


def selection(app: object, size: int) -> list[str]:
    from paperfeed.maps.selection import search_selection
    from paperfeed.store import Window

    ids = search_selection(app, "learning").ids  # type: ignore[arg-type]
    if len(ids) < size:
        newest = app.store.papers.window_ids(Window(), limit=size * 2)  # type: ignore[attr-defined]
        ids += [i for i in newest if i not in set(ids)]
    return ids[:size]


def timed_build(app: object, ids: list[str], runs: int) -> dict[str, object]:
    from paperfeed.maps.service import build_map

    walls, cpus = [], []
    result = None
    for _ in range(runs):
        wall, cpu = time.perf_counter(), time.process_time()
        result = build_map(app, ids)  # type: ignore[arg-type]
        walls.append(time.perf_counter() - wall)
        cpus.append(time.process_time() - cpu)
    assert result is not None
    return {
        "papers": len(result.points),
        "basis": result.basis,
        "method": result.method,
        "clusters": len(result.clusters),
        "wall_s_p50": round(statistics.median(walls), 2),
        "cpu_s_p50": round(statistics.median(cpus), 2),
        "labels": [c.label for c in result.clusters[:4]],
    }


def parts(app: object, ids: list[str]) -> dict[str, float]:
    """CPU seconds of each step for one map."""
    from threadpoolctl import threadpool_limits

    from paperfeed.maps import layout, service

    out: dict[str, float] = {}
    with threadpool_limits(limits=1):
        cpu = time.process_time()
        features = service.gather(app, ids)  # type: ignore[arg-type]
        out["features"] = time.process_time() - cpu
        cpu = time.process_time()
        positions, _ = layout.project(features.matrix)
        out["projection (PCA 50 + t-SNE)"] = time.process_time() - cpu
        cpu = time.process_time()
        clusters = layout.cluster(positions)
        out["clusters (k-means)"] = time.process_time() - cpu
        cpu = time.process_time()
        for c in np.unique(clusters):
            layout.distinctive_terms(features.words, clusters == c, features.terms)
        out["labels"] = time.process_time() - cpu
        cpu = time.process_time()
        app.store.papers.get_many(features.ids)  # type: ignore[attr-defined]
        out["titles from the store"] = time.process_time() - cpu
    return {k: round(v, 3) for k, v in out.items()}


def quality(app: object, ids: list[str]) -> dict[str, float]:
    from sklearn.decomposition import PCA
    from sklearn.manifold import trustworthiness
    from threadpoolctl import threadpool_limits

    from paperfeed.maps import layout, service

    with threadpool_limits(limits=1):
        features = service.gather(app, ids)  # type: ignore[arg-type]
        dense = np.asarray(
            features.matrix if not hasattr(features.matrix, "toarray") else features.matrix.toarray()
        )
        tsne, _ = layout.project(features.matrix)
        pca = PCA(2, random_state=0).fit_transform(dense)
        return {
            "t-SNE": round(float(trustworthiness(dense, tsne, n_neighbors=10, metric="cosine")), 3),
            "PCA (baseline)": round(float(trustworthiness(dense, pca, n_neighbors=10, metric="cosine")), 3),
        }


def served(app: object, runs: int) -> dict[str, float]:
    from fastapi.testclient import TestClient

    from paperfeed.web.app import create_app

    client = TestClient(create_app(app, indexer=False, scheduler=False))  # type: ignore[arg-type]
    out = {}
    for name, url in (
        ("/api/v1/map?q=learning", "/api/v1/map?q=learning"),
        ("/map?q=learning", "/map?q=learning"),
    ):
        while True:
            first = client.get(url)
            if first.status_code == 200 and "Drawing the map" not in first.text:
                break
            time.sleep(0.5)
        times = []
        for _ in range(runs * 5):
            started = time.perf_counter()
            answer = client.get(url)
            times.append((time.perf_counter() - started) * 1000)
            assert answer.status_code == 200
        out[f"{name} (cached), ms p50"] = round(statistics.median(times), 1)
        out[f"{name} bytes"] = len(answer.content)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=ROOT / "benchmarks" / "out" / "maps" / "demo")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--sizes", type=int, nargs="+", default=[500, 1000, 2000])
    args = parser.parse_args()
    ensure_demo(args.data_dir)
    from paperfeed.config import Settings
    from paperfeed.context import Paperfeed

    embedded = Paperfeed(Settings(data_dir=args.data_dir, indexer=False))
    # The same papers without vectors (another model's name): the TF-IDF features index places them.
    words = Paperfeed(Settings(data_dir=args.data_dir, indexer=False, embedding_model="no-such-model"))
    results: dict[str, object] = {"machine": machine(), "load_before": load_average(), "builds": {}}
    for size in args.sizes:
        ids = selection(embedded, size)
        for name, app in (("embeddings", embedded), ("tfidf", words)):
            measured = timed_build(app, ids, args.runs)
            results["builds"][f"{size} papers, {name}"] = measured  # type: ignore[index]
            print(f"{size} papers, {name}: {measured}", flush=True)
    largest = selection(embedded, max(args.sizes))
    results["parts_cpu_s"] = {"embeddings": parts(embedded, largest), "tfidf": parts(words, largest)}
    results["trustworthiness"] = {"embeddings": quality(embedded, largest), "tfidf": quality(words, largest)}
    results["served"] = served(embedded, args.runs)
    results["load_after"] = load_average()
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
