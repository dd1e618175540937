"""The SMTP backend against a real aiosmtpd server on loopback: delivery, retries, failure classes, bounds."""

from __future__ import annotations

import smtplib
import socket
import ssl
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

from paperfeed.config import Settings
from paperfeed.mail import (
    DeliveryStatus,
    MailConfigError,
    SmtpBackend,
    SmtpConfig,
    backend_for,
    build_message,
)
from paperfeed.mail.classify import classify
from tests.mail_support import ScriptedInbox, Sleeps, body, free_port, smtp_server

SENT, TEMPORARY, PERMANENT = (
    DeliveryStatus.SENT,
    DeliveryStatus.TEMPORARY_FAILURE,
    DeliveryStatus.PERMANENT_FAILURE,
)


@pytest.fixture
def mail_settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        mail_from="paperfeed <papers@example.org>",
        base_url="https://papers.example.org",
        secret_key="test-secret-" + "x" * 32,
    )


def config(port: int, **overrides: object) -> SmtpConfig:
    values: dict[str, object] = {"host": "127.0.0.1", "port": port, "timeout": 5.0, "retry_delay": 0.5}
    values.update(overrides)
    return SmtpConfig(**values)  # type: ignore[arg-type]


def digest(settings: Settings, to: str, n: int = 0) -> EmailMessage:
    return build_message(
        settings,
        to=to,
        subject=f"Digest {n}",
        text=f"Paper {n}\n",
        html=f"<p>Paper {n}</p>",
        unsubscribe_url="https://papers.example.org/unsubscribe/abc",
        list_id="daily",
        bulk=True,
    )


def test_a_batch_is_delivered_intact_over_one_reused_connection(mail_settings: Settings) -> None:
    inbox = ScriptedInbox()
    with smtp_server(inbox) as server:
        backend = SmtpBackend(config(server.port, max_connections=1))
        messages = [digest(mail_settings, f"reader{n}@example.org", n) for n in range(5)]
        outcomes = backend.send_many(messages)
    assert [o.status for o in outcomes] == [SENT] * 5
    assert all(o.code == 250 and "queued as T1" in o.detail and o.attempts == 1 for o in outcomes)
    assert [o.message_id for o in outcomes] == [m["Message-ID"] for m in messages]
    assert len(inbox.peers) == 1  # one connection carried all five
    first = inbox.received[0]
    assert first.mail_from == "papers@example.org" and first.rcpt_tos == ["reader0@example.org"]
    assert first.message["Subject"] == "Digest 0"
    assert first.message["List-Unsubscribe"] == "<https://papers.example.org/unsubscribe/abc>"
    assert body(first.message, "plain") == "Paper 0\n"
    assert body(first.message, "html").strip() == "<p>Paper 0</p>"


def test_a_connection_the_server_dropped_is_reopened_without_using_a_try(mail_settings: Settings) -> None:
    inbox = ScriptedInbox()
    inbox.hang_up_after_data = True
    sleeps = Sleeps()
    with smtp_server(inbox) as server:
        backend = SmtpBackend(config(server.port, max_connections=1, max_attempts=1), sleep=sleeps)
        outcomes = backend.send_many([digest(mail_settings, f"r{n}@example.org", n) for n in range(3)])
    assert all(o.ok and o.attempts == 1 for o in outcomes), outcomes
    assert len(inbox.received) == 3 and len(inbox.peers) == 3 and sleeps == []


def test_451_is_retried_with_backoff_until_accepted(mail_settings: Settings) -> None:
    inbox = ScriptedInbox(rcpt={"busy@example.org": ["451 4.3.0 try later", "451 4.3.0 try later"]})
    sleeps = Sleeps()
    with smtp_server(inbox) as server:
        outcome = SmtpBackend(config(server.port, max_attempts=4), sleep=sleeps).send(
            digest(mail_settings, "busy@example.org")
        )
    assert outcome.status is SENT and outcome.attempts == 3
    assert sleeps == [0.5, 1.0]  # exponential: retry_delay, then twice that
    assert inbox.rcpt_calls["busy@example.org"] == 3 and len(inbox.received) == 1


def test_451_gives_up_as_temporary_after_max_attempts(mail_settings: Settings) -> None:
    inbox = ScriptedInbox(rcpt={"busy@example.org": "451 4.3.0 mailbox busy"})
    sleeps = Sleeps()
    with smtp_server(inbox) as server:
        outcome = SmtpBackend(config(server.port, max_attempts=3), sleep=sleeps).send(
            digest(mail_settings, "busy@example.org")
        )
    assert outcome.status is TEMPORARY and outcome.code == 451 and "mailbox busy" in outcome.detail
    assert outcome.attempts == 3 and sleeps == [0.5, 1.0]
    assert inbox.rcpt_calls["busy@example.org"] == 3 and inbox.received == []


def test_550_is_permanent_and_not_retried_while_the_batch_goes_on(mail_settings: Settings) -> None:
    inbox = ScriptedInbox(rcpt={"gone@example.org": "550 5.1.1 no such user"})
    sleeps = Sleeps()
    with smtp_server(inbox) as server:
        outcomes = SmtpBackend(config(server.port), sleep=sleeps).send_many(
            [digest(mail_settings, "gone@example.org"), digest(mail_settings, "here@example.org")]
        )
    gone, here = outcomes
    assert gone.status is PERMANENT and gone.code == 550 and "no such user" in gone.detail
    assert gone.attempts == 1 and inbox.rcpt_calls["gone@example.org"] == 1 and sleeps == []
    assert here.status is SENT and [r.rcpt_tos for r in inbox.received] == [["here@example.org"]]


def test_each_recipient_of_one_message_gets_its_own_outcome(mail_settings: Settings) -> None:
    inbox = ScriptedInbox(
        rcpt={"gone@example.org": "550 5.1.1 no such user", "busy@example.org": ["451 later"]}
    )
    sleeps = Sleeps()
    message = build_message(
        mail_settings,
        to=["ok@example.org", "gone@example.org", "busy@example.org"],
        subject="Three",
        text="x\n",
    )
    with smtp_server(inbox) as server:
        outcome = SmtpBackend(config(server.port), sleep=sleeps).send(message)
    by_address = {r.address: (r.status, r.code) for r in outcome.recipients}
    assert by_address == {
        "ok@example.org": (SENT, 250),
        "gone@example.org": (PERMANENT, 550),
        "busy@example.org": (SENT, 250),
    }
    # the retry went to the one recipient that had a temporary refusal, not to all three again
    assert [r.rcpt_tos for r in inbox.received] == [["ok@example.org"], ["busy@example.org"]]
    assert outcome.status is PERMANENT and outcome.attempts == 2 and sleeps == [0.5]


def test_message_refused_at_data_is_permanent(mail_settings: Settings) -> None:
    inbox = ScriptedInbox(data_reply="554 5.7.1 looks like spam")
    with smtp_server(inbox) as server:
        outcome = SmtpBackend(config(server.port), sleep=Sleeps()).send(
            digest(mail_settings, "a@example.org")
        )
    assert outcome.status is PERMANENT and outcome.code == 554 and outcome.attempts == 1


def test_connection_refused_is_temporary_and_spares_the_rest_of_the_batch(mail_settings: Settings) -> None:
    sleeps = Sleeps()
    backend = SmtpBackend(config(free_port(), max_attempts=3, max_connections=1), sleep=sleeps)
    outcomes = backend.send_many([digest(mail_settings, f"r{n}@example.org", n) for n in range(4)])
    first, *rest = outcomes
    assert first.status is TEMPORARY and first.code is None and first.attempts == 3
    assert "refused" in first.detail and "127.0.0.1" in first.detail
    assert sleeps == [0.5, 1.0]  # the server is down: the other three are not each retried
    assert all(o.status is TEMPORARY and o.attempts == 0 and "not tried" in o.detail for o in rest)


def test_login_refused_is_a_settings_problem_not_retried(mail_settings: Settings) -> None:
    def refuse(server: object, session: object, envelope: object, mechanism: str, data: object) -> AuthResult:
        return AuthResult(success=False, handled=False)

    inbox = ScriptedInbox()
    sleeps = Sleeps()
    with smtp_server(inbox, authenticator=refuse, auth_require_tls=False) as server:
        backend = SmtpBackend(
            config(server.port, username="paperfeed", password="wrong", max_connections=1), sleep=sleeps
        )
        outcomes = backend.send_many([digest(mail_settings, f"r{n}@example.org", n) for n in range(3)])
    assert [o.status for o in outcomes] == [TEMPORARY] * 3  # the messages are fine; the settings are not
    assert outcomes[0].code == 535 and "PAPERFEED_SMTP_PASSWORD" in outcomes[0].detail
    assert outcomes[0].attempts == 1 and [o.attempts for o in outcomes[1:]] == [0, 0] and sleeps == []


def test_login_accepted(mail_settings: Settings) -> None:
    seen: list[LoginPassword] = []

    def accept(server: object, session: object, envelope: object, mechanism: str, data: object) -> AuthResult:
        assert isinstance(data, LoginPassword)
        seen.append(data)
        return AuthResult(success=data.password == b"s3cret")

    inbox = ScriptedInbox()
    mail_settings.smtp_host = "127.0.0.1"
    mail_settings.smtp_username = "paperfeed"
    mail_settings.smtp_password = "s3cret"  # type: ignore[assignment]  # as a test may set it
    with smtp_server(inbox, authenticator=accept, auth_require_tls=False) as server:
        mail_settings.smtp_port = server.port
        outcome = backend_for(mail_settings).send(digest(mail_settings, "a@example.org"))
    assert outcome.ok and seen[0].login == b"paperfeed"


def test_concurrency_is_bounded_and_used(mail_settings: Settings) -> None:
    inbox = ScriptedInbox()
    inbox.data_delay = 0.05
    with smtp_server(inbox) as server:
        backend = SmtpBackend(config(server.port, max_connections=3))
        outcomes = backend.send_many([digest(mail_settings, f"r{n}@example.org", n) for n in range(12)])
    assert all(o.ok for o in outcomes)
    assert [o.recipients[0].address for o in outcomes] == [f"r{n}@example.org" for n in range(12)]
    assert inbox.peak == 3  # three at once, never more
    assert len(inbox.peers) == 3  # three connections, each reused


def test_settings_choose_port_security_and_backend(tmp_path: Path) -> None:
    plain = Settings(data_dir=tmp_path, smtp_host="mail.example.org")
    assert SmtpConfig.from_settings(plain).port == 25 and SmtpConfig.from_settings(plain).security == "none"
    legacy = Settings(data_dir=tmp_path, smtp_host="mail.example.org", smtp_starttls=True)
    made = SmtpConfig.from_settings(legacy)
    assert (made.security, made.port) == ("starttls", 587)
    tls = Settings(data_dir=tmp_path, smtp_host="mail.example.org", smtp_security="TLS", smtp_password="pw")
    made = SmtpConfig.from_settings(tls)
    assert (made.security, made.port, made.password) == ("tls", 465, "pw")
    assert "pw" not in repr(tls)  # the password is a secret in the settings
    assert isinstance(backend_for(tls), SmtpBackend)
    with pytest.raises(ValueError, match="PAPERFEED_SMTP_STARTTLS"):
        Settings(data_dir=tmp_path, smtp_security="tls", smtp_starttls=True)
    with pytest.raises(MailConfigError, match="PAPERFEED_SMTP_HOST"):
        backend_for(Settings(data_dir=tmp_path, mail_backend="smtp"))
    with pytest.raises(MailConfigError, match="PAPERFEED_SMTP_TLS_CA_FILE"):
        backend_for(Settings(data_dir=tmp_path, smtp_host="x.org", smtp_tls_ca_file=tmp_path / "none.pem"))


@pytest.mark.parametrize(
    ("exc", "status", "retry", "stop_batch"),
    [
        (smtplib.SMTPDataError(451, b"later"), TEMPORARY, True, False),
        (smtplib.SMTPDataError(554, b"spam"), PERMANENT, False, False),
        (smtplib.SMTPSenderRefused(550, b"not yours", "a@b.org"), TEMPORARY, False, True),
        (smtplib.SMTPSenderRefused(552, b"too big", "a@b.org"), PERMANENT, False, False),
        (smtplib.SMTPConnectError(554, b"go away"), TEMPORARY, False, True),
        (smtplib.SMTPConnectError(421, b"too many connections"), TEMPORARY, True, False),
        (smtplib.SMTPServerDisconnected("gone"), TEMPORARY, True, False),
        (ConnectionResetError(104, "reset"), TEMPORARY, True, False),
        (TimeoutError("timed out"), TEMPORARY, True, False),
        (socket.gaierror(-2, "Name or service not known"), TEMPORARY, False, True),
        (ssl.SSLError(1, "wrong version number"), TEMPORARY, False, True),
    ],
)
def test_failure_classes(exc: BaseException, status: DeliveryStatus, retry: bool, stop_batch: bool) -> None:
    failure = classify(exc, where="mail.example.org:25", connecting=isinstance(exc, smtplib.SMTPConnectError))
    assert (failure.status, failure.retry, failure.stop_batch) == (status, retry, stop_batch)
    assert failure.detail
