"""The digest store on SQLite and PostgreSQL: subscriptions, the ledger's claim and transitions, leases."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from paperfeed.context import Paperfeed
from paperfeed.store import DigestChoices, Store

NOW = datetime(2026, 2, 21, 6, 0)
PERIOD = "daily:2026-02-20"


def subscribe(store: Store, count: int, *, status: str = "active") -> list[int]:
    choices = DigestChoices(categories=("cs.CL",), authors=("Jane Doe",), queries=("diffusion",))
    return [
        store.subscriptions.add(f"r{i}@example.org", choices, status=status, now=NOW).id for i in range(count)
    ]


def lease(store: Store, run_id: str, *, seconds: float = 60, now: datetime = NOW) -> None:
    assert store.leases.acquire(run_id, "test", ttl_seconds=seconds, now=now)


def test_subscriptions_keep_their_follows_in_order(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store
    choices = DigestChoices(
        frequency="weekly",
        trending=True,
        trending_categories=("cs.LG", "cs.CL"),
        categories=("stat.ML", "cs.AI"),
        authors=("Zoë Martín", "Jane Doe"),
        queries=('"world model" -survey', "diffusion"),
        max_papers=7,
    )
    added = store.subscriptions.add(
        "a@example.org", choices, status="pending", now=NOW, confirm_hash="h" * 64
    )
    assert added.choices == choices and added.status == "pending"
    assert store.subscriptions.confirm(added.id, "x" * 64, now=NOW) is False
    assert store.subscriptions.confirm(added.id, "h" * 64, now=NOW) is True
    assert store.subscriptions.confirm(added.id, "h" * 64, now=NOW) is False  # single use
    assert store.subscriptions.get(added.id).status == "active"  # type: ignore[union-attr]
    changed = DigestChoices(categories=("cs.CV",), trending=False)
    assert store.subscriptions.set_choices(added.id, changed)
    assert store.subscriptions.get(added.id).choices == changed  # type: ignore[union-attr]
    assert [s.id for s in store.subscriptions.for_email("a@example.org")] == [added.id]
    assert store.subscriptions.unsubscribe(added.id, now=NOW) and not store.subscriptions.unsubscribe(
        added.id, now=NOW
    )
    assert store.subscriptions.with_status("active") == []


def test_planning_is_idempotent_and_claims_are_disjoint(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store
    ids = subscribe(store, 30)
    assert store.sends.plan(PERIOD, ids, now=NOW) == 30
    assert store.sends.plan(PERIOD, ids, now=NOW) == 30  # a second run plans nothing new
    lease(store, "run-a")
    lease(store, "run-b")
    claimed: dict[str, list[int]] = {"run-a": [], "run-b": []}

    def claimer(run: str) -> None:
        while batch := store.sends.claim(PERIOD, run, limit=3, now=NOW):
            claimed[run].extend(item.subscription.id for item in batch)

    threads = [threading.Thread(target=claimer, args=(run,)) for run in claimed]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    both = claimed["run-a"] + claimed["run-b"]
    assert sorted(both) == sorted(ids), "every row claimed exactly once"
    assert store.sends.period_counts(PERIOD) == {"sending": 30}


def test_claims_of_a_live_run_are_kept_and_of_a_dead_one_taken_over(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store
    ids = subscribe(store, 4)
    store.sends.plan(PERIOD, ids, now=NOW)
    lease(store, "run-a", seconds=30)
    first = store.sends.claim(PERIOD, "run-a", limit=2, now=NOW)
    store.sends.prepare("run-a", [(first[0].id, "<m1@example.org>", "[]")], now=NOW)
    lease(store, "run-b", seconds=300)
    second = store.sends.claim(PERIOD, "run-b", limit=10, now=NOW)
    assert {i.id for i in second}.isdisjoint({i.id for i in first})
    assert store.sends.in_flight_elsewhere(PERIOD, "run-b", now=NOW) == 2
    # run-a stops renewing: 31 s later its claims belong to whoever claims next, prepared as they were.
    later = NOW + timedelta(seconds=31)
    assert store.sends.in_flight_elsewhere(PERIOD, "run-b", now=later) == 0
    taken = store.sends.claim(PERIOD, "run-b", limit=10, now=later)
    assert sorted(i.id for i in taken) == sorted(i.id for i in first)
    reclaimed = next(i for i in taken if i.id == first[0].id)
    assert reclaimed.message_id == "<m1@example.org>" and reclaimed.content == "[]"
    # The dead run's late write is refused: the row is run-b's now.
    assert not store.sends.record_sent(first[0].id, "run-a", ids[0], code=250, detail="ok", now=later)


def test_outcomes_move_rows_and_pause_repeatedly_refused_addresses(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store
    good, bad = subscribe(store, 2)
    for day in range(3):
        period = f"daily:2026-02-{16 + day}"
        store.sends.plan(period, [good, bad], now=NOW)
        lease(store, f"run-{day}")
        rows = {i.subscription.id: i for i in store.sends.claim(period, f"run-{day}", limit=10, now=NOW)}
        assert store.sends.record_sent(rows[good].id, f"run-{day}", good, code=250, detail="ok", now=NOW)
        paused = store.sends.record_permanent_failure(
            rows[bad].id, f"run-{day}", bad, code=550, detail="no such user", pause_after=3, now=NOW
        )
        assert paused is (day == 2)
    assert store.subscriptions.get(bad).status == "paused"  # type: ignore[union-attr]
    assert store.subscriptions.get(bad).failure_streak == 3  # type: ignore[union-attr]
    assert "550 no such user" in (store.subscriptions.get(bad).last_error or "")  # type: ignore[union-attr]
    assert store.subscriptions.get(good).failure_streak == 0  # type: ignore[union-attr]
    # Paused: the next period's row is skipped, not claimed.
    store.sends.plan(PERIOD, [good, bad], now=NOW)
    lease(store, "run-x")
    assert [i.subscription.id for i in store.sends.claim(PERIOD, "run-x", limit=10, now=NOW)] == [good]
    assert store.sends.send_of(bad, PERIOD).status == "skipped"  # type: ignore[union-attr]
    # Resuming starts the streak again.
    assert store.subscriptions.activate(bad, now=NOW)
    assert store.subscriptions.get(bad).failure_streak == 0  # type: ignore[union-attr]


def test_temporary_failures_wait_for_the_next_run_and_give_up_in_the_end(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store
    (sid,) = subscribe(store, 1)
    store.sends.plan(PERIOD, [sid], now=NOW)
    statuses = []
    for run in range(3):
        run_id = f"run-{run}"
        lease(store, run_id)
        (item,) = store.sends.claim(PERIOD, run_id, limit=5, now=NOW)
        statuses.append(
            store.sends.record_temporary_failure(
                item.id, run_id, code=451, detail="try later", tried=True, give_up_after=3, now=NOW
            )
        )
        assert store.sends.claim(PERIOD, run_id, limit=5, now=NOW) == []  # not again in the same run
    assert statuses == ["queued", "queued", "failed"]
    assert store.sends.send_of(sid, PERIOD).attempts == 3  # type: ignore[union-attr]
    # A message that never reached a server does not count as a try.
    (other,) = subscribe(store, 1)
    store.sends.plan(PERIOD, [other], now=NOW)
    lease(store, "run-z")
    (item,) = store.sends.claim(PERIOD, "run-z", limit=5, now=NOW)
    status = store.sends.record_temporary_failure(
        item.id, "run-z", code=None, detail="connection refused", tried=False, give_up_after=1, now=NOW
    )
    assert status == "queued" and store.sends.send_of(other, PERIOD).attempts == 0  # type: ignore[union-attr]


def test_unsubscribing_before_its_turn_skips_the_row(paperfeed_app: Paperfeed) -> None:
    store = paperfeed_app.store
    ids = subscribe(store, 3)
    store.sends.plan(PERIOD, ids, now=NOW)
    store.subscriptions.unsubscribe(ids[1], now=NOW)
    lease(store, "run")
    claimed = store.sends.claim(PERIOD, "run", limit=10, now=NOW)
    assert [i.subscription.id for i in claimed] == [ids[0], ids[2]]
    assert store.sends.period_counts(PERIOD) == {"sending": 2, "skipped": 1}
    assert store.sends.release("run", now=NOW) == 2
    assert store.sends.period_counts(PERIOD) == {"queued": 2, "skipped": 1}


def test_leases_have_one_holder_until_they_expire(paperfeed_app: Paperfeed) -> None:
    leases = paperfeed_app.store.leases
    assert leases.acquire("scheduler", "a", ttl_seconds=60, now=NOW)
    assert not leases.acquire("scheduler", "b", ttl_seconds=60, now=NOW + timedelta(seconds=59))
    assert leases.acquire("scheduler", "a", ttl_seconds=60, now=NOW + timedelta(seconds=30))  # renewal
    assert leases.holder("scheduler", now=NOW + timedelta(seconds=80)) == "a"
    assert leases.acquire("scheduler", "b", ttl_seconds=60, now=NOW + timedelta(seconds=91))
    assert not leases.release("scheduler", "a")
    assert leases.release("scheduler", "b")
    assert leases.holder("scheduler", now=NOW) is None


def test_scheduled_runs_record_each_job_once_a_day(paperfeed_app: Paperfeed) -> None:
    schedule = paperfeed_app.store.schedule
    assert schedule.state("sync", "2026-02-21") is None
    assert schedule.start("sync", "2026-02-21", now=NOW)
    assert schedule.state("sync", "2026-02-21") == ("running", None)
    schedule.finish("sync", "2026-02-21", ok=True, detail="fine", now=NOW)
    assert schedule.state("sync", "2026-02-21") == ("done", NOW)
    assert not schedule.start("sync", "2026-02-21", now=NOW)
