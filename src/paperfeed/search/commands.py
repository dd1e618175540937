"""CLI commands of the search package: ``search``, ``similar``, ``index rebuild|status``, ``eval beir``.

Thin shells over :mod:`paperfeed.search.engine`, :mod:`~paperfeed.search.similar`,
:mod:`~paperfeed.search.maintenance` and :mod:`~paperfeed.search.beir`. ``paperfeed.cli`` imports
this module and calls :func:`register`; helpers from ``paperfeed.cli`` are imported inside the
functions because ``paperfeed.cli`` is still being imported when :func:`register` runs.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

MODE_HELP = "keyword, semantic or hybrid (default: hybrid when embeddings exist, else keyword)."


def _search_command(
    query: Annotated[str, typer.Argument(help='Words, "phrases", author:, cat:, title:, id:, -exclusions.')],
    mode: Annotated[str | None, typer.Option(help=MODE_HELP)] = None,
    category: Annotated[str | None, typer.Option(help="Only papers in this category, e.g. cs.LG.")] = None,
    since: Annotated[str | None, typer.Option(help="First version on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="First version on or before YYYY-MM-DD.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """Search papers by keywords and meaning."""
    from paperfeed.cli import emit_json, err, fail, get_app, out, parse_day
    from paperfeed.search.engine import MODES, SearchUnavailable, search

    if mode is not None and mode not in MODES:
        fail(f"--mode must be one of {', '.join(MODES)}, not {mode!r}")
    app = get_app()
    try:
        results = search(
            app,
            query,
            mode=mode,
            category=category,
            since=parse_day(since, "--since"),
            until=parse_day(until, "--until"),
            limit=limit,
            offset=offset,
        )
    except SearchUnavailable as exc:
        fail(str(exc))
    if as_json:
        emit_json(results.to_dict())
        return
    if results.notice:
        err.print(f"[yellow]note:[/yellow] {results.notice}", highlight=False)
    papers = app.store.get_many([h.paper_id for h in results.hits])
    for rank, hit in enumerate(results.hits, start=offset + 1):
        paper = papers.get(hit.paper_id)
        title = paper.title if paper else hit.paper_id
        day = paper.published.date().isoformat() if paper and paper.published else ""
        out.print(f"{rank:>3}. [bold]{title}[/bold]", highlight=False)
        out.print(f"     {hit.paper_id}  {day}  score {hit.score:.3f}", highlight=False)
    out.print(f"[dim]{results.total:,} results ({results.mode}, {results.took_ms:.0f} ms)[/dim]")


def _similar_command(
    paper_ids: Annotated[list[str], typer.Argument(help="One or more paper ids (positives).")],
    negatives: Annotated[
        list[str] | None, typer.Option("--not", help="Papers unlike the result (repeatable).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 10,
    method: Annotated[
        str | None, typer.Option(help="embeddings or tfidf (default: embeddings when present).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """Papers similar to one paper, or to a set of papers (and unlike --not papers)."""
    from paperfeed.cli import emit_json, err, fail, get_app, out
    from paperfeed.ids import InvalidArxivId, normalize_paper_id
    from paperfeed.search.similar import METHODS, SimilarError, similar

    if method is not None and method not in METHODS:
        fail(f"--method must be one of {', '.join(METHODS)}, not {method!r}")
    try:
        positives = [normalize_paper_id(p) for p in paper_ids]
        negative_ids = [normalize_paper_id(p) for p in negatives or []]
    except InvalidArxivId as exc:
        fail(str(exc))
    app = get_app()
    try:
        result = similar(app, positives, negatives=negative_ids, limit=limit, method=method)
    except SimilarError as exc:
        fail(str(exc))
    if as_json:
        emit_json(result.to_dict())
        return
    if result.notice:
        err.print(f"[yellow]note:[/yellow] {result.notice}", highlight=False)
    papers = app.store.get_many([h.paper_id for h in result.hits])
    for rank, hit in enumerate(result.hits, start=1):
        paper = papers.get(hit.paper_id)
        out.print(f"{rank:>3}. [bold]{paper.title if paper else hit.paper_id}[/bold]", highlight=False)
        out.print(f"     {hit.paper_id}  score {hit.score:.3f}", highlight=False)
    out.print(f"[dim]{result.method}[/dim]")


def _index_rebuild(
    full: Annotated[
        bool, typer.Option("--full", help="Rebuild from scratch even when an update would do.")
    ] = False,
    no_embed: Annotated[bool, typer.Option("--no-embed", help="Only the keyword index.")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """Bring every index up to date with the store (repairs after a crash; --full rebuilds)."""
    from paperfeed.cli import emit_json, fail, get_app, out
    from paperfeed.search.lexical import IndexBusy
    from paperfeed.search.maintenance import update_indexes

    app = get_app()
    try:
        reports = update_indexes(app, embed=not no_embed, full=full)
    except IndexBusy as exc:
        fail(f"{exc}; try again when it finishes")
    if as_json:
        emit_json({"indexes": [r.to_dict() for r in reports]})
        return
    for report in reports:
        if report.skipped:
            out.print(f"{report.index}: skipped ({report.skipped})", highlight=False)
            continue
        how = "rebuilt" if report.full else "updated"
        out.print(
            f"{report.index}: {how}, {report.indexed:,} indexed, {report.removed:,} removed, "
            f"current to change {report.seq}",
            highlight=False,
        )


def _index_status(
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """What is indexed and embedded, and what is pending."""
    from paperfeed.cli import emit_json, get_app, out
    from paperfeed.search.maintenance import index_status

    status = index_status(get_app())
    if as_json:
        emit_json(status)
        return
    lex, vec = status["lexical"], status["vectors"]
    out.print(f"{status['papers']:,} papers in the store (change {status['change_seq']})")
    out.print(
        f"keyword index: {lex['documents']:,} documents, {lex['pending']:,} pending"
        + (" (needs a rebuild: paperfeed index rebuild)" if lex["needs_full_rebuild"] else ""),
        highlight=False,
    )
    out.print(
        f"embeddings ({vec['model']}): {vec['embedded']:,} embedded, {vec['pending']:,} pending, "
        f"search: {vec['search']}",
        highlight=False,
    )


def _eval_beir(
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
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """Evaluate search on a BEIR-format dataset: nDCG@10, recall@100, MRR@10."""
    from paperfeed.cli import emit_json, fail, get_app, out
    from paperfeed.search.beir import BeirError, evaluate_beir
    from paperfeed.search.engine import MODES

    if mode not in MODES:
        fail(f"--mode must be one of {', '.join(MODES)}, not {mode!r}")
    try:
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
    except BeirError as exc:
        fail(str(exc))
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


def register(app: typer.Typer) -> None:
    """Add the search commands to the ``paperfeed`` CLI."""
    app.command("search")(_search_command)
    app.command("similar")(_similar_command)
    index_app = typer.Typer(help="The search indexes (derived from the store).", no_args_is_help=True)
    index_app.command("rebuild")(_index_rebuild)
    index_app.command("status")(_index_status)
    app.add_typer(index_app, name="index")
    eval_app = typer.Typer(help="Measure search relevance.", no_args_is_help=True)
    eval_app.command("beir")(_eval_beir)
    app.add_typer(eval_app, name="eval")
