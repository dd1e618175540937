"""``paperfeed recommend fit`` on a store whose members are real authors, with the fit's report.

    python benchmarks/recommend_fit.py DATA_DIR [--sample DIR] [--min-papers 6] [--max-papers 15]

``DATA_DIR`` holds the arXiv sample already imported and indexed (``benchmarks/similar.py`` builds
one; copy it, this script adds members to it). Every author with ``--min-papers`` to ``--max-papers``
papers in the sample becomes a member who saved their own papers, in the order they were published
(an author's library: their own work, the shape of ``eval make-authors``' benchmark). Then the
production fit runs (:func:`paperfeed.recommend.fitting.fit_store_weights`: the latest 30% of each
member's saves held out, two folds, fitted weights against the hand-set defaults on the held-out
members) and its report is printed as JSON, with how long the fit took and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("--sample", type=Path, default=ROOT.parent / "shared" / "data" / "arxiv-sample")
    parser.add_argument("--min-papers", type=int, default=6)
    parser.add_argument("--max-papers", type=int, default=15)
    options = parser.parse_args()
    os.environ["PAPERFEED_DATA_DIR"] = str(options.data_dir)
    os.environ["PAPERFEED_EMBED_AFTER_INGEST"] = "false"
    from paperfeed.accounts import ensure_user
    from paperfeed.clock import FixedClock
    from paperfeed.context import Paperfeed
    from paperfeed.library import collections
    from paperfeed.recommend.fitting import fit_store_weights

    source = options.sample if options.sample.is_file() else sorted(options.sample.glob("*.jsonl"))[0]
    rows = [json.loads(line) for line in source.read_text(encoding="utf-8").splitlines() if line.strip()]
    by_author: dict[str, list[str]] = {}
    for row in rows:
        for author in row["authors"]:
            by_author.setdefault(author, []).append(str(row["arxiv_id"]).split("v")[0])
    clock = FixedClock(datetime(2026, 12, 1, 12, 0))
    app = Paperfeed(clock=clock)
    members = 0
    for number, (_author, ids) in enumerate(sorted(by_author.items())):
        if not options.min_papers <= len(ids) <= options.max_papers:
            continue
        papers = app.store.papers.get_many(ids)
        if len(papers) < options.min_papers:
            continue
        user = ensure_user(app, f"author{number}@example.org")
        members += 1
        for pid in sorted(papers, key=lambda p: (papers[p].published or datetime.min, p)):
            when = papers[pid].published
            clock.set(when.replace(tzinfo=None) if when is not None else datetime(2026, 1, 1))
            collections.save(app, user, pid)
    clock.set(datetime(2026, 12, 1, 12, 0))
    started = time.perf_counter()
    report = fit_store_weights(app)
    print(json.dumps({
        "members_made": members,
        "seconds": round(time.perf_counter() - started, 1),
        "load_average": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
        "report": report.to_dict(),
    }, indent=2))  # fmt: skip
    app.close()


if __name__ == "__main__":
    main()
