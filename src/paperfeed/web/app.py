"""The app factory: ``create_app(paperfeed)`` builds the FastAPI app around one :class:`Paperfeed`.

It wires the routers (pages, auth, feeds, digests, API), the vendored static files (HTMX, KaTeX, Swagger UI:
the pages never load anything from another host, which the Content-Security-Policy also enforces),
the error handlers, the CSRF cookie, and, unless disabled, the indexer as a background thread
(the data dir's one index writer; requests only ever read the indexes); with the scheduler setting,
the daily ``sync`` and digest send as another.
"""

from __future__ import annotations

import ipaddress
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html
from fastapi.responses import FileResponse, HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from starlette.middleware.base import RequestResponseEndpoint
from starlette.middleware.gzip import GZipMiddleware

from paperfeed.community.submissions import Fetcher, fetch_from_arxiv
from paperfeed.config import UnsafeSettings, is_loopback
from paperfeed.context import Paperfeed
from paperfeed.digest.schedule import Scheduler
from paperfeed.enrich.run import EnrichFollower
from paperfeed.formats.latex import plain_text
from paperfeed.library.importers import fetch_arxiv_ids, one_by_one
from paperfeed.records import is_web_url, strip_bidi_controls
from paperfeed.search.indexer import Indexer
from paperfeed.web import (
    api,
    auth,
    digest,
    discussion_api,
    discussion_pages,
    errors,
    feeds,
    hf_api,
    hf_pages,
    library_api,
    library_pages,
    map_pages,
    pages,
    period_pages,
    pictures_api,
    recommend_api,
    recommend_pages,
    trends_pages,
)
from paperfeed.web.common import current_page_path
from paperfeed.web.highlight import mark, tex
from paperfeed.web.json_response import TextSafeJSONResponse
from paperfeed.web.methods import MethodTable
from paperfeed.web.routers import APP_WIDE, serve_routes
from paperfeed.web.security import CSRF_COOKIE
from paperfeed.web.static_files import StaticVersions, VersionedStaticFiles

log = logging.getLogger(__name__)

HERE = Path(__file__).parent
CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; "
    "font-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; form-action 'self'"
)
# The page uses none of these browser features; say so, so an injected frame or script cannot either.
PERMISSIONS_POLICY = (
    "accelerometer=(), camera=(), geolocation=(), gyroscope=(), magnetometer=(), microphone=(), "
    "payment=(), usb=(), interest-cohort=()"
)
HSTS = "max-age=31536000"
# FastAPI's Swagger page starts the UI with an inline script: allow exactly that on /docs.
DOCS_CSP = CSP.replace("script-src 'self'", "script-src 'self' 'unsafe-inline'")


def _is_ip(host: str) -> bool:
    try:
        ipaddress.ip_address(host)
    except ValueError:
        return False
    return True


def create_app(
    app: Paperfeed | None = None,
    *,
    arxiv_fetcher: Fetcher | None = None,
    indexer: bool | None = None,
    scheduler: bool | None = None,
) -> FastAPI:
    """The web app for ``app`` (default: one built from the environment's settings).

    ``arxiv_fetcher(paperfeed, arxiv_id)`` imports a missing submitted (or library-imported) paper;
    tests pass one that uses a recorded arXiv response, the default calls arXiv's API. ``indexer``
    (default: the ``indexer`` setting) runs the follow loop in a background thread while the app is
    up; ``scheduler`` (default: the ``scheduler`` setting) runs ``sync`` and the digest send daily
    (:mod:`paperfeed.digest.schedule`; one scheduler across instances, by a lease in the store).
    """
    paperfeed = app or Paperfeed()

    @asynccontextmanager
    async def lifespan(web: FastAPI) -> AsyncIterator[None]:
        serving: Paperfeed = web.state.paperfeed
        enrichment = EnrichFollower(serving)  # the indexer enriches what it indexed (never a request)
        follower = Indexer(serving, extra_steps=[enrichment]) if web.state.run_indexer else None
        if follower is not None:
            follower.start_thread()
        planner = Scheduler(serving) if web.state.run_scheduler else None
        planner_thread = planner.start_thread() if planner is not None else None
        try:
            yield
        finally:
            enrichment.stop.set()
            if follower is not None:
                follower.stop.set()
            if planner is not None and planner_thread is not None:
                planner.stop.set()
                planner_thread.join(timeout=10)  # lets it give its lease back; a long job keeps going

    web = FastAPI(
        title="paperfeed API",
        version="1",
        description="Daily papers, trending, search and votes; errors are {error: {status, code, message}}.",
        docs_url=None,
        redoc_url=None,
        lifespan=lifespan,
        # No parameter of any page or route may hold a NUL or another control character (422).
        dependencies=APP_WIDE,
        default_response_class=TextSafeJSONResponse,  # no bidirectional overrides in any JSON string
    )
    # Compressed answers (pages, JSON, feeds, CSS and JS) for clients that ask, but not tiny ones.
    # Added first, so it sits inside the headers middleware below and sees whole bodies.
    web.add_middleware(GZipMiddleware, minimum_size=1000)
    web.state.templates = Jinja2Templates(directory=str(HERE / "templates"))
    env = web.state.templates.env
    env.filters["mark"] = mark
    env.filters["tex"] = tex
    env.filters["tex_plain"] = plain_text  # a tab or a meta tag cannot typeset: R$^3$L reads R³L
    env.tests["web_url"] = is_web_url  # code links: http(s) only, whatever the store holds
    env.globals["here"] = current_page_path  # the page to come back to after signing in
    # Every value a template prints loses bidirectional overrides (U+202E …): a title or a name
    # must not be able to reverse the text around it (see paperfeed.records.BIDI_CONTROLS).
    env.finalize = strip_bidi_controls
    versions = StaticVersions(HERE / "static")
    env.globals["static_url"] = versions.url  # /static/app.css?v=<hash>: cached for a year
    web.mount("/static", VersionedStaticFiles(directory=HERE / "static", versions=versions), name="static")

    @web.get("/docs", include_in_schema=False)
    def docs() -> HTMLResponse:
        page = get_swagger_ui_html(
            openapi_url="/openapi.json",
            title="paperfeed API",
            swagger_js_url=versions.url("vendor/swagger-ui/swagger-ui-bundle.js"),
            swagger_css_url=versions.url("vendor/swagger-ui/swagger-ui.css"),
            swagger_favicon_url=versions.url("vendor/swagger-ui/favicon-32x32.png"),
        )
        # The vendored page is not ours to restyle, but it must say which language it is in.
        body = bytes(page.body).replace(b"<html>", b'<html lang="en">', 1)
        return HTMLResponse(body, status_code=page.status_code)

    @web.get("/favicon.ico", include_in_schema=False)
    def favicon() -> FileResponse:
        """Browsers ask for it on pages without an icon link (a digest viewed in the browser)."""
        return FileResponse(HERE / "static" / "favicon.svg", media_type="image/svg+xml")

    @web.get("/healthz", include_in_schema=False)
    def health() -> dict[str, str]:
        return {"status": "ok"}

    @web.middleware("http")
    async def headers(request: Request, call_next: RequestResponseEndpoint) -> Response:
        settings = request.app.state.paperfeed.settings
        server = request.scope.get("server")
        if server and _is_ip(str(server[0])) and not is_loopback(str(server[0])):
            try:  # `uvicorn paperfeed.web.asgi:app --host 0.0.0.0` skips `serve`'s check: hold it here
                settings.check_can_serve(str(server[0]))
            except UnsafeSettings as exc:
                log.error("%s", exc)
                return Response(str(exc), status_code=503, media_type="text/plain")
        https = settings.base_url.startswith("https://")
        if request.method == "OPTIONS" and (allow := web.state.methods.allowed(request.url.path)):
            response: Response = Response(status_code=204, headers={"Allow": ", ".join(allow)})
        else:
            response = await call_next(request)
        nonce = getattr(request.state, "csrf_nonce", None)
        if nonce and request.cookies.get(CSRF_COOKIE) != nonce:
            response.set_cookie(CSRF_COOKIE, nonce, httponly=True, samesite="lax", path="/", secure=https)
        response.headers.setdefault(
            "Content-Security-Policy", DOCS_CSP if request.url.path == "/docs" else CSP
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "same-origin")
        response.headers.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if https:  # only over https: on plain http the header is ignored, and localhost must stay usable
            response.headers.setdefault("Strict-Transport-Security", HSTS)
        return response

    errors.install(web)
    serve_routes(
        web,
        (
            hf_api.router,  # before the pages: /papers/{id}.md is not a paper page
            hf_pages.router,  # nor is /papers/date/2026-02-20
            discussion_pages.router,  # nor /papers/{id}/comments.atom
            trends_pages.router,  # before the pages: /trends.csv
            map_pages.router,
            pages.router,
            period_pages.router,
            auth.router,
            feeds.router,
            library_pages.router,
            recommend_pages.router,
            digest.router,
            discussion_api.router,  # before /api/v1/papers/{paper_id:path}
            api.router,
            library_api.router,
            recommend_api.router,
            pictures_api.router,
            digest.api_router,
        ),
    )
    web.state.methods = MethodTable(web.routes)  # for OPTIONS and the Allow header of a 405
    return bind(web, paperfeed, arxiv_fetcher=arxiv_fetcher, indexer=indexer, scheduler=scheduler)


def bind(
    web: FastAPI,
    paperfeed: Paperfeed,
    *,
    arxiv_fetcher: Fetcher | None = None,
    indexer: bool | None = None,
    scheduler: bool | None = None,
) -> FastAPI:
    """Point ``web`` (an app of :func:`create_app`) at ``paperfeed``: every route, the middleware and
    the background threads started at startup read the context from ``web.state``, never from the
    factory, so the same app serves any :class:`Paperfeed` (the arguments mean what they mean for
    :func:`create_app`). Why: an app compiles each page template on its first use (its own Jinja
    environment), which a test suite building an app per test paid again in every test (about
    0.1 s each); it builds an app per process and binds it to each test's store instead. Bind an
    app between servings, never while it serves."""
    web.state.paperfeed = paperfeed
    web.state.run_indexer = paperfeed.settings.indexer if indexer is None else indexer
    web.state.run_scheduler = paperfeed.settings.scheduler if scheduler is None else scheduler
    web.state.arxiv_fetcher = arxiv_fetcher or fetch_from_arxiv
    # Library imports fetch missing papers in one batched arXiv request; an injected one-id fetcher
    # (the tests' recorded arXiv) is used id by id instead.
    web.state.arxiv_ids_fetcher = one_by_one(arxiv_fetcher) if arxiv_fetcher else fetch_arxiv_ids
    _ = paperfeed.store  # open and migrate the store now, not on the first request
    return web
