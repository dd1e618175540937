"""The whole catalogue on one machine: generate, ingest, index, serve and measure, in one run.

    python benchmarks/scale.py --records 2700000 --out benchmarks/out/scale      # up to an hour

1. **Generate** ``--records`` Kaggle-snapshot lines whose shape is drawn from the real arXiv sample
   (``--sample``, default ``../shared/data/arxiv-sample``): the number of words of each title and
   abstract, the number of authors, the author names themselves, the category lists and the number
   of versions are sampled from the sample's records; the words are drawn from the sample's
   vocabulary with its own frequencies. Ids run month by month from 2007-04 with first-version
   dates to match, so daily pages hold a few hundred papers a day like arXiv's.
2. **Ingest** into a fresh SQLite store with ``paperfeed ingest file --defer-index`` (timed, peak RSS),
   then **index** with ``paperfeed index rebuild`` (the keyword index build time).
3. **Serve**: ``paperfeed serve`` (one worker, its indexer thread on) and measure over loopback, one
   request at a time after a warm-up: the daily page, paper pages, category pages and author pages
   (p50/p99), and the similar-papers fragment. Keyword search is timed in-process through the same
   ``search()`` the web app calls (keyword mode, 20 hits with snippets), so the figure is server time.
4. **Indexer lag**: ``--sync`` new papers (default 10,000) are ingested with ``--defer-index`` while
   ``serve`` runs; the lag is the time from the end of that import until ``paperfeed index status``
   shows the keyword index current.
5. **Disk** per component (the SQLite file with its WAL, the keyword index) and the server's peak RSS.

The figures go to ``<out>/scale-results.json`` and are printed as a Markdown table.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import resource
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import quote

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SAMPLE = ROOT.parent / "shared" / "data" / "arxiv-sample"


# ----------------------------------------------------------------------------------- generation
class Shapes:
    """What the real sample looks like: per-record shapes to draw from, and its vocabulary."""

    def __init__(self, sample: Path) -> None:
        files = sorted(sample.glob("*.jsonl")) if sample.is_dir() else [sample]
        if not files:
            raise SystemExit(f"no .jsonl file in {sample}")
        self.title_words: list[int] = []
        self.abstract_words: list[int] = []
        self.author_lists: list[list[str]] = []
        self.category_lists: list[list[str]] = []
        self.versions: list[int] = []
        counts: dict[str, int] = {}
        for line in files[0].read_text(encoding="utf-8").splitlines():
            row = json.loads(line)
            title, abstract = row["title"].split(), row["abstract"].split()
            self.title_words.append(len(title))
            self.abstract_words.append(len(abstract))
            self.author_lists.append(list(row["authors"]) or ["Anonymous"])
            self.category_lists.append(list(row["categories"]))
            tail = row["arxiv_id"].rsplit("v", 1)
            self.versions.append(int(tail[1]) if len(tail) == 2 and tail[1].isdigit() else 1)
            for word in title + abstract:
                counts[word] = counts.get(word, 0) + 1
        self.authors = sorted({a for names in self.author_lists for a in names})
        words = sorted(counts, key=lambda w: -counts[w])
        self.words = np.array(words, dtype=object)
        freq = np.array([counts[w] for w in words], dtype=np.float64)
        self.cumulative = np.cumsum(freq / freq.sum())


def generate(path: Path, count: int, shapes: Shapes, seed: int = 7) -> None:
    """``count`` Kaggle-snapshot lines shaped like the sample (see the module docstring)."""
    import orjson

    rng = random.Random(seed)
    nrng = np.random.default_rng(seed)
    start = datetime(2007, 4, 1, tzinfo=UTC)
    per_month = 12_000  # about arXiv's recent monthly volume; 2.7M ids span ~19 years
    n_shapes = len(shapes.title_words)
    batch = 10_000
    with path.open("wb") as fh:
        for first in range(0, count, batch):
            size = min(batch, count - first)
            picks = [rng.randrange(n_shapes) for _ in range(size)]
            lengths = [shapes.title_words[p] + shapes.abstract_words[p] for p in picks]
            drawn = np.searchsorted(shapes.cumulative, nrng.random(sum(lengths)))
            words = shapes.words[np.minimum(drawn, len(shapes.words) - 1)]
            at = 0
            lines = []
            for offset, pick in enumerate(picks):
                i = first + offset
                month, number = divmod(i, per_month)
                yymm = f"{(7 + (3 + month) // 12) % 100:02d}{(3 + month) % 12 + 1:02d}"
                created = start + timedelta(days=30.4 * month + 30.4 * number / per_month)
                n_title = shapes.title_words[pick]
                n_words = lengths[offset]
                text = words[at : at + n_words]
                at += n_words
                # Another real record's authors, one of them swapped for a random real name: author
                # pages get real-looking name frequencies and co-author groups without copying lists.
                authors = list(shapes.author_lists[rng.randrange(n_shapes)])
                authors[rng.randrange(len(authors))] = shapes.authors[rng.randrange(len(shapes.authors))]
                n_versions = shapes.versions[rng.randrange(n_shapes)]
                versions = [
                    {
                        "version": f"v{v + 1}",
                        "created": (created + timedelta(days=20 * v)).strftime("%a, %d %b %Y %H:%M:%S GMT"),
                    }
                    for v in range(n_versions)
                ]
                record = {
                    "id": f"{yymm}.{number:05d}",
                    "submitter": authors[0],
                    "authors": ", ".join(authors),
                    "title": " ".join(text[:n_title]),
                    "comments": None,
                    "journal-ref": None,
                    "doi": None,
                    "report-no": None,
                    "categories": " ".join(shapes.category_lists[rng.randrange(n_shapes)]),
                    "license": None,
                    "abstract": " ".join(text[n_title:]),
                    "versions": versions,
                    "update_date": (created + timedelta(days=20 * (n_versions - 1))).date().isoformat(),
                    "authors_parsed": [
                        [*reversed(a.rsplit(" ", 1)), ""] if " " in a else [a, "", ""] for a in authors
                    ],
                }
                lines.append(orjson.dumps(record))
            fh.write(b"\n".join(lines) + b"\n")


# ------------------------------------------------------------------------------------- helpers
def run_measured(args: list[str], env: dict[str, str]) -> tuple[float, float, str]:
    """Run a command in a fresh wrapper process: (seconds, peak RSS MB of the command, stdout)."""
    wrapper = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "print(json.dumps({'rc': p.returncode, 'seconds': time.perf_counter() - t, "
        "'rss_kib': resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, "
        "'stdout': p.stdout, 'stderr': p.stderr[-3000:]}))\n"
    )
    done = subprocess.run([sys.executable, "-c", wrapper, *args], env=env, capture_output=True, text=True)
    result = json.loads(done.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"{' '.join(args)} failed ({result['rc']}): {result['stderr']}")
    return result["seconds"], result["rss_kib"] / 1024, result["stdout"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def summary(values: list[float]) -> dict[str, float]:
    return {"p50_ms": round(percentile(values, 0.5), 2), "p99_ms": round(percentile(values, 0.99), 2)}


def dir_mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 1e6


def cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "paperfeed", *args]


def machine() -> str:
    model = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}"


def load_average() -> str:
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


# ----------------------------------------------------------------------------------- measuring
def sample_targets(data_dir: Path, n: int) -> dict[str, list[str]]:
    """Random stored papers, their authors and categories (read straight from the SQLite file)."""
    import sqlite3

    rng = random.Random(3)
    with sqlite3.connect(data_dir / "paperfeed.sqlite3") as conn:
        (top,) = conn.execute("SELECT max(rowid) FROM papers").fetchone()
        rows = []
        while len(rows) < n:
            row = conn.execute(
                "SELECT id, authors, categories FROM papers WHERE rowid = ?", (rng.randint(1, top),)
            ).fetchone()
            if row:
                rows.append(row)
    return {
        "papers": [r[0] for r in rows],
        "authors": [rng.choice(json.loads(r[1])) for r in rows],
        "categories": [rng.choice(json.loads(r[2])) for r in rows],
    }


def http_latency(base: str, paths: list[str], warm: int = 5) -> dict[str, float]:
    import httpx

    times = []
    with httpx.Client(base_url=base, timeout=120) as client:
        for path in paths[:warm]:
            client.get(path)
        for path in paths:
            started = time.perf_counter()
            answer = client.get(path)
            times.append((time.perf_counter() - started) * 1000)
            if answer.status_code != 200:
                raise SystemExit(f"GET {path}: HTTP {answer.status_code}")
    return summary(times)


def keyword_latency(data_dir: Path, shapes: Shapes, n: int) -> dict[str, float]:
    """Server time of keyword searches (1-4 words drawn like the corpus), through ``search()``."""
    os.environ["PAPERFEED_DATA_DIR"] = str(data_dir)
    from paperfeed.context import Paperfeed
    from paperfeed.search.engine import search

    app = Paperfeed()
    rng = random.Random(5)
    common = [str(w) for w in shapes.words[50:5000]]  # past the stop-word-like head
    queries = [" ".join(rng.sample(common, rng.randint(1, 4))) for _ in range(n)]
    for query in queries[:5]:
        search(app, query, mode="keyword", limit=20)
    times = []
    for query in queries:
        started = time.perf_counter()
        search(app, query, mode="keyword", limit=20)
        times.append((time.perf_counter() - started) * 1000)
    app.close()
    return summary(times)


def similar_latency(data_dir: Path, ids: list[str]) -> dict[str, float]:
    os.environ["PAPERFEED_DATA_DIR"] = str(data_dir)
    from paperfeed.context import Paperfeed
    from paperfeed.search.similar import similar

    app = Paperfeed()
    for paper_id in ids[:3]:
        similar(app, [paper_id], limit=5)
    times = []
    method = ""
    for paper_id in ids:
        started = time.perf_counter()
        method = similar(app, [paper_id], limit=5).method
        times.append((time.perf_counter() - started) * 1000)
    app.close()
    return {**summary(times), "method": method}  # type: ignore[dict-item]


def index_current(env: dict[str, str]) -> bool:
    status = json.loads(
        subprocess.run(
            cli("index", "status", "--json"), env=env, capture_output=True, text=True, check=True
        ).stdout
    )
    return status["lexical"]["current_to_seq"] == status["change_seq"] and status["lexical"]["pending"] == 0


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, default=2_700_000)
    parser.add_argument(
        "--sync", type=int, default=10_000, help="papers in the sync whose indexing lag is measured"
    )
    parser.add_argument("--samples", type=int, default=200, help="requests per page kind")
    parser.add_argument(
        "--sample", type=Path, default=DEFAULT_SAMPLE, help="the real arXiv sample (dir or .jsonl)"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "scale")
    parser.add_argument("--port", type=int, default=8791)
    parser.add_argument("--keep", action="store_true", help="keep the generated file and the store")
    parser.add_argument("--reuse", action="store_true", help="reuse a generated file and store from --keep")
    options = parser.parse_args()
    out: Path = options.out
    out.mkdir(parents=True, exist_ok=True)
    results: dict[str, object] = {
        "machine": machine(),
        "records": options.records,
        "load_at_start": load_average(),
    }
    print(f"machine: {results['machine']}; load average {results['load_at_start']}", flush=True)
    shapes = Shapes(options.sample)
    source = out / f"kaggle-{options.records}.jsonl"
    fresh = out / f"kaggle-sync-{options.sync}.jsonl"
    if not (options.reuse and source.exists()):
        started = time.perf_counter()
        generate(source, options.records + options.sync, shapes)
        # The last --sync records are the "new day" ingested while the server runs.
        with source.open("rb") as fh, (out / "head.tmp").open("wb") as head, fresh.open("wb") as tail:
            for number, line in enumerate(fh):
                (head if number < options.records else tail).write(line)
        (out / "head.tmp").replace(source)
        results["generate_s"] = round(time.perf_counter() - started, 1)
        print(
            f"generated {options.records:,} + {options.sync:,} records ({dir_mb(source):,.0f} MB) in {results['generate_s']} s",
            flush=True,
        )
    data_dir = out / "data"
    env = dict(os.environ, PAPERFEED_DATA_DIR=str(data_dir), PAPERFEED_EMBED_AFTER_INGEST="false")
    env.pop("PAPERFEED_DATABASE_URL", None)
    if not options.reuse or not data_dir.exists():
        shutil.rmtree(data_dir, ignore_errors=True)
        seconds, rss, stdout = run_measured(
            cli("ingest", "file", str(source), "--format", "kaggle", "--defer-index", "--json"), env
        )
        report = json.loads(stdout)
        assert report["added"] == options.records, report
        results["ingest"] = {
            "seconds": round(seconds, 1),
            "records_per_s": round(options.records / seconds),
            "peak_rss_mb": round(rss),
        }
        print(f"ingest: {results['ingest']}", flush=True)
        seconds, rss, _ = run_measured(cli("index", "rebuild", "--full", "--no-embed", "--json"), env)
        results["index_build"] = {
            "seconds": round(seconds, 1),
            "papers_per_s": round(options.records / seconds),
            "peak_rss_mb": round(rss),
        }
        print(f"index build: {results['index_build']}", flush=True)
    results["disk_mb"] = {
        "sqlite (db + wal)": round(sum(dir_mb(p) for p in data_dir.glob("paperfeed.sqlite3*")), 1),
        "keyword index": round(dir_mb(data_dir / "index"), 1),
    }
    targets = sample_targets(data_dir, options.samples)
    results["keyword_search"] = keyword_latency(data_dir, shapes, options.samples)
    print(f"keyword search: {results['keyword_search']}", flush=True)
    results["similar_in_process"] = similar_latency(data_dir, targets["papers"][: min(100, options.samples)])
    print(f"similar (in process): {results['similar_in_process']}", flush=True)

    server = subprocess.Popen(
        cli("serve", "--host", "127.0.0.1", "--port", str(options.port), "--workers", "1"),
        env=env | {"PAPERFEED_INDEXER_POLL_SECONDS": "1"},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{options.port}"
    try:
        import httpx

        deadline = time.monotonic() + 300
        while True:
            try:
                if httpx.get(base + "/healthz", timeout=5).status_code < 500:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or server.poll() is not None:
                raise SystemExit("paperfeed serve did not come up")
            time.sleep(0.5)
        pages = {
            "daily page /": ["/"] * options.samples,
            "paper page": [f"/papers/{p}" for p in targets["papers"]],
            "category page": [f"/categories/{c}" for c in targets["categories"]],
            "author page": [f"/authors/{quote(a)}" for a in targets["authors"]],
            "similar-papers fragment": [f"/papers/{p}/similar" for p in targets["papers"][:100]],
        }
        results["pages"] = {}
        for name, paths in pages.items():
            results["pages"][name] = http_latency(base, paths)  # type: ignore[index]
            print(f"{name}: {results['pages'][name]}", flush=True)  # type: ignore[index]
        # Indexer lag: a day's worth of new papers arrives while the server (and its indexer) runs.
        seconds, _, _ = run_measured(
            cli("ingest", "file", str(fresh), "--format", "kaggle", "--defer-index", "--json"), env
        )
        ended = time.perf_counter()
        while not index_current(env):
            time.sleep(0.2)
        results["sync"] = {
            "papers": options.sync,
            "ingest_s": round(seconds, 1),
            "indexer_lag_s": round(time.perf_counter() - ended, 1),
        }
        print(f"sync: {results['sync']}", flush=True)
        status = Path(f"/proc/{server.pid}/status").read_text()
        hwm = [line for line in status.splitlines() if line.startswith("VmHWM")]
        results["serve_peak_rss_mb"] = round(int(hwm[0].split()[1]) / 1024) if hwm else None
    finally:
        server.send_signal(signal.SIGINT)
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
    results["disk_mb"]["keyword index"] = round(dir_mb(data_dir / "index"), 1)  # type: ignore[index]
    results["load_at_end"] = load_average()
    results["benchmark_peak_rss_mb"] = round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
    (out / "scale-results.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))
    if not options.keep:
        shutil.rmtree(data_dir, ignore_errors=True)
        source.unlink(missing_ok=True)
        fresh.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
