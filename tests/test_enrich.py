"""Enrichment: links found in papers' own words, keywords from the TF-IDF index, GitHub stars from
GitHub's REST API (answers in GitHub's shape at the HTTP transport: 200, 304, 404, 301 renamed,
403 rate limit), the job's marks and lease (stop it and run it again: nothing twice, nothing lost),
``paperfeed enrich``, the indexer's slice, and what pages and the Papers API show."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from fastapi.testclient import TestClient
from pydantic import SecretStr

from paperfeed.clock import FixedClock
from paperfeed.context import Paperfeed
from paperfeed.enrich.github import GitHubClient
from paperfeed.enrich.links import detect_links, github_repo_of
from paperfeed.enrich.run import EnrichFollower, run_enrichment
from paperfeed.records import PaperRecord, finalize
from paperfeed.search.indexer import Indexer, catch_up
from tests.web_support import web_app

GITHUB = Path(__file__).parent / "data" / "github-api"
SAMPLE_DAY = datetime(2026, 2, 21, 12)  # the day after the sample's newest papers


def recorded(name: str) -> dict:
    return json.loads((GITHUB / name).read_text())


class RecordedGitHub:
    """GitHub at the transport: each repository path answers with a recorded-shape response;
    requests are kept so tests see what was asked (ETags, tokens)."""

    def __init__(self, routes: dict[str, str]) -> None:
        self.routes = dict(routes)  # a test may change its own copy
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        # GitHub matches owner and repository names without regard to case
        name = {path.lower(): file for path, file in self.routes.items()}.get(request.url.path.lower())
        if name is None:
            return httpx.Response(404, json={"message": "Not Found"})
        data = recorded(name)
        if data["status_code"] == 200 and request.headers.get("if-none-match") == data["headers"].get("etag"):
            data = recorded("repo_304.json")
        body = json.dumps(data["body"]).encode() if data["body"] is not None else b""
        return httpx.Response(data["status_code"], headers=data["headers"], content=body)

    def client(self, app: Paperfeed) -> GitHubClient:
        return GitHubClient(app.settings, transport=httpx.MockTransport(self), sleep=lambda _s: None)


# ------------------------------------------------------------------------------ links
@pytest.mark.parametrize(
    ("comment", "abstract", "repo", "page"),
    [
        (
            "Code: https://github.com/owner/repo. Project page: https://owner.github.io/repo/",
            "",
            "owner/repo",
            "https://owner.github.io/repo/",
        ),
        (
            "",
            "We build on https://github.com/huggingface/transformers; our code is available at https://github.com/me/mine.",
            "me/mine",
            None,
        ),
        ("Accepted at ICLR 2026: https://iclr.cc/virtual/2026/poster/1", "", None, None),
        ("Project website: https://token-games.ai/", "", None, "https://token-games.ai/"),
        ("see github.com/someone/tool and https://github.com/features/copilot", "", "someone/tool", None),
        ("profile https://github.com/justaname only", "", None, None),
        ("Project page: javascript:alert(1) or https://arxiv.org/abs/2602.00001", "", None, None),
        ("Code: \\url{https://github.com/a-b/c.d.git}", "", "a-b/c.d", None),
        (
            "Demo at https://x.github.io/d (see also https://www.example.org/lab)",
            "",
            None,
            "https://x.github.io/d",
        ),
    ],
)
def test_links_come_from_the_papers_own_words(
    comment: str, abstract: str, repo: str | None, page: str | None
) -> None:
    found = detect_links(PaperRecord(paper_id="2602.00001", title="t", abstract=abstract, comment=comment))
    assert (found.github_repo, found.project_page) == (repo, page)


def test_github_repo_of_refuses_githubs_own_pages() -> None:
    assert github_repo_of("https://github.com/owner/repo/tree/main/src") == "owner/repo"
    for url in (
        "https://github.com/orgs/x",
        "https://github.com/topics/llm",
        "https://gist.github.com/a/b",
        "https://github.com/owner",
    ):
        assert github_repo_of(url) is None


# ------------------------------------------------------------------------------ the job
def _enriched(app: Paperfeed, **kwargs: object):
    return run_enrichment(app, **kwargs)  # type: ignore[arg-type]


def test_every_paper_gets_keywords_and_its_links_once(sample_app: Paperfeed) -> None:
    report = _enriched(sample_app, network=False)
    assert report.papers == 300 and report.with_keywords == 300
    assert report.github_repos_found == 23 and report.project_pages_found == 8
    found = sample_app.store.enrichment.for_papers(["2602.18262", "2602.18409"])
    assert found["2602.18262"].github_repo == "aaron0eidt/ELIA"
    keywords = found["2602.18409"].keywords
    assert 3 <= len(keywords) <= 8 and any("graph" in k.lower() or "GNN" in k for k in keywords), keywords
    again = _enriched(sample_app, network=False)
    assert again.papers == 0  # nothing twice
    # a changed paper is read again (the change feed), and only it
    paper = sample_app.store.papers.get("2602.18409")
    assert paper is not None
    paper.comment = "Code: https://github.com/example/gnn-expressivity"
    paper.version = (paper.version or 1) + 1
    sample_app.store.papers.write_batch([paper])
    catch_up(sample_app, embed=False)
    changed = _enriched(sample_app, network=False)
    assert changed.papers == 1
    assert (
        sample_app.store.enrichment.for_papers(["2602.18409"])["2602.18409"].github_repo
        == "example/gnn-expressivity"
    )


def test_stopped_and_run_again_nothing_twice_nothing_lost(sample_app: Paperfeed) -> None:
    stop = threading.Event()
    seen: list[int] = []

    def progress(stage: str, done: int, _total: int | None) -> None:
        seen.append(done)
        stop.set()  # "killed" after the first committed batch

    first = run_enrichment(sample_app, network=False, progress=progress, stop=stop, text_batch=100)
    assert first.papers == 100 and seen == [100]
    second = run_enrichment(sample_app, network=False, text_batch=100)
    assert first.papers + second.papers == 300
    assert sample_app.store.enrichment.stats()["papers_enriched"] == 300


def test_one_process_enriches_at_a_time(sample_app: Paperfeed) -> None:
    sample_app.store.leases.acquire(
        "enrich", "another:1:x", ttl_seconds=60, now=datetime.now(UTC).replace(tzinfo=None)
    )
    report = run_enrichment(sample_app, network=False)
    assert report.busy and report.papers == 0 and "another process" in report.notes[0]


# ------------------------------------------------------------------------------ GitHub
ROUTES = {
    "/repos/aaron0eidt/ELIA": "repo_200.json",
    "/repos/bolo-web/CCD": "repo_404.json",
    "/repos/JosephBingham/SOMtime": "repo_301.json",
    "/repositories/1140022377": "repositories_200.json",
    "/repos/cvs-health/uqlm": "rate_limited_403.json",
}


def test_stars_from_recorded_answers_then_etags_then_the_rate_limit(
    sample_app: Paperfeed, clock: FixedClock
) -> None:
    clock.set(SAMPLE_DAY)
    _enriched(sample_app, network=False)
    sample_app.settings.github_token = None
    github = RecordedGitHub({k: v for k, v in ROUTES.items() if "uqlm" not in k})
    report = _enriched(sample_app, github=github.client(sample_app))
    assert report.repos_asked == 23 and report.stars_updated == 2 and report.repos_not_found == 21
    found = sample_app.store.enrichment.for_papers(["2602.18262", "2602.18232", "2602.18201"])
    assert found["2602.18262"].stars == 41 and found["2602.18262"].github_name == "aaron0eidt/ELIA"
    assert found["2602.18232"].stars is None  # 404: no stars, none invented
    renamed = found["2602.18201"]
    assert (
        renamed.github_repo == "JosephBingham/SOMtime" and renamed.github_name == "JosephBingham/SOMtime-maps"
    )
    assert renamed.stars == 12
    assert all(r.headers["x-github-api-version"] == "2022-11-28" for r in github.requests)
    assert all("authorization" not in r.headers for r in github.requests)
    # fresh enough: nothing asked; a day later, asked again with the ETag (a 304 keeps the stars)
    assert _enriched(sample_app, github=github.client(sample_app)).repos_asked == 0
    clock.set(SAMPLE_DAY + timedelta(hours=25))
    github.requests.clear()
    sample_app.settings.github_token = SecretStr("ghp_test_token")
    later = _enriched(sample_app, github=github.client(sample_app))
    elia = next(r for r in github.requests if r.url.path.lower() == "/repos/aaron0eidt/elia")
    assert elia.headers["if-none-match"] == recorded("repo_200.json")["headers"]["etag"]
    assert elia.headers["authorization"] == "Bearer ghp_test_token"
    assert later.repos_unchanged >= 1
    assert sample_app.store.enrichment.for_papers(["2602.18262"])["2602.18262"].stars == 41


def test_a_rate_limited_answer_pauses_every_process_until_the_reset(
    sample_app: Paperfeed, clock: FixedClock
) -> None:
    clock.set(SAMPLE_DAY)
    _enriched(sample_app, network=False)
    github = RecordedGitHub(ROUTES)
    report = _enriched(sample_app, github=github.client(sample_app))
    asked = len(github.requests)
    assert report.github_paused_until is not None and report.repos_left > 0
    paused = datetime.fromisoformat(report.github_paused_until)
    headers = recorded("rate_limited_403.json")["headers"]
    wait = int(headers["x-ratelimit-reset"]) - datetime(2026, 12, 1, 11, 58, 5, tzinfo=UTC).timestamp()
    assert abs((paused - SAMPLE_DAY).total_seconds() - wait) < 5  # GitHub's reset, on GitHub's clock
    again = _enriched(sample_app, github=github.client(sample_app))
    assert len(github.requests) == asked and again.github_paused_until == report.github_paused_until
    clock.set(paused + timedelta(seconds=1))
    github.routes.pop("/repos/cvs-health/uqlm")  # the limit's window has reset
    resumed = _enriched(sample_app, github=github.client(sample_app))
    assert resumed.repos_asked > 0 and resumed.github_paused_until is None


def test_a_paper_naming_its_repository_and_page_carries_them_everywhere(
    sample_app: Paperfeed, clock: FixedClock
) -> None:
    """The issue's case: the arXiv comment names a GitHub repository and a project page."""
    clock.set(SAMPLE_DAY)
    paper = finalize(
        PaperRecord(
            paper_id="2602.19999",
            title="Interactive interpretability for language models",
            abstract="We present a tool for exploring what language models attend to, with case studies.",
            authors=["Aaron Eidt", "B. Author"],
            categories=["cs.CL"],
            published=datetime(2026, 2, 20, 9, tzinfo=UTC),
            comment="Code: https://github.com/aaron0eidt/ELIA. Project page: https://elia-demo.github.io/",
        )
    )
    sample_app.store.papers.write_batch([paper])
    catch_up(sample_app, embed=False)
    run_enrichment(sample_app, github=RecordedGitHub(ROUTES).client(sample_app))
    with TestClient(web_app(sample_app, indexer=False)) as client:
        info = client.get("/api/papers/2602.19999").json()
        assert info["githubRepo"] == "https://github.com/aaron0eidt/ELIA"
        assert info["githubStars"] == 41 and info["projectPage"] == "https://elia-demo.github.io/"
        assert info["ai_keywords"] and "ai_summary" not in info  # no model: nothing invented
        entries = client.get("/api/daily_papers", params={"date": "2026-02-20", "limit": 100}).json()
        entry = next(e for e in entries if e["paper"]["id"] == "2602.19999")
        assert (
            entry["githubStars"] == 41
            and entry["projectPage"]
            and entry["ai_keywords"] == info["ai_keywords"]
        )
        assert all("ai_keywords" in e for e in entries)  # every (enriched) paper carries keywords
        page = client.get("/papers/2602.19999").text
        assert "★ 41" in page and 'href="https://elia-demo.github.io/"' in page
        for keyword in info["ai_keywords"]:
            assert f">{keyword}</a>" in page
        assert "AI summary" not in page
        daily = client.get("/daily/2026-02-20?tab=new").text
        assert 'href="https://github.com/aaron0eidt/ELIA"' in daily and "★ 41" in daily


# ------------------------------------------------------------------------------ runs by themselves
def test_the_indexer_enriches_what_it_indexes(sample_app: Paperfeed) -> None:
    follower = EnrichFollower(sample_app, every=3600)
    indexer = Indexer(sample_app, embed=False, poll_seconds=0.05, extra_steps=[follower])
    thread = indexer.start_thread()
    try:
        deadline = time.monotonic() + 30
        while sample_app.store.enrichment.stats()["papers_enriched"] < 300 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        indexer.stop.set()
        follower.stop.set()
        thread.join(timeout=10)
    assert sample_app.store.enrichment.stats()["papers_enriched"] == 300
    # an idle round touches nothing: not even the lease (another holder does not make it "busy")
    sample_app.store.leases.acquire(
        "enrich", "other:1:x", ttl_seconds=60, now=datetime.now(UTC).replace(tzinfo=None)
    )
    assert follower().busy is False


def test_the_scheduler_has_the_enrich_job(sample_app: Paperfeed) -> None:
    from paperfeed.digest import schedule

    jobs = {job.name: job for job in schedule.default_jobs(sample_app)}
    assert jobs["enrich"].at.strftime("%H:%M") == sample_app.settings.scheduler_enrich_time
    summary = jobs["enrich"].run()  # business time is December: nothing is due on the network
    assert summary.startswith("enrich: ") and '"papers": 300' in summary


@pytest.fixture
def rate_limited_github() -> Iterator[str]:
    """A local server in GitHub's shape whose rate limit is used up: every request gets the recorded
    403, so a command that asks for stars stops at its first request (an unreachable GitHub would
    be retried with backoff: seconds of waiting for nothing this test checks)."""
    answer = recorded("rate_limited_403.json")

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(answer["body"]).encode()
            self.send_response(answer["status_code"])
            for name, value in answer["headers"].items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def test_enrich_command_json_and_text(sample_app: Paperfeed, rate_limited_github: str) -> None:
    from typer.testing import CliRunner

    from paperfeed.cli import app as cli

    env = {
        "PAPERFEED_NOW": "2026-12-01T12:00",
        "PAPERFEED_GITHUB_API_URL": rate_limited_github,  # asked only by the --since run below
        "PAPERFEED_DATABASE_URL": sample_app.settings.database_url or "",
    }
    runner = CliRunner()

    def run(*args: str) -> tuple[int, str, str]:
        result = runner.invoke(cli, ["--data-dir", str(sample_app.settings.data_dir), *args], env=env)
        return result.exit_code, result.stdout, result.stderr

    code, out, err = run("enrich", "--json")
    assert code == 0, err
    report = json.loads(out)  # one JSON object
    assert report["papers"] == 300 and report["model"] is None and report["busy"] is False
    assert any("no language model" in note for note in report["notes"])
    code, out, _ = run("enrich", "--since", "2026-02-19")  # done for their text already: skipped
    assert code == 0 and "0 papers read for links and keywords" in out
    code, _, err = run("enrich", "--since", "yesterday")
    assert code == 2 and "--since" in err and "Traceback" not in err
