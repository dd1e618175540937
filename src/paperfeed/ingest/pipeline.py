"""Streams any source into the store in batches, and accounts for every record.

Memory stays flat whatever the input size: records are buffered only up to one batch. A batch and
the checkpoints that follow it are committed together; a checkpoint arriving mid-batch flushes the
batch first, so a stored checkpoint never points past records that are not stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any

from paperfeed.records import Checkpoint, PaperRecord, RecordError, SourceItem
from paperfeed.store.papers import PaperStore

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

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["errors"] = [{"where": e.where, "reason": e.reason} for e in self.errors]
        data["errors_truncated"] = self.skipped > len(self.errors)
        return data


ProgressCallback = Callable[[IngestReport], None]


def ingest(
    store: PaperStore,
    items: Iterable[SourceItem],
    *,
    batch_size: int = 5000,
    strict: bool = False,
    progress: ProgressCallback | None = None,
    on_batch: Callable[[list[str]], None] | None = None,
) -> IngestReport:
    """Write ``items`` into ``store``; returns the report. Malformed records are skipped and listed.

    ``on_batch`` receives the ids each committed batch changed (the search index hooks in there).
    """
    report = IngestReport()
    batch: list[PaperRecord] = []
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
            on_batch(result.changed_ids)
        if progress is not None:
            progress(report)

    for item in items:
        if isinstance(item, PaperRecord):
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
