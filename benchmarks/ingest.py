"""Ingest throughput and memory: `paperfeed ingest file` on a synthetic Kaggle snapshot.

Generates N Kaggle-format records with real-looking lengths (titles ~10 words, abstracts ~170 words,
1-12 authors, 1-4 categories, 1-4 versions), then in the same run measures

* the floors: ``orjson.loads`` of every line and nothing else (the JSON floor), and parsing the file
  with paperfeed's Kaggle reader into records, storing nothing (the reader floor);
* the real thing: ``paperfeed ingest file`` into a fresh store, in a child process: SQLite, and with
  ``--backend postgresql`` a database in a throwaway PostgreSQL cluster started for the run (the
  tests' ``tests/pg_cluster.py``; COPY is the write path there);
* a re-run of the same command (everything unchanged: the cost of a resumed import);
* with ``--whole``, the whole command (no ``--defer-index``: store, keyword index built as the
  import goes, papers searchable when it ends; the TF-IDF features of a bulk import are left to the
  indexer) into another fresh store;

each with wall time, records/s and the child's peak RSS. Usage::

    python benchmarks/ingest.py --records 100000 [--records 1000000] [--backend sqlite --backend postgresql] [--whole]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

WORDS = [
    "learning",
    "model",
    "neural",
    "network",
    "graph",
    "attention",
    "transformer",
    "language",
    "data",
    "training",
    "inference",
    "optimal",
    "bound",
    "convergence",
    "stochastic",
    "gradient",
    "policy",
    "reinforcement",
    "agent",
    "robust",
    "adversarial",
    "diffusion",
    "generative",
    "latent",
    "representation",
    "quantum",
    "field",
    "theory",
    "spectral",
    "kernel",
    "bayesian",
    "estimation",
    "causal",
    "benchmark",
    "evaluation",
    "efficient",
    "sparse",
    "scalable",
    "distributed",
    "protein",
    "molecular",
]
CATEGORIES = [
    "cs.LG",
    "cs.AI",
    "cs.CL",
    "cs.CV",
    "stat.ML",
    "math.OC",
    "hep-th",
    "quant-ph",
    "cond-mat.stat-mech",
    "physics.comp-ph",
]
SURNAMES = [
    "Smith",
    "Wang",
    "Li",
    "Garcia",
    "Müller",
    "Rossi",
    "Kim",
    "Nguyen",
    "Dubois",
    "Kowalski",
    "Tanaka",
    "Silva",
    "Ivanov",
    "Cohen",
]
FORENAMES = [
    "Anna",
    "Bo",
    "Carlos",
    "Dana",
    "Eitan",
    "Fatima",
    "Giulia",
    "Hiro",
    "Ines",
    "Jonas",
    "Kira",
    "Lars",
    "Mei",
    "Noor",
]


def sentence(rng: random.Random, n: int) -> str:
    return " ".join(rng.choice(WORDS) for _ in range(n))


def generate(path: Path, count: int, seed: int = 7) -> None:
    """Write ``count`` Kaggle-snapshot lines (the layout of arxiv-metadata-oai-snapshot.json)."""
    rng = random.Random(seed)
    start = datetime(2007, 4, 1, tzinfo=UTC)
    with path.open("w", encoding="utf-8") as fh:
        for i in range(count):
            month = i // 20000
            yymm = f"{(7 + month // 12) % 100:02d}{month % 12 + 1:02d}"
            paper_id = f"{yymm}.{i % 20000:05d}"
            created = start + timedelta(minutes=i)
            n_versions = rng.choice([1, 1, 1, 2, 2, 3, 4])
            versions = [
                {
                    "version": f"v{v + 1}",
                    "created": (created + timedelta(days=30 * v)).strftime("%a, %d %b %Y %H:%M:%S GMT"),
                }
                for v in range(n_versions)
            ]
            authors = [(rng.choice(SURNAMES), rng.choice(FORENAMES), "") for _ in range(rng.randint(1, 12))]
            record = {
                "id": paper_id,
                "submitter": authors[0][1] + " " + authors[0][0],
                "authors": ", ".join(f"{f} {s}" for s, f, _ in authors),
                "title": sentence(rng, rng.randint(6, 16)).capitalize(),
                "comments": f"{rng.randint(5, 40)} pages, {rng.randint(1, 12)} figures",
                "journal-ref": None,
                "doi": f"10.1000/bench.{i}" if rng.random() < 0.3 else None,
                "report-no": None,
                "categories": " ".join(rng.sample(CATEGORIES, rng.randint(1, 4))),
                "license": None,
                "abstract": "  " + sentence(rng, rng.randint(90, 250)) + ".\n",
                "versions": versions,
                "update_date": (created + timedelta(days=30 * (n_versions - 1))).date().isoformat(),
                "authors_parsed": [list(a) for a in authors],
            }
            fh.write(json.dumps(record, ensure_ascii=False) + "\n")


JSON_ONLY = """
import sys, orjson
count = 0
with open(sys.argv[1], "rb") as fh:
    for line in fh:
        orjson.loads(line)
        count += 1
print(count)
"""

PARSE_ONLY = """
import sys, time
from paperfeed.ingest.kaggle import read_kaggle
count = 0
with open(sys.argv[1], encoding="utf-8") as fh:
    for item in read_kaggle(fh):
        count += 1
print(count)
"""


def measure(args: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Measure one child in a fresh wrapper process so its peak RSS is not mixed with earlier ones."""
    wrapper = (
        "import json, resource, subprocess, sys, time\n"
        "t = time.perf_counter()\n"
        "p = subprocess.run(sys.argv[1:], capture_output=True, text=True)\n"
        "e = time.perf_counter() - t\n"
        "r = resource.getrusage(resource.RUSAGE_CHILDREN)\n"
        "print(json.dumps({'rc': p.returncode, 'seconds': e, 'cpu': r.ru_utime + r.ru_stime, "
        "'rss_kib': r.ru_maxrss, "
        "'stdout': p.stdout, 'stderr': p.stderr[-2000:]}))\n"
    )
    done = subprocess.run([sys.executable, "-c", wrapper, *args], env=env, capture_output=True, text=True)
    result = json.loads(done.stdout)
    if result["rc"] not in (0, 1):
        raise SystemExit(f"{' '.join(args)} failed ({result['rc']}): {result['stderr']}")
    CPU_SECONDS.append(result["cpu"])  # user + system CPU of the command and its children
    return result["seconds"], result["rss_kib"], result["stdout"]


CPU_SECONDS: list[float] = []
"""CPU seconds of each measured command, in order: on a shared machine wall time says how busy it
was as much as how fast the code is, so the results carry both."""


def machine() -> str:
    model = "unknown CPU"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {model}, Python {platform.python_version()}, {platform.system()}"


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--records", type=int, action="append", help="N (repeatable); default 100000")
    parser.add_argument("--out", type=Path, default=Path("benchmarks/out"))
    parser.add_argument("--keep", action="store_true", help="keep generated files and stores")
    parser.add_argument("--whole", action="store_true", help="also time the whole command (no --defer-index)")
    parser.add_argument(
        "--backend", action="append", choices=["sqlite", "postgresql"], help="repeatable; default sqlite"
    )
    options = parser.parse_args()
    options.out.mkdir(parents=True, exist_ok=True)
    print(f"machine: {machine()}")
    rows = []
    backends = options.backend or ["sqlite"]
    cluster = None
    if "postgresql" in backends:
        sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
        from tests.pg_cluster import PgCluster

        cluster = PgCluster().start()
    try:
        for count in options.records or [100_000]:
            for backend in backends:
                rows.append(run_one(options, count, backend, cluster))
            if not options.keep:
                (options.out / f"kaggle-synthetic-{count}.jsonl").unlink(missing_ok=True)
    finally:
        if cluster is not None:
            cluster.stop()
    (options.out / "ingest-results.json").write_text(
        json.dumps({"machine": machine(), "rows": rows}, indent=2)
    )


def run_one(options: argparse.Namespace, count: int, backend: str, cluster: object) -> dict[str, object]:
    """Parse-only floor, ingest and re-run of one file into one fresh store of ``backend``."""
    source = options.out / f"kaggle-synthetic-{count}.jsonl"
    if not source.exists():
        started = time.perf_counter()
        generate(source, count)
        print(
            f"generated {count:,} records ({source.stat().st_size / 1e6:,.0f} MB) in "
            f"{time.perf_counter() - started:.1f}s"
        )
    data_dir = options.out / f"store-{count}"
    if data_dir.exists():
        subprocess.run(["rm", "-rf", str(data_dir)], check=True)
    env = dict(os.environ, PAPERFEED_DATA_DIR=str(data_dir), PAPERFEED_EMBED_AFTER_INGEST="false")
    database_url = cluster.create_database() if backend == "postgresql" else None  # type: ignore[attr-defined]
    if database_url:
        env["PAPERFEED_DATABASE_URL"] = database_url
    json_s, _, _ = measure([sys.executable, "-c", JSON_ONLY, str(source)], env)
    parse_s, parse_rss, parse_out = measure([sys.executable, "-c", PARSE_ONLY, str(source)], env)
    parsed = int(parse_out.strip())
    cli = [
        sys.executable,
        "-m",
        "paperfeed",
        "ingest",
        "file",
        str(source),
        "--format",
        "kaggle",
        "--defer-index",
        "--json",
    ]
    ingest_s, ingest_rss, ingest_out = measure(cli, env)
    ingest_cpu = CPU_SECONDS[-1]
    report = json.loads(ingest_out)
    rerun_s, rerun_rss, rerun_out = measure(cli, env)
    rerun = json.loads(rerun_out)
    assert report["added"] == parsed == count, (report, parsed)
    assert rerun["unchanged"] == count, rerun
    row: dict[str, object] = {
        "backend": backend,
        "records": count,
        "load_average": os.getloadavg(),
        "ingest_cpu_s": ingest_cpu,
        "json_s": json_s,
        "json_rps": count / json_s,
        "parse_s": parse_s,
        "parse_rps": count / parse_s,
        "parse_rss_mb": parse_rss / 1024,
        "ingest_s": ingest_s,
        "ingest_rps": count / ingest_s,
        "ingest_rss_mb": ingest_rss / 1024,
        "rerun_s": rerun_s,
        "rerun_rps": count / rerun_s,
        "rerun_rss_mb": rerun_rss / 1024,
        "ratio_vs_parse": ingest_s / parse_s,
        "store_mb": sum(p.stat().st_size for p in data_dir.rglob("*") if p.is_file()) / 1e6,
    }
    if database_url:
        cluster.drop_database(database_url)  # type: ignore[attr-defined]
    if options.whole:
        whole_dir = options.out / f"store-{count}-whole"
        subprocess.run(["rm", "-rf", str(whole_dir)], check=True)
        whole_env = dict(env, PAPERFEED_DATA_DIR=str(whole_dir))
        if backend == "postgresql":
            whole_env["PAPERFEED_DATABASE_URL"] = cluster.create_database()  # type: ignore[attr-defined]
        whole_cli = [c for c in cli if c != "--defer-index"]
        whole_s, whole_rss, whole_out = measure(whole_cli, whole_env)
        whole = json.loads(whole_out)
        assert whole["added"] == count, whole
        row.update(
            whole_cpu_s=CPU_SECONDS[-1],
            whole_s=whole_s,
            whole_rps=count / whole_s,
            whole_rss_mb=whole_rss / 1024,
            whole_index=whole["index"],
        )
        print(
            f"{backend} N={count:,}: whole command (searchable at the end) {count / whole_s:,.0f} rec/s "
            f"({whole_s:.1f}s, {CPU_SECONDS[-1]:.1f} CPU-s, peak RSS {whole_rss / 1024:.0f} MB, "
            f"{whole_s / json_s:.1f}x the JSON floor; load {os.getloadavg()[0]:.1f})"
        )
        if backend == "postgresql":
            cluster.drop_database(whole_env["PAPERFEED_DATABASE_URL"])  # type: ignore[attr-defined]
        if not options.keep:
            subprocess.run(["rm", "-rf", str(whole_dir)], check=True)
    print(
        f"{backend} N={count:,}: JSON floor {row['json_rps']:,.0f} rec/s ({json_s:.1f}s; ingest is "
        f"{ingest_s / json_s:.1f}x it, {ingest_cpu:.1f} CPU-s; load {os.getloadavg()[0]:.1f})"
    )
    print(
        f"{backend} N={count:,}: parse only {row['parse_rps']:,.0f} rec/s ({parse_s:.1f}s, {row['parse_rss_mb']:.0f} MB) | "
        f"ingest {row['ingest_rps']:,.0f} rec/s ({ingest_s:.1f}s, peak RSS {row['ingest_rss_mb']:.0f} MB, "
        f"{row['ratio_vs_parse']:.2f}x the parse time) | re-run {row['rerun_rps']:,.0f} rec/s "
        f"({row['rerun_rss_mb']:.0f} MB) | store {row['store_mb']:,.0f} MB"
    )
    if not options.keep:
        subprocess.run(["rm", "-rf", str(data_dir)], check=True)
    return row


if __name__ == "__main__":
    main()
