"""Speed of "For you" through the real service: the page's server time at 100,000 papers, and the
digest's batch (:func:`~paperfeed.recommend.daily_batch.recommendations_for_many`) for many members.

    python benchmarks/for_you.py [--data-dir DIR] [--papers 100000] [--members 10000]
                                 [--page-members 30] [--views 10] [--batch-members 10000] [--json]

1. The store (built once, cached in ``--data-dir``): ``benchmarks/web.py``'s 100,000 papers (the demo
   corpus plus copies under new ids, first versions spread over 2025-01 to 2026-02), its keyword
   index and the recommender's TF-IDF features index, both built by the indexer's code. Then
   ``--members`` members made of real papers: a "Saved" collection of 5-200 papers published before
   the measured window (log-uniform), for a third a second collection, 0-5 "not interested" papers,
   0-3 follows (an author of a recent paper, a category, or a search query). No embeddings (CPU
   embedding of 100k abstracts takes hours here): TF-IDF and co-saves, as in the TF-IDF row of
   the daily-step benchmark.
2. ``/for-you`` in-process (FastAPI's TestClient, the app's real stack: session, store, template),
   the clock set to the day after the newest papers: for ``--page-members`` members, the first view
   (their model is trained and cached then), then ``--views`` more views each (scoring only). The
   figure is the request's time in the app plus the in-process client's overhead, which a
   ``/healthz`` request measures.
3. The digest's batch: every one of ``--batch-members`` members over the window of the newest
   papers that holds about 1,000 of them, first with no cached models (all trained), then again
   (the daily step: models cached, only scoring and reasons).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from web import QUERIES, build_store

os.environ["PAPERFEED_EMBED_AFTER_INGEST"] = "false"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def newest_day(app: Any) -> datetime:
    from paperfeed.store import Window

    edge = app.store.papers.window_edge(Window(), newest=True)
    return datetime.combine(edge.date(), datetime.min.time())


def add_members(app: Any, members: int, window_start: datetime, seed: int = 0) -> list[int]:
    """``members`` synthetic members made of real papers (see the module docstring); idempotent."""
    from paperfeed.accounts import ensure_user
    from paperfeed.store import Window

    rng = np.random.default_rng(seed)
    last = app.store.accounts.get_user(email=f"bench{members - 1}@example.org")
    if last is not None:  # built by an earlier run
        found = [app.store.accounts.get_user(email=f"bench{m}@example.org") for m in range(members)]
        return [u.id for u in found if u is not None]
    older = [pid for pid, _ in app.store.papers.window_dates(Window(until=window_start), limit=60_000)]
    recent = app.store.papers.get_many(
        app.store.papers.window_ids(Window(since=window_start - timedelta(days=7)), limit=3000)
    )
    authors = sorted({a for p in recent.values() for a in p.authors})
    categories = sorted({c for p in recent.values() for c in p.categories})
    now = window_start - timedelta(days=1)
    started = time.perf_counter()
    ids: list[int] = []
    for m in range(members):
        user = ensure_user(app, f"bench{m}@example.org")
        ids.append(user.id)
        size = int(np.exp(rng.uniform(np.log(5), np.log(200))))
        papers = [older[i] for i in rng.choice(len(older), size, replace=False)]
        saved = app.store.library.create_collection(
            user.id, name="Saved", slug="saved", visibility="private", description=None, now=now
        )
        assert saved is not None
        split = len(papers) // 2 if m % 3 == 0 else len(papers)
        app.store.library.add_entries(saved.id, papers[:split], now=now)
        if split < len(papers):
            other = app.store.library.create_collection(
                user.id,
                name="Reading group",
                slug="reading-group",
                visibility="private",
                description=None,
                now=now,
            )
            assert other is not None
            app.store.library.add_entries(other.id, papers[split:], now=now)
        for i in rng.choice(len(older), int(rng.integers(0, 6)), replace=False):
            app.store.signals.set_feedback(user.id, older[i], "not_interested", now=now)
        for _ in range(int(rng.integers(0, 4))):
            kind = rng.choice(["author", "category", "query"])
            value = {
                "author": lambda: authors[int(rng.integers(len(authors)))],
                "category": lambda: categories[int(rng.integers(len(categories)))],
                "query": lambda: QUERIES[int(rng.integers(len(QUERIES)))],
            }[str(kind)]()
            app.store.signals.add_follow(user.id, str(kind), value, now=now)
        if (m + 1) % 1000 == 0:
            print(f"members: {m + 1:,} in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    return ids


def measure_page(app: Any, members: list[int], views: int, today: datetime) -> dict[str, Any]:
    from fastapi.testclient import TestClient

    from paperfeed.accounts import create_session
    from paperfeed.clock import FixedClock
    from paperfeed.web.app import create_app
    from paperfeed.web.security import SESSION_COOKIE

    app.clock = FixedClock(today + timedelta(hours=12))  # business time: the day after the newest papers
    first: list[float] = []
    warm: list[float] = []
    overhead: list[float] = []
    with TestClient(create_app(app, indexer=False)) as client:
        client.get("/healthz")
        for user_id in members:
            user = app.store.accounts.get_user(user_id=user_id)
            app.store.recommend.forget_models([user_id])
            client.cookies.set(SESSION_COOKIE, create_session(app, user))
            started = time.perf_counter()
            response = client.get("/for-you")
            first.append(time.perf_counter() - started)
            assert response.status_code == 200, response.text[:300]
            for _ in range(views):
                started = time.perf_counter()
                response = client.get("/for-you")
                warm.append(time.perf_counter() - started)
                assert response.status_code == 200
            started = time.perf_counter()
            client.get("/healthz")
            overhead.append(time.perf_counter() - started)
    return {
        "first_view_ms": {
            "p50": round(1000 * statistics.median(first), 1),
            "p95": round(1000 * percentile(first, 95), 1),
        },
        "later_views_ms": {
            "p50": round(1000 * statistics.median(warm), 1),
            "p95": round(1000 * percentile(warm, 95), 1),
            "mean": round(1000 * statistics.fmean(warm), 1),
        },
        "client_overhead_ms": round(1000 * statistics.median(overhead), 2),
        "views": len(warm),
    }


def measure_batch(app: Any, members: list[int], today: datetime) -> dict[str, Any]:
    from paperfeed.recommend.candidates import candidates_for
    from paperfeed.recommend.daily_batch import recommendations_for_many

    until = today + timedelta(days=1)
    since = until - timedelta(days=1)
    while True:  # the window of the newest days holding about 1,000 papers
        found = candidates_for(app, since, until)
        if found is None or len(found) >= 1000 or since < until - timedelta(days=30):
            break
        since -= timedelta(days=1)
    assert found is not None
    figures: dict[str, Any] = {"window": [since.isoformat(), until.isoformat()], "candidates": len(found)}
    app.store.recommend.forget_models(members)
    started = time.perf_counter()
    first = recommendations_for_many(app, members, since, until, limit=10)
    figures["first_run_seconds_all_trained"] = round(time.perf_counter() - started, 1)
    started = time.perf_counter()
    again = recommendations_for_many(app, members, since, until, limit=10)
    figures["daily_step_seconds"] = round(time.perf_counter() - started, 1)
    figures["recommendations"] = sum(len(v) for v in again.values())
    figures["members_with_none"] = sum(1 for v in again.values() if not v)
    figures["same_both_runs"] = first == again
    figures["target_seconds"] = 60
    figures["met"] = figures["daily_step_seconds"] <= 60
    figures["follows"] = measure_follows(app, again, since, until)
    return figures


def measure_follows(
    app: Any, lists: dict[int, list[tuple[str, str]]], since: datetime, until: datetime
) -> dict[str, Any]:
    """Do follows drive the lists? For every member with an author follow: is every window paper
    of each followed author (at most 10 of them, not dismissed) in their top 10, with the follow as
    the reason? For every member with a category follow: what share of their top 10 is in the
    category, against the category's share of the window (a flood would be ~100%)?"""
    from paperfeed.store import Window

    window_ids = app.store.papers.window_ids(Window(since=since, until=until), limit=100_000)
    records = app.store.papers.get_many(window_ids)
    by_author: dict[str, set[str]] = {}
    by_category: dict[str, set[str]] = {}
    for pid, record in records.items():
        for name in record.authors:
            by_author.setdefault(name, set()).add(pid)
        for category in record.categories:
            by_category.setdefault(category, set()).add(pid)
    checked = complete = author_papers = with_reason = 0
    shares: list[float] = []
    base: list[float] = []
    for user_id, items in lists.items():
        listed = [pid for pid, _ in items]
        follows = app.store.signals.follows_of(user_id, enabled_only=True)
        dismissed = set(app.store.signals.feedback_of(user_id, kind="not_interested"))
        for follow in follows:
            if follow.kind == "author":
                theirs = by_author.get(follow.value, set()) - dismissed  # libraries hold older papers only
                if not theirs or len(theirs) > 10:
                    continue
                checked += 1
                author_papers += len(theirs)
                complete += theirs <= set(listed)
                with_reason += sum(
                    1
                    for pid, text in items
                    if pid in theirs and text == f"by {follow.value}, whom you follow"
                )
            elif follow.kind == "category" and listed:
                inside = by_category.get(follow.value, set())
                shares.append(sum(1 for pid in listed if pid in inside) / len(listed))
                base.append(len(inside) / max(1, len(records)))
    return {
        "author_follows_checked": checked,
        "all_new_papers_in_top_10": complete,
        "author_papers": author_papers,
        "listed_with_the_follow_as_reason": with_reason,
        "category_follows": len(shares),
        "category_share_of_top_10": round(statistics.fmean(shares), 3) if shares else None,
        "category_share_of_window": round(statistics.fmean(base), 3) if base else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--data-dir", type=Path, default=Path("/tmp/paperfeed-bench-foryou"))
    parser.add_argument("--papers", type=int, default=100_000)
    parser.add_argument("--members", type=int, default=10_000)
    parser.add_argument("--page-members", type=int, default=30)
    parser.add_argument("--views", type=int, default=10)
    parser.add_argument("--batch-members", type=int, default=10_000)
    parser.add_argument("--skip-batch", action="store_true")
    parser.add_argument("--skip-page", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()

    from paperfeed.config import Settings
    from paperfeed.context import Paperfeed

    build_store(args.data_dir, args.papers)
    app = Paperfeed(Settings(data_dir=args.data_dir, embed_after_ingest=False, indexer=False))
    from paperfeed.search.indexer import catch_up

    catch_up(app, embed=False)  # the features index, when the store was built before it existed
    today = newest_day(app)
    members = add_members(app, args.members, today - timedelta(days=6))
    figures: dict[str, Any] = {
        "papers": app.store.papers.count(),
        "members": len(members),
        "cpus": os.cpu_count(),
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "python": platform.python_version(),
    }
    rng = random.Random(1)
    if not args.skip_page:
        figures["page"] = measure_page(app, rng.sample(members, args.page_members), args.views, today)
    if not args.skip_batch:
        figures["batch"] = measure_batch(app, members[: args.batch_members], today)
    figures["load_average_after"] = [round(x, 1) for x in os.getloadavg()]
    if args.json:
        print(json.dumps(figures, indent=2))
    else:
        for key, value in figures.items():
            print(f"{key:20s} {value}")


if __name__ == "__main__":
    main()
