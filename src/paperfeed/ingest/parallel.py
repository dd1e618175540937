"""Parse a file in a child process while the parent writes to the store: both cores at work.

Profiling a large Kaggle import showed parsing (JSON, dates, whitespace clean-up) and writing
(SQLite inserts) each cost about half the time, and a reader *thread* gains nothing because both
halves need the GIL. A child process parses and pickles chunks of records; the parent only unpickles
and writes. The queue is bounded, so memory stays flat; the child exits when the parent stops
reading or dies (it checks its parent's pid while it waits), also after its last chunk: a child that
had parsed everything before its parent was killed used to wait forever for the dead parent to
drain the pipe (its queue's feeder thread cannot finish a write nobody reads).
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import queue
from collections.abc import Iterator
from multiprocessing.sharedctypes import Synchronized
from multiprocessing.synchronize import Event as EventType
from pathlib import Path
from typing import Any, TextIO, cast

import orjson

from paperfeed.records import Checkpoint, PaperRecord, RecordError, SourceItem
from paperfeed.store.rows import PaperRows

_CHUNK = 1000
_DEPTH = 8
_DONE = b"done"


def _child(
    path: str,
    fmt: str,
    channel: multiprocessing.Queue[bytes],
    position: Synchronized[int],
    taken: EventType,
    parent: int,
    sqlite_dates: bool | None,
) -> None:
    from paperfeed.ingest.files import open_binary, open_text
    from paperfeed.ingest.formats import READERS
    from paperfeed.ingest.kaggle_rows import read_kaggle_rows
    from paperfeed.store.rows import to_rows

    def put(payload: bytes) -> bool:
        while True:
            try:
                channel.put(payload, timeout=0.5)
                return True
            except queue.Full:
                if os.getppid() != parent:
                    # Nobody will drain the pipe: exit without waiting for the queue's feeder
                    # thread, which would otherwise block this process forever.
                    channel.cancel_join_thread()
                    return False

    def put_last(payload: bytes) -> None:
        """Put the last payload, then wait until the parent has taken it or is gone: only then
        may this process exit (exiting waits for the queue's feeder thread to write it all)."""
        if not put(payload):
            return
        while not taken.wait(0.5):
            if os.getppid() != parent:
                channel.cancel_join_thread()
                return

    def items(source: Any) -> Iterator[SourceItem | PaperRows]:
        if fmt == "kaggle" and sqlite_dates is True:  # bytes to SQLite rows in one pass
            return read_kaggle_rows(source)
        return READERS[fmt](cast(TextIO, source))

    opener = open_binary if fmt == "kaggle" and sqlite_dates is True else open_text
    try:
        with opener(Path(path)) as (source, progress):
            chunk: list[SourceItem | PaperRows] = []
            for item in items(source):
                if sqlite_dates is not None and isinstance(item, PaperRecord):
                    chunk.append(to_rows(item, sqlite_dates=sqlite_dates))
                else:
                    chunk.append(item)
                if len(chunk) >= _CHUNK:
                    position.value = progress.position
                    if not put(_encode(chunk)):
                        return
                    chunk = []
            position.value = progress.total
            if chunk and not put(_encode(chunk)):
                return
        put_last(_DONE)
    except BaseException as exc:  # reported to the parent, which raises it
        put_last(_PICKLE + pickle.dumps(RuntimeError(f"reading {path} failed: {exc}")))


_JSON = b"J"  # a chunk of SQLite rows, errors and checkpoints as JSON (orjson): fast to load
_PICKLE = b"P"  # anything else (records, rows with datetime objects)


def _encode(chunk: list[SourceItem | PaperRows]) -> bytes:
    """Serialise a chunk for the parent; rows whose values are all JSON types go as JSON.

    Unpickling a thousand rows of small tuples cost the writing process about 24 µs a paper, a
    third of its budget; ``orjson.loads`` of the same rows is several times cheaper.
    """
    if not any(isinstance(item, PaperRecord) for item in chunk):
        try:
            encoded: list[list[Any]] = []
            for item in chunk:
                if isinstance(item, PaperRows):
                    encoded.append([0, *item])
                elif isinstance(item, RecordError):
                    encoded.append([1, item.where, item.reason])
                elif isinstance(item, Checkpoint):
                    encoded.append([2, item.key, item.value])
            return _JSON + orjson.dumps(encoded, option=orjson.OPT_PASSTHROUGH_DATETIME)
        except TypeError:  # a datetime in the rows (non-SQLite backend): pickle keeps its type
            pass
    return _PICKLE + pickle.dumps(chunk, protocol=pickle.HIGHEST_PROTOCOL)


def _decode(payload: bytes) -> list[SourceItem | PaperRows] | BaseException:
    if payload[:1] == _PICKLE:
        loaded: list[SourceItem | PaperRows] | BaseException = pickle.loads(payload[1:])
        return loaded
    items: list[SourceItem | PaperRows] = []
    for row in orjson.loads(payload[1:]):
        kind = row[0]
        if kind == 0:
            pid, digest, key, paper, author_keys, categories, published_ts = row[1:]
            items.append(PaperRows(pid, digest, key, tuple(paper), author_keys, categories, published_ts))
        elif kind == 1:
            items.append(RecordError(row[1], row[2]))
        else:
            items.append(Checkpoint(row[1], row[2]))
    return items


class ParallelFileReader:
    """Iterate the items of ``path`` (format ``fmt``) parsed in a child process.

    ``position`` is how many bytes of the file the child has consumed, for progress bars. With
    ``sqlite_dates`` set (``True`` for SQLite, ``False`` for other backends) records arrive already
    turned into the store's rows, so the writing process does even less.
    """

    def __init__(self, path: Path, fmt: str, *, sqlite_dates: bool | None = None) -> None:
        context = multiprocessing.get_context("fork")
        self._channel: multiprocessing.Queue[bytes] = context.Queue(maxsize=_DEPTH)
        self._position: Synchronized[int] = context.Value("q", 0)
        self._taken = context.Event()  # the parent has read the child's last payload
        self._process = context.Process(
            target=_child,
            args=(str(path), fmt, self._channel, self._position, self._taken, os.getpid(), sqlite_dates),
            name="paperfeed-parse",
            daemon=True,
        )

    @property
    def position(self) -> int:
        return int(self._position.value)

    def __iter__(self) -> Iterator[SourceItem | PaperRows]:
        self._process.start()
        try:
            while True:
                try:
                    payload = self._channel.get(timeout=1.0)
                except queue.Empty:
                    if not self._process.is_alive():
                        raise RuntimeError("the parsing process died unexpectedly") from None
                    continue
                if payload == _DONE:
                    self._taken.set()
                    return
                got = _decode(payload)
                if isinstance(got, BaseException):
                    self._taken.set()
                    raise got
                yield from got
        finally:
            if self._process.is_alive():
                self._process.terminate()
            self._process.join(timeout=5)


def can_fork() -> bool:
    """The parallel reader needs ``fork`` (Linux, macOS); elsewhere the caller reads in-process."""
    return "fork" in multiprocessing.get_all_start_methods()
