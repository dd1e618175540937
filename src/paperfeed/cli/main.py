"""The ``paperfeed`` Typer app, its global options and the running :class:`Paperfeed` for commands.

Command groups register themselves on :data:`app` from their own modules (``cli/ingest.py``,
``cli/search.py``, …); :mod:`paperfeed.cli` imports them all.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from typer.core import TyperOption

from paperfeed.cli.output import ErrorMappingGroup, err
from paperfeed.config import Settings
from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput


def _flags_take_no_value() -> None:
    """Show ``--json`` in help as a flag, not as ``--json <bool>``: Typer 0.29 prints the type of every
    option, but a flag takes no value, and ``<bool>`` reads as if it wanted one."""
    show_type = TyperOption.display_type_rich

    def display_type_rich(self: TyperOption, ctx: Any) -> str | None:
        return None if self.is_flag else show_type(self, ctx)

    TyperOption.display_type_rich = display_type_rich  # type: ignore[method-assign]


_flags_take_no_value()

app = typer.Typer(
    cls=ErrorMappingGroup,
    help="paperfeed: self-hosted research-paper discovery.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object on stdout.")]
DeferIndexOption = Annotated[
    bool,
    typer.Option(
        "--defer-index",
        help="Only write to the store: leave the keyword index to the running indexer "
        "(`paperfeed serve` or `paperfeed index follow`) or to `paperfeed index rebuild`.",
    ),
]


class State:
    settings: Settings | None = None


state = State()


@app.callback()
def _global(
    data_dir: Annotated[
        Path | None, typer.Option("--data-dir", help="Data directory (overrides PAPERFEED_DATA_DIR).")
    ] = None,
) -> None:
    """Global options."""
    overrides: dict[str, Any] = {}
    if data_dir is not None:
        overrides["data_dir"] = data_dir
    try:
        state.settings = Settings(**overrides)
    except ValidationError as exc:  # a PAPERFEED_* variable (or .env line) that cannot be used
        problems = "; ".join(
            f"PAPERFEED_{'_'.join(str(part) for part in error['loc']).upper()}: "
            f"{str(error['msg']).removeprefix('Value error, ')}"
            for error in exc.errors()
        )
        raise InvalidInput(f"invalid settings: {problems}") from None


def get_app() -> Paperfeed:
    return Paperfeed(state.settings or Settings())


def get_linking_app() -> Paperfeed:
    """The running :class:`Paperfeed` of a command that writes links (mail, HTML): they point at the
    address the service is reached at (PAPERFEED_BASE_URL, else the one ``paperfeed serve`` recorded
    in the store); when neither is known, a note on stderr says that the links are a guess."""
    paperfeed = get_app()
    address = paperfeed.use_service_address()
    if address.source == "default":
        err.print(f"note: {address.describe()}", highlight=False, soft_wrap=True)
    return paperfeed
