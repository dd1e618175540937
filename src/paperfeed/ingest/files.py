"""Opening input files: gzip or plain, as UTF-8 text that never fails to decode, and their format.

Shared by the in-process readers (:mod:`paperfeed.ingest.jobs`) and the parsing child process
(:mod:`paperfeed.ingest.parallel`).
"""

from __future__ import annotations

import gzip
import io
import zlib
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, cast

from paperfeed.errors import InvalidInput
from paperfeed.records import SourceItem

FIRST_LINE_MAX = 1024 * 1024
"""How much of a long first line format detection reads (a record can be longer; see formats.py)."""


class InputError(InvalidInput):
    """Unreadable input or an unusable request: the CLI prints it on one line and exits 2."""


class ByteProgress:
    """Counts bytes read from the raw file, so a progress bar can show position in a compressed file."""

    def __init__(self, raw: IO[bytes], total: int) -> None:
        self.raw = raw
        self.total = total

    @property
    def position(self) -> int:
        try:
            return self.raw.tell()
        except (OSError, ValueError):
            return self.total


@contextmanager
def open_text(path: Path) -> Iterator[tuple[IO[str], ByteProgress]]:
    """Open a (possibly gzipped) UTF-8 file as text; undecodable bytes become U+FFFD, never a crash.

    A byte-order mark at the start (spreadsheets write one) is dropped: left in, it would become
    part of the first column's name (``\ufeffid``) or make the first JSON line invalid.
    """
    with open_binary(path) as (binary, progress):
        yield io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline=""), progress


@contextmanager
def open_binary(path: Path) -> Iterator[tuple[IO[bytes], ByteProgress]]:
    """Open a (possibly gzipped) file as bytes, for readers that decode lines themselves (the
    Kaggle rows reader hands line bytes straight to ``orjson``), and under :func:`open_text`.

    A file that cannot be opened, or a truncated or corrupt gzip stream met while reading inside
    the ``with`` block, becomes an :class:`InputError` that names the file and says what to do.
    """
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        size = path.stat().st_size
        binary = cast(IO[bytes], gzip.open(raw)) if path.suffix == ".gz" else raw  # noqa: SIM115
        yield binary, ByteProgress(raw, size)
    except (gzip.BadGzipFile, EOFError, zlib.error) as exc:
        raise InputError(
            f"cannot read {path}: not a complete gzip file ({exc}); check the download, or "
            "remove the .gz ending if it is not compressed"
        ) from None
    finally:
        raw.close()


def readers() -> dict[str, Callable[[IO[str]], Iterator[SourceItem]]]:
    from paperfeed.ingest.formats import READERS

    return READERS  # type: ignore[return-value]


def detect_file_format(path: Path) -> str:
    """The format of ``path`` from its name and first kilobytes (see ``ingest/formats.py``)."""
    from paperfeed.ingest.formats import UnknownFormat, detect_format

    with open_text(path) as (text, _):
        head = text.read(8192)
        at_end = len(head) < 8192
        if not at_end and "\n" not in head and "\r" not in head:
            more = text.readline(FIRST_LINE_MAX)  # a long first line: read it (up to a limit)
            head += more
            at_end = len(more) < FIRST_LINE_MAX and not more.endswith(("\n", "\r"))
    if at_end and not head.endswith(("\n", "\r")):
        head += "\n"  # the whole file was read: its last line is complete
    if not head.strip():
        raise InputError(f"{path} is empty: there is nothing to import")
    name = Path(path.name.removesuffix(".gz"))
    try:
        return detect_format(name, head)
    except UnknownFormat as exc:
        raise InputError(str(exc)) from exc
