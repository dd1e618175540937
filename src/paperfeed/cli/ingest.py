"""``paperfeed ingest file|arxiv|oai``, ``paperfeed sync`` and ``paperfeed demo``.

Ingest commands write to the store. Afterwards (unless ``--defer-index``) they bring the keyword
index up to date themselves when no indexer is running for this data dir, or hand over to the one
that is (a running ``serve`` makes the new papers searchable within seconds).
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any

import typer

from paperfeed.cli.main import DeferIndexOption, JsonOption, app, get_app
from paperfeed.cli.output import emit_json, err, out, parse_day, progress_bar
from paperfeed.context import Paperfeed
from paperfeed.errors import PaperfeedError
from paperfeed.ids import normalize_paper_id
from paperfeed.ingest import jobs
from paperfeed.ingest.pipeline import IngestReport
from paperfeed.search.engine import semantic_ready
from paperfeed.search.indexer import CatchUp, catch_up_or_hand_over
from paperfeed.search.live_index import ingest_file_searchable
from paperfeed.search.vector_files import import_vectors

ingest_app = typer.Typer(help="Import papers from files and from arXiv.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")


def say(message: str) -> None:
    """What an arXiv job is trying right now, on stderr (stdout stays the report, or --json's object)."""
    err.print(message, highlight=False)


def _index_after(paperfeed: Paperfeed, defer_index: bool, embed: bool = False) -> CatchUp | None:
    if defer_index:
        return None
    return catch_up_or_hand_over(paperfeed, embed=embed)


def finish_ingest(
    report: IngestReport, as_json: bool, catch: CatchUp | None, extra: dict[str, Any] | None = None
) -> None:
    data = report.to_dict()
    data.pop("removed_ids", None)
    data["index"] = catch.to_dict() if catch is not None else {"deferred": True}
    if extra:
        data.update(extra)
    if as_json:
        emit_json(data)
    else:
        out.print(
            f"read {report.read:,}  added {report.added:,}  updated {report.updated:,}  "
            f"unchanged {report.unchanged:,}  skipped {report.skipped:,}"
        )
        for error in report.errors[:20]:
            err.print(f"  skipped {error.where}: {error.reason}", highlight=False)
        if report.skipped > 20:
            err.print(f"  … and {report.skipped - 20:,} more (see --json)")
        if catch is not None and catch.handed_over:
            err.print("the running indexer of this data dir will make the new papers searchable shortly")
    if report.skipped:
        raise typer.Exit(1)


def _run(paperfeed: Paperfeed, job: Callable[[], IngestReport], as_json: bool, defer_index: bool) -> None:
    report = job()
    finish_ingest(report, as_json, _index_after(paperfeed, defer_index))


@ingest_app.command("file")
def ingest_file_command(
    path: Annotated[Path, typer.Argument(help="JSON lines, CSV, Kaggle snapshot, saved HF page or BibTeX.")],
    file_format: Annotated[
        str | None,
        typer.Option("--format", help="jsonl, csv, kaggle, hf-page or bibtex (default: detected)."),
    ] = None,
    strict: Annotated[bool, typer.Option("--strict", help="Stop at the first malformed record.")] = False,
    defer_index: DeferIndexOption = False,
    as_json: JsonOption = False,
) -> None:
    """Import papers from a file (optionally gzipped)."""
    paperfeed = get_app()
    total = path.stat().st_size if path.is_file() else None
    with progress_bar(not as_json, f"importing {path.name}", total) as update:
        if defer_index:
            report = jobs.ingest_file(
                paperfeed, path, file_format=file_format, strict=strict, progress=update
            )
            catch: CatchUp | None = None
        else:  # searchable at the end: the keyword index follows the import (search.live_index)
            report, catch = ingest_file_searchable(
                paperfeed, path, file_format=file_format, strict=strict, progress=update
            )
    finish_ingest(report, as_json, catch)


@ingest_app.command("arxiv")
def ingest_arxiv_command(
    category: Annotated[str | None, typer.Option(help="arXiv category, e.g. cs.LG.")] = None,
    query: Annotated[str | None, typer.Option(help="arXiv API search_query, e.g. 'ti:diffusion'.")] = None,
    ids: Annotated[list[str] | None, typer.Option("--id", help="Fetch these ids (repeatable).")] = None,
    since: Annotated[str | None, typer.Option(help="Submitted on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Submitted on or before YYYY-MM-DD.")] = None,
    max_results: Annotated[int | None, typer.Option(help="Stop after this many records.")] = None,
    defer_index: DeferIndexOption = False,
    as_json: JsonOption = False,
) -> None:
    """Import from the arXiv search API (one request per 3 seconds)."""
    for raw in ids or []:
        normalize_paper_id(raw)
    since_day, until_day = parse_day(since, "--since"), parse_day(until, "--until")
    paperfeed = get_app()
    with progress_bar(not as_json, "arXiv API") as update:
        _run(
            paperfeed,
            lambda: jobs.ingest_arxiv(
                paperfeed,
                query=query,
                category=category,
                ids=ids,
                since=since_day,
                until=until_day,
                max_results=max_results,
                progress=update,
                notify=say,
            ),
            as_json,
            defer_index,
        )


@ingest_app.command("oai")
def ingest_oai_command(
    set_spec: Annotated[str | None, typer.Option("--set", help="OAI set, e.g. cs or cs:cs:LG.")] = None,
    from_date: Annotated[str | None, typer.Option("--from", help="Changed on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="Changed on or before YYYY-MM-DD.")] = None,
    restart: Annotated[bool, typer.Option(help="Ignore a stored resumptionToken.")] = False,
    defer_index: DeferIndexOption = False,
    as_json: JsonOption = False,
) -> None:
    """Harvest arXiv's OAI-PMH feed; a killed harvest resumes where it stopped."""
    from_day, until_day = parse_day(from_date, "--from"), parse_day(until, "--until")
    paperfeed = get_app()
    with progress_bar(not as_json, "OAI-PMH harvest") as update:
        _run(
            paperfeed,
            lambda: jobs.harvest_oai(
                paperfeed,
                set_spec=set_spec,
                from_date=from_day,
                until_date=until_day,
                restart=restart,
                progress=update,
                notify=say,
            ),
            as_json,
            defer_index,
        )


@app.command("sync")
def sync_command(defer_index: DeferIndexOption = False, as_json: JsonOption = False) -> None:
    """Harvest the followed categories (PAPERFEED_CATEGORIES) since the last checkpoint."""
    paperfeed = get_app()
    reports = jobs.sync(paperfeed, notify=say)
    total = sum(reports.values(), IngestReport())
    extra = {"categories": {cat: r.to_dict() for cat, r in reports.items()}} if as_json else None
    finish_ingest(total, as_json, _index_after(paperfeed, defer_index), extra)


def load_demo_vectors(paperfeed: Paperfeed) -> dict[str, Any]:
    """Load the bundled demo vectors unless the vectors index already covers the store; a refusal
    (another model configured, another version of it installed, an indexer running) is a note."""
    file = jobs.demo_vectors_file()
    if file is None:
        return {"note": "this build has no demo vectors"}
    try:
        return import_vectors(paperfeed, file).to_dict()
    except PaperfeedError as exc:
        return {"note": str(exc)}


@app.command("demo")
def demo_command(
    embed: Annotated[
        bool, typer.Option("--embed", help="Also embed the abstracts for semantic search (minutes on a CPU).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Load the bundled demo corpus into the data dir (idempotent) and print its stats."""
    from paperfeed.cli.papers import print_stats

    paperfeed = get_app()
    before = paperfeed.store.papers.count()
    with progress_bar(not as_json, "loading demo corpus") as update:
        report = jobs.load_demo(paperfeed, progress=update)
    # On an empty store nothing is "unchanged": those records repeat a paper read a moment earlier
    # (the saved Hugging Face pages list some papers on several days).
    repeated = report.unchanged if before == 0 else 0
    vectors = load_demo_vectors(paperfeed)
    catch = catch_up_or_hand_over(paperfeed, embed=embed)
    stats = paperfeed.store.papers.stats()
    if as_json:
        emit_json(
            {
                "ingest": report.to_dict()
                | {"removed_ids": len(report.removed_ids), "repeated_in_corpus": repeated},
                "index": catch.to_dict(),
                "vectors": vectors,
                "stats": stats,
            }
        )
        return
    if before == 0:
        summary = f"demo corpus: {report.added:,} papers added from {report.read:,} records"
        if repeated:
            summary += f" ({repeated:,} records list a paper a second time: saved pages repeat papers)"
    else:
        summary = (
            f"demo corpus: read {report.read:,}, added {report.added:,}, updated {report.updated:,}, "
            f"already there {report.unchanged:,}"
        )
    out.print(f"{summary} into {paperfeed.settings.data_dir}", highlight=False)
    if vectors.get("imported") is not None:
        why_not = semantic_ready(paperfeed)  # queries still need the model (the extra)
        ready = "similar papers ready" if why_not else "semantic search and similar papers ready"
        out.print(f"demo vectors: {vectors['imported']:,} loaded ({ready})", highlight=False)
        if why_not:
            err.print(f"demo vectors loaded, but {why_not}", highlight=False)
    elif vectors.get("note"):
        err.print(f"demo vectors not loaded: {vectors['note']}", highlight=False)
    for index_report in catch.reports:
        if index_report.skipped:
            name = "embeddings" if index_report.index == "vectors" else index_report.index
            err.print(f"{name} not built: {index_report.skipped}", highlight=False)
    if embed and not any(r.index == "vectors" for r in catch.reports) and catch.handed_over:
        err.print("embeddings: left to the running indexer of this data dir", highlight=False)
    print_stats(stats)
