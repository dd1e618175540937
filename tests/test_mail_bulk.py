"""What the digest needs from the mail layer: per-message outcome callbacks, and bulk-speed building
that still says the same things (the remote-content check against its original regex, the bodies)."""

from __future__ import annotations

import email
import re
import threading
import time
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperfeed.config import Settings
from paperfeed.mail import DeliveryStatus, MailContentError, SendOutcome, backend_for, build_message
from paperfeed.mail.message import _remote_content, check_no_remote_content
from tests.mail_support import ScriptedInbox, body, smtp_server

# The check as first written (one case-insensitive alternation): the reference for the fast one on
# ASCII HTML. Beyond ASCII the fast one follows HTML's rules (names and whitespace are ASCII), below.
REFERENCE = re.compile(
    r"""\b(?:src|srcset|background|poster|data|action)\s*=\s*["']?\s*(?:https?:|//)"""
    r"""|url\(\s*["']?\s*(?:https?:|//)"""
    r"""|<\s*(?:link|script|iframe|object|embed)\b""",
    re.IGNORECASE,
)
PIECES = [
    "<a href=\"https://x.org\">", "<img src=", "SRC =", " data=", "data-x=", "xsrc=", "srcset='",
    "background=", "poster=", "action=", "url(", "URL( '", "//cdn", "http:", "https:", "<link", "< script",
    "<iframe", "<objects", "<embed>", "=", "\"", "'", " ", "\n", "\t", "text", "<p>", "srcdoc=", "_", "9",
]  # fmt: skip


def fetches(html: str) -> bool:
    return _remote_content(html.encode("utf-8").lower()) is not None


@settings(max_examples=1000, deadline=None)
@given(st.lists(st.sampled_from(PIECES), max_size=12))
def test_fast_remote_content_check_agrees_with_the_reference(pieces: list[str]) -> None:
    html = "".join(pieces)
    assert fetches(html) == (REFERENCE.search(html) is not None), html


@pytest.mark.parametrize(
    ("html", "found"),
    [
        ('<p>Zoë</p><img src="https://t.example/p.gif">', True),
        ("<p>é</p><IMG SRC=//cdn.example/x>", True),
        ("éSRC=https://x.example", False),  # one attribute name "ésrc", not src (HTML names are ASCII)
        ("İSRC =//cdn", False),
        ("src\u00a0=https://x.example", False),  # a no-break space is not HTML whitespace
        ("<p>data about data = https: no</p>", True),  # looks like an attribute: refused, the safe side
    ],
)
def test_non_ascii_html_follows_htmls_rules(html: str, found: bool) -> None:
    assert fetches(html) is found


def test_a_digest_sized_page_is_checked_fast() -> None:
    html = (
        '<p style="margin:0">Data about data, sources and actions</p><a href="https://x.org/p">x</a>\n'
    ) * 400
    started = time.perf_counter()
    check_no_remote_content(html)
    # Not a speed target (about 1 ms here): a guard against a backtracking pattern, which takes
    # seconds on a page this size; generous, so that a busy machine cannot fail it.
    assert time.perf_counter() - started < 1.0
    with pytest.raises(MailContentError, match="remote"):
        check_no_remote_content(html + '<img src="https://tracker.example/p.gif">')


@pytest.fixture
def mail_settings(tmp_path: Path) -> Settings:
    return Settings(data_dir=tmp_path / "data", mail_from="paperfeed <papers@example.org>",
                    base_url="https://papers.example.org", secret_key="s" * 40, smtp_retry_delay=0)  # fmt: skip


def test_bodies_are_7bit_when_plain_ascii_else_quoted_printable(mail_settings: Settings) -> None:
    plain = build_message(mail_settings, to="a@example.org", subject="s", text="short ascii\nlines\n")
    assert plain["Content-Transfer-Encoding"] == "7bit"
    long_line = "x " * 80
    text = f"Zoë Martín\n{long_line}\nend = 1"
    html = "<p>Zoë</p>\n<p>" + "word " * 60 + "</p>"
    message = build_message(mail_settings, to="a@example.org", subject="s", text=text, html=html)
    parts = list(message.iter_parts())
    assert [p.get_content_type() for p in parts] == ["text/plain", "text/html"]
    assert all(p["Content-Transfer-Encoding"] == "quoted-printable" for p in parts)
    raw = message.as_bytes()
    assert max(len(line) for line in raw.splitlines()) <= 998
    assert body(message, "plain") == text + "\n" and body(message, "html") == html + "\n"


def test_smtp_outcomes_are_reported_as_each_message_is_done(mail_settings: Settings) -> None:
    inbox = ScriptedInbox(rcpt={"bad@example.org": "550 5.1.1 no such user"})
    with smtp_server(inbox) as server:
        mail_settings.smtp_host, mail_settings.smtp_port = "127.0.0.1", server.port
        mail_settings.smtp_max_connections = 2
        messages = [
            build_message(mail_settings, to=to, subject="s", text="t")
            for to in ("a@example.org", "bad@example.org", "c@example.org")
        ]
        seen: list[tuple[int, DeliveryStatus, str]] = []

        def record(index: int, outcome: SendOutcome) -> None:
            seen.append((index, outcome.status, threading.current_thread().name))

        outcomes = backend_for(mail_settings).send_many(messages, on_outcome=record)
    assert sorted(i for i, _, _ in seen) == [0, 1, 2]
    assert {i: s for i, s, _ in seen} == {i: o.status for i, o in enumerate(outcomes)}
    assert dict((i, s) for i, s, _ in seen)[1] is DeliveryStatus.PERMANENT_FAILURE
    assert all(name.startswith("paperfeed-smtp") for _, _, name in seen)


def test_a_failing_callback_stops_the_batch_and_is_raised(mail_settings: Settings) -> None:
    inbox = ScriptedInbox()
    with smtp_server(inbox) as server:
        mail_settings.smtp_host, mail_settings.smtp_port = "127.0.0.1", server.port
        mail_settings.smtp_max_connections = 1
        messages = [
            build_message(mail_settings, to=f"r{i}@example.org", subject="s", text="t") for i in range(5)
        ]

        def broken(index: int, outcome: SendOutcome) -> None:
            raise RuntimeError("the ledger is gone")

        with pytest.raises(RuntimeError, match="ledger is gone"):
            backend_for(mail_settings).send_many(messages, on_outcome=broken)
    assert len(inbox.received) == 1, "no message is started once an outcome cannot be recorded"


def test_console_outcomes_are_reported_too(mail_settings: Settings) -> None:
    mail_settings.mail_backend = "console"
    messages = [build_message(mail_settings, to=f"r{i}@example.org", subject="s", text="t") for i in range(3)]
    seen: list[int] = []
    backend_for(mail_settings).send_many(messages, on_outcome=lambda i, o: seen.append(i))
    assert seen == [0, 1, 2]


def test_fast_serialisation_writes_the_standard_librarys_bytes(mail_settings: Settings) -> None:
    from email.policy import default

    from paperfeed.mail.message import message_bytes

    for n in range(3):  # the second and third reuse shared header objects and their folds
        message = build_message(
            mail_settings,
            to=("Zoë Martín, PhD", "zoe@example.org") if n else "reader@example.org",
            subject=f"paperfeed daily digest · Fri, Feb 20, 2026 · {n} papers " + "long words " * 12,
            text="Zoë\r\nline two\n" + "x " * 60,
            html="<p>Zoë &amp; co</p>\n" * 50,
            unsubscribe_url="https://papers.example.org/digest/unsubscribe/" + "t" * 90,
            list_id="daily",
            list_name="paperfeed daily digest",
            bulk=True,
        )
        for linesep in ("\n", "\r\n"):
            assert message_bytes(message, linesep=linesep) == message.as_bytes(
                policy=message.policy.clone(linesep=linesep)
            )
        reparsed = email.message_from_bytes(message_bytes(message), policy=default)
        assert reparsed["Subject"] == message["Subject"] and reparsed["To"] == message["To"]
