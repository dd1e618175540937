"""``paperfeed serve`` and ``paperfeed users add|token``."""

from __future__ import annotations

import faulthandler
import logging
import os
import signal
import socket
from typing import Annotated

import typer

from paperfeed.accounts import create_api_token, ensure_user
from paperfeed.background import announce_thread_deaths
from paperfeed.cli.main import JsonOption, app, get_app
from paperfeed.cli.output import emit_json, err, out
from paperfeed.errors import InvalidInput

users_app = typer.Typer(help="Accounts: add users, set roles, make API tokens.", no_args_is_help=True)
app.add_typer(users_app, name="users")


def _check_port_free(host: str, port: int) -> None:
    """Fail before printing a URL nobody will answer at (uvicorn would only log the error)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((host, port))
        except OSError as exc:
            raise InvalidInput(
                f"cannot listen on {host}:{port}: {exc.strerror or exc} (is another server running? try --port)"
            ) from exc


def public_url(host: str, port: int) -> str:
    """The URL that links in feeds and mails point at when PAPERFEED_BASE_URL is not set."""
    shown = "127.0.0.1" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


@app.command("serve")
def serve(
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Port to listen on.")] = 8000,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Worker processes.")] = 1,
    demo: Annotated[
        bool, typer.Option("--demo", help="Load the demo corpus first if the store is empty.")
    ] = False,
    indexer: Annotated[
        bool,
        typer.Option(
            "--indexer/--no-indexer",
            help="Keep this data dir's indexes current in the background (off for extra instances "
            "that share a data dir with one that runs it).",
        ),
    ] = True,
    scheduler: Annotated[
        bool | None,
        typer.Option(
            "--scheduler/--no-scheduler",
            help="Run `sync` and the digest send on a schedule in the background (one scheduler "
            "across all instances: a lease in the store). Default: PAPERFEED_SCHEDULER.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Serve the web app and the JSON API (uvicorn), with the indexer in the background."""
    previous = {sig: signal.signal(sig, _stopped_by_signal) for sig in STOP_SIGNALS}
    try:
        _serve(host, port, workers, demo=demo, indexer=indexer, scheduler=scheduler)
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def _serve(host: str, port: int, workers: int, *, demo: bool, indexer: bool, scheduler: bool | None) -> None:
    import uvicorn

    from paperfeed.cli.ingest import load_demo_vectors
    from paperfeed.ingest.jobs import load_demo
    from paperfeed.search.indexer import catch_up_or_hand_over

    paperfeed = get_app()
    settings = paperfeed.settings
    settings.check_can_serve(host)
    _check_port_free(host, port)
    if demo and paperfeed.store.papers.count() == 0:
        err.print("empty store: loading the demo corpus …")
        report = load_demo(paperfeed)
        vectors = load_demo_vectors(paperfeed)
        catch_up_or_hand_over(paperfeed, embed=False)
        loaded = f", {vectors['imported']:,} demo vectors" if vectors.get("imported") else ""
        err.print(f"demo corpus loaded: {report.added:,} papers{loaded}")
    # Commands run elsewhere (`digest send` from cron) link to where this server is reached.
    served_at = settings.base_url if "base_url" in settings.model_fields_set else public_url(host, port)
    paperfeed.record_service_url(served_at)
    paperfeed.close()
    # Workers are separate processes: they rebuild settings from the environment.
    os.environ["PAPERFEED_DATA_DIR"] = str(settings.data_dir)
    os.environ["PAPERFEED_INDEXER"] = "true" if indexer else "false"
    if scheduler is not None:
        os.environ["PAPERFEED_SCHEDULER"] = "true" if scheduler else "false"
    if settings.database_url:
        os.environ["PAPERFEED_DATABASE_URL"] = settings.database_url
    if "base_url" not in settings.model_fields_set:
        os.environ["PAPERFEED_BASE_URL"] = public_url(host, port)
    err.print(f"paperfeed on http://{host}:{port}/  (data: {settings.data_dir})")
    # A process that stops says why: a fatal signal prints the threads' stacks, a background thread
    # that dies is logged with its consequence, and every exit ends with one line naming the reason.
    faulthandler.enable()
    announce_thread_deaths(logging.getLogger("paperfeed"))
    status = 0
    try:
        uvicorn.run(
            "paperfeed.web.asgi:app",
            host=host,
            port=port,
            workers=workers,
            log_level="warning",
            access_log=False,
            proxy_headers=bool(settings.trusted_proxies),
            forwarded_allow_ips=",".join(settings.trusted_proxies) or None,
        )
        reason = "the server shut down"
    except SystemExit as exc:  # uvicorn gives up when the app cannot start (it logged why above)
        status = exc.code if isinstance(exc.code, int) else 1
        reason = f"the app could not start (uvicorn exit status {exc.code}); the reason is above"
    err.print(f"paperfeed stopped: {reason}", highlight=False)
    if status:
        raise typer.Exit(status)


@users_app.command("add")
def users_add(
    email: Annotated[str, typer.Argument(help="The user's email address.")],
    role: Annotated[str, typer.Option(help="member, curator or admin.")] = "member",
    as_json: JsonOption = False,
) -> None:
    """Add a user, or change an existing user's role."""
    user = ensure_user(get_app(), email, role=role)
    if as_json:
        emit_json({"id": user.id, "email": user.email, "role": user.role})
    else:
        out.print(f"{user.email}: {user.role}", highlight=False)


@users_app.command("token")
def users_token(
    email: Annotated[str, typer.Argument(help="An existing user's email address.")],
    as_json: JsonOption = False,
) -> None:
    """Make a personal API token (shown once) for the JSON API's write endpoints."""
    token = create_api_token(get_app(), email)
    if as_json:
        emit_json({"email": email, "token": token})
    else:
        out.print(token, highlight=False)


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def _stopped_by_signal(signum: int, _frame: object) -> None:
    """SIGTERM, SIGINT or SIGHUP: uvicorn catches them while it serves and hands them back here after
    its graceful shutdown; before it serves they arrive here directly. Either way the process ends
    now, saying why (written straight to stderr: a signal handler may interrupt any code)."""
    os.write(2, f"paperfeed stopped: received {signal.Signals(signum).name}\n".encode())
    os._exit(0)
