"""``paperfeed digest …`` end to end on the 300-record sample: import, send (console outbox and an
unreachable SMTP server), preview, list, unsubscribe, and bad input as one line with exit status 2."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from paperfeed.cli import app
from paperfeed.context import Paperfeed
from tests.mail_support import free_port

runner = CliRunner()


def run(pf: Paperfeed, *args: str, **env: str) -> tuple[int, str, str]:
    settings = pf.settings
    values = {"PAPERFEED_EMBED_AFTER_INGEST": "0", "PAPERFEED_BASE_URL": "https://papers.example.org"}
    values["PAPERFEED_SECRET_KEY"] = "cli-test-secret-" + "x" * 30
    if settings.database_url:
        values["PAPERFEED_DATABASE_URL"] = settings.database_url
    values.update(env)
    result = runner.invoke(app, ["--data-dir", str(settings.data_dir), *args], env=values)
    return result.exit_code, result.stdout, result.stderr


def outbox(pf: Paperfeed) -> list[email.message.EmailMessage]:
    folder = Path(pf.settings.data_dir) / "outbox"
    return [
        email.message_from_bytes(p.read_bytes(), policy=email.policy.default)  # type: ignore[misc]
        for p in sorted(folder.glob("*.eml"))
    ]


def test_import_send_rerun_and_list(sample_app: Paperfeed) -> None:
    code, out, _ = run(
        sample_app, "digest", "subscribe", "a@example.org", "b@example.org", "--category", "cs.CL",
        "--query", '"language model" -survey', "--author", "Aaron Louis Eidt", "--no-trending",
        "--confirmed", "--json",
    )  # fmt: skip
    assert code == 0, out
    imported = json.loads(out)
    assert [s["status"] for s in imported["subscriptions"]] == ["active", "active"]
    code, out, _ = run(
        sample_app, "digest", "subscribe", "w@example.org", "--frequency", "weekly", "--confirmed"
    )
    assert code == 0 and "subscription" in out

    code, out, _ = run(sample_app, "digest", "send", "--period", "2026-02-20", "--json")
    assert code == 0, out
    report = json.loads(out)
    assert {k: report[k] for k in ("period", "subscribers", "sent", "skipped", "failed")} == {
        "period": "2026-02-20",
        "subscribers": 3,
        "sent": 2,
        "skipped": 1,  # the weekly subscriber wants trending, and nobody voted
        "failed": 0,
    }
    assert report["periods"] == {"daily": "daily:2026-02-20", "weekly": "weekly:2026-W08"}
    mails = outbox(sample_app)
    assert sorted(str(m["To"]) for m in mails) == ["a@example.org", "b@example.org"]
    assert all(m["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click" for m in mails)

    code, out, _ = run(sample_app, "digest", "send", "--period", "2026-02-20", "--json")
    again = json.loads(out)
    assert code == 0 and again["sent"] == 0 and again["already"] == 3 and len(outbox(sample_app)) == 2

    code, out, _ = run(sample_app, "digest", "list", "--json")
    listed = json.loads(out)
    assert code == 0 and listed["counts"] == {"active": 3}
    assert {s["email"] for s in listed["subscriptions"]} == {
        "a@example.org",
        "b@example.org",
        "w@example.org",
    }
    code, out, err = run(sample_app, "digest", "list")
    assert code == 0 and "a@example.org" in out and "3 active" in err


def test_dry_run_preview_and_unsubscribe(sample_app: Paperfeed, tmp_path: Path) -> None:
    run(sample_app, "digest", "subscribe", "p@example.org", "--category", "cs.LG", "--confirmed")
    code, out, _ = run(sample_app, "digest", "send", "--period", "2026-02-19", "--dry-run", "--json")
    assert code == 0 and json.loads(out)["would_send"] == 1 and outbox(sample_app) == []

    code, out, _ = run(sample_app, "digest", "preview", "p@example.org")
    assert code == 0 and out.startswith("Subject: paperfeed daily digest · Fri, Feb 20, 2026")
    target = tmp_path / "preview.html"
    code, out, _ = run(sample_app, "digest", "preview", "p@example.org", "--period", "2026-02-19",
                       "--out", str(target), "--json")  # fmt: skip
    assert code == 0
    result = json.loads(out)["previews"][0]
    assert result["period"] == "daily:2026-02-19" and result["papers"] and result["out"] == str(target)
    assert "new in cs.LG" in target.read_text(encoding="utf-8")

    code, out, _ = run(sample_app, "digest", "unsubscribe", "P@example.org", "--json")
    assert code == 0 and json.loads(out)["subscriptions"][0]["status"] == "unsubscribed"
    code, _, err = run(sample_app, "digest", "preview", "p@example.org")
    assert code == 2 and "no digest subscription" in err


def test_import_without_confirmed_sends_confirmations_only(sample_app: Paperfeed) -> None:
    code, out, _ = run(sample_app, "digest", "subscribe", "x@example.org", "y@example.org", "--json")
    assert code == 0 and [s["mailed"] for s in json.loads(out)["subscriptions"]] == [True, True]
    assert {m["Subject"] for m in outbox(sample_app)} == {"Confirm your paperfeed digest subscription"}
    code, out, _ = run(sample_app, "digest", "send", "--period", "2026-02-20", "--json")
    assert json.loads(out)["subscribers"] == 0 and len(outbox(sample_app)) == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["digest", "send", "--period", "2026-13-01"], "--period must be a date"),
        (["digest", "subscribe", "a@example.org", "--category", "cs LG"], "categories:"),
        (["digest", "subscribe", "not-an-address", "--confirmed"], "email:"),
        (["digest", "subscribe", "a@example.org", "--query", "-survey"], "nothing to look for"),
        (["digest", "subscribe", "a@example.org", "--frequency", "hourly"], "frequency:"),
        (["digest", "unsubscribe", "nobody@example.org"], "no subscription"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(sample_app: Paperfeed, args: list[str], message: str) -> None:
    code, _, err = run(sample_app, *args)
    assert code == 2 and message in err and "Traceback" not in err


def test_an_unreachable_mail_server_stops_the_run_and_loses_nothing(sample_app: Paperfeed) -> None:
    run(sample_app, "digest", "subscribe", "q@example.org", "--category", "cs.AI", "--confirmed")
    smtp = {"PAPERFEED_SMTP_HOST": "127.0.0.1", "PAPERFEED_SMTP_PORT": str(free_port()),
            "PAPERFEED_SMTP_RETRY_DELAY": "0", "PAPERFEED_SMTP_MAX_ATTEMPTS": "1"}  # fmt: skip
    code, out, _ = run(sample_app, "digest", "send", "--period", "2026-02-20", "--json", **smtp)
    report = json.loads(out)
    assert code == 1 and report["stopped"] and report["sent"] == 0
    assert sample_app.store.sends.period_counts("daily:2026-02-20") == {"queued": 1}
    code, out, _ = run(sample_app, "digest", "send", "--period", "2026-02-20", "--json")  # console now
    assert code == 0 and json.loads(out)["sent"] == 1


def test_links_of_cli_mail_follow_the_served_address(sample_app: Paperfeed) -> None:
    """``digest send`` from another process links to where ``serve`` was started (recorded in the
    store), or to PAPERFEED_BASE_URL; knowing neither, it says the links are a guess."""
    from tests.digest_support import subscriber

    subscriber(sample_app, "reader@example.org", categories=["cs.CL"], trending=False)
    unset = {"PAPERFEED_BASE_URL": None, "PAPERFEED_MAIL_BACKEND": "console"}
    data = ["--data-dir", str(sample_app.settings.data_dir)]
    guessed = runner.invoke(app, [*data, "digest", "send", "--period", "2026-02-19", "--json"], env=unset)
    assert guessed.exit_code == 0, guessed.output
    assert "a guess" in guessed.stderr and "PAPERFEED_BASE_URL" in guessed.stderr
    assert json.loads(guessed.stdout)["sent"] == 1  # stdout stays one JSON object
    sample_app.record_service_url("http://127.0.0.1:8101")  # what `paperfeed serve --port 8101` does
    served = runner.invoke(app, [*data, "digest", "send", "--period", "2026-02-20"], env=unset)
    assert served.exit_code == 0 and "a guess" not in served.stderr, served.output
    newest = max((Path(sample_app.settings.data_dir) / "outbox").glob("*.eml"), key=lambda p: p.name)
    text = newest.read_text("utf-8")
    assert "http://127.0.0.1:8101/digest/unsubscribe/" in text and ":8000" not in text
    assert sample_app.service_address().source == "serve"
    chosen = unset | {"PAPERFEED_BASE_URL": "https://papers.example.org", "PAPERFEED_SECRET_KEY": "k" * 40}
    result = runner.invoke(app, [*data, "digest", "preview", "reader@example.org"], env=chosen)
    assert "https://papers.example.org/digest/" in result.stdout and "8101" not in result.stdout
