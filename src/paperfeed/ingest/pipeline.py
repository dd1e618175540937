"""Streams any source into the store in batches, and accounts for every record.

Memory stays flat whatever the input size: records are buffered only up to one batch. A batch and
the checkpoints that follow it are committed together; a checkpoint arriving mid-batch flushes the
batch first, so a stored checkpoint never points past records that are not stored.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field
from typing import Any

from paperfeed.records import Checkpoint, PaperRecord, RecordError, SourceItem
from paperfeed.store.paper_writes import BatchResult
from paperfeed.store.papers import PaperStore
from paperfeed.store.rows import PaperRows

MAX_REPORTED_ERRORS = 1000


class StrictModeError(Exception):
    """Raised in ``--strict`` mode at the first malformed record; the batches before it are kept."""

    def __init__(self, error: RecordError) -> None:
        super().__init__(f"{error.where}: {error.reason}")
        self.error = error


@dataclass(slots=True)
class IngestReport:
    """The accounting printed by ``paperfeed ingest … --json``: every record read lands in one bucket."""

    read: int = 0
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    skipped: int = 0
    errors: list[RecordError] = field(default_factory=list)
    changed_ids: int = 0
    removed_ids: list[str] = field(default_factory=list)
    batches: int = 0

    def __add__(self, other: IngestReport) -> IngestReport:
        """Two runs' accounting as one (``sync`` over several categories, the demo's several files)."""
        return IngestReport(
            read=self.read + other.read,
            added=self.added + other.added,
            updated=self.updated + other.updated,
            unchanged=self.unchanged + other.unchanged,
            skipped=self.skipped + other.skipped,
            errors=[*self.errors, *other.errors],
            changed_ids=self.changed_ids + other.changed_ids,
            removed_ids=[*self.removed_ids, *other.removed_ids],
            batches=self.batches + other.batches,
        )

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = [{"where": e.where, "reason": e.reason} for e in self.errors]
        data["errors_truncated"] = self.skipped > len(self.errors)
        return data


ProgressCallback = Callable[[IngestReport], None]

_CHUNK = 512  # items handed from the reader thread to the writer at a time
_DONE = object()


def prefetch(items: Iterable[SourceItem | PaperRows], depth: int = 16) -> Iterator[SourceItem | PaperRows]:
    """Read ``items`` in a background thread while the caller writes to the store.

    SQLite releases the GIL while it executes, so parsing the next records overlaps the current
    batch's inserts and commit: on two cores this is most of the gap between the two costs. The
    queue is bounded (``depth`` chunks), so memory stays flat. An exception in the reader is
    re-raised in the caller; a caller that stops early stops the reader.
    """
    channel: queue.Queue[object] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(obj: object) -> bool:
        while not stop.is_set():
            try:
                channel.put(obj, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read() -> None:
        chunk: list[SourceItem | PaperRows] = []
        try:
            for item in items:
                chunk.append(item)
                if len(chunk) >= _CHUNK or not isinstance(item, PaperRecord | PaperRows):
                    if not put(chunk):
                        return
                    chunk = []
            if chunk and not put(chunk):
                return
            put(_DONE)
        except BaseException as exc:  # handed to the consumer, which re-raises it
            put(exc)

    reader = threading.Thread(target=read, name="paperfeed-ingest-reader", daemon=True)
    reader.start()
    try:
        while True:
            got = channel.get()
            if got is _DONE:
                return
            if isinstance(got, BaseException):
                raise got
            yield from got  # type: ignore[misc]
    finally:
        stop.set()
        reader.join(timeout=5)


def ingest(
    store: PaperStore,
    items: Iterable[SourceItem | PaperRows],
    *,
    batch_size: int = 5000,
    strict: bool = False,
    progress: ProgressCallback | None = None,
    on_batch: Callable[[BatchResult], None] | None = None,
    background_reader: bool = True,
) -> IngestReport:
    """Write ``items`` into ``store``; returns the report. Malformed records are skipped and listed.

    ``on_batch`` receives each committed batch's result, with the rows it wrote (an import that
    keeps the keyword index as it goes hooks in there, see ``paperfeed.search.live_index``).
    ``background_reader`` reads ``items`` in a thread (see :func:`prefetch`); pass ``False`` when the
    items already come from another process.
    """
    report = IngestReport()
    batch: list[PaperRecord | PaperRows] = []
    checkpoints: list[Checkpoint] = []

    def flush() -> None:
        if not batch and not checkpoints:
            return
        result = store.write_batch(batch, checkpoints)
        report.added += result.added
        report.updated += result.updated
        report.unchanged += result.unchanged
        report.changed_ids += len(result.changed_ids)
        report.removed_ids.extend(result.removed_ids)
        report.batches += 1
        batch.clear()
        checkpoints.clear()
        if on_batch is not None and (result.changed_ids or result.removed_ids):
            on_batch(result)
        if progress is not None:
            progress(report)

    for item in prefetch(items) if background_reader else items:
        if isinstance(item, PaperRecord | PaperRows):
            report.read += 1
            batch.append(item)
            if len(batch) >= batch_size:
                flush()
        elif isinstance(item, RecordError):
            report.read += 1
            report.skipped += 1
            if len(report.errors) < MAX_REPORTED_ERRORS:
                report.errors.append(item)
            if strict:
                flush()
                raise StrictModeError(item)
        else:
            checkpoints.append(item)
            flush()
    flush()
    return report
