"""A failing background task never takes the server down unannounced (issue 18, item 3).

The case that was seen: with ``serve`` running, installing the semantic extra into the same venv made
the indexer fail ``import torch`` every 2 s, with a traceback each time. Now the failure is logged
once, the failing task waits longer and longer (the others go on: new papers stay keyword-searchable),
it says when it works again, a real server keeps answering throughout, and ``serve`` ends with one
line naming why it stopped."""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import time
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from paperfeed.background import MAX_DELAY, Backoff
from paperfeed.context import Paperfeed
from paperfeed.records import PaperRecord, finalize
from paperfeed.search import engine
from paperfeed.search.indexer import Indexer
from tests.test_cli_serve import environment, free_port, serve_command
from tests.web_support import serving, web_app


class Ticks:
    """Elapsed time that moves only when the test says."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _no_torch(*_args: object, **_kwargs: object) -> object:
    raise ModuleNotFoundError("No module named 'torch'")


def _paper(paper_id: str, title: str) -> PaperRecord:
    return finalize(
        PaperRecord(
            paper_id=paper_id,
            title=title,
            abstract="An abstract.",
            authors=["Ada Lovelace"],
            categories=["cs.LG"],
            published=datetime(2026, 3, 1, tzinfo=UTC),
            source="test",
        )
    )


def test_backoff_logs_once_doubles_and_says_when_it_works_again(caplog: pytest.LogCaptureFixture) -> None:
    ticks = Ticks()
    log = logging.getLogger("paperfeed.test.backoff")
    backoff = Backoff("indexer: embeddings", log, base_delay=2.0, clock=ticks)
    caplog.set_level(logging.INFO, logger=log.name)
    delays = []
    for _ in range(12):
        assert backoff.ready()
        try:
            _no_torch()
        except ModuleNotFoundError as exc:
            delays.append(backoff.failed(exc))
        assert not backoff.ready()
        ticks.now += delays[-1]
    assert delays[:5] == [2.0, 4.0, 8.0, 16.0, 32.0] and delays[-1] == MAX_DELAY
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None  # the traceback, once
    assert "keeps serving" in errors[0].getMessage() and "torch" in errors[0].getMessage()
    assert sum(1 for r in caplog.records if r.exc_info) == 1
    backoff.succeeded()
    assert backoff.ready() and "works again after 12 failed tries" in caplog.records[-1].getMessage()


def test_the_indexer_keeps_indexing_while_embedding_fails(
    sample_app: Paperfeed, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("paperfeed.search.indexer.update_vectors", _no_torch)
    ticks = Ticks()
    indexer = Indexer(sample_app, embed=True, poll_seconds=2.0, clock=ticks)
    caplog.set_level(logging.INFO, logger="paperfeed.search.indexer")
    assert indexer.lock.try_acquire()
    try:
        for n in range(8):  # one round a second
            sample_app.store.papers.write_batch([_paper(f"2603.4000{n}", f"Quokka number{n} studies")])
            indexer._round()
            assert [h.paper_id for h in engine.search(sample_app, f"quokka number{n}", mode="keyword").hits][
                :1
            ] == [f"2603.4000{n}"]
            ticks.now += 1.0
    finally:
        indexer.lock.release()
    embeddings = indexer.backoffs["embeddings"]
    assert embeddings.failures == 3  # tried at 0, 2 and 6 s (waits of 2 s, then 4 s), not in 8 rounds
    tracebacks = [r for r in caplog.records if r.exc_info]
    assert len(tracebacks) == 1 and "indexer: embeddings failed" in tracebacks[0].getMessage()
    assert not indexer.backoffs["keyword index"].failing


def test_a_real_server_keeps_serving_while_its_indexer_fails(
    sample_app: Paperfeed, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr("paperfeed.search.indexer.update_vectors", _no_torch)
    sample_app.settings.embed_after_ingest = True
    sample_app.settings.indexer_poll_seconds = 0.05
    caplog.set_level(logging.INFO, logger="paperfeed.search.indexer")
    port = free_port()
    with serving(web_app(sample_app, indexer=True), port) as base:
        # At least 1.5 s (some 30 failing indexer polls) and at least 10 answers: a loaded machine
        # gives fewer answers per second, never fewer answers.
        deadline = time.monotonic() + 1.5
        answers: list[int] = []
        while time.monotonic() < deadline or len(answers) < 10:
            answers.append(httpx.get(base + "/healthz", timeout=5).status_code)
            time.sleep(0.05)
        assert set(answers) == {200}
        assert httpx.get(base + "/search?q=graph", timeout=10).status_code == 200
    tracebacks = [r for r in caplog.records if r.exc_info and "embeddings" in r.getMessage()]
    assert len(tracebacks) == 1  # not one every 0.05 s


def test_serve_says_why_it_stopped(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [*serve_command(tmp_path / "data", port), "--no-indexer"],
        env=environment(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, process.communicate()
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.2)
        os.kill(process.pid, signal.SIGTERM)
        _, stderr = process.communicate(timeout=30)
    finally:
        if process.poll() is None:
            process.kill()
    assert process.returncode == 0
    assert stderr.strip().splitlines()[-1] == "paperfeed stopped: received SIGTERM", stderr
    assert "Traceback" not in stderr
