"""What a listing shows beside each paper besides its votes: its comment count, and, once the paper
is enriched, its GitHub repository with the stars and its project page.

Every listing route passes ``badges`` (paper id → :class:`Badges`) to its template, loaded for the
page's papers in one query per source; ``paper_item`` in ``macros.html`` shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from paperfeed.context import Paperfeed
from paperfeed.discussion.comments import comment_counts
from paperfeed.enrich.view import enrichment_of, github_url, project_page


@dataclass(frozen=True, slots=True)
class Badges:
    comments: int = 0
    github: str | None = None
    stars: int | None = None
    project_page: str | None = None


def paper_badges(pf: Paperfeed, paper_ids: Sequence[str]) -> dict[str, Badges]:
    """Badges of each of ``paper_ids`` (papers with nothing to show are absent)."""
    counts = comment_counts(pf, paper_ids)
    enriched = enrichment_of(pf, paper_ids)
    badges: dict[str, Badges] = {}
    for paper_id in dict.fromkeys(paper_ids):
        info = enriched.get(paper_id)
        github = github_url(info) if info else None
        badge = Badges(
            comments=counts.get(paper_id, 0),
            github=github,
            stars=info.stars if info and github else None,
            project_page=project_page(info) if info else None,
        )
        if badge != Badges():
            badges[paper_id] = badge
    return badges
