"""The console backend (the default without an SMTP host), and sign-in through it end to end."""

from __future__ import annotations

import email
import email.policy
import logging
import re
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from paperfeed.config import Settings
from paperfeed.context import Paperfeed
from paperfeed.mail import (
    ConsoleBackend,
    DeliveryStatus,
    backend_for,
    backend_name,
    build_message,
    describe_delivery,
    outbox_dir,
    send_login_link,
)
from tests.mail_support import body
from tests.web_support import recorded_fetcher, web_app


def test_console_is_the_default_until_an_smtp_host_is_set(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    assert settings.smtp_host is None and backend_name(settings) == "console"
    assert isinstance(backend_for(settings), ConsoleBackend)
    assert (
        describe_delivery(settings) == f"written to the server's log and to {tmp_path / 'data' / 'outbox'}/"
    )
    assert backend_name(Settings(data_dir=tmp_path, smtp_host="mail.example.org")) == "smtp"
    assert backend_name(
        Settings(data_dir=tmp_path, smtp_host="mail.example.org", mail_backend="console")
    ) == ("console")
    assert backend_name(Settings(data_dir=tmp_path, mail_backend=" SMTP ", smtp_host="x.org")) == "smtp"
    assert (
        describe_delivery(Settings(data_dir=tmp_path, smtp_host="x.org", smtp_security="tls"))
        == "sent through the SMTP server x.org:465 (tls)"
    )
    assert "PAPERFEED_SMTP_HOST" in describe_delivery(Settings(data_dir=tmp_path, mail_backend="smtp"))
    with pytest.raises(ValueError, match="mail_backend"):
        Settings(data_dir=tmp_path, mail_backend="carrier-pigeon")


def test_console_writes_a_parseable_eml_and_logs_the_plain_text(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    settings = Settings(
        data_dir=tmp_path / "data",
        base_url="https://papers.example.org",
        secret_key="test-secret-" + "x" * 32,
    )
    link = "https://papers.example.org/login/verify?token=abc.def&next=%2F"
    caplog.set_level(logging.INFO, logger="paperfeed.mail")
    outcome = send_login_link(settings, "Ann.Reader+papers@Example.org", link)
    assert outcome.ok and outcome.backend == "console" and outcome.code is None
    (path,) = outbox_dir(settings).glob("*.eml")
    assert outcome.detail == f"written to {path}"
    assert re.fullmatch(
        r"\d{8}T\d{6}\.\d{6}Z-[0-9a-f]{6}-ann\.reader\+papers_at_example\.org\.eml", path.name
    )
    assert stat.S_IMODE(path.stat().st_mode) == 0o600  # a sign-in link is as good as a password
    assert [p.name for p in outbox_dir(settings).iterdir()] == [path.name]  # no temporary file left
    parsed = email.message_from_bytes(path.read_bytes(), policy=email.policy.default)
    assert parsed["To"] == "Ann.Reader+papers@example.org" and parsed["Message-ID"] == outcome.message_id
    assert link in body(parsed, "plain")  # type: ignore[arg-type]
    record = next(r for r in caplog.records if r.name == "paperfeed.mail")
    assert record.levelno == logging.INFO
    assert link in record.getMessage() and str(path) in record.getMessage()
    assert "Subject: Your paperfeed sign-in link" in record.getMessage()


def test_console_file_names_sort_by_time(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    backend = backend_for(settings)
    messages = [build_message(settings, to=f"r{n}@example.org", subject=f"n{n}", text="t") for n in range(5)]
    outcomes = backend.send_many(messages)
    assert all(o.status is DeliveryStatus.SENT for o in outcomes)
    names = sorted(p.name for p in outbox_dir(settings).glob("*.eml"))
    assert [name.split("-", 2)[2] for name in names] == [f"r{n}_at_example.org.eml" for n in range(5)]


def test_unwritable_outbox_is_a_temporary_failure(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path / "data")
    settings.data_dir.mkdir(parents=True)
    (settings.data_dir / "outbox").write_text("a file where the folder should be")
    outcome = backend_for(settings).send(build_message(settings, to="a@example.org", subject="s", text="t"))
    assert outcome.status is DeliveryStatus.TEMPORARY_FAILURE
    assert "outbox" in outcome.detail and "PAPERFEED_DATA_DIR" in outcome.detail


@pytest.fixture
def console_client(sample_app: Paperfeed) -> Iterator[TestClient]:
    sample_app.settings.base_url = "http://testserver"
    assert sample_app.settings.smtp_host is None  # a fresh install: no mail server
    with TestClient(web_app(sample_app, arxiv_fetcher=recorded_fetcher)) as client:
        yield client


def test_sign_in_without_a_mail_server(console_client: TestClient, sample_app: Paperfeed) -> None:
    page = console_client.get("/login").text
    token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    sent = console_client.post("/login", data={"email": "reader@example.org", "csrf_token": token})
    outbox = outbox_dir(sample_app.settings)
    assert sent.status_code == 200
    assert (
        "does not send email yet" in sent.text
        and f"written to the server&#39;s log and to {outbox}/" in sent.text
    )
    (path,) = outbox.glob("*.eml")
    text = body(email.message_from_bytes(path.read_bytes(), policy=email.policy.default), "plain")  # type: ignore[arg-type]
    verify = re.search(r"http://testserver(/login/verify\?\S+)", text)
    assert verify, text
    confirm = console_client.get(verify.group(1)).text
    form = dict(re.findall(r'name="(token|next)" value="([^"]*)"', confirm))
    signed = console_client.post("/login/verify", data=form | {"csrf_token": token}, follow_redirects=False)
    assert signed.status_code == 303 and "reader@example.org" in console_client.get("/").text


URL = re.compile(r"https?://[^\s<>\"']+")


def test_links_copied_from_the_raw_outbox_file_work(
    console_client: TestClient, sample_app: Paperfeed
) -> None:
    """The sign-in page sends people to the outbox folder: a link copied from the .eml file as it is
    (not through a mail client) must work, for the sign-in mail and for a digest with non-ASCII text
    (which used to be quoted-printable: ``token=3D…=`` split over lines)."""
    from datetime import date

    from paperfeed.digest.sender import send_digests
    from tests.digest_support import subscriber

    page = console_client.get("/login").text
    token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    sent = console_client.post(
        "/login", data={"email": "reader@example.org", "next": "/papers/2602.18409", "csrf_token": token}
    )
    assert sent.status_code == 200
    outbox = outbox_dir(sample_app.settings)
    (path,) = outbox.glob("*.eml")
    raw = path.read_bytes().decode("utf-8")
    (link,) = [u for u in URL.findall(raw) if "/login/verify" in u]
    assert len(link) > 78  # long enough that quoted-printable would have split it
    confirm = console_client.get(link.removeprefix("http://testserver"))
    assert confirm.status_code == 200 and "reader@example.org" in confirm.text
    form = dict(re.findall(r'name="(token|next)" value="([^"]*)"', confirm.text))
    signed = console_client.post("/login/verify", data=form | {"csrf_token": token}, follow_redirects=False)
    assert signed.status_code == 303 and signed.headers["location"] == "/papers/2602.18409"

    subscriber(sample_app, "zoe.reader@example.org", categories=["cs.CL"], trending=False)
    report = send_digests(sample_app, day=date(2026, 2, 20))
    assert report.total("sent") == 1
    (digest,) = [p for p in outbox.glob("*.eml") if p != path]
    raw = digest.read_bytes().decode("utf-8")
    parsed = email.message_from_bytes(digest.read_bytes(), policy=email.policy.default)
    decoded = body(parsed, "plain") + body(parsed, "html")  # type: ignore[arg-type]
    assert not decoded.isascii()  # names and titles with accents: the case that was quoted-printable
    in_raw = {u.rstrip(".,;)") for u in URL.findall(raw)}
    in_bodies = {u.rstrip(".,;)") for u in URL.findall(decoded.replace("&amp;", "&"))}
    assert in_bodies <= {u.replace("&amp;", "&") for u in in_raw}, in_bodies - in_raw
    ours = sorted(u for u in in_raw if u.startswith("http://testserver/"))
    assert any("/digest/unsubscribe/" in u for u in ours) and any("/digest/view/" in u for u in ours)
    for url in ours:
        answer = console_client.get(url.removeprefix("http://testserver").replace("&amp;", "&"))
        assert answer.status_code == 200, url
