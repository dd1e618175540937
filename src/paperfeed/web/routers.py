"""How every router of the web app is made, and how the app serves their routes.

Each module of ``paperfeed.web`` declares its routes on a router from :func:`make_router`, which
gives every route the two things the whole app promises: no query or path parameter with a control
character (:mod:`paperfeed.web.request_text`) and JSON without bidirectional overrides
(:mod:`paperfeed.web.json_response`).

The app then serves those very route objects (:func:`serve_routes`) instead of ``include_router``:
FastAPI (0.165) keeps an included router behind a matcher of its own and rebuilds every included
route for each app. Measured on this app's ~150 routes: routing a request through the included
routers took half of the app's own time under the generated-request test, and building an app
about half a second; a flat list of routes is matched by Starlette's plain scan, and built once per
process, when the modules are imported.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from fastapi import APIRouter, Depends, FastAPI
from fastapi.params import Depends as DependsParam

from paperfeed.web.json_response import TextSafeJSONResponse
from paperfeed.web.request_text import refuse_control_characters

APP_WIDE: list[DependsParam] = [Depends(refuse_control_characters)]
"""The dependencies of every route of the app, its own and its routers'."""


def make_router(*, dependencies: Iterable[DependsParam] = (), **options: Any) -> APIRouter:
    """An ``APIRouter`` (``options`` as FastAPI's) whose routes carry the app-wide dependencies
    before their own, and answer JSON with :class:`TextSafeJSONResponse` unless they say otherwise."""
    return APIRouter(
        dependencies=[*APP_WIDE, *dependencies], default_response_class=TextSafeJSONResponse, **options
    )


def serve_routes(web: FastAPI, routers: Iterable[APIRouter]) -> None:
    """Serve the routes of ``routers`` on ``web``, in this order, after its own (see above for why
    these are the routers' own route objects: they hold no state of an app)."""
    for router in routers:
        web.router.routes.extend(router.routes)
