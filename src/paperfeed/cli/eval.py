"""``paperfeed eval beir``: measure search relevance on a BEIR-format data set."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from paperfeed.cli.main import JsonOption, app, get_app
from paperfeed.cli.output import emit_json, out
from paperfeed.errors import InvalidInput
from paperfeed.search.beir import evaluate_beir
from paperfeed.search.engine import MODES

eval_app = typer.Typer(help="Measure search and recommendation quality.", no_args_is_help=True)
app.add_typer(eval_app, name="eval")


@eval_app.command("beir")
def eval_beir(
    folder: Annotated[
        Path, typer.Argument(help="A BEIR folder: corpus.jsonl, queries.jsonl, qrels/SPLIT.tsv.")
    ],
    split: Annotated[str, typer.Option(help="The qrels split to evaluate.")] = "test",
    mode: Annotated[str, typer.Option(help="keyword, semantic or hybrid.")] = "keyword",
    run_out: Annotated[
        Path | None, typer.Option("--run-out", help="Write the run in TREC format here.")
    ] = None,
    depth: Annotated[int, typer.Option(min=10, max=1000, help="Results per query.")] = 100,
    max_queries: Annotated[int | None, typer.Option(help="Only the first N queries (quick checks).")] = None,
    work_dir: Annotated[
        Path | None, typer.Option("--work-dir", help="Keep the loaded corpus and its indexes here (reused).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Evaluate search on a BEIR-format dataset: nDCG@10, recall@100, MRR@10."""
    if mode not in MODES:
        raise InvalidInput(f"--mode must be one of {', '.join(MODES)}, not {mode!r}")
    report = evaluate_beir(
        folder,
        split=split,
        mode=mode,
        run_out=run_out,
        depth=depth,
        max_queries=max_queries,
        embedding_model=get_app().settings.embedding_model,
        work_dir=work_dir,
    )
    data: dict[str, Any] = report.to_dict()
    if as_json:
        emit_json(data)
        return
    out.print(
        f"{data['dataset']} ({split}, {data['queries']} queries, {data['documents']:,} documents), "
        f"mode {data['mode']}: nDCG@10 {data['ndcg@10']:.4f}  recall@100 {data['recall@100']:.4f}  "
        f"MRR@10 {data['mrr@10']:.4f}",
        highlight=False,
    )
    if data.get("notice"):
        out.print(f"note: {data['notice']}", highlight=False)
