"""Benchmark the library over the 20,000 real records of the arXiv sample: follows feed, listing
marks, export and import (by arXiv id and by title).

    python benchmarks/library.py [--sample PATH] [--data-dir DIR] [--papers 2000] [--repeat 5]

1. Builds (once, cached in --data-dir) a store of the sample's records with the keyword index (no
   embeddings). The 20,000 records span Sep 2025 to Feb 2026, about 1,000 new papers a week.
2. A member follows the 3 most prolific authors, 3 categories (cs.LG, cs.CL, cs.CV) and 3 queries
   (one with an exclusion); the follows feed for the last 7 and 30 days of the sample is timed
   (median of --repeat runs).
3. The listing marks (saved?, collections, feedback) for a 25-paper page are timed with --papers
   papers in the member's library and 500 feedback clicks.
4. The member's --papers papers are exported as BibTeX, CSL JSON and RIS, then imported into a
   second member's library: as exported (matched by arXiv id) and with every id removed from the
   BibTeX (matched by title), and the matching is checked to be complete.

Targets: a follows feed under 200 ms, marks under 20 ms (they are on every listing page), an import
of 2,000 entries under 30 s.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SAMPLE = ROOT.parent / "shared" / "data" / "arxiv-sample" / "arxiv_cs_ai_2025-2026_newest20k.jsonl"


def median_ms(run: Callable[[], object], repeat: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()
        times.append((time.perf_counter() - started) * 1000)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sample", type=Path, default=DEFAULT_SAMPLE)
    parser.add_argument(
        "--data-dir", type=Path, default=Path(tempfile.gettempdir()) / "paperfeed-bench-library"
    )
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from paperfeed.accounts import ensure_user
    from paperfeed.config import Settings
    from paperfeed.context import Paperfeed
    from paperfeed.ingest.jobs import ingest_file
    from paperfeed.library import collections, follows
    from paperfeed.library.exporters import export_library
    from paperfeed.library.follows_feed import follows_feed
    from paperfeed.library.importers import import_library
    from paperfeed.library.marks import marks_for
    from paperfeed.search.indexer import catch_up
    from paperfeed.store import Window

    app = Paperfeed(Settings(data_dir=args.data_dir, embed_after_ingest=False, indexer=False))
    if app.store.papers.count() < 19_000:
        started = time.perf_counter()
        ingest_file(app, args.sample, file_format="jsonl")
        catch_up(app, embed=False)
        print(
            f"built the store: {app.store.papers.count():,} papers in {time.perf_counter() - started:.1f} s"
        )
    papers = app.store.papers
    newest = papers.window_edge(Window(), newest=True)
    assert newest is not None
    now = newest + timedelta(hours=12)
    print(f"{papers.count():,} papers, newest {newest:%Y-%m-%d}; feeds end at {now:%Y-%m-%d}")

    stamp = datetime.now().strftime("%H%M%S%f")
    reader = ensure_user(app, f"bench-{stamp}@example.org")
    second = ensure_user(app, f"bench2-{stamp}@example.org")
    authors = Counter(a for p in papers.list_papers(limit=20_000) for a in p.authors).most_common(3)
    for name, _ in authors:
        follows.add_follow(app, reader, "author", name)
    for category in ("cs.LG", "cs.CL", "cs.CV"):
        follows.add_follow(app, reader, "category", category)
    for query in (
        'diffusion -"stable diffusion"',
        '"reinforcement learning" agent',
        "retrieval augmented generation",
    ):
        follows.add_follow(app, reader, "query", query)

    for days in (7, 30):
        ms, feed = median_ms(lambda d=days: follows_feed(app, reader.id, days=d, now=now), args.repeat)  # type: ignore[misc]
        print(f"follows feed, 9 follows, last {days} days: {ms:.1f} ms median, {len(feed.items)} papers")  # type: ignore[attr-defined]

    ids = papers.window_ids(Window(), limit=args.papers)
    library = collections.create_collection(app, reader, f"Bench {stamp}")
    app.store.library.add_entries(library.id, ids, now=now.replace(tzinfo=None))
    for paper_id in ids[:500]:
        app.store.signals.set_feedback(reader.id, paper_id, "more", now=now.replace(tzinfo=None))
    page = papers.window_ids(Window(), limit=25, offset=10)
    ms, _marks = median_ms(lambda: marks_for(app, reader, page), args.repeat * 4)
    print(f"listing marks for 25 papers ({len(ids):,} in the library): {ms:.2f} ms median")

    for fmt in ("bibtex", "csl-json", "ris"):
        ms, exported = median_ms(lambda f=fmt: export_library(app, reader, collection=library.id, fmt=f), 1)  # type: ignore[misc]
        print(
            f"export {exported.count:,} papers as {fmt}: {ms / 1000:.2f} s, {len(exported.text) / 1e6:.1f} MB"
        )  # type: ignore[attr-defined]
        started = time.perf_counter()
        report = import_library(
            app, second, exported.text.encode(), filename=f"b-{fmt}-{stamp}.x", fmt=fmt, fetch=None
        )  # type: ignore[attr-defined]
        took = time.perf_counter() - started
        print(
            f"  import it back: {took:.2f} s, {len(report.matched):,} matched, {len(report.unmatched)} unmatched"
        )
        if fmt == "bibtex":
            no_ids = re.sub(
                r"^\s*(eprint|url|archivePrefix|primaryClass|doi) = .*\n", "", exported.text, flags=re.M
            )  # type: ignore[attr-defined]
            started = time.perf_counter()
            by_title = import_library(app, second, no_ids.encode(), filename=f"t-{stamp}.bib", fetch=None)
            took = time.perf_counter() - started
            hows = Counter(m.how for m in by_title.matched)
            print(
                f"  the same without any id: {took:.2f} s, {dict(hows)} matched, "
                f"{len(by_title.unmatched)} unmatched ({Counter(u.reason[:40] for u in by_title.unmatched).most_common(2)})"
            )
    app.close()


if __name__ == "__main__":
    sys.exit(main())
