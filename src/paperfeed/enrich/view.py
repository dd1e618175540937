"""What pages and APIs show of a paper's enrichment, read in one query per page of papers.

Nothing here computes anything: a paper not enriched yet simply has no links, stars, keywords or
summary to show (and none is invented in their place).
"""

from __future__ import annotations

from collections.abc import Sequence

from paperfeed.context import Paperfeed
from paperfeed.enrich.summaries import tldr
from paperfeed.records import is_web_url
from paperfeed.store import Enrichment


def enrichment_of(app: Paperfeed, paper_ids: Sequence[str]) -> dict[str, Enrichment]:
    """Each enriched paper among ``paper_ids`` (papers with nothing known are absent)."""
    return app.store.enrichment.for_papers(paper_ids)


def github_url(found: Enrichment) -> str | None:
    """The repository's address, under its current name when GitHub answered with a new one."""
    name = found.github_name or found.github_repo
    return f"https://github.com/{name}" if name else None


def project_page(found: Enrichment) -> str | None:
    """The project page, when it is an http(s) address (whatever the store holds)."""
    page = found.project_page
    return page if page and is_web_url(page) else None


def summary_lines(app: Paperfeed, paper_ids: Sequence[str]) -> dict[str, tuple[str, str]]:
    """``(one-line TL;DR, model)`` of each paper among ``paper_ids`` that has an AI summary (the
    digests' line under a paper)."""
    return {
        paper_id: (tldr(found.summary), found.summary_model or "a language model")
        for paper_id, found in enrichment_of(app, paper_ids).items()
        if found.summary
    }
