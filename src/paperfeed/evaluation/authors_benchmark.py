"""Recommendation benchmarks built from the real structure of an arXiv metadata sample.

Both builders write the folder layout ``paperfeed eval recommend`` reads::

    corpus.jsonl            {"_id": base arXiv id, "title": ..., "text": abstract}   (BEIR form)
    libraries/train.tsv     user-id<TAB>paper-id   (header line, then one saved paper per line)
    libraries/test.tsv      same: the papers the user should be recommended
    libraries/users.tsv     user-id<TAB>description (who the user is; not read by the evaluation)
    README.md               the rules and the counts of this build

No author names or categories go into ``corpus.jsonl``: the recommenders see titles and abstracts
only, so a method cannot win by matching a name.

:func:`make_authors` (the benchmark the recommender is tuned on), per author:

* an author is a user when their exact name string is on at least ``min_papers`` and at most
  ``max_papers`` records (more is usually several people sharing a name);
* their papers are ordered by (``published_date``, id); the last ``round(n * test_fraction)``
  (at least 1) are the *test* papers, the rest the author's own *earlier* papers; the *cut-off* is
  the date of the first test paper;
* the *train library* is the author's earlier papers plus every paper published strictly before
  the cut-off by anyone who co-authored one of those earlier papers (a reader saves their own and
  their collaborators' work); co-authors met only on test papers are not used (that would leak);
* test papers never enter the same user's train library (they are later than the cut-off); by
  default (``in_matrix=False``, *cold start*) a paper that is some user's test paper is also taken
  out of every other user's train library, so no test paper has been saved by anyone: co-saves and
  popularity cannot point at it, and the benchmark measures what the daily use needs, ranking new
  papers. (Until issue 16 a co-author with a later cut-off kept it: co-saves then found the test
  papers through the co-author graph far more easily than real libraries allow, and settings tuned
  there did not transfer.) ``in_matrix=True`` keeps them, and says so in the README.

:func:`make_categories` (the second, differently built benchmark): a user is a *category
signature* (the exact set of arXiv categories of a paper, e.g. {cs.AI, cs.RO, cs.HC}), standing for
a reader of that intersection of fields. One global cut-off date (the ``cut_quantile`` quantile of
publication dates) splits everyone: papers before it with the user's signature are the train
library, papers after it the test set. No test paper is in any train library, so popularity and
co-saving carry no signal: it measures content-based ranking of new papers, the daily use.

:func:`make_colibraries` (*in-matrix*, the shape of a bookmarking site's data: a user's library is
a random handful of their saves, the rest of their saves are to be found, and those are papers other
users saved too): a user is an author with ``min_papers``..``max_papers`` papers; their saves are
their own papers plus each paper of a co-author (any date) with probability ``keep`` (a reader saves
part of their collaborators' work, not all of it), plus ``topical`` draws of papers in their field
(a draw takes one of their own papers at random and picks a paper with exactly its arXiv categories,
with probability proportional to a per-paper *appeal* drawn once from a log-normal: some papers are
saved by many readers of a field, most by few, as on a bookmarking site), at most ``max_saves``
saves in all (categories are metadata the recommenders never see, so the field part rewards content
without being built from the text); ``train_size``
random saves are the library, and the other saves are test papers when at least one *other* user
has them in their library (so co-saves can reach them, as in the in-matrix protocol), users left
with none are dropped. Seeded, so a build is reproducible.
"""

from __future__ import annotations

import json
import random
import re
from collections import defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from paperfeed.errors import InvalidInput
from paperfeed.ingest.files import open_text

_VERSION = re.compile(r"v\d+$")


class SampleError(InvalidInput, ValueError):
    """The sample file is unusable (the message names the file and line)."""


@dataclass(slots=True)
class SampleRecord:
    paper_id: str
    title: str
    abstract: str
    authors: list[str]
    categories: list[str]
    published: str


def read_sample(path: Path) -> list[SampleRecord]:
    """arXiv records (the arxiv-sample JSON lines); versions merged by base id (the latest kept)."""
    if not path.is_file():
        raise SampleError(f"{path}: no such file (give an arXiv sample in JSON lines)")
    by_id: dict[str, SampleRecord] = {}
    with open_text(path) as (handle, _):
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                record = SampleRecord(
                    paper_id=_VERSION.sub("", str(row["arxiv_id"])),
                    title=str(row.get("title") or ""),
                    abstract=str(row.get("abstract") or ""),
                    authors=[str(a) for a in row.get("authors") or []],
                    categories=[str(c) for c in row.get("categories") or []],
                    published=str(row["published_date"]),
                )
            except (json.JSONDecodeError, KeyError, TypeError) as exc:
                raise SampleError(f"{path}:{number}: not an arXiv record ({exc})") from exc
            by_id[record.paper_id] = record
    return sorted(by_id.values(), key=lambda r: (r.published, r.paper_id))


@dataclass(slots=True)
class BenchmarkCounts:
    """What a build wrote (also written to its README.md)."""

    kind: str
    papers: int
    users: int
    train_pairs: int
    test_pairs: int
    median_train: float
    median_test: float
    rules: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _median(values: list[int]) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    mid = len(ordered) // 2
    return float(ordered[mid]) if len(ordered) % 2 else (ordered[mid - 1] + ordered[mid]) / 2


def _write(
    out_dir: Path,
    records: list[SampleRecord],
    users: list[tuple[str, str, list[str], list[str]]],
    kind: str,
    rules: dict[str, Any],
) -> BenchmarkCounts:
    """Write corpus, libraries and README; ``users`` = (user id, description, train, test)."""
    (out_dir / "libraries").mkdir(parents=True, exist_ok=True)
    with (out_dir / "corpus.jsonl").open("w", encoding="utf-8") as handle:
        for r in records:
            handle.write(json.dumps({"_id": r.paper_id, "title": r.title, "text": r.abstract}) + "\n")

    header = "user-id\tpaper-id\n"
    train_lines = "".join(f"{uid}\t{pid}\n" for uid, _, train, _ in users for pid in train)
    test_lines = "".join(f"{uid}\t{pid}\n" for uid, _, _, test in users for pid in test)
    (out_dir / "libraries" / "train.tsv").write_text(header + train_lines, encoding="utf-8")
    (out_dir / "libraries" / "test.tsv").write_text(header + test_lines, encoding="utf-8")
    (out_dir / "libraries" / "users.tsv").write_text(
        "user-id\tdescription\n" + "".join(f"{u[0]}\t{u[1]}\n" for u in users), encoding="utf-8"
    )
    counts = BenchmarkCounts(
        kind=kind,
        papers=len(records),
        users=len(users),
        train_pairs=sum(len(u[2]) for u in users),
        test_pairs=sum(len(u[3]) for u in users),
        median_train=_median([len(u[2]) for u in users]),
        median_test=_median([len(u[3]) for u in users]),
        rules=rules,
    )
    readme = [
        f"# Recommendation benchmark: {kind}",
        "",
        "Built by paperfeed.evaluation.authors_benchmark; see its docstring for the rules.",
        "",
        "```json",
        json.dumps(counts.to_dict(), indent=2),
        "```",
        "",
    ]
    (out_dir / "README.md").write_text("\n".join(readme), encoding="utf-8")
    return counts


def make_authors(
    sample_jsonl: Path,
    out_dir: Path,
    *,
    min_papers: int = 5,
    max_papers: int = 40,
    test_fraction: float = 0.4,
    coauthors: bool = True,
    in_matrix: bool = False,
) -> BenchmarkCounts:
    """Authors as users, split by date per author (rules in the module docstring).

    On the 20,000-record arxiv-sample with the defaults (cold start) this writes 20,000 papers,
    COUNTS_AUTHORS. :func:`make_categories` with its defaults: 103 users, 4,096 train pairs
    (median 23), 1,688 test pairs (median 9), cut-off 2025-12-25 05:29:53 UTC.
    """
    if min_papers < 2:
        raise ValueError("min_papers must be at least 2 (one earlier and one later paper)")
    records = read_sample(sample_jsonl)
    order = {r.paper_id: i for i, r in enumerate(records)}  # records are sorted by (date, id)
    by_author: dict[str, list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        for name in dict.fromkeys(r.authors):
            by_author[name].append(i)
    users: list[tuple[str, str, list[str], list[str]]] = []
    names = sorted(n for n, papers in by_author.items() if min_papers <= len(papers) <= max_papers)
    for number, name in enumerate(names, start=1):
        papers = by_author[name]
        n_test = max(1, round(len(papers) * test_fraction))
        earlier, later = papers[:-n_test], papers[-n_test:]
        cutoff = records[later[0]].published
        library = dict.fromkeys(earlier)
        if coauthors:
            met = {a for i in earlier for a in records[i].authors} - {name}
            for other in sorted(met):
                for i in by_author[other]:
                    if records[i].published < cutoff:
                        library[i] = None
        train = [records[i].paper_id for i in sorted(library, key=lambda i: order[records[i].paper_id])]
        test = [records[i].paper_id for i in later]
        users.append((f"u{number:05d}", name, train, test))
    if not in_matrix:
        tested = {pid for _, _, _, test in users for pid in test}
        users = [(uid, name, [p for p in train if p not in tested], test) for uid, name, train, test in users]
    rules = {
        "sample": sample_jsonl.name,
        "min_papers": min_papers,
        "max_papers": max_papers,
        "test_fraction": test_fraction,
        "coauthors": coauthors,
        "in_matrix": in_matrix,
    }
    return _write(out_dir, records, users, "authors" if not in_matrix else "authors (in-matrix)", rules)


def make_colibraries(
    sample_jsonl: Path,
    out_dir: Path,
    *,
    min_papers: int = 3,
    max_papers: int = 40,
    keep: float = 0.3,
    topical: int = 20,
    max_saves: int = 80,
    train_size: int = 10,
    seed: int = 0,
) -> BenchmarkCounts:
    """Co-author and field libraries split at random, in-matrix (rules in the module docstring)."""
    if train_size < 1:
        raise ValueError("train_size must be at least 1")
    records = read_sample(sample_jsonl)
    by_author: dict[str, list[int]] = defaultdict(list)
    by_signature: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i, r in enumerate(records):
        for name in dict.fromkeys(r.authors):
            by_author[name].append(i)
        by_signature[tuple(sorted(set(r.categories)))].append(i)
    appeal_rng = random.Random(f"{seed}:appeal")
    appeal = [appeal_rng.lognormvariate(0.0, 1.5) for _ in records]
    names = sorted(n for n, papers in by_author.items() if min_papers <= len(papers) <= max_papers)
    saves: list[tuple[str, list[int]]] = []
    for name in names:
        rng = random.Random(f"{seed}:{name}")
        own = by_author[name]
        theirs = sorted(
            {i for p in own for a in records[p].authors if a != name for i in by_author[a]} - set(own)
        )
        chosen = own + [i for i in theirs if rng.random() < keep]
        for _ in range(topical):
            field = by_signature[tuple(sorted(set(records[rng.choice(own)].categories)))]
            chosen.append(rng.choices(field, weights=[appeal[i] for i in field])[0])
        chosen = list(dict.fromkeys(chosen))
        if len(chosen) > max_saves:
            chosen = rng.sample(chosen, max_saves)
        if len(chosen) > train_size:
            saves.append((name, chosen))
    splits: list[tuple[str, list[int], list[int]]] = []
    for name, chosen in saves:
        rng = random.Random(f"{seed}:split:{name}")
        shuffled = rng.sample(chosen, len(chosen))
        splits.append((name, sorted(shuffled[:train_size]), sorted(shuffled[train_size:])))
    in_libraries: dict[int, int] = defaultdict(int)
    for _, train, _ in splits:
        for i in train:
            in_libraries[i] += 1
    users: list[tuple[str, str, list[str], list[str]]] = []
    for name, train, rest in splits:
        own_train = set(train)
        test = [i for i in rest if in_libraries[i] - (i in own_train) > 0]
        if test:
            users.append(
                (
                    f"l{len(users) + 1:05d}",
                    name,
                    [records[i].paper_id for i in train],
                    [records[i].paper_id for i in test],
                )
            )
    rules = {
        "sample": sample_jsonl.name,
        "min_papers": min_papers,
        "max_papers": max_papers,
        "keep": keep,
        "topical": topical,
        "max_saves": max_saves,
        "train_size": train_size,
        "seed": seed,
        "in_matrix": True,
    }
    return _write(out_dir, records, users, "co-libraries (in-matrix)", rules)


def make_categories(
    sample_jsonl: Path,
    out_dir: Path,
    *,
    min_train: int = 10,
    max_train: int = 300,
    cut_quantile: float = 0.7,
) -> BenchmarkCounts:
    """Category signatures as users, one global date split (rules in the module docstring).

    A signature is a user when it has ``min_train``..``max_train`` papers before the cut-off (a
    bigger one, such as {cs.AI} alone, is a whole field rather than a reader) and at least one after.
    """
    records = read_sample(sample_jsonl)
    cut_index = min(len(records) - 1, int(len(records) * cut_quantile))
    cutoff = records[cut_index].published
    by_signature: dict[tuple[str, ...], tuple[list[str], list[str]]] = defaultdict(lambda: ([], []))
    for r in records:
        signature = tuple(sorted(set(r.categories)))
        if signature:
            by_signature[signature][0 if r.published < cutoff else 1].append(r.paper_id)
    users: list[tuple[str, str, list[str], list[str]]] = []
    for signature in sorted(by_signature):
        train, test = by_signature[signature]
        if min_train <= len(train) <= max_train and test:
            users.append((f"c{len(users) + 1:05d}", " ".join(signature), train, test))
    rules = {
        "sample": sample_jsonl.name,
        "min_train": min_train,
        "max_train": max_train,
        "cut_quantile": cut_quantile,
        "cutoff": cutoff,
    }
    return _write(out_dir, records, users, "categories", rules)
