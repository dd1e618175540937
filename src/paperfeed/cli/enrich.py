"""``paperfeed enrich``: detect links, ask GitHub for stars, write keywords and (with a configured
language model) summaries, now; the indexer and ``serve --scheduler`` do the same by themselves."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TaskID, TextColumn, TimeElapsedColumn

from paperfeed.cli.main import JsonOption, app, get_app
from paperfeed.cli.output import emit_json, err, out, parse_day
from paperfeed.enrich.run import EnrichReport, run_enrichment


@contextmanager
def _stages(enabled: bool) -> Iterator[Callable[[str, int, int | None], None]]:
    """One Rich bar per stage on stderr; silent with ``--json`` or off a terminal."""
    if not enabled or not err.is_terminal:
        yield lambda *_args: None
        return
    columns = [
        TextColumn("{task.description}", markup=False, style="bold"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
    ]
    with Progress(*columns, console=err, transient=True) as bar:
        tasks: dict[str, TaskID] = {}

        def update(stage: str, done: int, total: int | None) -> None:
            if stage not in tasks:
                tasks[stage] = bar.add_task(stage, total=total)
            bar.update(tasks[stage], completed=done, total=total)

        yield update


def _describe(report: EnrichReport) -> list[str]:
    lines = [
        f"{report.papers:,} papers read for links and keywords: {report.github_repos_found:,} GitHub "
        f"repositories, {report.project_pages_found:,} project pages, {report.with_keywords:,} with keywords",
        f"stars: {report.repos_asked:,} repositories asked ({report.stars_updated:,} updated, "
        f"{report.repos_unchanged:,} unchanged, {report.repos_not_found:,} not found)"
        + (f", {report.repos_left:,} left for later" if report.repos_left else ""),
    ]
    if report.model:
        lines.append(
            f"summaries by {report.model}: {report.summaries:,} written, {report.summary_failures:,} failed"
            + (f", {report.summaries_left:,} left for later" if report.summaries_left else "")
        )
    return lines + [f"note: {note}" for note in report.notes]


@app.command("enrich")
def enrich(
    since: Annotated[
        str | None,
        typer.Option(
            "--since",
            help="Every paper first published since this day (YYYY-MM-DD), instead of what is due.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Enrich papers now: GitHub repository and project page from their links, GitHub stars,
    keywords, and AI summaries when a language model is configured. Safe to stop and run again."""
    day = parse_day(since, "--since")
    paperfeed = get_app()
    with _stages(not as_json) as progress:
        report = run_enrichment(paperfeed, since=day, progress=progress)
    if as_json:
        emit_json(report.to_dict())
        return
    for line in _describe(report):
        out.print(line, highlight=False)
