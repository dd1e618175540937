"""Benchmark the digest send: 10,000 subscribers, one day's 1,000 new papers, a local SMTP sink.

    python benchmarks/digest.py [--subscribers 10000] [--papers 1000] [--workers 2] [--data-dir DIR --reuse]

1. Builds a store from the 20,000 real arXiv records of ``../shared/data/arxiv-sample`` (or
   ``--sample FILE``): ``--papers`` of them are re-dated to one day (Tuesday 3 March 2026, after the
   sample), the rest keep their dates, so keyword queries search a 20,000-paper index with a date
   filter, as they would in production. The keyword index is built; some papers get upvotes.
2. Adds ``--subscribers`` confirmed daily subscriptions with varied choices (fixed seed): trending
   (site-wide or per category) for most, 0-3 followed categories, 0-3 followed authors (most of
   them with a paper that day), 0-3 keyword queries from a vocabulary of about 250 (phrases,
   ``-exclusions``, ``cat:`` filters) and size limits of 10, 20 or 30.
3. Starts an SMTP sink (aiosmtpd, in its own process, counting and discarding) on 127.0.0.1 and
   runs :func:`paperfeed.digest.sender.send_digests` for the day (``--workers`` processes, as
   ``paperfeed digest send --workers``), timing it as a whole and
   reporting the time spent composing (choosing, rendering, building the messages) and sending
   (SMTP, recording each outcome in the ledger), which overlap: one batch is sent while the next is
   composed. Checks that the sink received exactly as many messages as the ledger says were sent.

The target (issue 9): compose and deliver all 10,000 in at most 60 s on this 2-core machine.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import resource
import shutil
import sys
import tempfile
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT.parent / "shared" / "data" / "arxiv-sample" / "arxiv_cs_ai_2025-2026_newest20k.jsonl"
DAY = date(2026, 3, 3)
TOPICS = [
    "diffusion", "reinforcement learning", "large language model", "graph neural network", "world model",
    "retrieval augmented generation", "multi-agent", "theorem proving", "protein", "robot manipulation",
    "speech recognition", "time series", "federated learning", "interpretability", "jailbreak", "benchmark",
    "knowledge graph", "causal inference", "vision transformer", "quantization", "reasoning", "agents",
    "chain of thought", "code generation", "medical imaging", "autonomous driving", "recommendation",
    "contrastive learning", "uncertainty", "fairness", "privacy", "hallucination", "tool use", "planning",
    "mixture of experts", "distillation", "alignment", "reward model", "embodied", "multimodal",
    "segmentation", "anomaly detection", "optimization", "scientific discovery", "education",
    "mathematical reasoning", "evaluation", "security", "explainability", "continual learning",
]  # fmt: skip
FILTERS = ["", " -survey", " cat:cs.LG", " cat:cs.CL", " -benchmark", " cat:cs.CV -survey"]


def sink_main(port: int, counter: Any, ready: Any) -> None:
    """The SMTP sink process: accept everything, count, keep nothing."""
    from aiosmtpd.controller import Controller

    class Sink:
        async def handle_DATA(self, server: object, session: object, envelope: Any) -> str:
            with counter.get_lock():
                counter.value += 1
            return "250 2.0.0 Ok: queued"

    controller = Controller(Sink(), hostname="127.0.0.1", port=port, data_size_limit=0)
    controller.start()
    ready.set()
    try:
        while True:
            time.sleep(3600)
    finally:
        controller.stop()


def process_cpu_seconds(pid: int | None) -> float | None:
    """User + system CPU time of a running process, from /proc (Linux)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def build(app: Any, sample: Path, papers: int, rng: random.Random) -> list[dict[str, Any]]:
    """The store and index; returns the records of the day."""
    from paperfeed.ingest.jobs import ingest_file
    from paperfeed.search.indexer import catch_up

    records = [json.loads(line) for line in sample.open(encoding="utf-8")]
    rng.shuffle(records)
    day_records = records[:papers]
    when = datetime(DAY.year, DAY.month, DAY.day, tzinfo=UTC)
    for i, record in enumerate(day_records):
        stamp = (when + timedelta(seconds=20 * i)).strftime("%Y-%m-%d %H:%M:%S UTC")
        record["published_date"] = record["updated_date"] = stamp
        record["arxiv_id"] = record["arxiv_id"].split("v")[0] + "v1"
    source = Path(app.settings.data_dir) / "sample.jsonl"
    with source.open("w", encoding="utf-8") as out:
        for record in records:
            out.write(json.dumps(record) + "\n")
    report = ingest_file(app, source, file_format="jsonl")
    catch_up(app, embed=False)
    print(f"store: {report.added:,} papers, {papers:,} of them on {DAY}", file=sys.stderr)
    return day_records


def add_votes(app: Any, day_records: list[dict[str, Any]], rng: random.Random) -> int:
    from paperfeed.accounts import ensure_user
    from paperfeed.ids import normalize_paper_id

    voters = [ensure_user(app, f"voter{i}@example.org") for i in range(200)]
    ids = [normalize_paper_id(r["arxiv_id"]) for r in day_records]
    popular = rng.sample(ids, min(80, len(ids)))
    now = datetime(DAY.year, DAY.month, DAY.day, 22, tzinfo=UTC).replace(tzinfo=None)
    votes = 0
    for voter in voters:
        for paper_id in rng.sample(popular, 5):
            app.store.votes.add(voter.id, paper_id, now=now)
            votes += 1
    return votes


def add_subscribers(
    app: Any, count: int, day_records: list[dict[str, Any]], all_authors: list[str], rng: random.Random
) -> dict[str, int]:
    from paperfeed.clock import utcnow
    from paperfeed.digest.choices import make_choices

    day_categories = [c for r in day_records for c in r["categories"]]
    day_authors = [a for r in day_records for a in r["authors"] if any(ch.isalpha() for ch in a)]
    queries = [f'"{t}"{f}' if " " in t else f"{t}{f}" for t in TOPICS for f in FILTERS]
    stats = {"trending": 0, "categories": 0, "authors": 0, "queries": 0}
    now = utcnow()
    for n in range(count):
        trending: bool | list[str] = rng.random() < 0.6
        if trending and rng.random() < 0.2:
            trending = rng.sample(day_categories, 1)
        choices = make_choices(
            trending=trending,
            categories=rng.sample(day_categories, rng.choice([0, 0, 1, 1, 2, 3])),
            authors=[
                rng.choice(day_authors) if rng.random() < 0.7 else rng.choice(all_authors)
                for _ in range(rng.choice([0, 0, 1, 2, 3]))
            ],
            queries=rng.sample(queries, rng.choice([0, 1, 1, 2, 3])),
            max_papers=rng.choice([10, 20, 20, 30]),
        )
        app.store.subscriptions.add(f"reader{n:05d}@example.org", choices, status="active", now=now)
        stats["trending"] += bool(choices.trending)
        stats["categories"] += bool(choices.categories)
        stats["authors"] += bool(choices.authors)
        stats["queries"] += bool(choices.queries)
    stats["distinct_queries"] = len(queries)
    return stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=10_000)
    parser.add_argument("--papers", type=int, default=1_000)
    parser.add_argument("--sample", type=Path, default=SAMPLE)
    parser.add_argument("--data-dir", type=Path, default=None, help="Default: a temporary directory.")
    parser.add_argument("--connections", type=int, default=4, help="PAPERFEED_SMTP_MAX_CONNECTIONS.")
    parser.add_argument("--workers", type=int, default=2, help="Sending processes (digest send --workers).")
    parser.add_argument("--batch-size", type=int, default=None, help="PAPERFEED_DIGEST_BATCH_SIZE.")
    parser.add_argument("--database-url", default=None, help="e.g. a PostgreSQL URL; default SQLite.")
    parser.add_argument("--seed", type=int, default=9)
    parser.add_argument(
        "--reuse", action="store_true", help="With --data-dir: start from the store built by an earlier run."
    )
    args = parser.parse_args()

    sys.path.insert(0, str(ROOT / "src"))
    from paperfeed.config import Settings
    from paperfeed.context import Paperfeed
    from paperfeed.digest.sender import send_digests

    data_dir = args.data_dir or Path(tempfile.mkdtemp(prefix="paperfeed-digest-bench-"))
    pristine = data_dir / "pristine.sqlite3"
    reuse = args.reuse and pristine.exists() and args.database_url is None
    if reuse:  # the store as built last time, before any digest was sent
        shutil.copyfile(pristine, data_dir / "paperfeed.sqlite3")
        for suffix in ("-wal", "-shm"):
            (data_dir / f"paperfeed.sqlite3{suffix}").unlink(missing_ok=True)
    elif data_dir.exists() and args.data_dir is not None:
        shutil.rmtree(data_dir)
    port = free_port()
    settings = Settings(
        data_dir=data_dir,
        database_url=args.database_url,
        embed_after_ingest=False,
        indexer=False,
        base_url="https://papers.example.org",
        secret_key="benchmark-secret-" + "x" * 32,
        mail_from="paperfeed <papers@example.org>",
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_max_connections=args.connections,
        **({"digest_batch_size": args.batch_size} if args.batch_size else {}),
    )
    settings.ensure_data_dir()
    app = Paperfeed(settings)
    rng = random.Random(args.seed)
    started = time.perf_counter()
    if reuse:
        stats = {"reused": app.store.subscriptions.status_counts().get("active", 0)}
    else:
        day_records = build(app, args.sample, args.papers, rng)
        all_authors = [
            a
            for line in args.sample.open(encoding="utf-8")
            for a in json.loads(line)["authors"]
            if any(ch.isalpha() for ch in a)
        ]
        votes = add_votes(app, day_records, rng)
        stats = add_subscribers(app, args.subscribers, day_records, all_authors, rng)
        if app.store.dialect == "sqlite":
            app.close()
            shutil.copyfile(data_dir / "paperfeed.sqlite3", pristine)
            app = Paperfeed(settings)
        print(f"{votes} votes", file=sys.stderr)
    print(f"setup: {time.perf_counter() - started:.1f} s; subscribers: {stats}", file=sys.stderr)

    counter = multiprocessing.Value("l", 0)
    ready = multiprocessing.Event()
    sink = multiprocessing.Process(target=sink_main, args=(port, counter, ready), daemon=True)
    sink.start()
    ready.wait(30)
    try:
        load_before = os.getloadavg()
        cpu_before = resource.getrusage(resource.RUSAGE_SELF)
        children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        began = time.perf_counter()
        report = send_digests(app, day=DAY, workers=args.workers)
        elapsed = time.perf_counter() - began
        cpu_after = resource.getrusage(resource.RUSAGE_SELF)
        children_after = resource.getrusage(resource.RUSAGE_CHILDREN)
        load_after = os.getloadavg()
        time.sleep(0.5)
        received = counter.value
        sink_cpu = process_cpu_seconds(sink.pid)
    finally:
        sink.terminate()
        sink.join(10)
    daily = report.reports[0]
    sent = report.total("sent")
    result = {
        "subscribers": args.subscribers,
        "papers_on_the_day": args.papers,
        "backend": app.store.dialect,
        "workers": args.workers,
        "smtp_connections": args.connections,
        "batch_size": settings.digest_batch_size,
        "seconds": round(elapsed, 2),
        "sent": sent,
        "skipped_empty": report.total("skipped"),
        "failed": report.total("failed") + report.total("deferred"),
        "sink_received": received,
        "compose_seconds": round(daily.compose_seconds, 2),
        "send_seconds": round(daily.send_seconds, 2),
        "compose_ms_per_digest": round(1000 * daily.compose_seconds / max(sent, 1), 2),
        "send_ms_per_digest": round(1000 * daily.send_seconds / max(sent, 1), 2),
        "digests_per_second": round(sent / elapsed, 1),
        "sink_cpu_seconds": sink_cpu,
        "sender_cpu_seconds": round(
            sum(
                getattr(after, field) - getattr(before, field)
                for after, before in ((cpu_after, cpu_before), (children_after, children_before))
                for field in ("ru_utime", "ru_stime")
            ),
            2,
        ),
        "target_met": elapsed <= 60 and sent + report.total("skipped") == args.subscribers,
        "load_average_before_after": [round(load_before[0], 2), round(load_after[0], 2)],
        "subscriber_mix": stats,
        "notices": report.notices,
    }
    print(json.dumps(result, indent=2))
    app.close()
    if args.data_dir is None:
        shutil.rmtree(data_dir, ignore_errors=True)
    if received != sent:
        raise SystemExit(f"the sink received {received} messages but the ledger says {sent} were sent")


if __name__ == "__main__":
    main()
