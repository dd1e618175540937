"""Score fusion of ranked lists: pure functions, no I/O (tested on hand-computed cases).

* :func:`rrf` — reciprocal-rank fusion (Cormack et al. 2009): ``sum over lists of w / (k + rank)``,
  rank starting at 1. Uses ranks only, so BM25's unbounded scores and cosine similarities need no
  calibration; ``k`` = 60 is the published default.
* :func:`weighted` — convex combination of min-max normalised scores: ``sum of w * norm(score)``;
  a document missing from a list gets 0 from it. Sensitive to score distributions, which is why the
  default mode is chosen by the SciFact harness, not by taste.

* :func:`calibrated` — the same convex combination over candidates whose both scores are known
  (hybrid search fills in each list's missing scores first; the default since issue 16).

All return ``(doc_id, fused_score)`` pairs, best first, ties broken by id for determinism.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

Ranking = Sequence[tuple[str, float]]
"""A ranked list: ``(doc_id, score)``, best first."""


def _ordered(scores: Mapping[str, float]) -> list[tuple[str, float]]:
    return sorted(scores.items(), key=lambda item: (-item[1], item[0]))


def rrf(
    rankings: Sequence[Ranking], *, k: float = 60.0, weights: Sequence[float] | None = None
) -> list[tuple[str, float]]:
    """Reciprocal-rank fusion of ``rankings``; ``weights`` default to 1 per list."""
    if weights is None:
        weights = [1.0] * len(rankings)
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        seen: set[str] = set()
        for rank, (doc_id, _score) in enumerate(ranking, start=1):
            if doc_id in seen:  # a duplicate counts once, at its best rank
                continue
            seen.add(doc_id)
            fused[doc_id] = fused.get(doc_id, 0.0) + weight / (k + rank)
    return _ordered(fused)


def min_max(ranking: Ranking) -> dict[str, float]:
    """Scores rescaled to [0, 1]; all-equal scores become 1 (every document equally good)."""
    if not ranking:
        return {}
    values = [score for _, score in ranking]
    low, high = min(values), max(values)
    span = high - low
    out: dict[str, float] = {}
    for doc_id, score in ranking:
        if doc_id not in out:
            out[doc_id] = 1.0 if span == 0 else (score - low) / span
    return out


def weighted(rankings: Sequence[Ranking], weights: Sequence[float]) -> list[tuple[str, float]]:
    """Weighted sum of min-max normalised scores (``weights`` usually sum to 1)."""
    if len(weights) != len(rankings):
        raise ValueError("one weight per ranking")
    fused: dict[str, float] = {}
    for ranking, weight in zip(rankings, weights, strict=True):
        for doc_id, score in min_max(ranking).items():
            fused[doc_id] = fused.get(doc_id, 0.0) + weight * score
    return _ordered(fused)


def calibrated(
    keyword: Mapping[str, float], semantic: Mapping[str, float], keyword_weight: float
) -> list[tuple[str, float]]:
    """Score fusion over the union of both lists' candidates, each min-max scaled over *all* of
    them: ``keyword`` gives BM25 scores (a candidate it lacks counts 0), ``semantic`` the cosine of
    every candidate it can (hybrid search reads the keyword-only candidates' cosines from their
    stored vectors; a candidate still without one gets the lowest). Unlike :func:`weighted`, a
    paper the keyword list found is not given 0 by the semantic side because it fell just below
    that list's cut-off (docs/benchmarks.md, SciFact train)."""
    ids = list(dict.fromkeys([*keyword, *semantic]))
    bm25 = min_max([(doc_id, keyword.get(doc_id, 0.0)) for doc_id in ids])
    low = min(semantic.values()) if semantic else 0.0
    cosine = min_max([(doc_id, semantic.get(doc_id, low)) for doc_id in ids])
    fused = {d: keyword_weight * bm25[d] + (1.0 - keyword_weight) * cosine[d] for d in ids}
    return _ordered(fused)
