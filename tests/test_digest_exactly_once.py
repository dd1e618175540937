"""Exactly once, with real processes: ``paperfeed digest send`` killed with SIGKILL half-way and run
again, and two senders started at once, on SQLite and on PostgreSQL, against a real SMTP server.

The SMTP server itself pulls the trigger (it knows when a message is in flight): either before it
accepted the message (the rerun must send it: nothing lost), or after it stored the message but
before its 250 reached the sender, the window no SMTP client can close. There the rerun sends it
again with the same Message-ID, which is what ``docs/digest.md`` promises and this test pins down.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from paperfeed.context import Paperfeed
from tests.digest_support import mail_server, subscriber
from tests.mail_support import ScriptedInbox

ROOT = Path(__file__).resolve().parent.parent
PERIOD = "2026-02-20"


class KillingInbox(ScriptedInbox):
    """Kills ``victim`` (a pid) at the ``kill_at``-th DATA: before accepting it, or after storing it."""

    def __init__(self, kill_at: int, *, after_storing: bool) -> None:
        super().__init__()
        self.kill_at = kill_at
        self.after_storing = after_storing
        self.victim: int | None = None
        self.data_calls = 0

    async def handle_DATA(self, server: object, session: Any, envelope: Any) -> str:
        self.data_calls += 1
        if self.victim is not None and self.data_calls == self.kill_at:
            if self.after_storing:
                await super().handle_DATA(server, session, envelope)
            os.kill(self.victim, signal.SIGKILL)
            self.victim = None
            return "451 4.3.0 the sender is gone"
        return await super().handle_DATA(server, session, envelope)


def sender_env(app: Paperfeed, *, connections: int) -> dict[str, str]:
    settings = app.settings
    env = dict(os.environ)
    env.update(
        {
            "PYTHONPATH": str(ROOT / "src") + os.pathsep + env.get("PYTHONPATH", ""),
            "PAPERFEED_DATA_DIR": str(settings.data_dir),
            "PAPERFEED_SMTP_HOST": "127.0.0.1",
            "PAPERFEED_SMTP_PORT": str(settings.smtp_port),
            "PAPERFEED_SMTP_MAX_CONNECTIONS": str(connections),
            "PAPERFEED_SMTP_RETRY_DELAY": "0",
            "PAPERFEED_DIGEST_BATCH_SIZE": "5",
            "PAPERFEED_DIGEST_CLAIM_TTL": "3",
            "PAPERFEED_EMBED_AFTER_INGEST": "false",
            "PAPERFEED_BASE_URL": "http://127.0.0.1:8000",
        }
    )
    if settings.database_url:
        env["PAPERFEED_DATABASE_URL"] = settings.database_url
    return env


COMMAND = [sys.executable, "-m", "paperfeed", "digest", "send", "--period", PERIOD, "--json"]


def run_sender(env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(COMMAND, env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    return dict(json.loads(done.stdout))


def subscribe_many(app: Paperfeed, count: int) -> list[str]:
    addresses = [f"reader{i:03d}@example.org" for i in range(count)]
    for i, address in enumerate(addresses):
        extra = {"queries": ["language model"]} if i % 3 == 0 else {}
        subscriber(app, address, categories=["cs.AI"], **extra)
    return addresses


@pytest.mark.slow
@pytest.mark.parametrize("after_storing", [False, True], ids=["killed-before-accept", "killed-after-accept"])
def test_killed_sender_rerun_sends_only_what_is_missing(sample_app: Paperfeed, after_storing: bool) -> None:
    addresses = subscribe_many(sample_app, 24)
    inbox = KillingInbox(kill_at=9, after_storing=after_storing)
    with mail_server(sample_app, inbox):
        env = sender_env(sample_app, connections=1)
        process = subprocess.Popen(COMMAND, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        inbox.victim = process.pid
        process.communicate(timeout=300)
        assert process.returncode == -signal.SIGKILL, "the sender was not killed half-way"
        recorded = sample_app.store.sends.period_counts("daily:" + PERIOD)
        assert recorded.get("sent") == 8, recorded  # every accepted message was recorded before the next
        in_flight = next(
            a
            for a in addresses
            if sample_app.store.sends.send_of(_sid(sample_app, a), "daily:" + PERIOD).status == "sending"  # type: ignore[union-attr]
        )
        prepared_id = sample_app.store.sends.send_of(
            _sid(sample_app, in_flight), "daily:" + PERIOD
        ).message_id  # type: ignore[union-attr]

        report = run_sender(env)
        assert report["sent"] == 24 - 8 and report["already"] == 8 and report["failed"] == 0

    counts = Counter(address for item in inbox.received for address in item.rcpt_tos)
    assert set(counts) == set(addresses), "nobody was left out"
    ids_of = {a: [i.message["Message-ID"] for i in inbox.received if a in i.rcpt_tos] for a in addresses}
    if not after_storing:
        assert set(counts.values()) == {1}, counts
    else:
        # The one message the server had but the sender never heard back about: sent again, as
        # the same message (same Message-ID), so that mail systems and readers can drop the copy.
        twice = [a for a, n in counts.items() if n == 2]
        assert twice == [in_flight] and all(n in (1, 2) for n in counts.values())
        assert len(set(ids_of[in_flight])) == 1
    assert ids_of[in_flight][-1] == prepared_id
    assert sample_app.store.sends.period_counts("daily:" + PERIOD) == {"sent": 24}


def _sid(app: Paperfeed, address: str) -> int:
    return app.store.subscriptions.for_email(address)[0].id


@pytest.mark.slow
def test_two_senders_at_once_never_both_send_to_one_address(sample_app: Paperfeed) -> None:
    addresses = subscribe_many(sample_app, 120)
    inbox = ScriptedInbox()
    inbox.data_delay = 0.02  # each message takes a while, so the two runs overlap
    with mail_server(sample_app, inbox):
        env = sender_env(sample_app, connections=2)
        processes = [
            subprocess.Popen(COMMAND, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
            for _ in range(2)
        ]
        outputs = [p.communicate(timeout=300) for p in processes]
    for process, (stdout, stderr) in zip(processes, outputs, strict=True):
        assert process.returncode == 0, stdout[-3000:] + stderr[-3000:]
    reports = [json.loads(stdout) for stdout, _ in outputs]
    counts = Counter(address for item in inbox.received for address in item.rcpt_tos)
    assert counts == Counter({address: 1 for address in addresses})
    assert sum(r["sent"] for r in reports) == 120
    assert all(r["sent"] > 0 for r in reports), f"the two runs did not overlap: {reports}"
    assert sample_app.store.sends.period_counts("daily:" + PERIOD) == {"sent": 120}


@pytest.mark.slow
def test_one_send_with_two_worker_processes_sends_each_digest_once(sample_app: Paperfeed) -> None:
    addresses = subscribe_many(sample_app, 60)
    inbox = ScriptedInbox()
    inbox.data_delay = 0.01
    with mail_server(sample_app, inbox):
        env = sender_env(sample_app, connections=2)
        done = subprocess.run(
            [*COMMAND, "--workers", "2"], env=env, capture_output=True, text=True, timeout=300
        )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout)
    assert report["sent"] == 60 and report["failed"] == 0
    counts = Counter(address for item in inbox.received for address in item.rcpt_tos)
    assert counts == Counter({address: 1 for address in addresses})
    runs = set(_run_ids(sample_app, addresses))
    assert len(runs) == 2, "both worker processes sent some of the digests"


def _run_ids(app: Paperfeed, addresses: list[str]) -> list[str]:
    """Which run sent each digest (the ledger keeps the claiming run's id)."""
    rows = [app.store.sends.send_of(_sid(app, a), "daily:" + PERIOD) for a in addresses]
    return [str(row.run_id) for row in rows if row is not None]
