"""Implicit TLS and STARTTLS against aiosmtpd, with a CA and a server certificate made for the test."""

from __future__ import annotations

from collections.abc import Iterator
from email.message import EmailMessage
from pathlib import Path

import pytest
from aiosmtpd.smtp import AuthResult, LoginPassword

import paperfeed.mail.smtp
from paperfeed.config import Settings
from paperfeed.mail import DeliveryStatus, SmtpBackend, SmtpConfig, build_message
from tests.mail_support import Certificates, ScriptedInbox, Sleeps, make_certificates, smtp_server


@pytest.fixture(scope="module")
def certificates(tmp_path_factory: pytest.TempPathFactory) -> Certificates:
    return make_certificates(tmp_path_factory.mktemp("tls"))


@pytest.fixture
def mail_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", mail_from="paperfeed <papers@example.org>")


@pytest.fixture
def tls_server(certificates: Certificates) -> Iterator[tuple[ScriptedInbox, int]]:
    """TLS from the first byte, as on port 465."""
    inbox = ScriptedInbox()
    with smtp_server(inbox, ssl_context=certificates.server_context()) as server:
        yield inbox, server.port


def accept_login(
    server: object, session: object, envelope: object, mechanism: str, data: object
) -> AuthResult:
    assert isinstance(data, LoginPassword)
    return AuthResult(success=(data.login, data.password) == (b"paperfeed", b"s3cret"))


@pytest.fixture
def starttls_server(certificates: Certificates) -> Iterator[tuple[ScriptedInbox, int]]:
    """A submission server: plain at first, STARTTLS required before anything, then a login."""
    inbox = ScriptedInbox()
    with smtp_server(
        inbox,
        tls_context=certificates.server_context(),
        require_starttls=True,
        authenticator=accept_login,
        auth_require_tls=True,
    ) as server:
        yield inbox, server.port


def message(settings: Settings) -> EmailMessage:
    return build_message(settings, to="reader@example.org", subject="Über TLS", text="Grüße\n")


def test_implicit_tls_trusting_a_ca_file(
    tls_server: tuple[ScriptedInbox, int], certificates: Certificates, mail_settings: Settings
) -> None:
    inbox, port = tls_server
    backend = SmtpBackend(
        SmtpConfig(host="localhost", port=port, security="tls", ca_file=certificates.ca_file, timeout=5)
    )
    outcome = backend.send(message(mail_settings))
    assert outcome.ok, outcome.detail
    assert inbox.received[0].message["Subject"] == "Über TLS"


def test_starttls_then_login(
    starttls_server: tuple[ScriptedInbox, int], certificates: Certificates, mail_settings: Settings
) -> None:
    inbox, port = starttls_server
    mail_settings.smtp_host = "127.0.0.1"  # the certificate names the IP address too
    mail_settings.smtp_port = port
    mail_settings.smtp_security = "starttls"
    mail_settings.smtp_tls_ca_file = certificates.ca_file
    mail_settings.smtp_username = "paperfeed"
    mail_settings.smtp_password = "s3cret"  # type: ignore[assignment]
    backend = SmtpBackend(SmtpConfig.from_settings(mail_settings))
    outcomes = backend.send_many([message(mail_settings), message(mail_settings)])
    assert all(o.ok for o in outcomes), outcomes
    assert len(inbox.received) == 2


def test_untrusted_certificate_is_a_settings_problem(
    tls_server: tuple[ScriptedInbox, int], mail_settings: Settings
) -> None:
    inbox, port = tls_server
    sleeps = Sleeps()
    backend = SmtpBackend(SmtpConfig(host="localhost", port=port, security="tls", timeout=5), sleep=sleeps)
    outcome = backend.send(message(mail_settings))
    assert outcome.status is DeliveryStatus.TEMPORARY_FAILURE and outcome.attempts == 1 and sleeps == []
    assert "not trusted" in outcome.detail and "PAPERFEED_SMTP_TLS_CA_FILE" in outcome.detail
    assert inbox.received == []


def test_verification_can_be_switched_off_for_tests(
    tls_server: tuple[ScriptedInbox, int],
    mail_settings: Settings,
    caplog: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    inbox, port = tls_server
    monkeypatch.setattr(paperfeed.mail.smtp, "_warned", set())  # the warning is given once per process
    backend = SmtpBackend(SmtpConfig(host="localhost", port=port, security="tls", verify=False, timeout=5))
    assert backend.send(message(mail_settings)).ok
    assert "for tests only" in caplog.text and len(inbox.received) == 1


def test_starttls_asked_of_a_server_without_it(mail_settings: Settings) -> None:
    inbox = ScriptedInbox()
    with smtp_server(inbox) as server:
        backend = SmtpBackend(
            SmtpConfig(host="127.0.0.1", port=server.port, security="starttls", timeout=5), sleep=Sleeps()
        )
        outcome = backend.send(message(mail_settings))
    assert outcome.status is DeliveryStatus.TEMPORARY_FAILURE and outcome.attempts == 1
    assert "does not offer STARTTLS" in outcome.detail and "PAPERFEED_SMTP_SECURITY" in outcome.detail


def test_tls_spoken_to_a_plain_port(mail_settings: Settings) -> None:
    inbox = ScriptedInbox()
    with smtp_server(inbox) as server:
        backend = SmtpBackend(
            SmtpConfig(host="127.0.0.1", port=server.port, security="tls", verify=False, timeout=5),
            sleep=Sleeps(),
        )
        outcome = backend.send(message(mail_settings))
    assert outcome.status is DeliveryStatus.TEMPORARY_FAILURE and outcome.attempts == 1
    assert "PAPERFEED_SMTP_SECURITY" in outcome.detail
