"""``paperfeed eval beir|recommend|make-authors|make-categories``: measure search relevance on a
BEIR-format data set, and recommendations on a library benchmark (and build such benchmarks from an
arXiv metadata sample)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from paperfeed.cli.main import JsonOption, app, get_app
from paperfeed.cli.output import emit_json, out
from paperfeed.errors import InvalidInput
from paperfeed.evaluation.authors_benchmark import (
    BenchmarkCounts,
    make_authors,
    make_categories,
    make_colibraries,
)
from paperfeed.evaluation.beir import evaluate_beir
from paperfeed.evaluation.recommend import ABLATIONS, METHODS, evaluate_recommenders
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


@eval_app.command("recommend")
def eval_recommend(
    folder: Annotated[
        Path,
        typer.Argument(help="A benchmark folder: corpus.jsonl, libraries/train.tsv, libraries/test.tsv."),
    ],
    users: Annotated[
        int | None, typer.Option(min=1, help="Evaluate a fixed random sample of N users (see --seed).")
    ] = None,
    run_out: Annotated[
        Path | None, typer.Option("--run-out", help="Write paperfeed's top 100 per user here (TREC run).")
    ] = None,
    embeddings: Annotated[
        bool,
        typer.Option("--embeddings", help="Also evaluate with sentence embeddings (cached in --work-dir)."),
    ] = False,
    methods: Annotated[
        str | None,
        typer.Option(
            help=f"Comma-separated subset of: {', '.join(METHODS + ABLATIONS)} (default: all but ablations)."
        ),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of the user sample and the background.")] = 0,
    work_dir: Annotated[
        Path | None,
        typer.Option("--work-dir", help="Keep embeddings here (default: the user cache directory)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Evaluate paperfeed's recommender against its baselines, with paired comparisons."""
    wanted = tuple(m.strip() for m in methods.split(",") if m.strip()) if methods else None
    unknown = [m for m in wanted or () if m not in METHODS + ABLATIONS]
    if unknown:
        raise InvalidInput(f"unknown method {unknown[0]!r}; one of {', '.join(METHODS + ABLATIONS)}")
    if run_out is not None and not run_out.parent.is_dir():
        raise InvalidInput(f"--run-out: the folder {run_out.parent} does not exist")
    report = evaluate_recommenders(
        folder,
        users=users,
        run_out=run_out,
        embeddings=embeddings,
        seed=seed,
        methods=wanted,
        work_dir=work_dir,
        embedding_model=get_app().settings.embedding_model,
    )
    if as_json:
        emit_json(report.to_dict())
        return
    sample = f"a sample of {report.users_evaluated}" if report.sampled else f"{report.users_evaluated}"
    out.print(
        f"{report.dataset}: {report.papers:,} papers, {sample} of {report.users_with_tests} users with test papers",
        highlight=False,
    )
    out.print(
        f"{'method':36s} {'recall@50':>10s} {'recall@100':>11s} {'nDCG@10':>8s} {'MRR@10':>8s} {'seconds':>8s}",
        highlight=False,
    )
    for m in report.methods:
        out.print(
            f"{m.name:36s} {m.recall_50:10.4f} {m.recall_100:11.4f} {m.ndcg_10:8.4f} {m.mrr_10:8.4f}"
            f" {m.seconds:8.1f}",
            highlight=False,
        )
    for c in report.comparisons:
        cells = "  ".join(
            f"{p.metric} {p.mean_difference:+.4f} [{p.low:+.4f}, {p.high:+.4f}] {p.wins}/{p.losses}"
            f" p={p.sign_test_p:.2g}"
            for p in c.paired
        )
        out.print(f"{c.method} vs {c.against}: {cells}", highlight=False)
    for method, why in report.skipped.items():
        out.print(f"skipped {method}: {why}", highlight=False)
    if report.run_out:
        out.print(f"run ({report.run_method}) written to {report.run_out}", highlight=False)


def _print_counts(counts: BenchmarkCounts, out_dir: Path, as_json: bool) -> None:
    if as_json:
        emit_json(counts.to_dict() | {"folder": str(out_dir)})
        return
    out.print(
        f"{counts.kind} benchmark in {out_dir}: {counts.papers:,} papers, {counts.users:,} users, "
        f"{counts.train_pairs:,} train pairs (median {counts.median_train:g} per user), "
        f"{counts.test_pairs:,} test pairs (median {counts.median_test:g})",
        highlight=False,
    )


SampleArgument = Annotated[
    Path, typer.Argument(help="arXiv records in JSON lines (the arxiv-sample format).")
]
OutArgument = Annotated[Path, typer.Argument(help="The benchmark folder to write (created).")]


@eval_app.command("make-authors")
def eval_make_authors(
    sample: SampleArgument,
    out_dir: OutArgument,
    min_papers: Annotated[int, typer.Option(min=2, help="An author needs at least this many papers.")] = 5,
    max_papers: Annotated[
        int, typer.Option(min=2, help="…and at most this many (more: a shared name).")
    ] = 40,
    test_fraction: Annotated[
        float, typer.Option(min=0.01, max=0.99, help="Share of each author's latest papers to predict.")
    ] = 0.4,
    coauthors: Annotated[
        bool, typer.Option("--coauthors/--no-coauthors", help="Libraries include co-authors' earlier papers.")
    ] = True,
    in_matrix: Annotated[
        bool,
        typer.Option(
            "--in-matrix",
            help="Leave test papers in other users' libraries (default: cold start, taken out).",
        ),
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Build the authors benchmark: each author's later papers to recommend from their earlier ones."""
    if max_papers < min_papers:
        raise InvalidInput(f"--max-papers ({max_papers}) is below --min-papers ({min_papers})")
    counts = make_authors(
        sample,
        out_dir,
        min_papers=min_papers,
        max_papers=max_papers,
        test_fraction=test_fraction,
        coauthors=coauthors,
        in_matrix=in_matrix,
    )
    _print_counts(counts, out_dir, as_json)


@eval_app.command("make-colibraries")
def eval_make_colibraries(
    sample: SampleArgument,
    out_dir: OutArgument,
    keep: Annotated[
        float, typer.Option(min=0.0, max=1.0, help="Chance a co-author's paper is among a user's saves.")
    ] = 0.3,
    topical: Annotated[int, typer.Option(min=0, help="Draws of papers in the user's fields.")] = 20,
    train_size: Annotated[int, typer.Option(min=1, help="Saves in each user's library.")] = 10,
    seed: Annotated[int, typer.Option(help="Seed of the draws and the splits.")] = 0,
    as_json: JsonOption = False,
) -> None:
    """Build the in-matrix co-libraries benchmark: a few saves per user, the rest to find."""
    counts = make_colibraries(sample, out_dir, keep=keep, topical=topical, train_size=train_size, seed=seed)
    _print_counts(counts, out_dir, as_json)


@eval_app.command("make-categories")
def eval_make_categories(
    sample: SampleArgument,
    out_dir: OutArgument,
    min_train: Annotated[
        int, typer.Option(min=1, help="A category signature needs this many train papers.")
    ] = 10,
    max_train: Annotated[
        int, typer.Option(min=1, help="…and at most this many (more: a whole field).")
    ] = 300,
    cut_quantile: Annotated[
        float, typer.Option(min=0.05, max=0.95, help="The date quantile that splits train from test.")
    ] = 0.7,
    as_json: JsonOption = False,
) -> None:
    """Build the categories benchmark: new papers of a category signature, from its older ones."""
    if max_train < min_train:
        raise InvalidInput(f"--max-train ({max_train}) is below --min-train ({min_train})")
    counts = make_categories(
        sample, out_dir, min_train=min_train, max_train=max_train, cut_quantile=cut_quantile
    )
    _print_counts(counts, out_dir, as_json)
