"""``paperfeed library import|export|collections`` and ``paperfeed follows add|list|feed``.

For administrators and scripts: each command names the member by email and calls one library
function (:mod:`paperfeed.library`), the same the web pages and the JSON API call.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from paperfeed.accounts import get_user
from paperfeed.cli.main import JsonOption, app, get_app
from paperfeed.cli.output import emit_json, err, out, write_file
from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput, NotFound
from paperfeed.library import follows as follows_lib
from paperfeed.library.collections import my_collections
from paperfeed.library.exporters import WRITERS, export_library
from paperfeed.library.follows_feed import DEFAULT_DAYS, MAX_DAYS, follows_feed
from paperfeed.library.importers import FORMATS, fetch_arxiv_ids, import_library
from paperfeed.store import User

library_app = typer.Typer(help="Members' libraries: import, export, collections.", no_args_is_help=True)
follows_app = typer.Typer(help="Members' follows: authors, categories, queries.", no_args_is_help=True)
app.add_typer(library_app, name="library")
app.add_typer(follows_app, name="follows")

EmailArgument = Annotated[str, typer.Argument(help="The member's email address.")]
FormatOption = Annotated[str, typer.Option("--format", help="bibtex, csl-json or ris.")]


def member(paperfeed: Paperfeed, email: str) -> User:
    user = get_user(paperfeed, email=email)
    if user is None:
        raise NotFound(f"no user {email}; add one with: paperfeed users add {email}")
    return user


@library_app.command("import")
def library_import(
    email: EmailArgument,
    file: Annotated[Path, typer.Argument(help="A BibTeX, CSL JSON or RIS file (a Zotero export).")],
    collection: Annotated[
        str | None, typer.Option(help="Collection to import into (default: the file's name).")
    ] = None,
    file_format: Annotated[
        str | None, typer.Option("--format", help="bibtex, csl-json or ris (default: from the file).")
    ] = None,
    fetch: Annotated[
        bool, typer.Option("--fetch/--no-fetch", help="Fetch papers missing from the store from arXiv.")
    ] = True,
    as_json: JsonOption = False,
) -> None:
    """Import a reference file into a member's library; print what matched and what did not."""
    if file_format is not None and file_format not in FORMATS:
        raise InvalidInput(f"--format must be one of {', '.join(FORMATS)}, not {file_format!r}")
    if not file.is_file():
        raise InvalidInput(f"no such file: {file}")
    paperfeed = get_app()
    report = import_library(
        paperfeed,
        member(paperfeed, email),
        file.read_bytes(),
        filename=file.name,
        fmt=file_format,
        collection=collection,
        fetch=fetch_arxiv_ids if fetch else None,
    )
    if as_json:
        emit_json(report.to_dict())
        return
    where = f" into {report.collection.name!r}" if report.collection else ""
    out.print(
        f"{report.entries} entries ({report.format}): {len(report.matched)} matched{where}, "
        f"{report.added} newly added, {report.fetched} fetched from arXiv, "
        f"{len(report.unmatched)} not found, {len(report.problems)} unreadable",
        highlight=False,
        soft_wrap=True,
    )
    for item in report.unmatched:
        err.print(
            f"not found: {item.where}: {item.title[:70]!r}: {item.reason}", highlight=False, markup=False
        )
    for problem in report.problems:
        err.print(
            f"unreadable: {problem.where}: {problem.reason}", highlight=False, markup=False, soft_wrap=True
        )
    for line in [*report.duplicates, *report.notices]:
        err.print(f"note: {line}", highlight=False, markup=False, soft_wrap=True)


@library_app.command("export")
def library_export(
    email: EmailArgument,
    collection: Annotated[str | None, typer.Option(help="Only this collection (by name).")] = None,
    file_format: FormatOption = "bibtex",
    output: Annotated[Path | None, typer.Option(help="Write to this file instead of stdout.")] = None,
) -> None:
    """Export a member's library (or one collection) with tags and notes."""
    if file_format not in WRITERS:
        raise InvalidInput(f"--format must be one of {', '.join(WRITERS)}, not {file_format!r}")
    paperfeed = get_app()
    exported = export_library(
        paperfeed, member(paperfeed, email), collection_name=collection, fmt=file_format
    )
    if output is None:
        typer.echo(exported.text, nl=False)
    else:
        write_file(output, exported.text)
        err.print(f"{exported.count} papers written to {output}", highlight=False)


@library_app.command("collections")
def library_collections(email: EmailArgument, as_json: JsonOption = False) -> None:
    """List a member's collections."""
    paperfeed = get_app()
    found = my_collections(paperfeed, member(paperfeed, email))
    if as_json:
        emit_json(
            {
                "collections": [
                    {"id": c.id, "ref": c.ref, "name": c.name, "visibility": c.visibility, "papers": c.size}
                    for c in found
                ]
            }
        )
        return
    table = Table("ref", "name", "visibility", "papers", box=None)
    for c in found:
        table.add_row(c.ref, c.name, c.visibility, str(c.size))
    out.print(table)


@follows_app.command("add")
def follows_add(
    email: EmailArgument,
    kind: Annotated[str, typer.Argument(help="author, category or query.")],
    value: Annotated[
        str, typer.Argument(help='A name, a category (cs.LG) or a query (diffusion -"stable diffusion").')
    ],
    as_json: JsonOption = False,
) -> None:
    """Follow an author, a category or a search query for a member."""
    paperfeed = get_app()
    follow, created = follows_lib.add_follow(paperfeed, member(paperfeed, email), kind, value)
    if as_json:
        emit_json({"id": follow.id, "kind": follow.kind, "value": follow.value, "created": created})
    else:
        out.print(
            f"{'following' if created else 'already following'} {follow.kind} {follow.value}", highlight=False
        )


@follows_app.command("list")
def follows_list(email: EmailArgument, as_json: JsonOption = False) -> None:
    """List a member's follows."""
    paperfeed = get_app()
    found = follows_lib.follows_of(paperfeed, member(paperfeed, email))
    if as_json:
        emit_json(
            {"follows": [{"id": f.id, "kind": f.kind, "value": f.value, "enabled": f.enabled} for f in found]}
        )
        return
    for f in found:
        out.print(f"{f.id:>5}  {f.kind:<8}  {f.value}{'' if f.enabled else '  (off)'}", highlight=False)


@follows_app.command("feed")
def follows_feed_command(
    email: EmailArgument,
    days: Annotated[int, typer.Option(min=1, max=MAX_DAYS, help="How many days back.")] = DEFAULT_DAYS,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 50,
    as_json: JsonOption = False,
) -> None:
    """New papers matching a member's follows, with the reasons."""
    paperfeed = get_app()
    feed = follows_feed(paperfeed, member(paperfeed, email).id, days=days, limit=limit)
    if as_json:
        emit_json(
            {
                "since": feed.since.isoformat(),
                "until": feed.until.isoformat(),
                "notices": feed.notices,
                "items": [
                    {
                        "paper_id": i.paper_id,
                        "score": i.score,
                        "reasons": [{"kind": r.kind, "value": r.value} for r in i.reasons],
                    }
                    for i in feed.items
                ],
            }
        )
        return
    for notice in feed.notices:
        err.print(f"note: {notice}", highlight=False, markup=False)
    papers = paperfeed.store.papers.get_many([i.paper_id for i in feed.items])
    for item in feed.items:
        why = "; ".join(f"{r.kind} {r.value}" for r in item.reasons)
        out.print(
            f"{item.paper_id}  {papers[item.paper_id].title[:80]}  [{why}]", highlight=False, markup=False
        )
