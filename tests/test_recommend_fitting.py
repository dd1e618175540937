"""Blend weights fitted on the store's own members (``paperfeed recommend fit``): too few members
keep the defaults; enough members with topical libraries give a fit whose held-out comparison is
recorded with the weights; For you ranks with stored weights only when they are in use."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from pathlib import Path

import numpy as np
from typer.testing import CliRunner

from paperfeed.accounts import ensure_user
from paperfeed.cli import app as cli
from paperfeed.clock import FixedClock
from paperfeed.context import Paperfeed
from paperfeed.library import collections
from paperfeed.library.signals import member_signals
from paperfeed.recommend import service
from paperfeed.recommend.blend import DEFAULT_WEIGHTS, BlendWeights
from paperfeed.recommend.fitting import BLEND_NAME, MIN_SAVES, active_weights, fit_store_weights
from paperfeed.search.tfidf_index import open_tfidf

NOW = datetime(2026, 2, 21, 12, 0)
ENV = {"PAPERFEED_EMBED_AFTER_INGEST": "0"}
runner = CliRunner()


def topical_libraries(app: Paperfeed, clock: FixedClock, members: int, saves: int = 8) -> None:
    """``members`` members, each saving a paper and its nearest neighbours (TF-IDF), oldest first."""
    snapshot = open_tfidf(app.settings.index_dir)
    assert snapshot is not None
    ids, _, rows = snapshot.window(datetime(2000, 1, 1), datetime(2100, 1, 1))
    sims = (rows @ rows.T).toarray()
    rng = np.random.default_rng(0)
    seeds = rng.choice(len(ids), size=members, replace=False)
    for number, seed in enumerate(seeds):
        user = ensure_user(app, f"member{number}@example.org")
        nearest = np.argsort(-sims[seed], kind="stable")[:saves]
        for step, row in enumerate(nearest):
            clock.set(NOW - timedelta(days=30) + timedelta(hours=step))
            collections.save(app, user, ids[int(row)])
    clock.set(NOW)


def test_too_few_members_keep_the_defaults(sample_app: Paperfeed, clock: FixedClock) -> None:
    topical_libraries(sample_app, clock, members=3)
    report = fit_store_weights(sample_app)
    assert report.status == "too-few-members" and not report.active
    assert report.members == 3 and f"at least {MIN_SAVES} saved papers" in report.message
    stored = sample_app.store.recommend.get_blend(BLEND_NAME)
    assert stored is not None and not stored.active
    assert active_weights(sample_app) is DEFAULT_WEIGHTS


def test_a_fit_on_topical_libraries_learns_content_and_records_the_comparison(
    sample_app: Paperfeed, clock: FixedClock
) -> None:
    topical_libraries(sample_app, clock, members=24)
    report = fit_store_weights(sample_app, min_members=20)
    assert report.status in ("fitted", "kept-defaults")
    assert report.members == 24 and report.fitted.members == 24 and report.defaults.members == 24
    assert report.held_out_saves == 24 * 2  # the latest 30% of 8 saves, rounded: 2 each
    assert {m: len(f) for m, f in report.fold_weights.items()} == {"logistic": 2, "ndcg-ascent": 2}
    assert report.method in ("logistic", "ndcg-ascent") and report.fitted == report.methods[report.method]
    assert all(held.members == 24 for held in report.methods.values())
    # the held-out saves are the seed's nearest neighbours: content similarity must predict them
    assert max(report.weights.get("content_mean", 0.0), report.weights.get("content_max", 0.0)) > 0
    assert report.fitted.ndcg_10 > 0 and report.defaults.ndcg_10 > 0
    stored = sample_app.store.recommend.get_blend(BLEND_NAME)
    assert stored is not None and stored.active == report.active
    assert json.loads(stored.report)["fitted"] == {
        "ndcg_10": report.fitted.ndcg_10,
        "recall_100": report.fitted.recall_100,
        "members": 24,
    }
    if report.active:
        assert active_weights(sample_app).weights == BlendWeights.from_json(stored.weights).weights
    else:
        assert active_weights(sample_app) is DEFAULT_WEIGHTS


def test_ndcg_ascent_moves_a_weight_only_when_the_top_10_gets_better() -> None:
    from paperfeed.recommend.fitting import ndcg_ascent

    names = ("content_mean", "popularity")
    # the relevant candidate is the most popular and the least similar: only popularity finds it
    features = np.array([[1.0, 0.0], [0.9, 0.1], [0.0, 1.0]], dtype=np.float32)
    members = [(features, np.array([False, False, True]))] * 3
    start = BlendWeights({"content_mean": 1.0, "popularity": 0.0})
    fitted = ndcg_ascent(members, names, start=start, source="test")
    assert fitted.weight("popularity") - fitted.weight("content_mean") > 0  # now ranks it first
    unchanged = ndcg_ascent(members, names, start=BlendWeights({"popularity": 1.0}), source="test")
    assert unchanged.weights == {"popularity": 1.0}  # already perfect: nothing moves


def test_for_you_ranks_with_the_weights_in_use(sample_app: Paperfeed, clock: FixedClock) -> None:
    clock.set(NOW)
    user = ensure_user(sample_app, "reader@example.org")
    collections.save(sample_app, user, "2602.18201")
    since, until = datetime(2026, 2, 15), datetime(2026, 2, 22)

    def listed() -> list[str]:
        signals = member_signals(sample_app, user.id)
        return [p.paper_id for p in service.rank(sample_app, signals, since, until, limit=20, now=NOW).items]

    default = listed()
    odd = BlendWeights({"content_mean": 0.1, "generic": 8.0}, source="test")
    sample_app.store.recommend.put_blend(
        BLEND_NAME, weights=odd.to_json(), active=False, report="{}", now=NOW
    )
    assert listed() == default  # recorded but not in use: the defaults still rank
    sample_app.store.recommend.put_blend(BLEND_NAME, weights=odd.to_json(), active=True, report="{}", now=NOW)
    assert active_weights(sample_app).weights == odd.weights
    assert listed() != default


def test_recommend_fit_command(tmp_path: Path) -> None:
    data = tmp_path / "data"
    result = runner.invoke(cli, ["--data-dir", str(data), "recommend", "fit", "--json"], env=ENV)
    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["blend"] == BLEND_NAME and report["status"] == "too-few-members"
    assert report["members"] == 0 and report["active"] is False
    result = runner.invoke(cli, ["--data-dir", str(data), "recommend", "fit"], env=ENV)
    assert result.exit_code == 0 and result.stdout.startswith("too-few-members: 0 members")
