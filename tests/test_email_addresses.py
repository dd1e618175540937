"""One check of an email address for every shell (issue 18, item 9): crafted addresses (CR/LF, tab,
NUL, commas, non-ASCII before the @, …) get a 422 (exit 2 on the CLI) that says what is wrong, and
nothing is stored or mailed: no user, no subscription, no sign-in link in the outbox."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from paperfeed.accounts import AccountError, normalize_email
from paperfeed.cli import app as cli
from paperfeed.context import Paperfeed
from tests.web_support import web_app

CRAFTED = [
    ("a,evil@example.org", "','"),
    ("victim@example.org\r\nBcc: x@evil.example", "control character"),
    ("a\tb@example.org", "control character"),
    ("a\x00b@example.org", "control character"),
    ("é@example.org", "non-ASCII"),
    ("a@b@example.org", "exactly one @"),
    ("<a@example.org>", "'<'"),
    ('"a b"@example.org', "space"),
    ("a;b@example.org", "';'"),
    ("a@example.org, b@example.org", "space"),
    ("a..b@example.org", "two dots"),
    ("a@exa_mple.org", "domain"),
    ("a@example", "domain"),
    ("a\u202e@example.org", "non-ASCII"),
    ("a@exam\u202eple.org", "domain"),
]
GOOD = [
    ("New.Reader@Example.org", "new.reader@example.org"),
    ("o'brien+papers@example.co.uk", "o'brien+papers@example.co.uk"),
    ("  reader@bücher.example ", "reader@bücher.example"),
]


@pytest.mark.parametrize(("address", "reason"), CRAFTED, ids=[repr(a) for a, _ in CRAFTED])
def test_normalize_email_refuses_with_the_reason(address: str, reason: str) -> None:
    with pytest.raises(AccountError) as refused:
        normalize_email(address)
    assert reason in str(refused.value)
    assert "\n" not in str(refused.value) and "\r" not in str(refused.value)


@pytest.mark.parametrize(("address", "normal"), GOOD)
def test_normalize_email_keeps_real_addresses(address: str, normal: str) -> None:
    assert normalize_email(address) == normal


@pytest.fixture
def client(paperfeed_app: Paperfeed) -> Iterator[TestClient]:
    paperfeed_app.settings.base_url = "http://testserver"
    paperfeed_app.settings.mail_backend = "console"
    with TestClient(web_app(paperfeed_app, indexer=False)) as c:
        yield c


def _nothing_stored(app: Paperfeed) -> None:
    assert app.store.subscriptions.listing(email=None, limit=100) == []
    assert app.store.accounts.get_user(user_id=1) is None
    outbox = app.settings.data_dir / "outbox"
    assert not outbox.exists() or not list(outbox.iterdir())


def test_every_web_entry_refuses_crafted_addresses(client: TestClient, paperfeed_app: Paperfeed) -> None:
    page = client.get("/login").text
    token = page.split('name="csrf-token" content="', 1)[1].split('"', 1)[0]
    for address, reason in CRAFTED:
        login = client.post("/login", data={"email": address, "csrf_token": token})
        assert login.status_code == 422, address
        assert "not an email address" in login.text, address
        api = client.post("/api/v1/subscriptions", json={"email": address})
        assert api.status_code == 422, (address, api.text)
        assert reason in api.json()["error"]["message"], address
        form = client.post("/digest/subscribe", data={"email": address, "csrf_token": token})
        assert form.status_code == 422, address
        fragment = client.post(
            "/digest/subscribe",
            data={"email": address},
            headers={"HX-Request": "true", "X-CSRF-Token": token},
        )
        assert "not an email address" in fragment.text, address
    _nothing_stored(paperfeed_app)


@pytest.mark.parametrize(
    "command",
    [
        ["users", "add"],
        ["digest", "subscribe", "--confirmed"],
        ["digest", "subscribe"],
        ["follows", "add", "{}", "category", "cs.CL"],
    ],
    ids=lambda c: " ".join(c[:2]),
)
def test_the_cli_refuses_crafted_addresses_in_one_line(
    command: list[str], paperfeed_app: Paperfeed, tmp_path: Path
) -> None:
    runner = CliRunner()
    data = str(paperfeed_app.settings.data_dir)
    for address, reason in CRAFTED:
        args = [a.replace("{}", address) for a in command] if "{}" in command else [*command, address]
        result = runner.invoke(
            cli, ["--data-dir", data, *args, "--json"], env={"PAPERFEED_MAIL_BACKEND": "console"}
        )
        assert result.exit_code == 2, (address, result.output)
        assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
        error = json.loads(result.stdout)["error"]
        assert "not an email address" in error["message"] and reason in error["message"], error
    _nothing_stored(paperfeed_app)


def test_digest_list_shows_a_stored_crlf_address_on_one_line(paperfeed_app: Paperfeed) -> None:
    """A row stored before addresses were checked prints escaped, not as a line break."""
    from paperfeed.store import DigestChoices

    paperfeed_app.store.subscriptions.add(
        "a\r\nb@example.org", DigestChoices(), status="pending", now=paperfeed_app.clock.now()
    )
    data = str(paperfeed_app.settings.data_dir)
    result = CliRunner().invoke(cli, ["--data-dir", data, "digest", "list"])
    assert result.exit_code == 0, result.output
    (line,) = [line for line in result.stdout.splitlines() if "example.org" in line]
    assert "a\\r\\nb@example.org" in line
