"""``paperfeed papers show|list``, ``paperfeed stats`` and ``paperfeed db upgrade``."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from paperfeed.cli.main import JsonOption, app, get_app
from paperfeed.cli.output import day_start, emit_json, err, out, parse_day
from paperfeed.errors import NotFound
from paperfeed.ids import normalize_paper_id
from paperfeed.papers_json import paper_json

papers_app = typer.Typer(help="Look at stored papers.", no_args_is_help=True)
db_app = typer.Typer(help="The store's schema.", no_args_is_help=True)
app.add_typer(papers_app, name="papers")
app.add_typer(db_app, name="db")


@papers_app.command("show")
def papers_show(paper_id: str, as_json: JsonOption = False) -> None:
    """Show one paper with its versions, authors, categories and links."""
    key = normalize_paper_id(paper_id)
    paper = get_app().store.papers.get(key)
    if paper is None:
        raise NotFound(f"no paper {key} in the store (try: paperfeed ingest arxiv --id {key})")
    if as_json:
        emit_json(paper_json(paper))
        return
    out.print(paper.title, style="bold", highlight=False)
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
    papers = get_app().store.papers.list_papers(
        category=category,
        author=author,
        since=day_start(since_day),
        until=day_start(until_day),
        limit=limit,
        offset=offset,
    )
    if as_json:
        emit_json({"count": len(papers), "papers": [paper_json(p) for p in papers]})
        return
    if not papers:
        given = {"category": category, "author": author, "since": since, "until": until}
        filters = ", ".join(f"{name} {value}" for name, value in given.items() if value)
        where = f" ({filters}{', ' if filters and offset else ''}{f'offset {offset}' if offset else ''})"
        err.print(
            "no papers match" + (where if filters or offset else " (the store is empty: try paperfeed demo)"),
            highlight=False,
        )
        return
    table = Table("id", "published", "title", box=None)
    for paper in papers:
        published = paper.published.date().isoformat() if paper.published else ""
        table.add_row(paper.paper_id, published, paper.title)
    out.print(table)


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
    stats = get_app().store.papers.stats()
    if as_json:
        emit_json(stats)
    else:
        print_stats(stats)


@db_app.command("upgrade")
def db_upgrade(as_json: JsonOption = False) -> None:
    """Create or upgrade the schema to the newest migration."""
    database = get_app().store.database  # opening upgrades
    database.upgrade()
    revision = database.current_revision()
    if as_json:
        emit_json({"revision": revision})
    else:
        out.print(f"schema at revision {revision}")
