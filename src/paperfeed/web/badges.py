"""What a listing shows beside each paper besides its votes: the comment count (and, once the
paper is enriched, its GitHub stars and project page).

Every listing route passes ``badges`` (paper id → :class:`Badges`) to its template, loaded for the
page's papers in one query per source; ``paper_item`` in ``macros.html`` shows them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from paperfeed.context import Paperfeed
from paperfeed.discussion.comments import comment_counts


@dataclass(frozen=True, slots=True)
class Badges:
    comments: int = 0


def paper_badges(pf: Paperfeed, paper_ids: Sequence[str]) -> dict[str, Badges]:
    """Badges of each of ``paper_ids`` (papers with nothing to show are absent)."""
    counts = comment_counts(pf, paper_ids)
    return {paper_id: Badges(comments=count) for paper_id, count in counts.items()}
