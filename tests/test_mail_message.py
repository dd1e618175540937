"""Messages built by paperfeed.mail, written to bytes and parsed back with the ``email`` package."""

from __future__ import annotations

import email
import email.policy
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parsedate_to_datetime
from pathlib import Path

import pytest

from paperfeed.config import Settings
from paperfeed.mail import (
    MailAddressError,
    MailConfigError,
    MailContentError,
    build_message,
    envelope_recipients,
    login_message,
    message_id_domain,
    parse_address,
)
from tests.mail_support import body


@pytest.fixture
def mail_settings(tmp_path: Path) -> Settings:
    return Settings(
        data_dir=tmp_path / "data",
        mail_from="paperfeed <papers@example.org>",
        base_url="https://papers.example.org",
        secret_key="test-secret-" + "x" * 32,
    )


def wire(message: EmailMessage) -> bytes:
    """The bytes an SMTP server receives."""
    return message.as_bytes(policy=message.policy.clone(linesep="\r\n"))


def round_trip(message: EmailMessage) -> EmailMessage:
    parsed = email.message_from_bytes(wire(message), policy=email.policy.default)
    assert isinstance(parsed, EmailMessage)
    return parsed


def test_digest_is_multipart_alternative_with_list_headers(mail_settings: Settings) -> None:
    url = "https://papers.example.org/unsubscribe/" + "t0ken" * 30  # longer than a header line
    message = build_message(
        mail_settings,
        to="ann@example.org",
        subject="Your daily papers — 3 new",
        text="Three new papers.\nhttps://papers.example.org/papers/2602.18409\n",
        html='<p>Three new papers. <a href="https://papers.example.org/papers/2602.18409">Read</a></p>',
        unsubscribe_url=url,
        list_id="daily",
        list_name="paperfeed daily digest",
        bulk=True,
        date=datetime(2026, 3, 1, 12, 0, tzinfo=UTC),
    )
    raw = wire(message)
    assert raw.isascii()  # 7-bit clean: no server on the way needs 8BITMIME or SMTPUTF8
    assert f"\r\nList-Unsubscribe: <{url}>\r\n".encode() in raw  # one line, not RFC 2047-encoded
    parsed = round_trip(message)
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert body(parsed, "plain").startswith("Three new papers.\nhttps://papers.example.org/papers/")
    assert '<a href="https://papers.example.org/papers/2602.18409">' in body(parsed, "html")
    assert parsed["Subject"] == "Your daily papers — 3 new"
    assert parsed["From"].addresses[0].addr_spec == "papers@example.org"
    assert parsed["Message-ID"].endswith("@example.org>")
    assert parsedate_to_datetime(parsed["Date"]) == datetime(2026, 3, 1, 12, 0, tzinfo=UTC)
    assert parsed["List-Unsubscribe"] == f"<{url}>"
    assert parsed["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert parsed["List-Id"] == "paperfeed daily digest <daily.example.org>"
    assert parsed["Auto-Submitted"] == "auto-generated" and parsed["Precedence"] == "bulk"


def test_one_click_only_over_https_and_no_list_headers_by_default(mail_settings: Settings) -> None:
    http = round_trip(
        build_message(
            mail_settings,
            to="a@example.org",
            subject="s",
            text="t",
            unsubscribe_url="http://127.0.0.1:8000/u/x",
        )
    )
    assert http["List-Unsubscribe"] == "<http://127.0.0.1:8000/u/x>" and "List-Unsubscribe-Post" not in http
    plain = round_trip(build_message(mail_settings, to="a@example.org", subject="s", text="t"))
    assert plain.get_content_type() == "text/plain"
    assert not any(name in plain for name in ("List-Unsubscribe", "List-Id", "Precedence"))
    assert plain["Auto-Submitted"] == "auto-generated"
    with pytest.raises(MailContentError, match="unsubscribe URL"):
        build_message(
            mail_settings, to="a@example.org", subject="s", text="t", unsubscribe_url="mailto:x@y.org"
        )


@pytest.mark.parametrize(
    "name",
    ["Zoë Ünïcode", "李小龙", "Jürgen Größ, PhD", 'Ann "the reader" Ösel', "Ångström (lab)", "Plain, Comma"],
)
def test_display_names_round_trip_rfc2047(mail_settings: Settings, name: str) -> None:
    message = build_message(mail_settings, to=(name, "reader@example.org"), subject="s", text="t")
    raw = wire(message)
    header = raw.split(b"\r\nTo: ", 1)[1].split(b"\r\n", 1)[0]
    assert header.isascii() and header.endswith(b"<reader@example.org>")
    if not name.isascii():
        assert b"=?utf-8?" in header
    (address,) = round_trip(message)["To"].addresses
    assert (address.display_name, address.addr_spec) == (name, "reader@example.org")


def test_sender_name_and_international_domain(mail_settings: Settings) -> None:
    mail_settings.mail_from = '"Zoë\'s paperfeed" <papers@bücher.example>'
    parsed = round_trip(build_message(mail_settings, to="Jürgen <j@müller.example>", subject="s", text="t"))
    (sender,) = parsed["From"].addresses
    assert sender.display_name == "Zoë's paperfeed" and sender.domain == "xn--bcher-kva.example"
    assert parsed["To"].addresses[0].addr_spec == "j@xn--mller-kva.example"
    assert parsed["Message-ID"].endswith("@xn--bcher-kva.example>")
    assert envelope_recipients(parsed) == ["j@xn--mller-kva.example"]


@pytest.mark.parametrize("bad", ["bad", "a@b.org, c@d.org", "zoë@example.org", "x@", "<>", "a@nodot"])
def test_bad_addresses_are_refused(bad: str) -> None:
    with pytest.raises(MailAddressError):
        parse_address(bad)


def test_bad_sender_names_the_setting(mail_settings: Settings) -> None:
    mail_settings.mail_from = "paperfeed, the app <papers@example.org>"  # the comma makes two addresses
    with pytest.raises(MailConfigError, match="PAPERFEED_MAIL_FROM"):
        build_message(mail_settings, to="a@example.org", subject="s", text="t")


def test_no_header_injection(mail_settings: Settings) -> None:
    message = build_message(
        mail_settings,
        to=("Eve\r\nBcc: all@example.org", "eve@example.org"),
        subject="Hi\r\nBcc: x@y.org",
        text="t",
    )
    parsed = round_trip(message)
    assert "Bcc" not in parsed and parsed["Subject"] == "Hi Bcc: x@y.org"
    assert envelope_recipients(parsed) == ["eve@example.org"]


@pytest.mark.parametrize(
    "html",
    [
        '<img src="https://tracker.example/p.gif">',
        "<img src='//cdn.example/logo.png'>",
        '<div style="background: url(https://cdn.example/bg.png)">x</div>',
        '<link rel="stylesheet" href="https://cdn.example/x.css">',
        '<table background="http://cdn.example/bg.png"></table>',
    ],
)
def test_html_may_not_load_remote_content(mail_settings: Settings, html: str) -> None:
    with pytest.raises(MailContentError, match="no remote images"):
        build_message(mail_settings, to="a@example.org", subject="s", text="t", html=html)


def test_links_and_inline_images_are_fine(mail_settings: Settings) -> None:
    html = '<a href="https://papers.example.org/x">x</a><img src="data:image/png;base64,iVBORw0KGgo=" alt="">'
    build_message(mail_settings, to="a@example.org", subject="s", text="t", html=html)


def test_message_id_domain_falls_back_to_the_public_url(mail_settings: Settings) -> None:
    assert message_id_domain(mail_settings) == "example.org"
    mail_settings.mail_from = "paperfeed <paperfeed@localhost>"
    assert message_id_domain(mail_settings) == "papers.example.org"
    mail_settings.base_url = "http://127.0.0.1:8000"
    assert message_id_domain(mail_settings) == "localhost"


def test_login_message_has_the_link_on_its_own_line(mail_settings: Settings) -> None:
    link = "https://papers.example.org/login/verify?token=" + "x" * 120 + "&next=%2F"
    message = round_trip(
        login_message(mail_settings, "Reader@Example.org", link, expires_in=timedelta(minutes=10))
    )
    text = body(message, "plain")
    assert f"\n{link}\n" in text and "expires in 10 minutes" in text
    assert message.get_content_type() == "text/plain" and "Precedence" not in message
    assert message["Subject"] == "Your paperfeed sign-in link"
