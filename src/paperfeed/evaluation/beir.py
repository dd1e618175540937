"""Relevance harness: run paperfeed's own search over any BEIR-format dataset and score it.

``evaluate_beir(folder, split=..., mode=...)`` loads ``corpus.jsonl`` into a throw-away paperfeed data
dir (a real store and real indexes, built by the same code as production), runs every query of the
split through :func:`paperfeed.search.engine.search`, optionally writes the run in TREC format
(``qid Q0 docid rank score tag``), and computes nDCG@10, recall@100 and MRR@10 with
:mod:`paperfeed.evaluation.metrics` (checked against pytrec_eval in tests). ``work_dir`` keeps that
data dir between runs, so the corpus is embedded once (minutes on CPU) while tuning.

Queries are read as plain words (no query syntax): BEIR queries are natural-language claims whose
quotes and dashes are not operators. The metrics follow trec_eval: linear gains, log2 discount,
queries without any relevant document in the qrels are skipped.
"""

from __future__ import annotations

import json
import tempfile
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from paperfeed.errors import InvalidInput
from paperfeed.evaluation.metrics import mrr_at, ndcg_at, recall_at
from paperfeed.ingest.files import open_text
from paperfeed.records import PaperRecord

Qrels = Mapping[str, Mapping[str, int]]
Run = Mapping[str, Sequence[tuple[str, float]]]


class BeirError(InvalidInput):
    """The folder is not a usable BEIR dataset (the message says what is missing)."""


def evaluate_run(run: Run, qrels: Qrels) -> dict[str, float]:
    """Mean nDCG@10, recall@100 and MRR@10 over the queries of ``qrels`` with a relevant document.

    A judged query missing from ``run`` counts as 0 (it was asked and nothing was found)."""
    totals = {"ndcg@10": 0.0, "recall@100": 0.0, "mrr@10": 0.0}
    counted = 0
    for qid, relevant in qrels.items():
        if not any(g > 0 for g in relevant.values()):
            continue
        counted += 1
        ranked = [doc for doc, _ in run.get(qid, [])]
        totals["ndcg@10"] += ndcg_at(ranked, relevant, 10)
        totals["recall@100"] += recall_at(ranked, relevant, 100)
        totals["mrr@10"] += mrr_at(ranked, relevant, 10)
    return {name: (value / counted if counted else 0.0) for name, value in totals.items()}


# ------------------------------------------------------------------------------------ files
def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.is_file():
        raise BeirError(f"missing {path.name} in {path.parent}")
    with open_text(path) as (handle, _):
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                yield json.loads(line)
            except json.JSONDecodeError as exc:
                raise BeirError(f"{path}:{number}: not JSON ({exc.msg})") from exc


def load_qrels(folder: Path, split: str) -> dict[str, dict[str, int]]:
    path = folder / "qrels" / f"{split}.tsv"
    if not path.is_file():
        available = (
            sorted(p.stem for p in (folder / "qrels").glob("*.tsv")) if (folder / "qrels").is_dir() else []
        )
        raise BeirError(
            f"no qrels for split {split!r} in {folder} (available: {', '.join(available) or 'none'})"
        )
    qrels: dict[str, dict[str, int]] = {}
    with open_text(path) as (handle, _):
        for number, line in enumerate(handle, start=1):
            parts = line.rstrip("\n").split("\t")
            if len(parts) < 3 or (number == 1 and not parts[2].lstrip("-").isdigit()):
                continue  # header or blank
            try:
                qrels.setdefault(parts[0], {})[parts[1]] = int(parts[2])
            except ValueError as exc:
                raise BeirError(f"{path}:{number}: score must be an integer") from exc
    return qrels


def load_queries(folder: Path) -> dict[str, str]:
    return {str(row["_id"]): str(row.get("text") or "") for row in _jsonl(folder / "queries.jsonl")}


def corpus_records(folder: Path) -> Iterator[PaperRecord]:
    for row in _jsonl(folder / "corpus.jsonl"):
        if "_id" not in row:
            raise BeirError(f"{folder / 'corpus.jsonl'}: a document without _id")
        yield PaperRecord(
            paper_id=str(row["_id"]),
            title=str(row.get("title") or ""),
            abstract=str(row.get("text") or ""),
            source="beir",
        )


def write_trec(run: Run, path: Path, tag: str) -> None:
    with path.open("w", encoding="utf-8") as handle:
        for qid, ranking in run.items():
            for rank, (doc, score) in enumerate(ranking, start=1):
                handle.write(f"{qid} Q0 {doc} {rank} {score:.6f} {tag}\n")


# ---------------------------------------------------------------------------------- harness
@dataclass(slots=True)
class BeirReport:
    dataset: str
    split: str
    mode: str
    queries: int
    documents: int
    ndcg_10: float
    recall_100: float
    mrr_10: float
    seconds_indexing: float
    seconds_searching: float
    notice: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["ndcg@10"] = data.pop("ndcg_10")
        data["recall@100"] = data.pop("recall_100")
        data["mrr@10"] = data.pop("mrr_10")
        return data


def load_into(app: Any, folder: Path, batch_size: int = 2000) -> int:
    """Write the corpus into ``app``'s store (idempotent: a second run finds it unchanged)."""
    count = 0
    batch: list[PaperRecord] = []
    for record in corpus_records(folder):
        batch.append(record)
        count += 1
        if len(batch) >= batch_size:
            app.store.papers.write_batch(batch)
            batch = []
    if batch:
        app.store.papers.write_batch(batch)
    return count


def run_queries(
    app: Any, queries: Mapping[str, str], *, mode: str, depth: int
) -> tuple[dict[str, list[tuple[str, float]]], str | None]:
    """Every query through the production search; returns the run and the last notice (if any)."""
    from paperfeed.search.engine import search

    run: dict[str, list[tuple[str, float]]] = {}
    notice: str | None = None
    for qid, text in queries.items():
        results = search(app, text, mode=mode, limit=depth, syntax=False)
        notice = results.notice or notice
        run[qid] = [(hit.paper_id, hit.score) for hit in results.hits]
    return run, notice


def evaluate_beir(
    folder: Path,
    *,
    split: str = "test",
    mode: str = "keyword",
    run_out: Path | None = None,
    depth: int = 100,
    max_queries: int | None = None,
    embedding_model: str = "all-MiniLM-L6-v2",
    work_dir: Path | None = None,
) -> BeirReport:
    """Index ``folder``'s corpus, run the ``split`` queries in ``mode`` and score the run."""
    from paperfeed.config import Settings
    from paperfeed.context import Paperfeed
    from paperfeed.search.indexer import catch_up

    folder = Path(folder)
    if not folder.is_dir():
        raise BeirError(f"no such folder: {folder}")
    qrels = load_qrels(folder, split)
    all_queries = load_queries(folder)
    queries = {qid: all_queries[qid] for qid in qrels if qid in all_queries}
    if not queries:
        raise BeirError(f"none of the {len(qrels)} judged queries of {split!r} is in queries.jsonl")
    if max_queries is not None:
        queries = dict(list(queries.items())[:max_queries])
        qrels = {qid: qrels[qid] for qid in queries}
    with tempfile.TemporaryDirectory(prefix="paperfeed-beir-") as tmp:
        data_dir = Path(work_dir) if work_dir is not None else Path(tmp)
        settings = Settings(data_dir=data_dir, embedding_model=embedding_model, embed_after_ingest=False)
        app = Paperfeed(settings)
        try:
            started = time.perf_counter()
            documents = load_into(app, folder)
            catch_up(app, embed=mode != "keyword")
            indexed = time.perf_counter() - started
            started = time.perf_counter()
            run, notice = run_queries(app, queries, mode=mode, depth=depth)
            searched = time.perf_counter() - started
        finally:
            app.close()
    if run_out is not None:
        write_trec(run, Path(run_out), f"paperfeed-{mode}")
    scores = evaluate_run(run, qrels)
    return BeirReport(
        dataset=folder.name,
        split=split,
        mode=mode,
        queries=len(queries),
        documents=documents,
        ndcg_10=round(scores["ndcg@10"], 4),
        recall_100=round(scores["recall@100"], 4),
        mrr_10=round(scores["mrr@10"], 4),
        seconds_indexing=round(indexed, 2),
        seconds_searching=round(searched, 2),
        notice=notice,
    )
