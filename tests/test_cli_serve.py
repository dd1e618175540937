"""``paperfeed serve`` as a person runs it (issue 11), real server processes on loopback: a busy port
fails before any URL is printed, links point at the port it serves on (unless a base URL is set),
and PAPERFEED_TRUSTED_PROXIES decides whose address the sign-in rate limit counts. Two servers
(one plain, one behind a trusted proxy with its address set) serve the module's tests."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from xml.etree import ElementTree as ET

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
LOGIN_PER_CLIENT = 30  # paperfeed.web.auth: sign-in requests per client address per 15 minutes


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_command(data_dir: Path, port: int) -> list[str]:
    return [sys.executable, "-m", "paperfeed", "--data-dir", str(data_dir), "serve", "--port", str(port)]


def environment(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PAPERFEED_")}
    return env | {"PYTHONPATH": str(ROOT / "src"), "PAPERFEED_INDEXER": "false"} | settings


@contextmanager
def running_server(data_dir: Path, **settings: str) -> Iterator[str]:
    port = free_port()
    process = subprocess.Popen(
        [*serve_command(data_dir, port), "--no-indexer"],
        env=environment(**settings),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()
            try:
                if httpx.get(base + "/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        yield base
    finally:
        process.terminate()
        process.communicate(timeout=20)


def test_a_busy_port_fails_before_printing_a_url(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        done = subprocess.run(
            serve_command(tmp_path / "data", port),
            env=environment(),
            capture_output=True,
            text=True,
            timeout=60,
        )
    assert done.returncode == 2
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr and "--port" in done.stderr
    assert "paperfeed on http" not in done.stderr + done.stdout and "Traceback" not in done.stderr


@pytest.fixture(scope="module")
def plain_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server with no base URL set and no trusted proxy (mail printed to the console)."""
    with running_server(tmp_path_factory.mktemp("plain") / "data", PAPERFEED_MAIL_BACKEND="console") as base:
        yield base


@pytest.fixture(scope="module")
def proxied_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A server behind a trusted proxy on loopback, its public address set (not the port it serves on)."""
    with running_server(
        tmp_path_factory.mktemp("proxied") / "data",
        PAPERFEED_MAIL_BACKEND="console",
        PAPERFEED_TRUSTED_PROXIES="127.0.0.1",
        PAPERFEED_BASE_URL="http://localhost:9999",
    ) as base:
        yield base


def test_links_point_at_the_port_it_serves_on(plain_server: str) -> None:
    base = plain_server
    feed = ET.fromstring(httpx.get(base + "/feeds/daily.xml").content)
    assert feed.findtext("./channel/link") == base + "/"
    atom = httpx.get(base + "/feeds/daily.atom").text
    assert f'href="{base}/feeds/daily.atom"' in atom


def test_a_set_base_url_wins_over_the_port(proxied_server: str) -> None:
    feed = ET.fromstring(httpx.get(proxied_server + "/feeds/daily.xml").content)
    assert feed.findtext("./channel/link") == "http://localhost:9999/"


def sign_in_requests(base: str, forwarded_for: list[str]) -> list[int]:
    """One sign-in request per entry, each from that X-Forwarded-For address (distinct emails, so
    only the per-client limit can refuse them)."""
    with httpx.Client(base_url=base, timeout=10) as client:
        page = client.get("/login").text
        token = re.search(r'name="csrf-token" content="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        return [
            client.post(
                "/login",
                data={"email": f"reader{n}@example.org", "csrf_token": token},
                headers={"X-Forwarded-For": address},
            ).status_code
            for n, address in enumerate(forwarded_for)
        ]


# Each server's sign-in limit is spent by one test only: the other tests on it never sign in.
MANY = [f"203.0.113.{n}" for n in range(LOGIN_PER_CLIENT + 1)]  # 31 people behind one proxy


def test_sign_in_limit_counts_the_proxy_when_it_is_not_trusted(plain_server: str) -> None:
    # Untrusted, the header is ignored: everyone is the proxy's address, one bucket.
    assert sign_in_requests(plain_server, MANY) == [200] * LOGIN_PER_CLIENT + [429]


def test_sign_in_limit_counts_forwarded_clients_behind_a_trusted_proxy(proxied_server: str) -> None:
    assert sign_in_requests(proxied_server, MANY) == [200] * len(MANY)  # each person has their own bucket
    one = sign_in_requests(proxied_server, ["198.51.100.7"] * (LOGIN_PER_CLIENT + 1))
    assert one == [200] * LOGIN_PER_CLIENT + [429]  # and one person is still limited
