"""How the CLI talks: one JSON object on stdout with ``--json``, people's text otherwise, errors on
stderr as one line, progress bars on stderr, and the one place library errors become exit codes.

Exit status: 0 all went in, 1 some records were skipped (or ``--strict`` stopped), 2 the request
could not be honoured (bad input, unknown paper, arXiv or the database unreachable): never a
traceback for those; a traceback means a bug.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any, NoReturn

import typer
from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table
from rich.text import Text
from typer.core import TyperGroup

from paperfeed.errors import (
    Forbidden,
    InvalidInput,
    NotFound,
    PaperfeedError,
    RateLimited,
    SignInRequired,
    Unavailable,
)
from paperfeed.ingest.pipeline import IngestReport, StrictModeError

# No console markup: printed text comes from papers, files and error messages, and a title such as
# "[Re] Reproducing …" or a reason quoting "[1, 2]" must print as written, never be read as style.
err = Console(stderr=True, markup=False)
out = Console(markup=False)

ERROR_CODES: list[tuple[type[PaperfeedError], str]] = [
    (InvalidInput, "invalid_input"),
    (NotFound, "not_found"),
    (SignInRequired, "sign_in_required"),
    (Forbidden, "forbidden"),
    (RateLimited, "rate_limited"),
    (Unavailable, "unavailable"),
]


def error_code(exc: PaperfeedError) -> str:
    return next((code for kind, code in ERROR_CODES if isinstance(exc, kind)), "error")


def path_problem(path: object, exc: OSError, doing: str = "use") -> InvalidInput:
    """A bad path as the one-line error people get: what, where, what to do."""
    hint = ""
    if isinstance(exc, IsADirectoryError):
        hint = "; it is a folder: give a file name"
    elif isinstance(exc, FileNotFoundError):
        hint = "; it, or the folder it should be in, does not exist"
    elif isinstance(exc, NotADirectoryError):
        hint = "; a part of the path is a file, not a folder"
    elif isinstance(exc, PermissionError):
        hint = "; choose a place you may write to"
    return InvalidInput(f"cannot {doing} {path}: {exc.strerror or exc}{hint}")


def write_file(path: Path, text: str) -> None:
    """Write ``text`` to ``path`` (UTF-8); a path that cannot be written is an :class:`InvalidInput`."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise path_problem(path, exc, "write") from None


def one_line(text: str) -> str:
    """``text`` with control characters shown as escapes (``\\r``, ``\\x00``): a stored value printed
    on the terminal can neither break the line nor move the cursor."""
    if text.isprintable():
        return text
    return "".join(ch if ch.isprintable() else ch.encode("unicode_escape").decode("ascii") for ch in text)


def emit_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    sys.stdout.flush()


def fail(message: str, code: int = 2, *, as_json: bool = False, kind: str = "invalid_input") -> NoReturn:
    """One line on stderr (or a JSON error object on stdout with ``--json``), then exit ``code``."""
    if as_json:
        emit_json({"error": {"code": kind, "message": message}})
    else:
        err.print(Text.assemble(("error:", "red"), " ", message), highlight=False, soft_wrap=True)
    raise typer.Exit(code)


class ErrorMappingGroup(TyperGroup):
    """The top-level command group: turns library errors raised by any command into exit codes."""

    def invoke(self, ctx: Any) -> Any:  # a click Context (typer vendors click in recent versions)
        wants_json = "--json" in [*getattr(ctx, "protected_args", []), *ctx.args]
        try:
            return super().invoke(ctx)
        except StrictModeError as exc:
            fail(
                f"stopped at the first malformed record (--strict): {exc}",
                1,
                as_json=wants_json,
                kind="strict",
            )
        except PaperfeedError as exc:
            fail(str(exc), 2, as_json=wants_json, kind=error_code(exc))
        except OSError as exc:
            # A path a person gave that cannot be read or written (a folder, a missing folder, no
            # permission): the commands say so themselves; this is the net for any that does not.
            if exc.filename is None:
                raise
            fail(str(path_problem(exc.filename, exc)), 2, as_json=wants_json, kind="invalid_input")


def print_ranked(rows: list[tuple[str, str]], start: int = 1) -> None:
    """Numbered results, each a bold title over a detail line; a long title wraps under itself,
    not under the number (a grid with the ranks in their own column). Text is never markup."""
    grid = Table.grid(padding=(0, 1))
    grid.add_column(justify="right", no_wrap=True)
    grid.add_column()
    for rank, (title, detail) in enumerate(rows, start=start):
        cell = Text(title, style="bold")
        cell.append("\n" + detail, style="")
        grid.add_row(f"{rank}.", cell)
    out.print(grid)


def parse_day(value: str | None, option: str) -> date | None:
    if value is None or not value.strip():
        return None
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise InvalidInput(f"{option} must be a date like 2026-02-01, not {value!r}") from None


def day_start(day: date | None) -> datetime | None:
    return datetime.combine(day, datetime.min.time(), UTC) if day else None


@contextmanager
def progress_bar(enabled: bool, description: str, total: int | None = None) -> Iterator[Callable[..., None]]:
    """A Rich progress bar on stderr (records/s and ETA); silent with ``--json`` or off a terminal."""
    if not enabled or not err.is_terminal:
        yield lambda *args, **kwargs: None
        return
    columns = [
        TextColumn("{task.description}", markup=False, style="bold"),
        BarColumn(),
        MofNCompleteColumn() if total is None else TextColumn("{task.percentage:>3.0f}%"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
    ]
    with Progress(*columns, console=err, transient=True) as bar:
        task = bar.add_task(description, total=total, rate="")
        started = time.monotonic()

        def update(report: IngestReport, done: int | None = None, _total: int | None = None) -> None:
            elapsed = max(time.monotonic() - started, 1e-6)
            rate = f"{report.read / elapsed:,.0f} records/s"
            bar.update(task, completed=done if done is not None else report.read, rate=rate)

        yield update
