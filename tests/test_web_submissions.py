"""Submitting papers as readers paste them (issue 11): Hugging Face paper links, versions arXiv does
not have, and an arXiv that does not answer (a real socket that accepts and stays silent)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from paperfeed.context import Paperfeed
from tests.web_support import recorded_fetcher, sign_in, web_app


@pytest.fixture
def client(sample_app: Paperfeed) -> Iterator[TestClient]:
    with TestClient(web_app(sample_app, arxiv_fetcher=recorded_fetcher)) as c:
        yield c


@pytest.fixture
def silent_arxiv() -> Iterator[str]:
    """An HTTP endpoint that accepts connections and never answers."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/api/query"
    finally:
        stop.set()
        thread.join(2)
        for connection in held:
            connection.close()
        server.close()


@pytest.mark.parametrize(
    "link",
    [
        "https://huggingface.co/papers/2602.18409",
        "huggingface.co/papers/2602.18409",
        "https://hf.co/papers/2602.18409",
    ],
)
def test_hugging_face_paper_links_are_accepted(sample_app: Paperfeed, client: TestClient, link: str) -> None:
    _, csrf = sign_in(client, sample_app, "member@example.org")
    answer = client.post("/submit", data={"paper": link, "csrf_token": csrf})
    assert answer.status_code == 200 and "Featured on" in answer.text


def test_a_version_arxiv_does_not_have_is_reported(sample_app: Paperfeed, client: TestClient) -> None:
    _, csrf = sign_in(client, sample_app, "member@example.org")
    answer = client.post("/submit", data={"paper": "2602.18409v9", "csrf_token": csrf})
    assert answer.status_code == 422
    assert "arXiv has no version v9 of 2602.18409: its latest is v1" in answer.text
    assert "Featured on" not in answer.text
    assert client.post("/submit", data={"paper": "2602.18409v1", "csrf_token": csrf}).status_code == 200


def test_a_silent_arxiv_costs_seconds_not_half_a_minute(sample_app: Paperfeed, silent_arxiv: str) -> None:
    sample_app.settings.arxiv_api_url = silent_arxiv
    sample_app.settings.arxiv_timeout = 1.0
    with TestClient(web_app(sample_app)) as real_fetch:  # the real arXiv client, nothing faked
        _, csrf = sign_in(real_fetch, sample_app, "member@example.org")
        started = time.monotonic()
        answer = real_fetch.post("/submit", data={"paper": "2601.00002", "csrf_token": csrf})
        elapsed = time.monotonic() - started
    assert answer.status_code == 502
    assert "arXiv could not be asked about 2601.00002 (waited at most 1 s" in answer.text
    assert "try again in a minute" in answer.text
    assert elapsed < 5, f"{elapsed:.1f} s"
    assert sample_app.store.papers.get("2601.00002") is None
