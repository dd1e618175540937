"""The enrichment job: links and keywords, GitHub stars, AI summaries; one function, three callers.

``paperfeed enrich`` runs it once; the indexer runs a slice of it every round (the local part at
once, the network part at most every :data:`NETWORK_EVERY` seconds); the scheduler runs it daily
(``PAPERFEED_SCHEDULER_ENRICH_TIME``). Never a request. A lease in the store (``enrich``) lets one
process enrich at a time, so two instances never ask GitHub or the model twice for the same thing.

What is due, by default:

1. **Links and keywords** follow the store's change feed from their own mark (like an index), up to
   what the TF-IDF features index covers (the keywords are read from it): every new or changed
   paper once. The mark moves after each committed batch.
2. **Stars** of the repositories linked by papers first published in the last
   ``PAPERFEED_ENRICH_DAYS``, when last asked more than ``PAPERFEED_GITHUB_REFRESH_HOURS`` ago;
   after GitHub's rate limit is reached, nothing until its window resets (a store state, so every
   process knows).
3. **Summaries** (with a configured model only) of the papers in the followed categories first
   published in the last ``PAPERFEED_ENRICH_DAYS`` that have none for their current text, newest
   first, within ``PAPERFEED_LLM_DAILY_BUDGET`` requests per UTC day (counted in the store).

``since`` (``paperfeed enrich --since``) takes every paper first published since that day instead,
in every category for links, keywords and stars, in the followed ones for summaries; what is
already done for the current text is skipped. Killing the job at any point loses at most the
batch, repository or summary under way, and nothing is done twice: each result is committed as it
is made and everything is skipped once done.
"""

from __future__ import annotations

import logging
import os
import socket
import threading
import time
import uuid
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from paperfeed.clock import parse_moment, wall_now
from paperfeed.context import Paperfeed
from paperfeed.enrich.github import GitHubClient, GitHubRateLimited, GitHubUnavailable
from paperfeed.enrich.keywords import keywords_from_weights
from paperfeed.enrich.links import detect_links
from paperfeed.enrich.summaries import MAX_ATTEMPTS, BadAnswer, ChatModel, ModelUnavailable, configured
from paperfeed.periods import day_start
from paperfeed.ratelimit import hit
from paperfeed.records import PaperRecord
from paperfeed.search.tfidf_index import TfidfSnapshot, open_tfidf
from paperfeed.store import Window

log = logging.getLogger(__name__)

LEASE = "enrich"
LEASE_TTL = 600.0
TEXT_MARK = "enrich:text"
GITHUB_RESUME = "enrich:github_resume_at"
LLM_BUDGET_KEY = "llm:requests"
TEXT_BATCH = 500
NETWORK_EVERY = 60.0
MAX_SINCE_PAPERS = 200_000

Progress = Callable[[str, int, int | None], None]
"""``(stage, done, total)``: a stage is ``links and keywords``, ``stars`` or ``summaries``."""


@dataclass(slots=True)
class EnrichReport:
    """What one run did (``paperfeed enrich --json`` prints it)."""

    papers: int = 0
    github_repos_found: int = 0
    project_pages_found: int = 0
    with_keywords: int = 0
    repos_asked: int = 0
    stars_updated: int = 0
    repos_unchanged: int = 0
    repos_not_found: int = 0
    repos_left: int = 0
    github_paused_until: str | None = None
    summaries: int = 0
    summary_failures: int = 0
    summaries_left: int = 0
    model: str | None = None
    busy: bool = False
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def _holder() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


class _Lease:
    """The ``enrich`` lease, renewed as work goes on (no thread: every unit of work is short)."""

    def __init__(self, app: Paperfeed) -> None:
        self.app = app
        self.holder = _holder()

    def take(self) -> bool:
        return self.app.store.leases.acquire(LEASE, self.holder, ttl_seconds=LEASE_TTL, now=wall_now())

    def renew(self) -> None:
        if not self.take():
            raise RuntimeError("the enrich lease was taken over (this process stalled too long)")

    def release(self) -> None:
        self.app.store.leases.release(LEASE, self.holder)


# ------------------------------------------------------------------------------ links and keywords
def _weights(snapshot: TfidfSnapshot, ids: Sequence[str]) -> dict[str, list[tuple[str, float]]]:
    found, matrix = snapshot.rows(ids)
    terms = snapshot.vocabulary.terms
    out: dict[str, list[tuple[str, float]]] = {}
    for n, paper_id in enumerate(found):
        start, end = matrix.indptr[n], matrix.indptr[n + 1]
        out[paper_id] = [
            (terms[int(c)], float(v))
            for c, v in zip(matrix.indices[start:end], matrix.data[start:end], strict=True)
        ]
    return out


def _enrich_texts(
    app: Paperfeed,
    papers: Sequence[PaperRecord],
    snapshot: TfidfSnapshot,
    report: EnrichReport,
    *,
    force: bool,
) -> None:
    """Links and keywords of ``papers`` (skipping those done for their current text unless ``force``)."""
    states = app.store.enrichment.text_states([p.paper_id for p in papers])
    todo = [
        p
        for p in papers
        if p.paper_id in states
        and (
            force
            or states[p.paper_id].enriched_hash != states[p.paper_id].content_hash
            or not states[p.paper_id].has_keywords
        )
    ]
    weights = _weights(snapshot, [p.paper_id for p in todo])
    rows = []
    for paper in todo:
        links = detect_links(paper)
        found = weights.get(paper.paper_id)
        keywords = keywords_from_weights(found, paper.title, paper.abstract) if found else []
        rows.append(
            (
                paper.paper_id,
                states[paper.paper_id].content_hash,
                links.github_repo,
                links.project_page,
                keywords,
                snapshot.generation if found is not None else None,
            )
        )
        report.github_repos_found += links.github_repo is not None
        report.project_pages_found += links.project_page is not None
        report.with_keywords += bool(keywords)
    app.store.enrichment.save_text(rows, now=app.clock.now())
    report.papers += len(rows)


def _mark(app: Paperfeed) -> tuple[int, str | None]:
    value = app.store.enrichment.get_state(TEXT_MARK)
    if not value:
        return 0, None
    seq, _, after = value.partition(" ")
    return int(seq), after or None


def enrich_texts(
    app: Paperfeed,
    report: EnrichReport,
    *,
    since: date | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
    keep_going: Callable[[], bool] = lambda: True,
    batch_size: int = TEXT_BATCH,
) -> None:
    """Step 1 (see the module docstring); each batch of ``batch_size`` papers is one commit."""
    snapshot = open_tfidf(app.settings.index_dir)
    if snapshot is None:
        report.notes.append(
            "links and keywords wait for the features index (the indexer builds it; or paperfeed index rebuild)"
        )
        return
    if since is not None:
        ids = app.store.papers.window_ids(Window(since=day_start(since)), limit=MAX_SINCE_PAPERS)
        for start in range(0, len(ids), batch_size):
            if not keep_going():
                return
            loaded = app.store.papers.get_many(ids[start : start + batch_size])
            _enrich_texts(app, list(loaded.values()), snapshot, report, force=False)
            if progress:
                progress("links and keywords", min(start + batch_size, len(ids)), len(ids))
        return
    seq, after = _mark(app)
    total = app.store.papers.changed_count(seq, after)
    done = 0
    for batch in app.store.papers.iter_changed_with_seq(
        seq, after_id=after, batch_size=batch_size, until_seq=snapshot.seq
    ):
        if not keep_going():
            return
        _enrich_texts(app, [paper for paper, _ in batch], snapshot, report, force=True)
        last_paper, last_seq = batch[-1]
        app.store.enrichment.set_state(TEXT_MARK, f"{last_seq} {last_paper.paper_id}")
        done += len(batch)
        if progress:
            progress("links and keywords", done, total)
        if limit is not None and done >= limit:
            return


# ------------------------------------------------------------------------------ stars
def _resume_at(app: Paperfeed) -> datetime | None:
    value = app.store.enrichment.get_state(GITHUB_RESUME)
    return parse_moment(value) if value else None


def refresh_stars(
    app: Paperfeed,
    report: EnrichReport,
    *,
    since: date | None = None,
    client: GitHubClient | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
    keep_going: Callable[[], bool] = lambda: True,
) -> None:
    """Step 2 (see the module docstring)."""
    now = app.clock.now()
    resume = _resume_at(app)
    if resume is not None and now < resume:
        report.github_paused_until = resume.isoformat()
        report.notes.append(f"GitHub's rate limit: no stars asked until {resume.isoformat()} UTC")
        return
    first = day_start(since) if since is not None else now - timedelta(days=app.settings.enrich_days)
    repos = app.store.enrichment.repos_published_since(first)
    states = app.store.enrichment.repo_states(repos)
    stale = now - timedelta(hours=app.settings.github_refresh_hours)

    def is_due(repo: str) -> bool:
        checked = states[repo].checked_at if repo in states else None
        return checked is None or checked < stale

    due = [r for r in repos if is_due(r)]
    if not due:
        return
    github = client or GitHubClient(app.settings)
    try:
        for n, repo in enumerate(due):
            if (limit is not None and n >= limit) or not keep_going():
                report.repos_left += len(due) - n
                return
            state = states.get(repo)
            try:
                answer = github.repo(repo, state.etag if state else None)
            except GitHubRateLimited as exc:
                _pause(app, report, exc.wait, str(exc))
                report.repos_left += len(due) - n
                return
            except GitHubUnavailable as exc:
                report.notes.append(f"stars: {exc}")
                report.repos_left += len(due) - n
                return
            report.repos_asked += 1
            moment = app.clock.now()
            if answer.status == "unchanged":
                report.repos_unchanged += 1
                app.store.enrichment.save_repo(repo, status="ok", now=moment, unchanged=True)
            elif answer.status == "ok":
                report.stars_updated += 1
                app.store.enrichment.save_repo(
                    repo,
                    status="ok",
                    now=moment,
                    stars=answer.stars,
                    full_name=answer.full_name,
                    etag=answer.etag,
                )
            else:
                report.repos_not_found += 1
                app.store.enrichment.save_repo(repo, status="not_found", now=moment)
            if progress:
                progress("stars", n + 1, len(due))
            wait = github.pause_after_last()
            if wait is not None:
                _pause(app, report, wait, "GitHub's rate limit is used up")
                report.repos_left += len(due) - n - 1
                return
    finally:
        if client is None:
            github.close()


def _pause(app: Paperfeed, report: EnrichReport, wait: float, why: str) -> None:
    until = app.clock.now() + timedelta(seconds=max(wait, 1.0))
    app.store.enrichment.set_state(GITHUB_RESUME, until.isoformat(timespec="seconds"))
    report.github_paused_until = until.isoformat(timespec="seconds")
    report.notes.append(f"{why}: no stars asked until {report.github_paused_until} UTC")


# ------------------------------------------------------------------------------ summaries
def due_summaries(app: Paperfeed, *, since: date | None = None) -> list[str]:
    """Papers in the followed categories, newest first, that need a summary for their text."""
    now = app.clock.now()
    first = day_start(since) if since is not None else now - timedelta(days=app.settings.enrich_days)
    window = Window(categories=tuple(app.settings.categories), since=first)
    ids = app.store.papers.window_ids(window, limit=MAX_SINCE_PAPERS)
    states = app.store.enrichment.summary_states(ids)
    due = []
    for paper_id in ids:
        state = states.get(paper_id)
        if state is None:
            due.append(paper_id)
            continue
        content_hash, status, summarised, attempts = state
        if summarised != content_hash or (status == "failed" and attempts < MAX_ATTEMPTS):
            due.append(paper_id)
    return due


def write_summaries(
    app: Paperfeed,
    report: EnrichReport,
    *,
    since: date | None = None,
    model: ChatModel | None = None,
    limit: int | None = None,
    progress: Progress | None = None,
    keep_going: Callable[[], bool] = lambda: True,
) -> None:
    """Step 3 (see the module docstring)."""
    if not configured(app.settings):
        report.notes.append(
            "no language model configured (PAPERFEED_LLM_BASE_URL, PAPERFEED_LLM_MODEL): no summaries"
        )
        return
    due = due_summaries(app, since=since)
    if not due:
        return
    chat = model or ChatModel(app.settings)
    report.model = chat.model
    try:
        for n, paper_id in enumerate(due):
            if (limit is not None and n >= limit) or not keep_going():
                report.summaries_left += len(due) - n
                return
            if not hit(app, LLM_BUDGET_KEY, limit=app.settings.llm_daily_budget, window_seconds=86_400):
                report.notes.append(
                    f"the language model's daily budget is spent ({app.settings.llm_daily_budget} requests, "
                    "PAPERFEED_LLM_DAILY_BUDGET); the rest waits for tomorrow"
                )
                report.summaries_left += len(due) - n
                return
            paper = app.store.papers.get(paper_id)
            states = app.store.enrichment.summary_states([paper_id])
            content_hash = states[paper_id][0] if paper_id in states else _content_hash(app, paper_id)
            if paper is None or content_hash is None:
                continue
            try:
                summary = chat.summarise(paper.title, paper.abstract)
            except ModelUnavailable as exc:
                report.notes.append(f"summaries: {exc}")
                report.summaries_left += len(due) - n
                return
            except BadAnswer as exc:
                report.summary_failures += 1
                app.store.enrichment.save_summary(
                    paper_id, content_hash=content_hash, now=app.clock.now(), detail=str(exc)[:500]
                )
            else:
                report.summaries += 1
                app.store.enrichment.save_summary(
                    paper_id,
                    content_hash=content_hash,
                    now=app.clock.now(),
                    summary=summary,
                    model=chat.model,
                )
            if progress:
                progress("summaries", n + 1, len(due))
    finally:
        if model is None:
            chat.close()


def _content_hash(app: Paperfeed, paper_id: str) -> str | None:
    state = app.store.enrichment.text_states([paper_id]).get(paper_id)
    return state.content_hash if state else None


# ------------------------------------------------------------------------------ the whole job
def run_enrichment(
    app: Paperfeed,
    *,
    since: date | None = None,
    network: bool = True,
    progress: Progress | None = None,
    github: GitHubClient | None = None,
    model: ChatModel | None = None,
    max_texts: int | None = None,
    max_repos: int | None = None,
    max_summaries: int | None = None,
    stop: threading.Event | None = None,
    text_batch: int = TEXT_BATCH,
) -> EnrichReport:
    """Run what is due (or everything since ``since``), as the one enriching process."""
    report = EnrichReport()
    lease = _Lease(app)
    if not lease.take():
        report.busy = True
        report.notes.append("another process is enriching now; it does this work")
        return report

    def keep_going() -> bool:
        if stop is not None and stop.is_set():
            return False
        lease.renew()
        return True

    try:
        enrich_texts(
            app,
            report,
            since=since,
            limit=max_texts,
            progress=progress,
            keep_going=keep_going,
            batch_size=text_batch,
        )
        if network:
            refresh_stars(
                app,
                report,
                since=since,
                client=github,
                limit=max_repos,
                progress=progress,
                keep_going=keep_going,
            )
            write_summaries(
                app,
                report,
                since=since,
                model=model,
                limit=max_summaries,
                progress=progress,
                keep_going=keep_going,
            )
    finally:
        lease.release()
    return report


class EnrichFollower:
    """The indexer's slice of enrichment: links and keywords of what the round indexed, every
    round; stars and summaries (a few at a time) at most every :data:`NETWORK_EVERY` seconds. An
    idle round (no new change in the store, nothing due on the network) touches nothing."""

    def __init__(self, app: Paperfeed, *, every: float = NETWORK_EVERY) -> None:
        self.app = app
        self.every = every
        self._last_network: float | None = None
        self._caught_up_to: int | None = None
        self.stop = threading.Event()

    def __call__(self) -> EnrichReport:
        now = time.monotonic()
        network = self._last_network is None or now - self._last_network >= self.every
        seq = self.app.store.papers.current_seq()
        if not network and seq == self._caught_up_to:
            return EnrichReport()
        if network:
            self._last_network = now
        limit = 2 * TEXT_BATCH
        report = run_enrichment(
            self.app, network=network, max_texts=limit, max_repos=20, max_summaries=3, stop=self.stop
        )
        if not report.busy and report.papers < limit:
            self._caught_up_to = seq
        if report.papers or report.repos_asked or report.summaries:
            log.info(
                "enrich: %d papers, %d repositories asked, %d summaries",
                report.papers,
                report.repos_asked,
                report.summaries,
            )
        return report
