"""The ``paperfeed`` command line: each command parses its arguments, calls one library function,
and prints the result (``--json``: exactly one JSON object on stdout).

One module per command group; :mod:`paperfeed.cli.output` holds the printing helpers and the one
place where library errors become exit codes (see there).
"""

from __future__ import annotations

from paperfeed.cli import digest as _digest  # noqa: F401  (registers commands)
from paperfeed.cli import enrich as _enrich  # noqa: F401
from paperfeed.cli import eval as _eval  # noqa: F401
from paperfeed.cli import index as _index  # noqa: F401
from paperfeed.cli import ingest as _ingest  # noqa: F401
from paperfeed.cli import library as _library  # noqa: F401
from paperfeed.cli import papers as _papers  # noqa: F401
from paperfeed.cli import recommend as _recommend  # noqa: F401
from paperfeed.cli import search as _search  # noqa: F401
from paperfeed.cli import serve as _serve  # noqa: F401
from paperfeed.cli.main import app

__all__ = ["app", "main"]


def main() -> None:
    """Console-script entry point."""
    app()
