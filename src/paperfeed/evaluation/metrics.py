"""Ranking metrics for recommendations: binary relevance, the definitions trec_eval uses.

A user's *relevant* set is their test papers (minus anything already in their train library, which
is never ranked). Pure functions on lists of ids, so they are checked on hand-computed cases.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Sequence


def recall_at(ranked: Sequence[object], relevant: Collection[object], k: int) -> float:
    """Share of the relevant papers found in the first ``k`` (0 when nothing is relevant)."""
    if not relevant:
        return 0.0
    wanted = set(relevant)
    return sum(1 for item in ranked[:k] if item in wanted) / len(wanted)


def ndcg_at(ranked: Sequence[object], relevant: Collection[object], k: int = 10) -> float:
    """Binary nDCG@k: gain 1 per relevant paper at rank r, discounted by 1/log2(r + 1), over the ideal."""
    if not relevant:
        return 0.0
    wanted = set(relevant)
    dcg = sum(1.0 / math.log2(rank + 1) for rank, item in enumerate(ranked[:k], start=1) if item in wanted)
    idcg = sum(1.0 / math.log2(rank + 1) for rank in range(1, min(k, len(wanted)) + 1))
    return dcg / idcg
