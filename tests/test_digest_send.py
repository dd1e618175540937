"""Digests delivered to a real SMTP server (aiosmtpd on loopback), parsed back with the ``email``
package, and their links followed against the running app over real HTTP; scripted 451 and 550
replies; what is sent once, not at all, or no more."""

from __future__ import annotations

import time
from datetime import date
from html import unescape

import httpx
import pytest

from paperfeed.accounts import ensure_user
from paperfeed.clock import wall_now
from paperfeed.context import Paperfeed
from paperfeed.digest.choices import make_choices
from paperfeed.digest.sender import send_digests
from tests.digest_support import app_server, csrf_of, links_in, mail_server, received_by, subscriber
from tests.mail_support import ScriptedInbox, body
from tests.web_support import web_app

FRIDAY = date(2026, 2, 20)
THURSDAY = date(2026, 2, 19)
ELIA = "2602.18262"  # "Simplifying Outcomes of Language Model Component Analyses with ELIA", cs.CL, 20 Feb


def upvote(app: Paperfeed, paper_id: str, voter: str = "voter@example.org") -> None:
    user = ensure_user(app, voter)
    app.store.votes.add(user.id, paper_id, now=app.clock.now())


def test_a_digest_arrives_whole_and_its_links_work(sample_app: Paperfeed) -> None:
    upvote(sample_app, ELIA)
    reader = subscriber(
        sample_app,
        "reader@example.org",
        categories=["cs.CL"],
        queries=['"language model" -survey'],
        authors=["aaron louis eidt"],
    )
    with app_server(sample_app) as base, mail_server(sample_app, ScriptedInbox()) as inbox:
        report = send_digests(sample_app, day=FRIDAY)
        assert report.total("sent") == 1 and report.total("failed") == 0
        (message,) = received_by(inbox, "reader@example.org")

        # Headers: who, when, which list, how to leave it; multipart with both parts.
        assert message["To"] == "reader@example.org" and "paperfeed" in message["From"]
        assert message["Subject"].startswith("paperfeed daily digest · Fri, Feb 20, 2026 · ")
        assert message["Date"] and message["Message-ID"].endswith(">")
        assert message["Precedence"] == "bulk" and message["Auto-Submitted"] == "auto-generated"
        assert message["List-Id"].startswith("paperfeed daily digest <daily.")
        assert message["List-Unsubscribe"].startswith(f"<{base}/digest/unsubscribe/")
        assert message.get_content_type() == "multipart/alternative"
        text, html = body(message, "plain"), body(message, "html")

        # Every paper with title, authors, a short abstract, links and why it is there.
        title = "Simplifying Outcomes of Language Model Component Analyses with ELIA"
        assert title in " ".join(text.split()) and title in html
        why = "trending #1 · by Aaron Louis Eidt, whom you follow · matches '\"language model\" -survey' · new in cs.CL"
        assert why in unescape(html)
        assert why.replace(" · ", "; ") in " ".join(text.split())
        assert f"https://arxiv.org/abs/{ELIA}" in html and f"{base}/papers/{ELIA}" in html
        assert "<img" not in html and "src=" not in html and "<script" not in html

        # The links work against the running app.
        found = links_in(message, base)
        assert set(found) >= {"view", "manage", "unsubscribe", "papers"}
        with httpx.Client(timeout=10) as client:
            view = client.get(found["view"])
            assert view.status_code == 200 and title in view.text and "View in browser" not in view.text
            assert client.get(found["papers"]).status_code == 200
            manage = client.get(found["manage"])
            assert manage.status_code == 200 and "reader@example.org" in manage.text
            page = client.get(found["unsubscribe"])  # opening the link (a mail scanner) changes nothing
            assert page.status_code == 200 and "Unsubscribe" in page.text
            assert sample_app.store.subscriptions.get(reader.id).status == "active"  # type: ignore[union-attr]
            one_click = client.post(
                message["List-Unsubscribe"].strip("<>"), data={"List-Unsubscribe": "One-Click"}
            )
            assert one_click.status_code == 200 and not one_click.is_redirect
        assert sample_app.store.subscriptions.get(reader.id).status == "unsubscribed"  # type: ignore[union-attr]

        # Unsubscribed: the next day's digest does not go to them.
        upvote(sample_app, "2602.18094")
        again = send_digests(sample_app, day=THURSDAY)
        assert again.total("sent") == 0 and len(received_by(inbox, "reader@example.org")) == 1


def test_one_click_headers_over_https(sample_app: Paperfeed) -> None:
    from fastapi.testclient import TestClient

    sample_app.settings.base_url = "https://papers.example.org"
    reader = subscriber(sample_app, "one@example.org", categories=["cs.CL"])
    with mail_server(sample_app, ScriptedInbox()) as inbox:
        send_digests(sample_app, day=FRIDAY)
    (message,) = received_by(inbox, "one@example.org")
    url = message["List-Unsubscribe"].strip("<>")
    assert url.startswith("https://papers.example.org/digest/unsubscribe/")
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    with TestClient(web_app(sample_app, indexer=False), base_url="https://papers.example.org") as client:
        answer = client.post(url, content=b"List-Unsubscribe=One-Click",
                             headers={"content-type": "application/x-www-form-urlencoded"})  # fmt: skip
        assert answer.status_code == 200
        assert client.post(url, data={"List-Unsubscribe": "One-Click"}).status_code == 200  # twice is fine
    assert sample_app.store.subscriptions.get(reader.id).status == "unsubscribed"  # type: ignore[union-attr]


def test_451_is_retried_by_the_next_run_and_550_pauses_after_three(sample_app: Paperfeed) -> None:
    upvote(sample_app, ELIA)
    for name in ("ok", "grey", "gone"):
        subscriber(sample_app, f"{name}@example.org", categories=["cs.AI"])
    inbox = ScriptedInbox(
        rcpt={
            "grey@example.org": ["451 4.7.1 greylisted", "451 4.7.1 greylisted"],
            "gone@example.org": "550 5.1.1 no such user",
        }
    )
    with mail_server(sample_app, inbox, digest_pause_after=3):
        first = send_digests(sample_app, day=FRIDAY).reports[0]
        assert (first.sent, first.deferred, first.failed) == (1, 1, 1)
        grey = sample_app.store.subscriptions.for_email("grey@example.org")[0]
        row = sample_app.store.sends.send_of(grey.id, "daily:2026-02-20")
        assert row is not None and row.status == "queued" and row.code == 451

        second = send_digests(sample_app, day=FRIDAY).reports[0]
        assert (second.sent, second.deferred, second.failed, second.already) == (1, 0, 0, 2)
        assert inbox.rcpt_calls["gone@example.org"] == 1, "a permanent failure is not retried"
        for address in ("ok@example.org", "grey@example.org"):
            assert len(received_by(inbox, address)) == 1

        for day in (date(2026, 2, 18), THURSDAY):
            send_digests(sample_app, day=day)
        gone = sample_app.store.subscriptions.for_email("gone@example.org")[0]
        assert gone.status == "paused" and gone.failure_streak == 3 and "550" in (gone.last_error or "")
        calls = inbox.rcpt_calls["gone@example.org"]
        send_digests(sample_app, day=date(2026, 2, 16))  # paused: not even tried
        assert inbox.rcpt_calls["gone@example.org"] == calls


def test_empty_pending_and_repeated_runs_send_nothing(sample_app: Paperfeed) -> None:
    subscriber(sample_app, "empty@example.org", trending=False, queries=["zebrafish hydrodynamics"])
    sample_app.store.subscriptions.add(
        "pending@example.org",
        make_choices(categories=["cs.AI"]),
        status="pending",
        now=sample_app.clock.now(),
        confirm_hash="x" * 64,
    )
    subscriber(sample_app, "weekly@example.org", frequency="weekly", trending=False, categories=["cs.CV"])
    with mail_server(sample_app, ScriptedInbox()) as inbox:
        report = send_digests(sample_app, day=FRIDAY)
        assert report.periods == {"daily": "daily:2026-02-20", "weekly": "weekly:2026-W08"}
        assert (report.total("sent"), report.total("skipped"), report.total("subscribers")) == (1, 1, 2)
        assert [r.rcpt_tos for r in inbox.received] == [["weekly@example.org"]]
        rerun = send_digests(sample_app, day=FRIDAY)
        assert (rerun.total("sent"), rerun.total("already")) == (0, 2)
        assert len(inbox.received) == 1
        weekend = send_digests(sample_app, day=date(2026, 2, 21))  # no daily digest on Saturdays
        assert weekend.periods["daily"] is None and weekend.total("sent") == 0
    row = sample_app.store.sends.send_of(
        sample_app.store.subscriptions.for_email("empty@example.org")[0].id, "daily:2026-02-20"
    )
    assert row is not None and row.status == "skipped"


def test_a_dry_run_composes_but_sends_and_records_nothing(sample_app: Paperfeed) -> None:
    subscriber(sample_app, "dry@example.org", categories=["cs.LG"])
    with mail_server(sample_app, ScriptedInbox()) as inbox:
        report = send_digests(sample_app, day=FRIDAY, dry_run=True)
    assert report.total("would_send") == 1 and report.total("sent") == 0
    assert inbox.received == [] and sample_app.store.sends.period_counts("daily:2026-02-20") == {}


def test_subscribe_confirm_and_receive_over_http(sample_app: Paperfeed) -> None:
    with app_server(sample_app) as base, mail_server(sample_app, ScriptedInbox()) as inbox:
        with httpx.Client(base_url=base, timeout=10) as client:
            known = client.post(
                "/api/v1/subscriptions", json={"email": "New@Example.org", "categories": ["cs.CL"]}
            )
            assert known.status_code == 202
            (confirmation,) = received_by(inbox, "new@example.org")
            assert confirmation["Subject"] == "Confirm your paperfeed digest subscription"
            link = next(
                line for line in body(confirmation, "plain").splitlines() if "/digest/confirm/" in line
            )

            page = client.get(link)  # what a mail scanner does: nothing happens
            assert page.status_code == 200 and "Confirm" in page.text
            (pending,) = sample_app.store.subscriptions.for_email("new@example.org")
            assert pending.status == "pending"
            send_digests(sample_app, day=FRIDAY)
            assert len(received_by(inbox, "new@example.org")) == 1, "nothing but the confirmation before it"

            done = client.post(link, data={"csrf_token": csrf_of(page.text)}, follow_redirects=False)
            assert done.status_code == 303 and "/digest/manage/" in done.headers["location"]
            assert client.get(done.headers["location"]).status_code == 200
        assert sample_app.store.subscriptions.get(pending.id).status == "active"  # type: ignore[union-attr]
        report = send_digests(sample_app, day=THURSDAY)
        assert report.total("sent") == 1
        digest = received_by(inbox, "new@example.org")[-1]
        assert "new in cs.CL" in body(digest, "plain")
    assert all(item.mail_from for item in inbox.received)


@pytest.mark.parametrize(
    "hostile", ['<script>alert(1)</script> "x" & <b>', "https://evil.example/<img src=x>"]
)
def test_hostile_paper_text_stays_text(sample_app: Paperfeed, hostile: str) -> None:
    from paperfeed.records import PaperRecord

    record = PaperRecord(
        paper_id="2602.99999",
        title=f"Attack {hostile}",
        abstract=f"Abstract {hostile}",
        authors=[f"Mallory {hostile}"],
        categories=["cs.CL"],
        version=1,
        published=sample_app.store.papers.get(ELIA).published,  # type: ignore[union-attr]
    )
    sample_app.store.papers.write_batch([record])
    subscriber(sample_app, "safe@example.org", categories=["cs.CL"], max_papers=100)
    with mail_server(sample_app, ScriptedInbox()) as inbox:
        send_digests(sample_app, day=FRIDAY)
    (message,) = received_by(inbox, "safe@example.org")
    html = body(message, "html")
    assert "<script>" not in html and "<img" not in html and "<b>" not in html
    assert "Attack &lt;" in html or "Attack https://evil.example/&lt;img" in html


def test_a_dead_runs_claim_expiring_between_two_looks_is_still_sent(
    sample_app: Paperfeed, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The sender asks "anything left to claim?" and then "is another run still sending?"; a dead
    run's lease that expires between the two questions must not end the run with its rows unsent."""
    ledger = sample_app.store.sends
    orphan = subscriber(sample_app, "orphan@example.org", categories=["cs.AI"])
    period = "daily:2026-02-20"
    ledger.plan(period, [orphan.id], now=wall_now())
    assert sample_app.store.leases.acquire("dead-run", "dead-run", ttl_seconds=1.0, now=wall_now())
    held = ledger.claim(period, "dead-run", limit=5, now=wall_now())
    assert [c.subscription.id for c in held] == [orphan.id]
    original = ledger.claim
    waited = []

    def claim_then_let_the_lease_expire(*args: object, **kwargs: object) -> object:
        claimed = original(*args, **kwargs)  # type: ignore[arg-type]
        if not claimed and not waited:
            waited.append(True)
            time.sleep(1.2)  # the dead run's lease ends now, after the claim saw it alive
        return claimed

    monkeypatch.setattr(ledger, "claim", claim_then_let_the_lease_expire)
    with mail_server(sample_app, ScriptedInbox()) as inbox:
        report = send_digests(sample_app, day=FRIDAY).reports[0]
    assert waited, "the claim never came back empty while the dead run held its row"
    assert report.sent == 1 and len(received_by(inbox, "orphan@example.org")) == 1
    assert ledger.period_counts(period) == {"sent": 1}
