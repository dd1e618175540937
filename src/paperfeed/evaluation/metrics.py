"""Ranking metrics, the definitions trec_eval uses: one module for search and recommendations.

Relevance is graded (a mapping id → grade, as BEIR's qrels) or binary (a collection of relevant ids,
as a user's held-out papers: grade 1 each). Gains are linear, discounts 1/log2(rank + 1); the ideal
ranking is bounded by ``k``; nothing relevant scores 0. Pure functions on lists of ids, checked on
hand-computed cases and against pytrec_eval in the tests.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Hashable, Mapping, Sequence

Relevance = Mapping[Hashable, int] | Collection[Hashable]


def _grades(relevant: Relevance) -> Mapping[Hashable, int]:
    return relevant if isinstance(relevant, Mapping) else dict.fromkeys(relevant, 1)


def ndcg_at(ranked: Sequence[Hashable], relevant: Relevance, k: int = 10) -> float:
    """nDCG@k: gain = the grade of the item at rank r, discounted by 1/log2(r + 1), over the ideal."""
    grades = _grades(relevant)
    dcg = sum(grades.get(item, 0) / math.log2(rank + 1) for rank, item in enumerate(ranked[:k], start=1))
    ideal_gains = sorted((g for g in grades.values() if g > 0), reverse=True)[:k]
    idcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal_gains, start=1))
    return dcg / idcg if idcg > 0 else 0.0


def recall_at(ranked: Sequence[Hashable], relevant: Relevance, k: int = 100) -> float:
    """Share of the relevant items found in the first ``k`` (0 when nothing is relevant)."""
    wanted = {item for item, grade in _grades(relevant).items() if grade > 0}
    if not wanted:
        return 0.0
    return len(wanted.intersection(ranked[:k])) / len(wanted)


def mrr_at(ranked: Sequence[Hashable], relevant: Relevance, k: int = 10) -> float:
    """1 / the rank of the first relevant item within the first ``k`` (0 when none is there)."""
    grades = _grades(relevant)
    for rank, item in enumerate(ranked[:k], start=1):
        if grades.get(item, 0) > 0:
            return 1.0 / rank
    return 0.0
