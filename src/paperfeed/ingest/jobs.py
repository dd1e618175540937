"""The ingest jobs behind ``paperfeed ingest …``, ``sync`` and ``demo``: source + pipeline + hooks.

Each job opens its source, streams it through :func:`paperfeed.ingest.pipeline.ingest` and then
lets the derived indexes catch up (unless deferred), so the CLI and the web stay one call deep.
"""

from __future__ import annotations

import gzip
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from importlib import resources
from pathlib import Path
from typing import IO, cast

import httpx

from paperfeed.context import Paperfeed
from paperfeed.ingest.arxiv_api import ArxivApiClient
from paperfeed.ingest.arxiv_oai import OaiHarvester
from paperfeed.ingest.parallel import ParallelFileReader, can_fork
from paperfeed.ingest.pipeline import IngestReport, ProgressCallback, ingest
from paperfeed.records import SourceItem

SYNC_CHECKPOINT_PREFIX = "sync:"
# arXiv announces with a lag and revises listings; re-reading a few days is cheap and idempotent.
SYNC_OVERLAP_DAYS = 2
FIRST_SYNC_DAYS = 7
# Files at least this big are parsed in a child process (see ingest/parallel.py); small files are
# not worth the fork.
PARALLEL_MIN_BYTES = 4 * 1024 * 1024


class InputError(Exception):
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
    """Open a (possibly gzipped) UTF-8 file as text; undecodable bytes become U+FFFD, never a crash."""
    try:
        raw = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from exc
    try:
        size = path.stat().st_size
        binary = cast(IO[bytes], gzip.open(raw)) if path.suffix == ".gz" else raw  # noqa: SIM115
        text = io.TextIOWrapper(binary, encoding="utf-8", errors="replace", newline="")
        yield text, ByteProgress(raw, size)
    finally:
        raw.close()


def _readers() -> dict[str, Callable[[IO[str]], Iterator[SourceItem]]]:
    from paperfeed.ingest.formats import READERS

    return READERS  # type: ignore[return-value]


def detect_file_format(path: Path) -> str:
    """The format of ``path`` from its name and first kilobytes (see ``ingest/formats.py``)."""
    from paperfeed.ingest.formats import UnknownFormat, detect_format

    with open_text(path) as (text, _):
        head = text.read(8192)
    name = Path(path.name.removesuffix(".gz"))
    try:
        return detect_format(name, head)
    except UnknownFormat as exc:
        raise InputError(str(exc)) from exc


def ingest_file(
    app: Paperfeed,
    path: Path,
    *,
    file_format: str | None = None,
    strict: bool = False,
    progress: Callable[[IngestReport, int, int], None] | None = None,
    defer_index: bool = False,
) -> IngestReport:
    """Import one file of any supported format; ``progress(report, bytes_done, bytes_total)``."""
    if not path.is_file():
        raise InputError(f"no such file: {path}")
    readers = _readers()
    fmt = file_format or detect_file_format(path)
    if fmt not in readers:
        raise InputError(f"unknown format {fmt!r}; choose one of {', '.join(sorted(readers))}")
    if can_fork() and path.stat().st_size >= PARALLEL_MIN_BYTES and not strict:
        reader = ParallelFileReader(path, fmt, sqlite_dates=app.store.sqlite_dates)
        total = path.stat().st_size
        report = ingest(
            app.store,
            reader,
            batch_size=app.settings.ingest_batch_size,
            progress=(lambda r: progress(r, reader.position, total)) if progress else None,
            background_reader=False,
        )
    else:
        with open_text(path) as (text, position):
            report = ingest(
                app.store,
                readers[fmt](text),
                batch_size=app.settings.ingest_batch_size,
                strict=strict,
                progress=(lambda r: progress(r, position.position, position.total)) if progress else None,
            )
    after_ingest(app, defer_index=defer_index)
    return report


def ingest_arxiv(
    app: Paperfeed,
    *,
    query: str | None = None,
    category: str | None = None,
    ids: list[str] | None = None,
    since: date | None = None,
    until: date | None = None,
    max_results: int | None = None,
    progress: ProgressCallback | None = None,
    defer_index: bool = False,
    transport: httpx.BaseTransport | None = None,
) -> IngestReport:
    """Import from the arXiv search API by query, category and date window, or by id list."""

    client = _api_client(app, transport)
    items: Iterator[SourceItem]
    if ids:
        items = iter(client.fetch(ids))
    else:
        if not (query or category):
            raise InputError("give --query, --category or --id")
        items = client.search(query, category=category, since=since, until=until, max_results=max_results)
    report = ingest(app.store, items, batch_size=app.settings.ingest_batch_size, progress=progress)
    after_ingest(app, defer_index=defer_index)
    return report


def _api_client(app: Paperfeed, transport: httpx.BaseTransport | None) -> ArxivApiClient:
    settings = app.settings
    return ArxivApiClient(
        base_url=settings.arxiv_api_url,
        min_interval=settings.arxiv_min_interval,
        max_retries=settings.arxiv_max_retries,
        timeout=settings.arxiv_timeout,
        transport=transport,
    )


def harvest_oai(
    app: Paperfeed,
    *,
    set_spec: str | None,
    from_date: date | None,
    until_date: date | None,
    restart: bool = False,
    progress: ProgressCallback | None = None,
    defer_index: bool = False,
    transport: httpx.BaseTransport | None = None,
) -> IngestReport:
    """Harvest OAI-PMH ListRecords, resuming from the stored resumptionToken of the same harvest."""
    key = f"oai:{set_spec or '*'}:{from_date or ''}:{until_date or ''}"
    token = None if restart else app.store.get_checkpoint(key)
    harvester = OaiHarvester(
        base_url=app.settings.arxiv_oai_url,
        min_interval=app.settings.arxiv_min_interval,
        max_retries=app.settings.arxiv_max_retries,
        timeout=app.settings.arxiv_timeout,
        transport=transport,
    )
    items = harvester.harvest(set_spec, from_date, until_date, resumption_token=token, checkpoint_key=key)
    report = ingest(app.store, items, batch_size=app.settings.ingest_batch_size, progress=progress)
    after_ingest(app, defer_index=defer_index)
    return report


def sync(
    app: Paperfeed,
    *,
    today: date | None = None,
    progress: ProgressCallback | None = None,
    defer_index: bool = False,
    transport: httpx.BaseTransport | None = None,
) -> dict[str, IngestReport]:
    """Harvest each followed category from its last checkpoint (a cron line keeps the store current).

    Categories map to OAI sets (``cs.LG`` → set ``cs:cs:LG``); each category's checkpoint is the day
    its last complete harvest reached, re-read with a small overlap because arXiv revises listings.
    """
    today = today or datetime.now(UTC).date()
    reports: dict[str, IngestReport] = {}
    for category in app.settings.categories:
        key = SYNC_CHECKPOINT_PREFIX + category
        last = app.store.get_checkpoint(key)
        start = (
            date.fromisoformat(last) - timedelta(days=SYNC_OVERLAP_DAYS)
            if last
            else today - timedelta(days=FIRST_SYNC_DAYS)
        )
        report = harvest_oai(
            app,
            set_spec=oai_set_for_category(category),
            from_date=start,
            until_date=None,
            progress=progress,
            defer_index=True,
            transport=transport,
        )
        app.store.set_checkpoint(key, today.isoformat())
        reports[category] = report
    after_ingest(app, defer_index=defer_index)
    return reports


def oai_set_for_category(category: str) -> str:
    """arXiv's OAI set for a category: ``cs.LG`` → ``cs:cs:LG``, ``hep-th`` → ``physics:hep-th``."""
    archive, _, subject = category.partition(".")
    if archive in {"cs", "math", "stat", "q-bio", "q-fin", "eess", "econ"}:
        return f"{archive}:{archive}:{subject}" if subject else archive
    if archive == "physics" and subject:
        return f"physics:physics:{subject}"
    return f"physics:{archive}"


def demo_files() -> list[Path]:
    """The bundled demo corpus: an arXiv slice and the saved HF Daily Papers pages."""
    root = resources.files("paperfeed") / "data"
    return sorted(Path(str(p)) for p in root.iterdir() if p.name.endswith((".jsonl.gz", ".txt.gz")))


def load_demo(
    app: Paperfeed, *, progress: ProgressCallback | None = None, embed: bool = False
) -> IngestReport:
    """Load the demo corpus (idempotent: a second run reports everything unchanged).

    The keyword index is built right away; embedding the 5,400 abstracts takes minutes on a CPU, so
    it happens only with ``embed`` (``paperfeed demo --embed``) or a later ``paperfeed index rebuild``.
    Until then search is keyword-only and says so.
    """
    total = IngestReport()
    for path in demo_files():
        fmt = "jsonl" if path.name.endswith(".jsonl.gz") else "hf-page"
        report = ingest_file(app, path, file_format=fmt, defer_index=True)
        for name in ("read", "added", "updated", "unchanged", "skipped", "changed_ids", "batches"):
            setattr(total, name, getattr(total, name) + getattr(report, name))
        total.errors.extend(report.errors)
        total.removed_ids.extend(report.removed_ids)
        if progress is not None:
            progress(total)
    after_ingest(app, embed=embed)
    return total


def after_ingest(app: Paperfeed, *, defer_index: bool = False, embed: bool | None = None) -> None:
    """Bring derived indexes up to date with the store, unless deferred.

    Deferring is safe: every index records the change sequence it is current up to. The keyword
    index catches up at the next search (up to a backlog cap); embeddings catch up at the next
    non-deferred ingest or ``paperfeed index rebuild``.
    """
    if defer_index:
        return
    from paperfeed.search.maintenance import update_indexes  # imported late: search imports the store

    update_indexes(app, embed=app.settings.embed_after_ingest if embed is None else embed)
