"""The map page: ``/map?q=…`` (a search), ``?date=``/``?week=``/``?month=`` (a period),
``?collection=`` and ``?for_you=1``: the papers as dots placed by content, coloured by cluster or
category, each a link to its paper.

The layout is computed off the request path (:mod:`paperfeed.maps.service`); while it is still
being drawn the page says so and reloads itself (``data-reload-after``, read by ``app.js``; not a
``<meta http-equiv="refresh">``, which axe and WCAG 2.2.1 refuse), with a link to reload by hand.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Query, Request
from fastapi.responses import HTMLResponse, Response

from paperfeed.community import daily as daily_lib
from paperfeed.maps.selection import MAX_PAPERS, Selection, choose
from paperfeed.maps.service import PaperMap, paper_map
from paperfeed.periods import Period, parse_period, period_of
from paperfeed.search.engine import SearchUnavailable
from paperfeed.store import User
from paperfeed.web.charts import MapDot, MapLabel, scatter_map
from paperfeed.web.common import SEARCH_PARAM_MAX, CategoryQuery, DateQuery
from paperfeed.web.deps import PaperfeedDep, UserDep, render
from paperfeed.web.routers import make_router

router = make_router(include_in_schema=False)

PAGE_WAIT_SECONDS = 3.0
RELOAD_SECONDS = 2
MapQuery = Annotated[str | None, Query(max_length=SEARCH_PARAM_MAX, description="A search to map.")]
PeriodParam = Annotated[str | None, Query(max_length=40)]
CollectionParam = Annotated[str | None, Query(max_length=200, pattern=r"^\s*\d+(-[^/]*)?\s*$")]


def map_period(day: str | None, week: str | None, month: str | None) -> Period | None:
    return parse_period(day=(day or "").strip(), week=(week or "").strip(), month=(month or "").strip())


def map_selection(
    pf: Any,
    user: User | None,
    *,
    q: str | None,
    category: str | None,
    since: date | None,
    until: date | None,
    period: Period | None,
    collection: str | None,
    for_you: bool,
) -> Selection:
    return choose(
        pf,
        user,
        query=(q or "").strip() or None,
        category=category,
        since=since,
        until=until,
        period=period,
        collection=(collection or "").strip() or None,
        mine=for_you,
    )


def map_drawing(found: PaperMap, colour: str, title: str) -> object:
    """The SVG of a computed map, coloured by cluster or by category."""
    dots = [
        MapDot(
            x=p.x,
            y=p.y,
            colour=p.cluster if colour == "cluster" else found.category_colour(p.category),
            title=f"{p.title} ({p.category})",
            href=f"/papers/{p.paper_id}",
            paper_id=p.paper_id,
            marks=p.marks,
        )
        for p in found.points
    ]
    labels = [MapLabel(c.x, c.y, c.label, c.id) for c in found.clusters]
    clusters = "; ".join(f"{c.label} ({c.size})" for c in found.clusters)
    label = f"Map of {len(dots):,} {title}, in {len(found.clusters)} groups: {clusters}"
    return scatter_map(dots, labels, label=label)


@router.get("/map", response_class=HTMLResponse)
def map_page(
    request: Request,
    pf: PaperfeedDep,
    user: UserDep,
    q: MapQuery = None,
    category: CategoryQuery = None,
    since: DateQuery = None,
    until: DateQuery = None,
    date_: Annotated[str | None, Query(alias="date", max_length=40)] = None,
    week: PeriodParam = None,
    month: PeriodParam = None,
    collection: CollectionParam = None,
    for_you: Annotated[str | None, Query(pattern="^(|0|1)$")] = None,
    color: Annotated[str, Query(pattern="^(cluster|category)$")] = "cluster",
) -> Response:
    """A map of a search, a period, a collection or For you; without any, a form and links."""
    context: dict[str, Any] = {"nav": "map", "q": q or "", "color": color, "max_papers": MAX_PAPERS}
    period = map_period(date_, week, month)
    mine = for_you == "1"
    if not ((q or "").strip() or period or (collection or "").strip() or mine):
        latest = daily_lib.latest_day(pf.store, pf.settings.categories)
        context |= {"latest": latest, "latest_week": period_of("week", latest).key if latest else None}
        return render(request, "map.html", context | {"selection": None})
    try:
        selection = map_selection(
            pf,
            user,
            q=q,
            category=category,
            since=since,
            until=until,
            period=period,
            collection=collection,
            for_you=mine,
        )
        found = paper_map(pf, selection.ids, user, wait=PAGE_WAIT_SECONDS)
    except SearchUnavailable as exc:
        return render(request, "map.html", context | {"selection": None, "unavailable": str(exc)}, 503)
    base = [(k, v) for k, v in request.query_params.multi_items() if k != "color"]
    context |= {
        "selection": selection,
        "map": found,
        "reload": RELOAD_SECONDS if found is None else None,
        "color_urls": {c: "/map?" + urlencode([*base, ("color", c)]) for c in ("cluster", "category")},
        "api_url": "/api/v1/map?" + urlencode(base),
    }
    if found is not None:
        context["drawing"] = map_drawing(found, color, selection.title)
        by_cluster: dict[int, list[Any]] = {c.id: [] for c in found.clusters}
        for point in found.points:
            by_cluster.setdefault(point.cluster, []).append(point)
        context["by_cluster"] = by_cluster
    return render(request, "map.html", context)
