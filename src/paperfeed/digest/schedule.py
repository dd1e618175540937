"""The in-app scheduler (``paperfeed serve --scheduler``): ``sync``, the enrichment, the fit of
For you's blend weights on the members (``paperfeed recommend fit``) and the digest send, daily.

Every instance started with ``--scheduler`` runs this loop in a background thread, but only the
holder of the ``scheduler`` lease in the store does anything: with several instances (or workers),
one schedules and the others stand by, taking over within the lease's time-to-live if it stops.

Each job runs once per UTC day, at or after its time (``PAPERFEED_SCHEDULER_SYNC_TIME``,
``PAPERFEED_SCHEDULER_DIGEST_TIME``); a day's run is recorded in the store (``scheduled_runs``),
so a restart, or a new holder, neither repeats a finished job nor skips a missed one (an instance
started at noon runs the morning's jobs at once). A failed job is tried again after
:data:`RETRY_AFTER`. Both jobs are safe to repeat: ``sync`` re-reads an overlap, and the digest
send is exactly-once through its ledger.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from paperfeed.background import Backoff
from paperfeed.context import Paperfeed
from paperfeed.digest.lease import HeldLease
from paperfeed.digest.recommended import PersonalRecommendations
from paperfeed.digest.sender import send_digests
from paperfeed.enrich.run import run_enrichment

log = logging.getLogger(__name__)

LEASE_NAME = "scheduler"
LEASE_TTL = 90.0
"""Seconds before a standby instance takes the scheduler over from one that stopped renewing."""
RETRY_AFTER = timedelta(minutes=15)


@dataclass(frozen=True, slots=True)
class Job:
    name: str
    at: time
    run: Callable[[], str]
    """Does the work; returns a one-line summary for the ``scheduled_runs`` record."""


def _at(text: str) -> time:
    hours, minutes = text.split(":")
    return time(int(hours), int(minutes))


def sync_job(app: Paperfeed) -> str:
    from paperfeed.ingest.jobs import sync

    reports = sync(app)
    added = sum(r.added for r in reports.values())
    updated = sum(r.updated for r in reports.values())
    return f"sync: {added} added, {updated} updated in {', '.join(reports) or 'no categories'}"


def digest_job(app: Paperfeed) -> str:
    report = send_digests(app, recommendations=PersonalRecommendations(app))
    summary = report.to_dict()
    keys = ("periods", "subscribers", "sent", "skipped", "failed", "deferred", "stopped")
    return "digest: " + json.dumps({key: summary[key] for key in keys})


def enrich_job(app: Paperfeed) -> str:
    """``paperfeed enrich``'s work: links and keywords, stars, summaries of what is due."""
    report = run_enrichment(app).to_dict()
    keys = ("papers", "repos_asked", "stars_updated", "summaries", "summaries_left", "busy")
    return "enrich: " + json.dumps({key: report[key] for key in keys})


def recommend_fit_job(app: Paperfeed) -> str:
    """``paperfeed recommend fit``'s work: the blend's weights fitted on the store's members."""
    from paperfeed.recommend.fitting import fit_store_weights

    report = fit_store_weights(app)
    return f"recommend-fit: {report.status}: {report.message}"


def default_jobs(app: Paperfeed) -> list[Job]:
    settings = app.settings
    return [
        Job("sync", _at(settings.scheduler_sync_time), lambda: sync_job(app)),
        Job("enrich", _at(settings.scheduler_enrich_time), lambda: enrich_job(app)),
        Job("recommend-fit", _at(settings.scheduler_fit_time), lambda: recommend_fit_job(app)),
        Job("digest", _at(settings.scheduler_digest_time), lambda: digest_job(app)),
    ]


class Scheduler:
    """The loop; :meth:`run_once` is one look at the clock (tests call it with their own ``now``)."""

    def __init__(
        self,
        app: Paperfeed,
        *,
        jobs: list[Job] | None = None,
        poll_seconds: float | None = None,
        lease_ttl: float = LEASE_TTL,
    ) -> None:
        self.app = app
        self.jobs = jobs if jobs is not None else default_jobs(app)
        self.poll_seconds = poll_seconds or app.settings.scheduler_poll_seconds
        self.lease = HeldLease(app, LEASE_NAME, lease_ttl)
        self.stop = threading.Event()
        self.backoff = Backoff("scheduler", log, self.poll_seconds)

    def due(self, job: Job, now: datetime) -> bool:
        """Whether ``job`` should run now: its time has come today and today's run is not done
        (a failed run is due again :data:`RETRY_AFTER` after it failed)."""
        if now.time() < job.at:
            return False
        state = self.app.store.schedule.state(job.name, now.date().isoformat())
        if state is None:
            return True
        status, finished = state
        if status == "done":
            return False
        if status == "failed":
            return finished is None or now - finished >= RETRY_AFTER
        return True  # "running" by a holder that died (we hold the lease now)

    def run_once(self, now: datetime | None = None) -> list[str]:
        """Run what is due, if this process holds the scheduler lease; names of the jobs run."""
        if not self.lease.try_acquire():
            return []
        ran = []
        for job in self.jobs:
            moment = now or self.app.clock.now()
            if self.stop.is_set() or self.lease.lost.is_set() or not self.due(job, moment):
                continue
            day = moment.date().isoformat()
            self.app.store.schedule.start(job.name, day, now=self.app.clock.now())
            try:
                detail = job.run()
                ok = True
            except (Exception, SystemExit) as exc:  # SystemExit: a library giving up inside our thread
                log.exception("scheduled job %s failed; it is tried again in %s", job.name, RETRY_AFTER)
                detail, ok = f"failed: {exc!r}", False
            self.app.store.schedule.finish(job.name, day, ok=ok, detail=detail, now=self.app.clock.now())
            log.info("scheduled job %s (%s): %s", job.name, day, detail)
            ran.append(job.name)
        return ran

    def run(self) -> None:
        """Until ``stop`` is set: look every poll interval. A round that fails (the store unreachable)
        is logged once and retried less and less often (:class:`~paperfeed.background.Backoff`);
        never fatal."""
        try:
            while not self.stop.is_set():
                wait = self.poll_seconds
                try:
                    self.run_once()
                    self.backoff.succeeded()
                except (Exception, SystemExit) as exc:
                    wait = max(wait, self.backoff.failed(exc))
                self.stop.wait(wait)
        finally:
            self.lease.release()

    def start_thread(self) -> threading.Thread:
        thread = threading.Thread(target=self.run, name="paperfeed-scheduler", daemon=True)
        thread.start()
        return thread
