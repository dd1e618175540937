"""Paired comparisons of two methods over the same users: how often one wins, and how sure that is.

A mean over users hides whether a gain is many small wins or a few large ones; ``eval recommend``
reports, for every method against the run's own, the wins and losses user by user, a two-sided sign
test and a bootstrap 95% interval of the mean difference. Kept apart from the evaluation loop so
any benchmark (search, similar papers) can compare the same way.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

BOOTSTRAP = 1000
"""Bootstrap resamples for the 95% interval."""


@dataclass(slots=True)
class Paired:
    """One metric, the run's method minus another, user by user."""

    metric: str
    mean_difference: float
    low: float  # bootstrap 95% interval of the mean difference
    high: float
    wins: int
    losses: int
    ties: int
    sign_test_p: float  # two-sided, ties dropped

    def to_dict(self) -> dict[str, Any]:
        return {
            "metric": self.metric,
            "mean_difference": round(self.mean_difference, 4),
            "ci95": [round(self.low, 4), round(self.high, 4)],
            "wins": self.wins,
            "losses": self.losses,
            "ties": self.ties,
            "sign_test_p": float(f"{self.sign_test_p:.3g}"),
        }


@dataclass(slots=True)
class Comparison:
    method: str  # the run's method
    against: str
    paired: list[Paired]

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "against": self.against, "paired": [p.to_dict() for p in self.paired]}


def sign_test(wins: int, losses: int) -> float:
    """Two-sided exact binomial test of wins against losses (p = 0.5), ties left out."""
    n = wins + losses
    if n == 0:
        return 1.0
    k = min(wins, losses)
    tail = sum(math.comb(n, i) for i in range(k + 1)) / 2.0**n
    return min(1.0, 2.0 * tail)


def paired(metric: str, ours: np.ndarray, theirs: np.ndarray, seed: int) -> Paired:
    """Wins, losses, sign test and a bootstrap 95% interval of ``mean(ours - theirs)``."""
    diff = np.asarray(ours, dtype=np.float64) - np.asarray(theirs, dtype=np.float64)
    wins, losses = int((diff > 1e-12).sum()), int((diff < -1e-12).sum())
    if len(diff) == 0:
        return Paired(metric, 0.0, 0.0, 0.0, 0, 0, 0, 1.0)
    rng = np.random.default_rng(seed)
    means = diff[rng.integers(0, len(diff), size=(BOOTSTRAP, len(diff)))].mean(axis=1)
    low, high = np.percentile(means, [2.5, 97.5])
    return Paired(
        metric,
        float(diff.mean()),
        float(low),
        float(high),
        wins,
        losses,
        len(diff) - wins - losses,
        sign_test(wins, losses),
    )
