"""The ingest jobs behind ``paperfeed ingest …``, ``sync`` and ``demo``: a source into the store.

Each job opens its source and streams it through :func:`paperfeed.ingest.pipeline.ingest`. Jobs
only commit to the store: the indexes follow the store's change feed (``paperfeed.search.indexer``),
so an ingest never waits for, or fights over, an index, and a web submission never loads a model.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

import httpx

from paperfeed.context import Paperfeed
from paperfeed.ingest.arxiv_api import ArxivApiClient
from paperfeed.ingest.arxiv_oai import OaiHarvester
from paperfeed.ingest.files import InputError, detect_file_format, open_text, readers
from paperfeed.ingest.http import Notify, PoliteOptions
from paperfeed.ingest.parallel import ParallelFileReader, can_fork
from paperfeed.ingest.pipeline import IngestReport, ProgressCallback, ingest
from paperfeed.records import SourceItem
from paperfeed.store.paper_writes import BatchResult

__all__ = [
    "InputError",
    "demo_files",
    "demo_vectors_file",
    "harvest_oai",
    "ingest_arxiv",
    "ingest_file",
    "load_demo",
    "sync",
]

SYNC_CHECKPOINT_PREFIX = "sync:"
# arXiv announces with a lag and revises listings; re-reading a few days is cheap and idempotent.
SYNC_OVERLAP_DAYS = 2
FIRST_SYNC_DAYS = 7
# Files at least this big are parsed in a child process (see ingest/parallel.py); small files are
# not worth the fork.
PARALLEL_MIN_BYTES = 4 * 1024 * 1024


def ingest_file(
    app: Paperfeed,
    path: Path,
    *,
    file_format: str | None = None,
    strict: bool = False,
    progress: Callable[[IngestReport, int, int], None] | None = None,
    on_batch: Callable[[BatchResult], None] | None = None,
) -> IngestReport:
    """Import one file of any supported format; ``progress(report, bytes_done, bytes_total)``;
    ``on_batch`` hears each committed batch (see :func:`paperfeed.ingest.pipeline.ingest`)."""
    if path.is_dir():
        raise InputError(f"{path} is a folder: give one file (e.g. {path}/papers.jsonl)")
    if not path.exists():
        raise InputError(f"no such file: {path}")
    if not path.is_file():
        raise InputError(f"{path} is not a regular file")
    readers_by_format = readers()
    fmt = file_format or detect_file_format(path)
    if fmt not in readers_by_format:
        raise InputError(f"unknown format {fmt!r}; choose one of {', '.join(sorted(readers_by_format))}")
    if can_fork() and path.stat().st_size >= PARALLEL_MIN_BYTES and not strict:
        reader = ParallelFileReader(path, fmt, sqlite_dates=app.store.papers.sqlite_dates)
        total = path.stat().st_size
        report = ingest(
            app.store.papers,
            reader,
            batch_size=app.settings.ingest_batch_size,
            progress=(lambda r: progress(r, reader.position, total)) if progress else None,
            background_reader=False,
            on_batch=on_batch,
        )
    else:
        with open_text(path) as (text, position):
            report = ingest(
                app.store.papers,
                readers_by_format[fmt](text),
                batch_size=app.settings.ingest_batch_size,
                strict=strict,
                progress=(lambda r: progress(r, position.position, position.total)) if progress else None,
                on_batch=on_batch,
            )
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
    transport: httpx.BaseTransport | None = None,
    notify: Notify | None = None,
    timeout: float | None = None,
    max_retries: int | None = None,
) -> IngestReport:
    """Import from the arXiv search API by query, category and date window, or by id list.

    ``timeout`` and ``max_retries`` override the settings (a web submission waits less than a
    cron job); ``notify`` hears what is being tried (see :class:`~paperfeed.ingest.http.PoliteClient`).
    """
    client = _api_client(app, transport, notify, timeout, max_retries)
    items: Iterator[SourceItem]
    if ids:
        items = iter(client.fetch(ids))
    else:
        if not (query or category):
            raise InputError("give --query, --category or --id")
        if since is not None and until is None:
            until = app.clock.now().date()  # arXiv's date range needs both ends
        items = client.search(query, category=category, since=since, until=until, max_results=max_results)
    report = ingest(app.store.papers, items, batch_size=app.settings.ingest_batch_size, progress=progress)
    return report


def arxiv_options(
    app: Paperfeed,
    transport: httpx.BaseTransport | None,
    notify: Notify | None,
    timeout: float | None = None,
    max_retries: int | None = None,
) -> PoliteOptions:
    """How politely to ask arXiv (both of its services), from the settings; a person waiting on a
    page passes a shorter ``timeout`` and fewer ``max_retries``."""
    settings = app.settings
    return PoliteOptions(
        min_interval=settings.arxiv_min_interval,
        max_retries=settings.arxiv_max_retries if max_retries is None else max_retries,
        timeout=settings.arxiv_timeout if timeout is None else timeout,
        transport=transport,
        notify=notify,
    )


def _api_client(
    app: Paperfeed,
    transport: httpx.BaseTransport | None,
    notify: Notify | None,
    timeout: float | None,
    max_retries: int | None,
) -> ArxivApiClient:
    options = arxiv_options(app, transport, notify, timeout, max_retries)
    return ArxivApiClient(app.settings.arxiv_api_url, options)


def harvest_oai(
    app: Paperfeed,
    *,
    set_spec: str | None,
    from_date: date | None,
    until_date: date | None,
    restart: bool = False,
    progress: ProgressCallback | None = None,
    transport: httpx.BaseTransport | None = None,
    notify: Notify | None = None,
) -> IngestReport:
    """Harvest OAI-PMH ListRecords, resuming from the stored resumptionToken of the same harvest."""
    key = f"oai:{set_spec or '*'}:{from_date or ''}:{until_date or ''}"
    token = None if restart else app.store.papers.get_checkpoint(key)
    harvester = OaiHarvester(app.settings.arxiv_oai_url, arxiv_options(app, transport, notify))
    if notify is not None:
        resuming = " (resuming a stopped harvest)" if token else ""
        notify(f"harvesting OAI set {set_spec or 'all'} from {from_date or 'the start'}{resuming}")
    items = harvester.harvest(set_spec, from_date, until_date, resumption_token=token, checkpoint_key=key)
    report = ingest(app.store.papers, items, batch_size=app.settings.ingest_batch_size, progress=progress)
    return report


def sync(
    app: Paperfeed,
    *,
    today: date | None = None,
    progress: ProgressCallback | None = None,
    transport: httpx.BaseTransport | None = None,
    notify: Notify | None = None,
) -> dict[str, IngestReport]:
    """Harvest each followed category from its last checkpoint (a cron line keeps the store current).

    Categories map to OAI sets (``cs.LG`` → set ``cs:cs:LG``); each category's checkpoint is the day
    its last complete harvest reached, re-read with a small overlap because arXiv revises listings.
    """
    today = today or app.clock.now().date()
    reports: dict[str, IngestReport] = {}
    for category in app.settings.categories:
        key = SYNC_CHECKPOINT_PREFIX + category
        last = app.store.papers.get_checkpoint(key)
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
            transport=transport,
            notify=notify,
        )
        app.store.papers.set_checkpoint(key, today.isoformat())
        reports[category] = report
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


def demo_vectors_file() -> Path | None:
    """The demo corpus's vectors (all-MiniLM-L6-v2, made by ``scripts/build-demo-vectors.sh``), if bundled."""
    path = Path(str(resources.files("paperfeed") / "data" / "demo-vectors.npz"))
    return path if path.is_file() else None


def load_demo(app: Paperfeed, *, progress: ProgressCallback | None = None) -> IngestReport:
    """Load the demo corpus into the store (idempotent: a second run reports everything unchanged)."""
    total = IngestReport()
    for path in demo_files():
        fmt = "jsonl" if path.name.endswith(".jsonl.gz") else "hf-page"
        total += ingest_file(app, path, file_format=fmt)
        if progress is not None:
            progress(total)
    return total
