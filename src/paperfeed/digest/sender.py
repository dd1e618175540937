"""Sending a period's digests exactly once per subscriber, through the send ledger.

One run (``paperfeed digest send``, the scheduler) does, per due period:

1. **Plan**: a ``queued`` ledger row for every active subscription of the period's frequency
   (``INSERT … ON CONFLICT DO NOTHING``: rows that exist, from an earlier or concurrent run, stay).
2. **Claim** a batch of rows (:meth:`paperfeed.store.SendLedger.claim`: ``SKIP LOCKED`` on
   PostgreSQL, the write lock on SQLite), so that two runs never hold the same row.
3. **Compose** each claimed digest (or reuse the one stored by a run that died after preparing it),
   record its Message-ID and content, then hand the batch to the mail backend.
4. **Record** each outcome the moment the server answered (``sent``; ``failed`` for good; back to
   ``queued`` for a later run after a temporary failure), before that connection sends the next.

The run holds a lease in the store that a heartbeat thread renews; its claims are its own while the
lease lives. A run killed mid-batch leaves ``sending`` rows behind: the next run waits for the dead
run's lease to expire (``PAPERFEED_DIGEST_CLAIM_TTL``) and takes them over, resending with the same
Message-ID and content. What this means at the SMTP boundary is in ``docs/digest.md``.
"""

from __future__ import annotations

import json
import logging
import multiprocessing
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import asdict, dataclass, field
from datetime import date
from email.message import EmailMessage
from typing import Any

from paperfeed.clock import wall_now
from paperfeed.context import Paperfeed
from paperfeed.digest import links
from paperfeed.digest.compose import ComposedDigest
from paperfeed.digest.content import PeriodContent, RankingProvider
from paperfeed.digest.due import due_periods, ledger_key, periods_for_day
from paperfeed.digest.lease import HeldLease
from paperfeed.digest.render import DigestRenderer, digest_message
from paperfeed.enrich.view import summary_lines
from paperfeed.mail import DeliveryStatus, MailBackend, SendOutcome, backend_for
from paperfeed.periods import Period
from paperfeed.search.engine import lexical_backlog
from paperfeed.search.indexer import catch_up_or_hand_over
from paperfeed.store import ClaimedSend, Subscription

log = logging.getLogger(__name__)

EMPTY_DETAIL = "not sent: nothing new for this subscription in the period"
INDEX_WAIT_SECONDS = 120.0
"""How long a run waits for another process's indexer to put the period's papers in the keyword index."""


@dataclass(slots=True)
class PeriodReport:
    """What one run did for one period (counts of this run; ``already`` is what earlier runs did)."""

    period: str
    subscribers: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    deferred: int = 0
    paused: int = 0
    already: int = 0
    would_send: int = 0
    compose_seconds: float = 0.0
    send_seconds: float = 0.0
    stopped: str | None = None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["compose_seconds"] = round(self.compose_seconds, 3)
        data["send_seconds"] = round(self.send_seconds, 3)
        return data


@dataclass(slots=True)
class SendReport:
    """A whole run: each due period's report and the totals (``paperfeed digest send --json``)."""

    period: str
    periods: dict[str, str | None]
    dry_run: bool
    reports: list[PeriodReport] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    seconds: float = 0.0

    def total(self, name: str) -> int:
        return sum(int(getattr(report, name)) for report in self.reports)

    @property
    def stopped(self) -> str | None:
        return next((r.stopped for r in self.reports if r.stopped), None)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {
            "period": self.period,
            "periods": self.periods,
            "dry_run": self.dry_run,
        }
        for name in ("subscribers", "sent", "skipped", "failed", "deferred", "paused", "already"):
            data[name] = self.total(name)
        if self.dry_run:
            data["would_send"] = self.total("would_send")
        data["stopped"] = self.stopped
        data["notices"] = self.notices
        data["seconds"] = round(self.seconds, 3)
        data["by_period"] = [report.to_dict() for report in self.reports]
        return data


def _unreachable(outcomes: Sequence[SendOutcome]) -> str | None:
    """Why to stop the run when a whole batch failed without a word from any mail server (refused
    connections, wrong settings): the next batches would fail the same way. ``None`` otherwise."""
    if outcomes and all(o.status is DeliveryStatus.TEMPORARY_FAILURE and o.code is None for o in outcomes):
        return f"no digest of the last batch could be delivered: {outcomes[0].detail}"
    return None


class PeriodSender:
    """Sends one period's digests (see the module docstring)."""

    def __init__(
        self,
        app: Paperfeed,
        period: Period,
        *,
        backend: MailBackend | None,
        recommendations: RankingProvider | None = None,
        batch_size: int | None = None,
        progress: Callable[[PeriodReport], None] | None = None,
    ) -> None:
        self.app = app
        self.period = period
        self.backend = backend
        self.recommendations = recommendations
        self.batch_size = batch_size or app.settings.digest_batch_size
        self.progress = progress
        self.run_id = f"digest-run:{uuid.uuid4().hex}"
        self.report = PeriodReport(ledger_key(period))
        self._lock = threading.Lock()
        self._content: PeriodContent | None = None
        self._renderer = DigestRenderer(app.settings, summaries=lambda ids: summary_lines(app, ids))
        self._query_limit = 20

    @property
    def content(self) -> PeriodContent:
        """The period's papers and sources, loaded on first use (a re-run with nothing left to send
        never loads them)."""
        if self._content is None:
            self._content = PeriodContent(
                self.app, self.period, query_limit=self._query_limit, recommendations=self.recommendations
            )
        return self._content

    @property
    def notices(self) -> list[str]:
        return self._content.notices if self._content is not None else []

    def run(self, subscriptions: Sequence[Subscription], *, workers: int = 1) -> PeriodReport:
        """Plan the period, then claim and send until nothing is left. With ``workers`` > 1, that many
        processes claim and send together (forked from this one after the period's sources are
        computed, so they share them): the ledger's claims keep them apart as they keep apart two
        runs started by hand."""
        store = self.app.store.sends
        report = self.report
        before = store.period_counts(ledger_key(self.period))
        report.already = sum(before.get(status, 0) for status in ("sent", "failed", "skipped"))
        report.subscribers = store.plan(
            ledger_key(self.period), [s.id for s in subscriptions], now=wall_now()
        )
        self._query_limit = max([20, *(s.choices.max_papers for s in subscriptions)])
        if workers > 1 and "fork" in multiprocessing.get_all_start_methods():
            self._run_forked(subscriptions, workers)
        else:
            self._claim_and_send()
        return report

    def _run_forked(self, subscriptions: Sequence[Subscription], workers: int) -> None:
        content = self.content
        for subscription in subscriptions:  # every shared source now, inherited by the workers
            content.sources_for(subscription)
        self.app.store.database.dispose()  # no pooled connection may cross the fork
        context = multiprocessing.get_context("fork")
        results: Any = context.SimpleQueue()
        children = [
            context.Process(target=self._worker, args=(results,), name=f"paperfeed-digest-worker-{n}")
            for n in range(1, workers)
        ]
        for child in children:
            child.start()
        try:
            self._claim_and_send()
        finally:
            for child in children:
                child.join()
        while not results.empty():
            counts = results.get()
            for name in (
                "sent",
                "skipped",
                "failed",
                "deferred",
                "paused",
                "compose_seconds",
                "send_seconds",
            ):
                setattr(self.report, name, getattr(self.report, name) + counts[name])
            self.report.stopped = self.report.stopped or counts["stopped"]
        for child in children:
            if child.exitcode != 0:
                log.error(
                    "digest worker %s exited with %s; its claims were taken over", child.name, child.exitcode
                )

    def _worker(self, results: Any) -> None:
        """A forked worker: its own run id, lease, connections and counts; the shared sources."""
        self.run_id = f"digest-run:{uuid.uuid4().hex}"
        self.report = PeriodReport(ledger_key(self.period))
        self._lock = threading.Lock()
        self._claim_and_send()
        results.put(self.report.to_dict())

    def _claim_and_send(self) -> None:
        store = self.app.store.sends
        settings = self.app.settings
        report = self.report
        lease = HeldLease(self.app, self.run_id, settings.digest_claim_ttl)
        if not lease.try_acquire():
            raise RuntimeError(f"run id {self.run_id} is taken")  # a fresh uuid: cannot happen
        try:
            with ThreadPoolExecutor(max_workers=1, thread_name_prefix="paperfeed-digest-send") as pool:
                report.stopped = self._loop(lease, pool)
            if lease.lost.is_set() and report.stopped is None:
                report.stopped = "the run lost its lease in the store (was the process suspended?)"
            store.release(self.run_id, now=wall_now())  # claimed but never handed to the mail server
        finally:
            lease.release()

    def _loop(self, lease: HeldLease, pool: ThreadPoolExecutor) -> str | None:
        """Claim, compose, send, until nothing is left; one batch is sent (in ``pool``) while the next
        is composed, so the mail server's work overlaps ours. Returns why it stopped early, if it did."""
        store = self.app.store.sends
        in_flight: Future[str | None] | None = None
        try:
            while not lease.lost.is_set():
                now = wall_now()
                claimed = store.claim(ledger_key(self.period), self.run_id, limit=self.batch_size, now=now)
                if not claimed:
                    if in_flight is not None:
                        stop, in_flight = in_flight.result(), None
                        if stop is not None:
                            return stop
                        continue  # its temporary failures are not ours to retry; look once more
                    # Asked at the claim's instant: a lease that expired in between must not
                    # read as "nothing left" when the claim saw it alive (its rows would be lost).
                    if store.in_flight_elsewhere(ledger_key(self.period), self.run_id, now=now):
                        time.sleep(
                            min(1.0, self.app.settings.digest_claim_ttl / 4)
                        )  # live, or its lease ends
                        continue
                    return None
                started = time.perf_counter()
                batch = self._prepare(claimed)
                self.report.compose_seconds += time.perf_counter() - started
                if in_flight is not None:
                    stop, in_flight = in_flight.result(), None
                    if stop is not None:
                        return stop
                if batch and not lease.lost.is_set():
                    in_flight = pool.submit(self._deliver, batch)
            return None
        finally:
            if in_flight is not None:
                in_flight.result()

    def _prepare(self, claimed: Sequence[ClaimedSend]) -> list[tuple[ClaimedSend, EmailMessage]]:
        store = self.app.store.sends
        settings = self.app.settings
        batch: list[tuple[ClaimedSend, EmailMessage]] = []
        fixed: list[tuple[int, str, str]] = []
        for item in claimed:
            subscription = item.subscription
            if item.content is not None:
                digest = ComposedDigest.from_json(json.loads(item.content))
            else:
                digest = self.content.compose(subscription)
            if digest.empty:
                if store.record_skipped(item.id, self.run_id, detail=EMPTY_DETAIL, now=wall_now()):
                    self.report.skipped += 1
                continue
            rendered = self._renderer.render(
                subscription,
                self.period,
                digest,
                self.content.paper,
                view_url=links.view_url(settings, subscription.id, ledger_key(self.period)),
            )
            message = digest_message(settings, subscription, rendered, message_id=item.message_id)
            if item.message_id is None or item.content is None:
                fixed.append((item.id, str(message["Message-ID"]), json.dumps(digest.to_json())))
            batch.append((item, message))
        store.prepare(self.run_id, fixed, now=wall_now())
        return batch

    def _deliver(self, batch: Sequence[tuple[ClaimedSend, EmailMessage]]) -> str | None:
        """Hand a prepared batch to the mail backend, recording each outcome as it comes."""
        started = time.perf_counter()

        def record(index: int, outcome: SendOutcome) -> None:
            self._record(batch[index][0], outcome)

        assert self.backend is not None, "a dry run sends nothing"
        outcomes = self.backend.send_many([message for _, message in batch], on_outcome=record)
        with self._lock:
            self.report.send_seconds += time.perf_counter() - started
        if self.progress is not None:
            self.progress(self.report)
        return _unreachable(outcomes)

    def _record(self, item: ClaimedSend, outcome: SendOutcome) -> None:
        """Write one outcome to the ledger (called by the backend as soon as it is known)."""
        store = self.app.store.sends
        settings = self.app.settings
        now = wall_now()
        subscription_id = item.subscription.id
        if outcome.ok:
            done = store.record_sent(
                item.id, self.run_id, subscription_id, code=outcome.code, detail=outcome.detail, now=now
            )
            counter = "sent" if done else None
        elif outcome.status is DeliveryStatus.PERMANENT_FAILURE:
            paused = store.record_permanent_failure(
                item.id,
                self.run_id,
                subscription_id,
                code=outcome.code,
                detail=outcome.detail,
                pause_after=settings.digest_pause_after,
                now=now,
            )
            counter = "failed"
            if paused:
                with self._lock:
                    self.report.paused += 1
        else:
            status = store.record_temporary_failure(
                item.id,
                self.run_id,
                code=outcome.code,
                detail=outcome.detail,
                tried=outcome.attempts > 0,
                give_up_after=settings.digest_give_up_after,
                now=now,
            )
            counter = None if status is None else ("failed" if status == "failed" else "deferred")
        if counter is None:
            log.warning("digest %s: the claim was lost before its outcome was recorded", item.id)
            return
        with self._lock:
            setattr(self.report, counter, getattr(self.report, counter) + 1)

    def dry_run(self, subscriptions: Sequence[Subscription]) -> PeriodReport:
        """Compose every digest and count what would go out; write nothing, send nothing."""
        started = time.perf_counter()
        self._query_limit = max([20, *(s.choices.max_papers for s in subscriptions)])
        content = self.content
        report = self.report
        report.subscribers = len(subscriptions)
        counts = self.app.store.sends.period_counts(ledger_key(self.period))
        report.already = sum(counts.get(status, 0) for status in ("sent", "failed", "skipped"))
        for subscription in subscriptions:
            digest = content.compose(subscription)
            if digest.empty:
                report.skipped += 1
            else:
                self._renderer.render(subscription, self.period, digest, content.paper, view_url=None)
                report.would_send += 1
        report.compose_seconds = time.perf_counter() - started
        return report


def wait_for_keyword_index(app: Paperfeed, *, timeout: float = INDEX_WAIT_SECONDS) -> str | None:
    """Make sure keyword queries see the period's papers: catch the index up when nobody else is
    the indexer, else wait for the indexer (up to ``timeout``). Returns a notice when still behind."""
    if lexical_backlog(app) == 0:
        return None
    handed_over = catch_up_or_hand_over(app, embed=False).handed_over
    deadline = time.monotonic() + (timeout if handed_over else 0.0)
    behind = lexical_backlog(app)
    while behind and time.monotonic() < deadline:
        time.sleep(1.0)
        behind = lexical_backlog(app)
    if behind:
        return (
            f"{behind:,} papers were not in the keyword index yet, so keyword-query sections may miss "
            "them (is the indexer running? `paperfeed index status`)"
        )
    return None


def send_digests(
    app: Paperfeed,
    *,
    day: date | None = None,
    dry_run: bool = False,
    backend: MailBackend | None = None,
    recommendations: RankingProvider | None = None,
    progress: Callable[[PeriodReport], None] | None = None,
    today: date | None = None,
    workers: int = 1,
) -> SendReport:
    """Send the digests of ``day`` (its daily digest and its week's weekly digest), or without
    ``day`` the digests that are due (:func:`paperfeed.digest.due.due_periods`).

    ``workers`` processes send together (forked; only from a process without other threads, such
    as the CLI: the in-app scheduler uses one). ``recommendations`` is the hook for personal
    recommendations (see
    :data:`paperfeed.digest.content.RankingProvider`). Delivery problems are in the report, never
    raised; a mail configuration that cannot work at all raises
    :class:`~paperfeed.mail.MailConfigError` before anything is claimed.
    """
    started = time.perf_counter()
    periods = periods_for_day(day) if day is not None else due_periods(today or app.clock.now().date())
    report = SendReport(
        period=day.isoformat() if day is not None else "due",
        periods={frequency: (ledger_key(p) if p else None) for frequency, p in periods.items()},
        dry_run=dry_run,
    )
    chosen_backend = None if dry_run else (backend or backend_for(app.settings))
    due = [(frequency, period) for frequency, period in periods.items() if period is not None]
    subscriptions = {f: app.store.subscriptions.with_status("active", frequency=f) for f, _ in due}
    if any(s.choices.queries for subs in subscriptions.values() for s in subs):
        notice = wait_for_keyword_index(app)
        if notice:
            report.notices.append(notice)
    for frequency, period in due:
        assert period is not None
        sender = PeriodSender(
            app, period, backend=chosen_backend, recommendations=recommendations, progress=progress
        )
        subs = subscriptions[frequency]
        result = sender.dry_run(subs) if dry_run else sender.run(subs, workers=workers)
        report.notices.extend(n for n in sender.notices if n not in report.notices)
        report.reports.append(result)
        if result.stopped:
            break
    report.seconds = time.perf_counter() - started
    return report
