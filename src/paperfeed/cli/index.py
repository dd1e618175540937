"""``paperfeed index rebuild|status|follow``: the search indexes, which follow the store."""

from __future__ import annotations

import signal
from pathlib import Path
from typing import Annotated

import typer

from paperfeed.cli.main import JsonOption, app, get_app
from paperfeed.cli.output import emit_json, err, out
from paperfeed.enrich.run import EnrichFollower
from paperfeed.errors import InvalidInput
from paperfeed.search.indexer import Indexer, catch_up, index_status
from paperfeed.search.marks import UpdateReport
from paperfeed.search.vector_files import export_vectors, import_vectors

index_app = typer.Typer(help="The search indexes (derived from the store).", no_args_is_help=True)
app.add_typer(index_app, name="index")


def _print_reports(reports: list[UpdateReport]) -> None:
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


@index_app.command("rebuild")
def index_rebuild(
    full: Annotated[
        bool, typer.Option("--full", help="Rebuild from scratch even when an update would do.")
    ] = False,
    no_embed: Annotated[bool, typer.Option("--no-embed", help="Only the keyword index.")] = False,
    device: Annotated[
        str | None,
        typer.Option(help="Embed on this device: cpu, or cuda (fp16; PAPERFEED_EMBEDDING_DEVICE)."),
    ] = None,
    batch_size: Annotated[
        int | None,
        typer.Option(min=1, max=65536, help="Texts per model batch (PAPERFEED_EMBEDDING_BATCH_SIZE)."),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Bring every index up to date with the store now (repairs after a crash; --full rebuilds)."""
    paperfeed = get_app()
    if device is not None:
        paperfeed.settings.embedding_device = device
    if batch_size is not None:
        paperfeed.settings.embedding_batch_size = batch_size
    reports = catch_up(paperfeed, embed=not no_embed, full=full)
    skipped = [r.skipped for r in reports if r.index == "vectors" and r.skipped]
    if (device is not None or batch_size is not None) and skipped:
        raise InvalidInput(skipped[0])  # an explicit device that cannot run is an error, not a note
    if as_json:
        emit_json({"indexes": [r.to_dict() for r in reports]})
    else:
        _print_reports(reports)


@index_app.command("status")
def index_status_command(as_json: JsonOption = False) -> None:
    """What is indexed and embedded, what is pending, and which process keeps the indexes."""
    status = index_status(get_app())
    if as_json:
        emit_json(status)
        return
    lex, vec = status["lexical"], status["vectors"]
    out.print(f"{status['papers']:,} papers in the store (change {status['change_seq']})")
    keeper = f"pid {status['indexer_pid']}" if status["indexer_pid"] else "nobody (start `paperfeed serve`)"
    out.print(f"indexer: {keeper}", highlight=False)
    out.print(
        f"keyword index: {lex['documents']:,} documents, {lex['pending']:,} pending"
        + (" (needs a rebuild: paperfeed index rebuild)" if lex["needs_full_rebuild"] else ""),
        highlight=False,
    )
    tfidf = status["tfidf"]
    if tfidf["exists"]:
        out.print(
            f"recommender features (TF-IDF): {tfidf['papers']:,} papers, {tfidf['vocabulary']:,} terms "
            f"fitted {tfidf['fitted_at']}, {tfidf['pending']:,} pending"
            + (" (a new vocabulary is being built)" if tfidf["refit_in_progress"] else ""),
            highlight=False,
        )
    else:
        out.print("recommender features (TF-IDF): not built yet", highlight=False)
    out.print(
        f"embeddings ({vec['model']}): {vec['embedded']:,} embedded, {vec['pending']:,} pending, "
        f"search: {vec['search']}",
        highlight=False,
    )


@index_app.command("export-vectors")
def index_export_vectors(
    file: Annotated[Path, typer.Argument(help="The .npz file to write.")],
    as_json: JsonOption = False,
) -> None:
    """Write this data dir's embeddings (with their model and text hashes) to a file."""
    meta = export_vectors(get_app(), file)
    if as_json:
        emit_json(meta)
    else:
        out.print(f"{meta['count']:,} vectors of {meta['model']} written to {file}", highlight=False)


@index_app.command("import-vectors")
def index_import_vectors(
    file: Annotated[Path, typer.Argument(help="A file written by `paperfeed index export-vectors`.")],
    as_json: JsonOption = False,
) -> None:
    """Load embeddings made elsewhere (same model and version) for the stored papers they match."""
    report = import_vectors(get_app(), file)
    if as_json:
        emit_json(report.to_dict())
    else:
        out.print(
            f"{report.imported:,} vectors imported, {report.stale:,} skipped (text changed), "
            f"{report.pending:,} papers still to embed",
            highlight=False,
        )


@index_app.command("follow")
def index_follow(
    no_embed: Annotated[
        bool, typer.Option("--no-embed", help="Keep only the keyword index current.")
    ] = False,
) -> None:
    """Keep this data dir's indexes current with the store until stopped (for a service manager);
    enriches new papers too (links, keywords; stars and summaries a few at a time).

    Waits as a standby while another process (a `paperfeed serve`) is the indexer."""
    paperfeed = get_app()
    paperfeed.store.papers.current_seq()  # broken settings fail now, in words; later failures back off
    enrichment = EnrichFollower(paperfeed)  # links, keywords, stars, summaries: as `paperfeed enrich`
    indexer = Indexer(paperfeed, embed=False if no_embed else None, extra_steps=[enrichment])

    def stop(_signum: int, _frame: object) -> None:
        indexer.stop.set()
        enrichment.stop.set()

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    err.print(f"indexer following {paperfeed.settings.index_dir} (Ctrl-C stops)")

    def report(reports: list[UpdateReport]) -> None:
        for r in reports:
            if r.indexed or r.removed:
                err.print(f"{r.index}: {r.indexed:,} indexed, {r.removed:,} removed, at change {r.seq}")

    indexer.run(on_round=report)
