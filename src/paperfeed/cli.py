"""The ``paperfeed`` command line: parse arguments, call one library function, print the result.

Every command that reports takes ``--json`` and then prints exactly one JSON object on stdout.
Exit status: 0 all went in, 1 some records were skipped, 2 usage error or unreadable input (one line
on stderr, never a traceback).
"""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from paperfeed.config import Settings
from paperfeed.context import Paperfeed
from paperfeed.ids import InvalidArxivId, normalize_paper_id
from paperfeed.ingest.jobs import InputError
from paperfeed.ingest.pipeline import IngestReport, StrictModeError
from paperfeed.records import PaperRecord

app = typer.Typer(
    help="paperfeed: self-hosted research-paper discovery.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)
ingest_app = typer.Typer(help="Import papers from files and from arXiv.", no_args_is_help=True)
papers_app = typer.Typer(help="Look at stored papers.", no_args_is_help=True)
db_app = typer.Typer(help="The store's schema.", no_args_is_help=True)
app.add_typer(ingest_app, name="ingest")
app.add_typer(papers_app, name="papers")
app.add_typer(db_app, name="db")

err = Console(stderr=True)
out = Console()

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
DeferIndexOption = Annotated[
    bool,
    typer.Option(
        "--defer-index",
        help="Leave index work for later: the keyword index catches up at the next search, "
        "embeddings at `paperfeed index rebuild`.",
    ),
]


class State:
    settings: Settings | None = None


state = State()


@app.callback()
def _global(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Data directory (overrides PAPERFEED_DATA_DIR).")
    ] = None,
) -> None:
    """Global options."""
    overrides: dict[str, Any] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    state.settings = Settings(**overrides)


def get_app() -> Paperfeed:
    return Paperfeed(state.settings or Settings())


def fail(message: str, code: int = 2) -> NoReturn:
    err.print(f"[red]error:[/red] {message}", highlight=False, soft_wrap=True)
    raise typer.Exit(code)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")


def parse_day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        fail(f"{option} must be a date like 2026-02-01, not {value!r}")


@contextmanager
def progress_bar(enabled: bool, description: str, total: int | None = None) -> Iterator[Callable[..., None]]:
    """A Rich progress bar on stderr (records/s and ETA); silent with ``--json`` or off a terminal."""
    if not enabled or not err.is_terminal:
        yield lambda *args, **kwargs: None
        return
    columns = [
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn() if total is None else TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(description, total=total, rate="")
        started = datetime.now(UTC)

        def update(report: IngestReport, done: int | None = None, _total: int | None = None) -> None:
            elapsed = max((datetime.now(UTC) - started).total_seconds(), 1e-6)
            rate = f"{report.read / elapsed:,.0f} records/s"
            bar.update(task, completed=done if done is not None else report.read, rate=rate)

        yield update


def finish_ingest(report: IngestReport, as_json: bool, extra: dict[str, Any] | None = None) -> None:
    data = report.to_dict()
    data.pop("removed_ids", None)
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
    if report.skipped:
        raise typer.Exit(1)


def run_ingest(fn: Callable[[], IngestReport], as_json: bool, extra: dict[str, Any] | None = None) -> None:
    """Run an ingest job, turning its expected failures into one-line errors with exit status 2."""
    try:
        report = fn()
    except StrictModeError as exc:
        fail(f"stopped at the first malformed record (--strict): {exc}", code=1)
    except InputError as exc:
        fail(str(exc))
    except Exception as exc:  # network and service errors from arXiv, shown as one line
        name = type(exc).__name__
        if name in {"ArxivApiError", "OaiError", "HTTPError", "ConnectError", "TimeoutException"} or (
            type(exc).__module__.startswith(("httpx", "paperfeed.ingest"))
        ):
            fail(str(exc) or name)
        raise
    finish_ingest(report, as_json, extra)


# ---------------------------------------------------------------------------------- ingest
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
    from paperfeed.ingest.jobs import ingest_file

    paperfeed = get_app()
    total = path.stat().st_size if path.is_file() else None
    with progress_bar(not as_json, f"importing {path.name}", total) as update:
        run_ingest(
            lambda: ingest_file(
                paperfeed,
                path,
                file_format=file_format,
                strict=strict,
                progress=update,
                defer_index=defer_index,
            ),
            as_json,
        )


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
    from paperfeed.ingest.jobs import ingest_arxiv

    if ids:
        for raw in ids:
            try:
                normalize_paper_id(raw)
            except InvalidArxivId as exc:
                fail(str(exc))
    paperfeed = get_app()
    with progress_bar(not as_json, "arXiv API") as update:
        run_ingest(
            lambda: ingest_arxiv(
                paperfeed,
                query=query,
                category=category,
                ids=ids,
                since=parse_day(since, "--since"),
                until=parse_day(until, "--until"),
                max_results=max_results,
                progress=update,
                defer_index=defer_index,
            ),
            as_json,
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
    from paperfeed.ingest.jobs import harvest_oai

    paperfeed = get_app()
    with progress_bar(not as_json, "OAI-PMH harvest") as update:
        run_ingest(
            lambda: harvest_oai(
                paperfeed,
                set_spec=set_spec,
                from_date=parse_day(from_date, "--from"),
                until_date=parse_day(until, "--until"),
                restart=restart,
                progress=update,
                defer_index=defer_index,
            ),
            as_json,
        )


@app.command("sync")
def sync_command(
    defer_index: DeferIndexOption = False,
    as_json: JsonOption = False,
) -> None:
    """Harvest the followed categories (PAPERFEED_CATEGORIES) since the last checkpoint."""
    from paperfeed.ingest.jobs import sync

    paperfeed = get_app()
    try:
        reports = sync(paperfeed, defer_index=defer_index)
    except InputError as exc:
        fail(str(exc))
    except Exception as exc:
        if type(exc).__module__.startswith(("httpx", "paperfeed.ingest")):
            fail(str(exc) or type(exc).__name__)
        raise
    total = IngestReport()
    for report in reports.values():
        for name in ("read", "added", "updated", "unchanged", "skipped"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        total.errors.extend(report.errors)
    finish_ingest(
        total, as_json, {"categories": {cat: r.to_dict() for cat, r in reports.items()}} if as_json else None
    )


@app.command("demo")
def demo_command(
    embed: Annotated[
        bool, typer.Option("--embed", help="Also embed the abstracts for semantic search (minutes on a CPU).")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Load the bundled demo corpus into the data dir (idempotent) and print its stats."""
    from paperfeed.ingest.jobs import load_demo

    paperfeed = get_app()
    with progress_bar(not as_json, "loading demo corpus") as update:
        report = load_demo(paperfeed, progress=update, embed=embed)
    stats = paperfeed.store.stats()
    if as_json:
        emit_json({"ingest": report.to_dict() | {"removed_ids": len(report.removed_ids)}, "stats": stats})
        return
    out.print(
        f"demo corpus: read {report.read:,}, added {report.added:,}, updated {report.updated:,}, "
        f"unchanged {report.unchanged:,} into {paperfeed.settings.data_dir}"
    )
    print_stats(stats)


# ---------------------------------------------------------------------------------- papers
def paper_to_dict(paper: PaperRecord) -> dict[str, Any]:
    """The JSON shape of a paper (shared with the web API)."""
    from paperfeed.papers_json import paper_json

    return paper_json(paper)


@papers_app.command("show")
def papers_show(paper_id: str, as_json: JsonOption = False) -> None:
    """Show one paper with its versions, authors, categories and links."""
    try:
        key = normalize_paper_id(paper_id)
    except InvalidArxivId as exc:
        fail(str(exc))
    paper = get_app().store.get(key)
    if paper is None:
        fail(f"no paper {key} in the store (try: paperfeed ingest arxiv --id {key})")
    if as_json:
        emit_json(paper_to_dict(paper))
        return
    out.print(f"[bold]{paper.title}[/bold]", highlight=False)
    out.print(", ".join(paper.authors), highlight=False)
    out.print(f"{paper.paper_id}  {' '.join(paper.categories)}", highlight=False)
    for version in paper.versions:
        when = version.submitted.date().isoformat() if version.submitted else "date unknown"
        out.print(f"  v{version.number}  {when}")
    if paper.code_links:
        out.print("code: " + "  ".join(paper.code_links), highlight=False)
    out.print()
    out.print(paper.abstract, highlight=False)


@papers_app.command("list")
def papers_list(
    category: Annotated[str | None, typer.Option(help="Only papers in this category.")] = None,
    author: Annotated[str | None, typer.Option(help="Only papers by this exact author name.")] = None,
    since: Annotated[str | None, typer.Option(help="First version on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="First version before YYYY-MM-DD.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=10000)] = 20,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonOption = False,
) -> None:
    """List papers, newest first."""
    since_day, until_day = parse_day(since, "--since"), parse_day(until, "--until")
    papers = get_app().store.list_papers(
        category=category,
        author=author,
        since=datetime.combine(since_day, datetime.min.time(), UTC) if since_day else None,
        until=datetime.combine(until_day, datetime.min.time(), UTC) if until_day else None,
        limit=limit,
        offset=offset,
    )
    if as_json:
        emit_json({"count": len(papers), "papers": [paper_to_dict(p) for p in papers]})
        return
    table = Table("id", "published", "title", box=None)
    for paper in papers:
        published = paper.published.date().isoformat() if paper.published else ""
        table.add_row(paper.paper_id, published, paper.title)
    out.print(table)


# ---------------------------------------------------------------------------------- stats, db
def print_stats(stats: dict[str, Any]) -> None:
    out.print(
        f"{stats['papers']:,} papers ({stats['title_only_papers']:,} known by title only), "
        f"{stats['versions']:,} versions, published {stats['published_from']} … {stats['published_to']}"
    )
    top = ", ".join(f"{cat} {n:,}" for cat, n in list(stats["categories"].items())[:8])
    out.print(f"top categories: {top}", highlight=False)


@app.command("stats")
def stats_command(as_json: JsonOption = False) -> None:
    """Counts of what is in the store."""
    stats = get_app().store.stats()
    if as_json:
        emit_json(stats)
    else:
        print_stats(stats)


@db_app.command("upgrade")
def db_upgrade(as_json: JsonOption = False) -> None:
    """Create or upgrade the schema to the newest migration."""
    paperfeed = get_app()
    database = paperfeed.database  # opening upgrades
    database.upgrade()
    revision = database.current_revision()
    if as_json:
        emit_json({"revision": revision})
    else:
        out.print(f"schema at revision {revision}")


def _register_feature_commands() -> None:
    """The search and web packages add their commands (``search``, ``index``, ``serve``, ``users``…)."""
    from paperfeed.search import commands as search_commands
    from paperfeed.web import commands as web_commands

    search_commands.register(app)
    web_commands.register(app)


_register_feature_commands()


def main() -> None:
    """Console-script entry point."""
    app()


if __name__ == "__main__":  # pragma: no cover
    main()
