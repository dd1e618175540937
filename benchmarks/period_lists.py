"""Latency of a period's list (the Papers API's ``/api/daily_papers`` and the weekly/monthly pages).

    python benchmarks/period_lists.py [--papers 30000] [--votes 5000] [--runs 20] [--database-url URL]

Builds (once, cached in --data-dir) a store whose ``--papers`` synthetic papers all fall in one month
(February 2026, in a followed category: the density of a full-catalogue month of cs.AI, cs.LG,
cs.CL, cs.CV and stat.ML), with ``--votes`` upvotes by 500 members spread over the month and three
featured papers a day. Then times :func:`paperfeed.community.period_lists.period_list` (the one call
behind the API route and the pages: ids and dates of the whole period, ranking, loading one page)
for a day, a week and the month, in both orders, the first page of 50 and a deep page (p=100,
entries 5,000-5,049): p50 and max over ``--runs``.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import statistics
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

MONTH = date(2026, 2, 1)
DAYS = 28


def build(data_dir: Path, database_url: str | None, papers: int, votes: int) -> object:
    from paperfeed.accounts import ensure_user
    from paperfeed.config import Settings
    from paperfeed.context import Paperfeed
    from paperfeed.records import PaperRecord, Version, finalize

    app = Paperfeed(Settings(data_dir=data_dir, database_url=database_url, embed_after_ingest=False))
    store = app.store
    if store.papers.count() >= papers:
        return app
    started = time.perf_counter()
    rng = random.Random(11)
    words = [
        "graph",
        "neural",
        "model",
        "language",
        "agent",
        "diffusion",
        "policy",
        "robust",
        "causal",
        "vision",
        "retrieval",
    ]
    batch: list[PaperRecord] = []
    for n in range(papers):
        when = datetime(2026, 2, 1, tzinfo=UTC) + timedelta(seconds=rng.randrange(DAYS * 86400))
        title = " ".join(rng.choice(words) for _ in range(9)) + f" {n}"
        batch.append(
            finalize(
                PaperRecord(
                    paper_id=f"2602.{n:05d}",
                    title=title,
                    abstract=" ".join(rng.choice(words) for _ in range(150)),
                    authors=[f"Author {rng.randrange(20000)}" for _ in range(rng.randint(1, 8))],
                    categories=[rng.choice(["cs.AI", "cs.LG", "cs.CL", "cs.CV", "stat.ML"])],
                    versions=[Version(1, when)],
                    published=when,
                )
            )
        )
        if len(batch) == 5000:
            store.papers.write_batch(batch)
            batch = []
    if batch:
        store.papers.write_batch(batch)
    members = [ensure_user(app, f"member{n}@example.org") for n in range(500)]
    for _ in range(votes):
        moment = datetime(2026, 2, 1) + timedelta(seconds=rng.randrange(DAYS * 86400))
        paper = f"2602.{int(rng.paretovariate(1.2) * 50) % papers:05d}"  # a few papers get most votes
        store.votes.add(rng.choice(members).id, paper, now=moment)
    for day in range(DAYS):
        for k in range(3):
            when = datetime(2026, 2, 1 + day, 9 + k)
            store.featured.add(
                when.date(),
                f"2602.{rng.randrange(papers):05d}",
                source="submission",
                user_id=members[k].id,
                now=when,
            )
    print(f"built: {store.papers.count():,} papers in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--papers", type=int, default=30_000)
    parser.add_argument("--votes", type=int, default=5_000)
    parser.add_argument("--runs", type=int, default=20)
    parser.add_argument("--data-dir", type=Path, default=Path("benchmarks/out/period-lists"))
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()

    from paperfeed.community.period_lists import period_list
    from paperfeed.periods import parse_period

    app = build(args.data_dir, args.database_url, args.papers, args.votes)
    store = app.store  # type: ignore[attr-defined]
    categories = app.settings.categories  # type: ignore[attr-defined]
    now = datetime(2026, 3, 15)
    results = []
    for spelling in ({"day": "2026-02-20"}, {"week": "2026-W08"}, {"month": "2026-02"}):
        period = parse_period(**spelling)
        assert period is not None
        for sort in ("publishedAt", "trending"):
            for page in (0, 100):
                times = []
                for _ in range(args.runs + 2):
                    started = time.perf_counter()
                    result = period_list(
                        store, categories, period, sort=sort, limit=50, offset=page * 50, now=now
                    )
                    times.append((time.perf_counter() - started) * 1000)
                times = times[2:]  # two warm-up runs
                results.append(
                    {
                        "period": period.key,
                        "sort": sort,
                        "page": page,
                        "entries_shown": len(result.entries),
                        "p50_ms": round(statistics.median(times), 1),
                        "max_ms": round(max(times), 1),
                    }
                )
                print(json.dumps(results[-1]), file=sys.stderr)
    print(
        json.dumps(
            {
                "backend": store.dialect,
                "papers": store.papers.count(),
                "machine": f"{platform.machine()} {platform.processor() or ''} python {platform.python_version()}",
                "results": results,
            },
            indent=1,
        )
    )


if __name__ == "__main__":
    main()
