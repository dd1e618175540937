"""``paperfeed search`` and ``paperfeed similar``: thin shells over :mod:`paperfeed.search`."""

from __future__ import annotations

from typing import Annotated

import typer

from paperfeed.cli.main import JsonOption, app, get_app
from paperfeed.cli.output import emit_json, err, out, parse_day, print_ranked
from paperfeed.errors import InvalidInput
from paperfeed.ids import normalize_paper_id
from paperfeed.search.engine import MODES, search
from paperfeed.search.finder import cut_query
from paperfeed.search.similar import METHODS, similar

MODE_HELP = "keyword, semantic or hybrid (default: hybrid when embeddings exist, else keyword)."


@app.command("search")
def search_command(
    query: Annotated[str, typer.Argument(help='Words, "phrases", author:, cat:, title:, id:, -exclusions.')],
    mode: Annotated[str | None, typer.Option(help=MODE_HELP)] = None,
    category: Annotated[str | None, typer.Option(help="Only papers in this category, e.g. cs.LG.")] = None,
    since: Annotated[str | None, typer.Option(help="First version on or after YYYY-MM-DD.")] = None,
    until: Annotated[str | None, typer.Option(help="First version on or before YYYY-MM-DD.")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 20,
    offset: Annotated[int, typer.Option(min=0)] = 0,
    as_json: JsonOption = False,
) -> None:
    """Search papers by keywords and meaning."""
    if mode is not None and mode not in MODES:
        raise InvalidInput(f"--mode must be one of {', '.join(MODES)}, not {mode!r}")
    paperfeed = get_app()
    query, cut = cut_query(query)  # as the search page does: a cut query is said, not silent
    results = search(
        paperfeed,
        query,
        mode=mode,
        category=category,
        since=parse_day(since, "--since"),
        until=parse_day(until, "--until"),
        limit=limit,
        offset=offset,
    )
    if cut:
        results.notice = f"{cut}; {results.notice}" if results.notice else cut
    if as_json:
        emit_json(results.to_dict())
        return
    if results.notice:
        err.print(f"note: {results.notice}", highlight=False, style="yellow")
    papers = paperfeed.store.papers.get_many([h.paper_id for h in results.hits])
    rows = []
    for hit in results.hits:
        paper = papers.get(hit.paper_id)
        day = paper.published.date().isoformat() if paper and paper.published else ""
        rows.append((paper.title if paper else hit.paper_id, f"{hit.paper_id}  {day}  score {hit.score:.3f}"))
    print_ranked(rows, start=offset + 1)
    if not results.hits:
        err.print("no papers match", highlight=False)
    count = f"{results.total:,}" if results.total_exact else f"more than {results.total:,}"
    out.print(f"{count} results ({results.mode}, {results.took_ms:.0f} ms)", style="dim")


@app.command("similar")
def similar_command(
    paper_ids: Annotated[list[str], typer.Argument(help="One or more paper ids (positives).")],
    negatives: Annotated[
        list[str] | None, typer.Option("--not", help="Papers unlike the result (repeatable).")
    ] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 10,
    method: Annotated[
        str | None, typer.Option(help="embeddings or tfidf (default: embeddings when present).")
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Papers similar to one paper, or to a set of papers (and unlike --not papers)."""
    if method is not None and method not in METHODS:
        raise InvalidInput(f"--method must be one of {', '.join(METHODS)}, not {method!r}")
    positives = [normalize_paper_id(p) for p in paper_ids]
    negative_ids = [normalize_paper_id(p) for p in negatives or []]
    paperfeed = get_app()
    result = similar(paperfeed, positives, negatives=negative_ids, limit=limit, method=method)
    if as_json:
        emit_json(result.to_dict())
        return
    if result.notice:
        err.print(f"note: {result.notice}", highlight=False, style="yellow")
    papers = paperfeed.store.papers.get_many([h.paper_id for h in result.hits])
    rows = [
        (
            papers[h.paper_id].title if h.paper_id in papers else h.paper_id,
            f"{h.paper_id}  score {h.score:.3f}",
        )
        for h in result.hits
    ]
    print_ranked(rows)
    out.print(f"method: {result.explanation}", style="dim")
