"""``paperfeed recommend [show] EMAIL``: a member's "For you" ranking with the reasons, for
administrators and scripts. The same use case as the page and the API
(:func:`paperfeed.recommend.service.for_you`), without counting impressions: looking at a member's
list from the shell does not change it.

``paperfeed recommend fit``: fit the blend's weights on the store's own members
(:func:`paperfeed.recommend.fitting.fit_store_weights`; the scheduler runs it daily too)."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table
from typer.core import TyperGroup

from paperfeed.cli.library import EmailArgument, member
from paperfeed.cli.main import JsonOption, app, get_app
from paperfeed.cli.output import emit_json, out
from paperfeed.recommend.fitting import BLEND_NAME, MIN_MEMBERS, fit_store_weights
from paperfeed.recommend.service import DEFAULT_DAYS, MAX_DAYS, MAX_LIMIT, for_you


class ShowByDefault(TyperGroup):
    """``paperfeed recommend EMAIL`` still works: anything that is not a subcommand is ``show``'s."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        if args and args[0] not in self.commands and args[0] not in ("--help", "-h"):
            args = ["show", *args]
        return list(super().parse_args(ctx, args))


recommend_app = typer.Typer(
    cls=ShowByDefault,
    no_args_is_help=True,
    help="A member's For you list (`recommend EMAIL`), or fit the blend's weights (`recommend fit`).",
)
app.add_typer(recommend_app, name="recommend")


@recommend_app.command("fit")
def fit_command(
    min_members: Annotated[
        int, typer.Option(min=2, help="Fewer members with enough saves than this: keep the defaults.")
    ] = MIN_MEMBERS,
    as_json: JsonOption = False,
) -> None:
    """Fit For you's blend weights on the store's members (held-out latest saves) and use them if
    they beat the hand-set defaults on held-out members."""
    paperfeed = get_app()
    report = fit_store_weights(paperfeed, min_members=min_members)
    if as_json:
        emit_json({"blend": BLEND_NAME} | report.to_dict())
        return
    out.print(f"{report.status}: {report.message}", highlight=False)
    if report.weights:
        weights = ", ".join(f"{name} {value:+.2f}" for name, value in sorted(report.weights.items()))
        out.print(
            f"weights ({report.members} members, {report.candidates:,} candidates): {weights}",
            highlight=False,
        )


@recommend_app.command("show")
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
