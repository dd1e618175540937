"""``paperfeed serve`` and ``paperfeed users …``, registered on the main Typer app by ``cli.py``.

Imports from :mod:`paperfeed.cli` happen inside the functions: ``cli.py`` imports this module at
the bottom, so a top-level import would be circular.
"""

from __future__ import annotations

import ipaddress
import os
from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from sqlalchemy import Engine

    from paperfeed.context import Paperfeed

users_app = typer.Typer(help="Accounts: add users, set roles, make API tokens.", no_args_is_help=True)


def is_loopback(host: str) -> bool:
    """``localhost`` and loopback addresses; anything else (0.0.0.0 included) is reachable from outside."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    demo: Annotated[
        bool, typer.Option("--demo", help="Load the demo corpus first if the store is empty.")
    ] = False,
) -> None:
    """Serve the web app and the JSON API (uvicorn)."""
    import uvicorn

    from paperfeed.cli import err, fail, get_app
    from paperfeed.config import DEFAULT_SECRET_KEY

    paperfeed = get_app()
    settings = paperfeed.settings
    if not is_loopback(host) and settings.secret_key == DEFAULT_SECRET_KEY:
        fail(
            f"refusing to listen on {host} with the default secret key: set PAPERFEED_SECRET_KEY to a long random "
            "value (e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`) or use --host 127.0.0.1"
        )
    if demo and paperfeed.store.count() == 0:
        from paperfeed.ingest.jobs import load_demo

        err.print("empty store: loading the demo corpus …")
        report = load_demo(paperfeed)
        err.print(f"demo corpus loaded: {report.added:,} papers")
    paperfeed.close()
    # Workers are separate processes: they rebuild settings from the environment, so pass the data dir.
    os.environ["PAPERFEED_DATA_DIR"] = str(settings.data_dir)
    if settings.database_url:
        os.environ["PAPERFEED_DATABASE_URL"] = settings.database_url
    err.print(f"paperfeed on http://{host}:{port}/  (data: {settings.data_dir})")
    uvicorn.run(
        "paperfeed.web.asgi:app",
        host=host,
        port=port,
        workers=workers,
        log_level="warning",
        access_log=False,
        proxy_headers=False,
    )


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="The user's email address.")],
    role: Annotated[str, typer.Option(help="member, curator or admin.")] = "member",
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """Add a user, or change an existing user's role."""
    from paperfeed.cli import emit_json, fail, get_app, out
    from paperfeed.community.accounts import AccountError, ensure_user

    try:
        user = ensure_user(_engine(get_app()), email, role=role)
    except AccountError as exc:
        fail(str(exc))
    if as_json:
        emit_json({"id": user.id, "email": user.email, "role": user.role})
    else:
        out.print(f"{user.email}: {user.role}", highlight=False)


@users_app.command("token")
def users_token(
    email: Annotated[str, typer.Argument(help="An existing user's email address.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")] = False,
) -> None:
    """Make a personal API token (shown once) for the JSON API's write endpoints."""
    from paperfeed.cli import emit_json, fail, get_app, out
    from paperfeed.community.accounts import AccountError, create_api_token

    try:
        token = create_api_token(_engine(get_app()), email)
    except AccountError as exc:
        fail(str(exc))
    if as_json:
        emit_json({"email": email, "token": token})
    else:
        out.print(token, highlight=False)


def _engine(app: Paperfeed) -> Engine:
    import paperfeed.community  # noqa: F401  (community tables on the metadata)

    return app.store.engine


def register(app: typer.Typer) -> None:
    app.command("serve")(serve)
    app.add_typer(users_app, name="users")
