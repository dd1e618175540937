"""The indexer: the one writer of a data dir's indexes, following the store's change feed.

Ingest only commits to the store. Whoever holds the indexer lock of a data dir's ``index/`` folder
(an exclusive ``flock`` on ``index/indexer.lock``) is the only process that writes its keyword
index, the recommender's TF-IDF features (:mod:`~paperfeed.search.tfidf_updates`) and vectors; every other process opens them read-only and sees new commits on its next
search. The lock is held by:

* ``paperfeed index follow`` (long-running, for a service manager) or the same loop running as a
  background thread of ``paperfeed serve`` (on by default; ``--no-indexer`` for extra instances
  sharing a data dir). A second follower waits as a standby and takes over when the first stops;
* one-shot commands (``ingest``, ``demo``, ``index rebuild``) for as long as they catch the index up
  themselves, which they do only when nobody holds the lock; otherwise they hand over: the running
  indexer picks their changes up within its poll interval.

A crash anywhere is safe: see :mod:`paperfeed.search.index_updates` for the order of commits and marks.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from paperfeed.background import Backoff
from paperfeed.context import Paperfeed
from paperfeed.errors import Unavailable
from paperfeed.search.index_updates import lexical_path, update_lexical, update_vectors
from paperfeed.search.lexical import LexicalIndex
from paperfeed.search.marks import UpdateReport, valid_mark
from paperfeed.search.tfidf_updates import FEATURE_SLICE, tfidf_status, update_tfidf
from paperfeed.search.vectors import VectorStore, open_vectors, vectors_path

log = logging.getLogger(__name__)

LOCK_FILE = "indexer.lock"
TASKS = ("keyword index", "TF-IDF features", "embeddings")
"""The follow loop's tasks, each with its own backoff."""
EMBED_SLICE = 512
"""Papers the follow loop embeds between two keyword-index catch-ups (a slice takes ~10-30 s on a
2-core CPU), so new papers become keyword-searchable within seconds even during a long embed."""


class IndexerBusy(Unavailable):
    """Another process holds this data dir's indexer lock (a running server or ``index follow``)."""


class IndexerLock:
    """An exclusive, non-blocking ``flock`` on ``index/indexer.lock``; released when the process dies."""

    def __init__(self, index_dir: Path) -> None:
        self.path = index_dir / LOCK_FILE
        self._handle: IO[str] | None = None

    def try_acquire(self) -> bool:
        if self._handle is not None:
            return True
        self.path.parent.mkdir(parents=True, exist_ok=True)
        handle = self.path.open("a+", encoding="utf-8")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            return False
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        self._handle = handle
        return True

    def release(self) -> None:
        if self._handle is not None:
            fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None

    @property
    def held(self) -> bool:
        return self._handle is not None

    def holder(self) -> int | None:
        """The pid written by the current holder, when someone holds it (for status messages)."""
        probe = IndexerLock(self.path.parent)
        if probe.try_acquire():
            probe.release()
            return None
        try:
            return int(self.path.read_text().strip() or 0) or None
        except (OSError, ValueError):
            return None


def _update_all(
    app: Paperfeed, *, embed: bool, full: bool, progress: Callable[[str, int], None] | None
) -> list[UpdateReport]:
    def on(name: str) -> Callable[[int], None] | None:
        return (lambda n: progress(name, n)) if progress is not None else None

    reports = [update_lexical(app, full=full, progress=on("lexical"))]
    reports.append(update_tfidf(app, full=full, progress=on("tfidf")))
    if embed:
        reports.append(update_vectors(app, full=full, progress=on("vectors")))
    return reports


def catch_up(
    app: Paperfeed,
    *,
    embed: bool = True,
    full: bool = False,
    progress: Callable[[str, int], None] | None = None,
) -> list[UpdateReport]:
    """Bring every index up to date now, as this data dir's indexer; :class:`IndexerBusy` when
    another process is the indexer (``index rebuild`` next to a running server)."""
    lock = IndexerLock(app.settings.index_dir)
    if not lock.try_acquire():
        holder = lock.holder()
        raise IndexerBusy(
            f"the indexes in {app.settings.index_dir} are kept by another process"
            + (f" (pid {holder})" if holder else "")
            + ": it indexes new papers by itself; stop it to rebuild by hand"
        )
    try:
        return _update_all(app, embed=embed, full=full, progress=progress)
    finally:
        lock.release()


@dataclass(slots=True)
class CatchUp:
    """What a one-shot command did about the indexes after writing to the store."""

    reports: list[UpdateReport] = field(default_factory=list)
    handed_over: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"handed_over": self.handed_over, "indexes": [r.to_dict() for r in self.reports]}


def catch_up_or_hand_over(app: Paperfeed, *, embed: bool = False) -> CatchUp:
    """After an ingest: index now when nobody else is the indexer, else leave it to the indexer."""
    try:
        return CatchUp(catch_up(app, embed=embed))
    except IndexerBusy:
        return CatchUp(handed_over=True)


class Indexer:
    """The follow loop: catch the keyword index up, embed a slice, sleep, repeat.

    ``run`` blocks until ``stop`` is set. While another process holds the lock it waits as a standby
    and retries every poll interval. Each index is its own task with its own
    :class:`~paperfeed.background.Backoff`: a task that fails (the database restarting, an embedding
    model that cannot be imported while the semantic extra is being installed) is logged once, waits
    longer and longer between tries, and does not hold up the others: new papers stay keyword-
    searchable while embedding is broken. Nothing a task raises ends the loop or the server.
    """

    def __init__(
        self,
        app: Paperfeed,
        *,
        embed: bool | None = None,
        poll_seconds: float | None = None,
        extra_steps: Sequence[Callable[[], object]] = (),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        # Work that follows the indexes, run after each round while the lock is held: the shells
        # pass the enrichment's slice (paperfeed.enrich.run.EnrichFollower), which sits above search.
        self.extra_steps = list(extra_steps)
        self.embed = app.settings.embed_after_ingest if embed is None else embed
        self.poll_seconds = poll_seconds or app.settings.indexer_poll_seconds
        self.lock = IndexerLock(app.settings.index_dir)
        self.stop = threading.Event()
        self.rounds = 0
        self.backoffs = {
            name: Backoff(f"indexer: {name}", log, self.poll_seconds, clock=clock)
            for name in ("the indexer lock", *TASKS)
        }
        # Each extra step fails and recovers on its own too (the enrichment reaching the network).
        self.step_backoffs = [
            Backoff(
                f"indexer: extra step {getattr(step, '__name__', type(step).__name__)}",
                log,
                self.poll_seconds,
                clock=clock,
            )
            for step in self.extra_steps
        ]

    def _tasks(self) -> list[tuple[str, Callable[[], UpdateReport]]]:
        tasks: list[tuple[str, Callable[[], UpdateReport]]] = [
            ("keyword index", lambda: update_lexical(self.app)),
            ("TF-IDF features", lambda: update_tfidf(self.app, budget=FEATURE_SLICE)),
        ]
        if self.embed:
            tasks.append(("embeddings", lambda: update_vectors(self.app, budget=EMBED_SLICE)))
        return tasks

    def run_once(self) -> list[UpdateReport]:
        """One round (the lock must be held): returns what changed; a failing index raises."""
        reports = []
        for name, task in self._tasks():
            report = task()
            if name == "keyword index" or report.skipped is None:
                reports.append(report)
        self.rounds += 1
        return reports

    def _round(self) -> list[UpdateReport]:
        """One round of the follow loop: every task not waiting out a failure runs; failures are
        recorded in the task's backoff, never raised."""
        reports = []
        for name, task in self._tasks():
            backoff = self.backoffs[name]
            if not backoff.ready():
                continue
            try:
                report = task()
            except (Exception, SystemExit) as exc:  # SystemExit: a library giving up inside our thread
                backoff.failed(exc)
                continue
            backoff.succeeded()
            if name == "keyword index" or report.skipped is None:
                reports.append(report)
        self.rounds += 1
        return reports

    def _acquire(self) -> bool:
        """The lock, or False; a lock that cannot even be tried (an unwritable index dir) backs off."""
        backoff = self.backoffs["the indexer lock"]
        if not backoff.ready():
            return False
        try:
            held = self.lock.try_acquire()
        except OSError as exc:
            backoff.failed(exc)
            return False
        backoff.succeeded()
        return held

    def run(self, on_round: Callable[[list[UpdateReport]], None] | None = None) -> None:
        waiting_logged = False
        try:
            while not self.stop.is_set():
                if not self._acquire():
                    if not waiting_logged and not self.backoffs["the indexer lock"].failing:
                        log.info(
                            "indexer: another process keeps %s; standing by", self.app.settings.index_dir
                        )
                        waiting_logged = True
                    self.stop.wait(self.poll_seconds)
                    continue
                reports = self._round()
                if on_round is not None:
                    on_round(reports)
                for step, step_backoff in zip(self.extra_steps, self.step_backoffs, strict=True):
                    if self.stop.is_set():
                        break
                    if not step_backoff.ready():
                        continue
                    try:
                        step()
                    except (Exception, SystemExit) as exc:  # the indexes keep following whatever a step does
                        step_backoff.failed(exc)
                        continue
                    step_backoff.succeeded()
                busy = any(r.indexed or r.removed for r in reports) or any(r.pending for r in reports)
                if not any(r.pending for r in reports):
                    self.stop.wait(self.poll_seconds if not busy else 0.05)
        finally:
            self.lock.release()

    def start_thread(self) -> threading.Thread:
        """Run in a daemon thread (``paperfeed serve``); stop with ``indexer.stop.set()``."""
        thread = threading.Thread(target=self.run, name="paperfeed-indexer", daemon=True)
        thread.start()
        return thread


def index_status(app: Paperfeed) -> dict[str, Any]:
    """What is indexed and embedded, and what is pending, per index; who keeps the indexes."""
    papers = app.store.papers
    seq = papers.current_seq()
    papers_count = papers.count()
    path = lexical_path(app)
    exists = LexicalIndex.exists(path)
    mark = valid_mark(path) if exists else None
    lexical: dict[str, Any] = {
        "path": str(path),
        "exists": exists,
        "documents": LexicalIndex.open_reader(path).num_docs() if exists else 0,
        "current_to_seq": mark.seq if mark else None,
        "pending": papers.changed_count(mark.seq) if mark else papers_count,
        "needs_full_rebuild": mark is None,
    }
    holder = IndexerLock(app.settings.index_dir).holder()
    return {
        "papers": papers_count,
        "change_seq": seq,
        "indexer_pid": holder,
        "lexical": lexical,
        "tfidf": tfidf_status(app),
        "vectors": vectors_status(app),
    }


def vectors_status(app: Paperfeed) -> dict[str, Any]:
    model = app.settings.embedding_model
    path = vectors_path(app.settings, model)
    store = open_vectors(app)
    mark = valid_mark(path) if VectorStore.exists(path) else None
    embedded = len(store) if store is not None else 0
    return {
        "model": model,
        "path": str(path),
        "embedded": embedded,
        "current_to_seq": mark.seq if mark else None,
        "pending": (
            app.store.papers.changed_count(mark.seq, mark.after_id) if mark else app.store.papers.count()
        ),
        "search": (
            "none"
            if store is None
            else (
                "exact" if len(store) <= store.exact_max else f"faiss IVF (nprobe {store.nprobe or 'auto'})"
            )
        ),
    }
