"""``paperfeed recommend EMAIL``: a member's "For you" ranking with the reasons, for administrators
and scripts. The same use case as the page and the API (:func:`paperfeed.recommend.service.for_you`),
without counting impressions: looking at a member's list from the shell does not change it."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from paperfeed.cli.library import EmailArgument, member
from paperfeed.cli.main import JsonOption, app, get_app
from paperfeed.cli.output import emit_json, out
from paperfeed.recommend.service import DEFAULT_DAYS, MAX_DAYS, MAX_LIMIT, for_you


@app.command("recommend")
def recommend_command(
    email: EmailArgument,
    days: Annotated[
        int, typer.Option(min=1, max=MAX_DAYS, help="New papers of the last N days.")
    ] = DEFAULT_DAYS,
    limit: Annotated[int, typer.Option(min=1, max=MAX_LIMIT, help="How many papers.")] = 20,
    as_json: JsonOption = False,
) -> None:
    """Print a member's recommended papers, best first, each with its reason."""
    paperfeed = get_app()
    page = for_you(paperfeed, member(paperfeed, email), days=days, limit=limit, record=False)
    if as_json:
        emit_json(
            {
                "email": email,
                "since": page.since.isoformat(),
                "until": page.until.isoformat(),
                "notices": page.notices,
                "positives": page.positives,
                "negatives": page.negatives,
                "follows": page.follows,
                "items": [
                    {
                        "paper_id": i.paper.paper_id,
                        "title": i.paper.title,
                        "score": round(i.score, 4),
                        "driver": i.reason.driver,
                        "reason": i.reason.text,
                    }
                    for i in page.items
                ],
                "drivers": {d.name: {"enabled": d.enabled, "brought": d.brought} for d in page.drivers},
            }
        )
        return
    for notice in page.notices:
        out.print(f"note: {notice}", highlight=False)
    out.print(
        f"{email}: {len(page.items)} papers of {page.since.isoformat()} to {page.until.isoformat()}, "
        f"learnt from {page.positives} saved or liked papers, {page.negatives} passed over or dismissed "
        f"and {page.follows} follows",
        highlight=False,
    )
    if not page.items:
        out.print("nothing to recommend in this window (try --days 30)", highlight=False)
        return
    table = Table("#", "paper", "title", "why", show_lines=False)
    for rank, item in enumerate(page.items, start=1):
        table.add_row(str(rank), item.paper.paper_id, item.paper.title, item.reason.text)
    out.print(table)
