"""Enrichment in the store: each paper's detected links and keywords, GitHub repositories' stars,
and language-model summaries (see ``store/schema/enrichment.py``).

Written by the enrichment job only (``paperfeed enrich``, the indexer, the scheduler); read by
pages and APIs in one query per kind for a page of papers.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime

import orjson
from sqlalchemy import func, select

from paperfeed.store.database import Database
from paperfeed.store.schema import github_repos, paper_enrichment, paper_summaries, papers, store_state


@dataclass(frozen=True, slots=True)
class Enrichment:
    """What is known about one paper beyond its record (every field optional)."""

    paper_id: str
    github_repo: str | None = None  # owner/name as the paper links it
    project_page: str | None = None
    keywords: list[str] = field(default_factory=list)
    github_name: str | None = None  # owner/name as GitHub answered (renamed repositories)
    stars: int | None = None
    summary: str | None = None
    summary_model: str | None = None


@dataclass(frozen=True, slots=True)
class TextState:
    """A paper's content hash, and the hash its links and keywords were computed from."""

    paper_id: str
    content_hash: str
    enriched_hash: str | None
    has_keywords: bool


@dataclass(frozen=True, slots=True)
class RepoState:
    repo: str
    etag: str | None
    checked_at: datetime | None


def _chunks(items: Sequence[str], size: int = 500) -> Iterable[list[str]]:
    for start in range(0, len(items), size):
        yield list(items[start : start + size])


class EnrichmentStore:
    """Links, keywords, stars and summaries of papers."""

    def __init__(self, database: Database) -> None:
        self._db = database
        self._engine = database.engine

    # ------------------------------------------------------------------ reads for pages
    def for_papers(self, paper_ids: Sequence[str]) -> dict[str, Enrichment]:
        """What is known of each of ``paper_ids`` (papers with nothing are absent); a summary only
        when it was made from the paper's current text."""
        wanted = list(dict.fromkeys(paper_ids))
        found: dict[str, dict[str, object]] = {}
        with self._engine.connect() as conn:
            for chunk in _chunks(wanted):
                query = (
                    select(
                        paper_enrichment,
                        github_repos.c.full_name,
                        github_repos.c.stars,
                        github_repos.c.status,
                    )
                    .outerjoin(
                        github_repos, github_repos.c.repo == func.lower(paper_enrichment.c.github_repo)
                    )
                    .where(paper_enrichment.c.paper_id.in_(chunk))
                )
                for row in conn.execute(query):
                    found[row.paper_id] = {
                        "github_repo": row.github_repo,
                        "project_page": row.project_page,
                        "keywords": orjson.loads(row.keywords or "[]"),
                        "github_name": row.full_name if row.status == "ok" else None,
                        "stars": row.stars if row.status == "ok" else None,
                    }
                summaries = (
                    select(paper_summaries.c.paper_id, paper_summaries.c.summary, paper_summaries.c.model)
                    .join(papers, papers.c.id == paper_summaries.c.paper_id)
                    .where(
                        paper_summaries.c.paper_id.in_(chunk),
                        paper_summaries.c.status == "ok",
                        paper_summaries.c.content_hash == papers.c.content_hash,
                    )
                )
                for row in conn.execute(summaries):
                    found.setdefault(row.paper_id, {}).update(summary=row.summary, summary_model=row.model)
        return {paper_id: Enrichment(paper_id, **values) for paper_id, values in found.items()}  # type: ignore[arg-type]

    # ------------------------------------------------------------------ links and keywords
    def text_states(self, paper_ids: Sequence[str]) -> dict[str, TextState]:
        """Each stored paper's content hash beside the one its links and keywords came from."""
        states: dict[str, TextState] = {}
        with self._engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(paper_ids))):
                query = (
                    select(
                        papers.c.id,
                        papers.c.content_hash,
                        paper_enrichment.c.content_hash.label("enriched"),
                        paper_enrichment.c.keywords_generation,
                    )
                    .outerjoin(paper_enrichment, paper_enrichment.c.paper_id == papers.c.id)
                    .where(papers.c.id.in_(chunk))
                )
                for row in conn.execute(query):
                    states[row.id] = TextState(
                        row.id, row.content_hash, row.enriched, row.keywords_generation is not None
                    )
        return states

    def save_text(
        self,
        rows: Sequence[tuple[str, str, str | None, str | None, list[str], str | None]],
        *,
        now: datetime,
    ) -> None:
        """Store (paper id, content hash, GitHub repo, project page, keywords, keywords generation)
        for a batch, in one transaction."""
        if not rows:
            return
        with self._engine.begin() as conn:
            for paper_id, content_hash, repo, page, keywords, generation in rows:
                values = {
                    "content_hash": content_hash,
                    "github_repo": repo,
                    "project_page": page,
                    "keywords": orjson.dumps(keywords).decode(),
                    "keywords_generation": generation,
                    "updated_at": now,
                }
                conn.execute(
                    self._db.insert(paper_enrichment)
                    .values(paper_id=paper_id, **values)
                    .on_conflict_do_update(index_elements=["paper_id"], set_=values)
                )

    # ------------------------------------------------------------------ GitHub
    def repos_of(self, paper_ids: Sequence[str]) -> list[str]:
        """The repositories (lower-cased owner/name) the papers link, each once."""
        found: dict[str, None] = {}
        with self._engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(paper_ids))):
                query = select(paper_enrichment.c.github_repo).where(
                    paper_enrichment.c.paper_id.in_(chunk), paper_enrichment.c.github_repo.isnot(None)
                )
                for row in conn.execute(query):
                    found.setdefault(str(row.github_repo).lower(), None)
        return list(found)

    def repos_published_since(self, since: datetime) -> list[str]:
        """The repositories linked by papers first published at or after ``since``."""
        query = (
            select(func.lower(paper_enrichment.c.github_repo).label("repo"))
            .join(papers, papers.c.id == paper_enrichment.c.paper_id)
            .where(papers.c.published_at >= since, paper_enrichment.c.github_repo.isnot(None))
            .distinct()
        )
        with self._engine.connect() as conn:
            return sorted(str(row.repo) for row in conn.execute(query))

    def repo_states(self, repos: Sequence[str]) -> dict[str, RepoState]:
        states: dict[str, RepoState] = {}
        with self._engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(repos))):
                for row in conn.execute(select(github_repos).where(github_repos.c.repo.in_(chunk))):
                    states[row.repo] = RepoState(row.repo, row.etag, row.checked_at)
        return states

    def save_repo(
        self,
        repo: str,
        *,
        status: str,
        now: datetime,
        stars: int | None = None,
        full_name: str | None = None,
        etag: str | None = None,
        unchanged: bool = False,
    ) -> None:
        """Record GitHub's answer for ``repo``; ``unchanged`` (a 304) only moves ``checked_at``."""
        values: dict[str, object] = {"checked_at": now}
        if not unchanged:
            values |= {"status": status, "stars": stars, "full_name": full_name, "etag": etag}
        insert_values = {"status": status, "stars": stars, "full_name": full_name, "etag": etag} | values
        with self._engine.begin() as conn:
            conn.execute(
                self._db.insert(github_repos)
                .values(repo=repo, **insert_values)
                .on_conflict_do_update(index_elements=["repo"], set_=values)
            )

    # ------------------------------------------------------------------ summaries
    def summary_states(self, paper_ids: Sequence[str]) -> dict[str, tuple[str, str, str | None, int]]:
        """(paper content hash, summary status, summary content hash, attempts) of papers that have
        a summary row."""
        states: dict[str, tuple[str, str, str | None, int]] = {}
        with self._engine.connect() as conn:
            for chunk in _chunks(list(dict.fromkeys(paper_ids))):
                query = (
                    select(
                        papers.c.id,
                        papers.c.content_hash,
                        paper_summaries.c.status,
                        paper_summaries.c.content_hash.label("summarised"),
                        paper_summaries.c.attempts,
                    )
                    .join(paper_summaries, paper_summaries.c.paper_id == papers.c.id)
                    .where(papers.c.id.in_(chunk))
                )
                for row in conn.execute(query):
                    states[row.id] = (row.content_hash, row.status, row.summarised, int(row.attempts or 0))
        return states

    def save_summary(
        self,
        paper_id: str,
        *,
        content_hash: str,
        now: datetime,
        summary: str | None = None,
        model: str | None = None,
        detail: str | None = None,
    ) -> None:
        """A summary (``summary`` given) or a failed try (counted; kept until the text changes)."""
        ok = summary is not None
        with self._engine.begin() as conn:
            previous = conn.execute(
                select(paper_summaries.c.attempts, paper_summaries.c.content_hash).where(
                    paper_summaries.c.paper_id == paper_id
                )
            ).first()
            attempts = (
                int(previous.attempts) if previous and previous.content_hash == content_hash else 0
            ) + 1
            values = {
                "content_hash": content_hash,
                "summary": summary,
                "model": model,
                "status": "ok" if ok else "failed",
                "attempts": attempts,
                "detail": detail,
                "updated_at": now,
            }
            conn.execute(
                self._db.insert(paper_summaries)
                .values(paper_id=paper_id, **values)
                .on_conflict_do_update(index_elements=["paper_id"], set_=values)
            )

    # ------------------------------------------------------------------ state
    def stats(self) -> dict[str, int]:
        """Counts for ``paperfeed enrich --json`` and status pages."""
        with self._engine.connect() as conn:

            def count(query: object) -> int:
                return int(conn.execute(query).scalar_one())  # type: ignore[call-overload]

            return {
                "papers_enriched": count(select(func.count()).select_from(paper_enrichment)),
                "with_github_repo": count(
                    select(func.count())
                    .select_from(paper_enrichment)
                    .where(paper_enrichment.c.github_repo.isnot(None))
                ),
                "with_project_page": count(
                    select(func.count())
                    .select_from(paper_enrichment)
                    .where(paper_enrichment.c.project_page.isnot(None))
                ),
                "repos_with_stars": count(
                    select(func.count()).select_from(github_repos).where(github_repos.c.status == "ok")
                ),
                "summaries": count(
                    select(func.count()).select_from(paper_summaries).where(paper_summaries.c.status == "ok")
                ),
            }

    def get_state(self, key: str) -> str | None:
        with self._engine.connect() as conn:
            return conn.execute(select(store_state.c.value).where(store_state.c.key == key)).scalar()

    def set_state(self, key: str, value: str) -> None:
        statement = (
            self._db.insert(store_state)
            .values(key=key, value=value)
            .on_conflict_do_update(index_elements=["key"], set_={"value": value})
        )
        with self._engine.begin() as conn:
            conn.execute(statement)
