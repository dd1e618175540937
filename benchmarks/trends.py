"""Latency of trends (papers per week or month matching a query) over a keyword index of millions.

    nice python benchmarks/trends.py --sizes 300000 1000000 2700000 --out benchmarks/out/trends

Trends read only the keyword index (a histogram aggregation over the ``published`` fast field of the
matching documents), so this builds just that: a tantivy index with paperfeed's schema and
analyzers, grown to each of ``--sizes`` in turn (kept in ``<out>/index``: a later run reuses what is
there and only adds what is missing). The documents are shaped like the whole catalogue run of
``benchmarks/scale.py``: titles and abstracts of words drawn with the real sample's word
frequencies (``--sample``), real author names and category lists, 12,000 papers a month from April
2007 (2.7M papers reach 2026).

At each size it times :func:`paperfeed.search.trends.index_trends` (the call behind ``/trends`` and
``/api/v1/trends``) for single queries of every kind (a very common word, a mid-frequency one, a
phrase, a category, an author), the page's worst case (five queries at once), by the default
ranges (the last 52 weeks, the last 60 months) and over the whole history (since April 2007): the first call (the all-papers counts not cached yet) and p50/p99 of ``--runs``
calls after it. The floor is tantivy counting the same query's matches (``count=True``, no
histogram): the least any count over time can cost.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "benchmarks"))
from scale import DEFAULT_SAMPLE, Shapes, load_average, machine, percentile  # noqa: E402

START = datetime(2007, 4, 1, tzinfo=UTC)
PER_MONTH = 12_000
BATCH = 20_000


def records(first: int, count: int, shapes: Shapes) -> list[object]:
    """Papers ``first`` … ``first + count - 1``: the same paper for the same number in every run."""
    from paperfeed.records import PaperRecord

    out = []
    n_shapes = len(shapes.title_words)
    for block in range(first, first + count, BATCH):
        size = min(BATCH, first + count - block)
        rng = random.Random(block)
        nrng = np.random.default_rng(block)
        picks = [rng.randrange(n_shapes) for _ in range(size)]
        lengths = [shapes.title_words[p] + shapes.abstract_words[p] for p in picks]
        drawn = np.searchsorted(shapes.cumulative, nrng.random(sum(lengths)))
        words = shapes.words[np.minimum(drawn, len(shapes.words) - 1)]
        at = 0
        for offset, pick in enumerate(picks):
            i = block + offset
            month, number = divmod(i, PER_MONTH)
            text = words[at : at + lengths[offset]]
            at += lengths[offset]
            n_title = shapes.title_words[pick]
            authors = list(shapes.author_lists[rng.randrange(n_shapes)])
            authors[rng.randrange(len(authors))] = shapes.authors[rng.randrange(len(shapes.authors))]
            out.append(
                PaperRecord(
                    paper_id=f"{7 + (3 + month) // 12:02d}{(3 + month) % 12 + 1:02d}.{number:05d}",
                    title=" ".join(text[:n_title]),
                    abstract=" ".join(text[n_title:]),
                    authors=authors,
                    categories=list(shapes.category_lists[rng.randrange(n_shapes)]),
                    published=START + timedelta(days=30.4 * month + 30.4 * number / PER_MONTH),
                )
            )
    return out


def grow(path: Path, size: int, shapes: Shapes) -> dict[str, float]:
    """Add documents until the index holds ``size`` (the index directory is the checkpoint)."""
    from paperfeed.search.lexical import LexicalIndex, paper_document

    index = LexicalIndex.open_writer(path)
    have = index.num_docs()
    if have >= size:
        return {"added": 0, "seconds": 0.0}
    started = time.perf_counter()
    writer = index.writer(threads=2)
    for first in range(have, size, 200_000):
        count = min(200_000, size - first)
        for start in range(first, first + count, BATCH):
            for record in records(start, min(BATCH, first + count - start), shapes):
                writer.add_document(paper_document(record))
        writer.commit()
        print(f"  indexed {first + count:,} documents ({time.perf_counter() - started:.0f} s)", flush=True)
    writer.wait_merging_threads()
    return {"added": size - have, "seconds": round(time.perf_counter() - started, 1)}


def timed(call: object, runs: int) -> dict[str, float]:
    first_started = time.perf_counter()
    call()  # type: ignore[operator]
    first = (time.perf_counter() - first_started) * 1000
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        call()  # type: ignore[operator]
        times.append((time.perf_counter() - started) * 1000)
    return {
        "first_ms": round(first, 2),
        "p50_ms": round(percentile(times, 0.5), 2),
        "p99_ms": round(percentile(times, 0.99), 2),
    }


def measure(path: Path, shapes: Shapes, runs: int) -> dict[str, object]:
    import tantivy

    from paperfeed.search import trends as trends_module
    from paperfeed.search.lexical import LexicalIndex
    from paperfeed.search.query import build_query, parse

    index = LexicalIndex.open_reader(path)
    size = index.num_docs()
    names: dict[str, int] = {}
    for listed in shapes.author_lists:
        for name in listed:
            names[name] = names.get(name, 0) + 1
    author = max(sorted(names), key=lambda n: names[n])  # the sample's most prolific author
    common, middle = str(shapes.words[60]), str(shapes.words[2000])
    queries = {
        f"common word ({common})": [common],
        f"mid-frequency word ({middle})": [middle],
        'phrase ("language model")': ['"language model"'],
        "category (cat:cs.LG)": ["cat:cs.LG"],
        f'author (author:"{author}")': [f'author:"{author}"'],
        "five queries at once": [common, middle, '"language model"', "cat:cs.LG", f'author:"{author}"'],
    }
    today = date(2026, 12, 1)
    out: dict[str, object] = {"documents": size}
    searcher = index.index.searcher()
    for name, texts in queries.items():
        for interval, since in (
            ("week", None),
            ("month", None),
            ("week", date(2007, 4, 1)),
            ("month", date(2007, 4, 1)),
        ):
            label = f"{name}, {interval}" + (" since 2007" if since else "")
            trends_module._memo = trends_module._Memo()  # the all-papers counts start uncached

            def call(texts: list[str] = texts, interval: str = interval, since: date | None = since) -> None:
                trends_module.index_trends(index, texts, interval=interval, since=since, today=today)

            result = timed(call, runs)
            matched = trends_module.index_trends(
                index, texts[:1], interval=interval, since=since, today=today
            )
            result["matches_in_range"] = matched.series[0].total
            if len(texts) == 1:
                query = build_query(index.schema, parse(texts[0]))
                assert query is not None

                def floor(query: tantivy.Query = query) -> None:
                    searcher.search(query, 1, count=True)

                result["floor_count_ms"] = timed(floor, runs)["p50_ms"]
            out[label] = result
            print(f"  {label}: {result}", flush=True)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[300_000, 1_000_000, 2_700_000])
    parser.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "out" / "trends")
    parser.add_argument("--sample", type=Path, default=DEFAULT_SAMPLE)
    parser.add_argument("--runs", type=int, default=30)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    shapes = Shapes(args.sample)
    results: dict[str, object] = {
        "machine": machine(),
        "python": platform.python_version(),
        "sizes": {},
    }
    for size in sorted(args.sizes):
        print(f"size {size:,}: building (load {load_average()})", flush=True)
        built = grow(args.out / "index", size, shapes)
        print(f"size {size:,}: measuring (load {load_average()})", flush=True)
        measured = measure(args.out / "index", shapes, args.runs)
        results["sizes"][str(size)] = {"build": built, "load_before": load_average(), **measured}  # type: ignore[index]
        (args.out / "trends-results.json").write_text(json.dumps(results, indent=2))
    print(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
