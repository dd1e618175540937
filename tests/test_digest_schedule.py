"""The in-app scheduler: jobs run once a day at their time, by the one holder of the scheduler's lease
(two "instances" on one store), failed jobs again later, a stopped holder replaced; and the app
starts it when asked."""

from __future__ import annotations

import time
from datetime import datetime, timedelta

import pytest
from fastapi.testclient import TestClient

from paperfeed.clock import wall_now
from paperfeed.context import Paperfeed
from paperfeed.digest import schedule
from paperfeed.digest.schedule import RETRY_AFTER, Job, Scheduler
from tests.digest_support import subscriber
from tests.web_support import web_app

MORNING = datetime(2026, 2, 23, 7, 0)


def recording_job(name: str, at: str, calls: list[str], *, fail: bool = False) -> Job:
    def run() -> str:
        calls.append(name)
        if fail:
            raise RuntimeError("arXiv is down")
        return f"{name} ran"

    return Job(name, datetime.strptime(at, "%H:%M").time(), run)


def test_jobs_run_once_a_day_after_their_time(paperfeed_app: Paperfeed) -> None:
    calls: list[str] = []
    scheduler = Scheduler(
        paperfeed_app,
        jobs=[recording_job("sync", "02:30", calls), recording_job("digest", "08:00", calls)],
    )
    try:
        assert scheduler.run_once(MORNING.replace(hour=1)) == []
        assert scheduler.run_once(MORNING) == ["sync"]
        assert scheduler.run_once(MORNING + timedelta(minutes=5)) == []
        assert scheduler.run_once(MORNING.replace(hour=9)) == ["digest"]
        next_day = MORNING.replace(hour=9) + timedelta(days=1)
        assert scheduler.run_once(next_day) == ["sync", "digest"]  # jobs missed earlier catch up
        assert calls == ["sync", "digest", "sync", "digest"]
        assert paperfeed_app.store.schedule.state("sync", "2026-02-23")[0] == "done"  # type: ignore[index]
    finally:
        scheduler.lease.release()


def test_a_failed_job_is_tried_again_later(paperfeed_app: Paperfeed) -> None:
    calls: list[str] = []
    scheduler = Scheduler(paperfeed_app, jobs=[recording_job("sync", "02:30", calls, fail=True)])
    try:
        assert scheduler.run_once(MORNING) == ["sync"]
        state = paperfeed_app.store.schedule.state("sync", "2026-02-23")
        assert state is not None and state[0] == "failed"
        assert scheduler.run_once(MORNING + timedelta(minutes=1)) == []
        finished = state[1]
        assert finished is not None
        assert scheduler.run_once(finished + RETRY_AFTER + timedelta(seconds=1)) == ["sync"]
    finally:
        scheduler.lease.release()


def test_one_scheduler_across_instances_and_a_standby_takes_over(paperfeed_app: Paperfeed) -> None:
    first_calls: list[str] = []
    second_calls: list[str] = []
    first = Scheduler(paperfeed_app, jobs=[recording_job("digest", "06:00", first_calls)], lease_ttl=1.5)
    second = Scheduler(paperfeed_app, jobs=[recording_job("digest", "06:00", second_calls)], lease_ttl=1.5)
    try:
        assert first.run_once(MORNING) == ["digest"]
        assert second.run_once(MORNING + timedelta(days=1)) == []  # the lease is the first's
        first.lease.release()  # the first instance stops (or dies: then its lease just expires)
        assert second.run_once(MORNING + timedelta(days=1)) == ["digest"]
        assert first_calls == ["digest"] and second_calls == ["digest"]
        # A holder that dies without releasing: its lease expires and the standby takes over.
        second.lease._stop.set()  # stop renewing, as a killed process would
        time.sleep(2.0)
        assert first.run_once(MORNING + timedelta(days=2)) == ["digest"]
    finally:
        first.lease.release()
        second.lease.release()


def test_the_digest_job_sends_what_is_due(sample_app: Paperfeed) -> None:
    subscriber(sample_app, "due@example.org", trending=False, categories=["cs.AI"])
    sample_app.settings.mail_backend = "console"
    detail = schedule.digest_job(sample_app)
    assert detail.startswith("digest: ") and '"sent": 0' in detail  # the sample's days are long past
    assert '"daily:' in detail


def test_serve_with_the_scheduler_runs_it_in_the_background(
    sample_app: Paperfeed, monkeypatch: pytest.MonkeyPatch
) -> None:

    ran: list[str] = []
    monkeypatch.setattr(schedule, "sync_job", lambda app: ran.append("sync") or "sync: faked")
    monkeypatch.setattr(schedule, "digest_job", lambda app: ran.append("digest") or "digest: faked")
    monkeypatch.setattr(schedule, "enrich_job", lambda app: ran.append("enrich") or "enrich: faked")
    sample_app.settings.scheduler_sync_time = "00:00"
    sample_app.settings.scheduler_enrich_time = "00:00"
    sample_app.settings.scheduler_digest_time = "00:00"
    with TestClient(web_app(sample_app, indexer=False, scheduler=True)):
        deadline = time.monotonic() + 20
        while len(ran) < 3 and time.monotonic() < deadline:
            time.sleep(0.05)
    assert ran == ["sync", "enrich", "digest"]
    holder = sample_app.store.leases.holder("scheduler", now=wall_now())
    assert holder is None  # released when the app stopped
