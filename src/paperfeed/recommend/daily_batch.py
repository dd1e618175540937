"""Recommendations for many members at once: the digest's "personal recommendations" section.

:func:`recommendations_for_many` gives, for every member, exactly what
:func:`paperfeed.recommend.service.recommendations_for` gives one member (the tests check they
agree), but reads and scores in bulk, so 10,000 members over a day's papers fit the daily budget
(docs/benchmarks.md):

* every member's signals in a handful of queries (:func:`~paperfeed.library.signals.member_signals_many`);
* models from the cache in one read; only members whose signals changed are retrained, and the
  new models are written in one statement per 500;
* each distinct follow is matched once, whoever follows it;
* co-saves from one save matrix over the readers of every involved paper;
* scores for a chunk of members in one sparse (and one dense) product
  (:func:`paperfeed.recommend.batch.score_members`); then, per member, the top of the list and its
  reasons, as the one-member path does it (:func:`paperfeed.recommend.ranking.pick`).

No impressions are recorded: the digest records what it actually sends.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from datetime import datetime

import numpy as np

from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput
from paperfeed.library.signals import MemberSignals, already_seen, member_signals_many
from paperfeed.recommend.batch import BatchScores, co_saves_for, score_members, stack_models
from paperfeed.recommend.candidates import Candidates, candidates_for
from paperfeed.recommend.fitting import active_weights
from paperfeed.recommend.member_models import TrainedMember, member_models
from paperfeed.recommend.model import Parts, follow_kind, follow_weights
from paperfeed.recommend.ranking import (
    CoSaves,
    Ranked,
    blocked_rows,
    drivers_of,
    follow_label,
    follow_vectors,
    match_follows,
    pick,
    save_matrix,
)
from paperfeed.recommend.reasons import describe
from paperfeed.store import Follow

CHUNK = 1000
"""Members scored together (a chunk's score matrix is candidates × members floats)."""

Progress = Callable[[int, int], None]


def _follows(
    app: Paperfeed, signals: dict[int, MemberSignals], candidates: Candidates
) -> dict[str, np.ndarray]:
    """Each distinct enabled follow matched once: label → candidate rows. Authors and categories
    are matched against the candidates' records in memory (exact name, any category: what the
    store's author and category windows match); queries go through the keyword index."""
    distinct: dict[str, Follow] = {}
    for s in signals.values():
        if drivers_of(s).follows:
            for follow in s.enabled_follows:
                distinct.setdefault(follow_label(follow), follow)
    queries = [f for f in distinct.values() if f.kind == "query"]
    matched, _ = match_follows(app, queries, candidates)
    wanted = {label for label, f in distinct.items() if f.kind in ("author", "category")}
    if wanted:
        rows: dict[str, list[int]] = {}
        records = app.store.papers.get_many(candidates.ids)
        for pid, record in records.items():
            row = candidates.row_of[pid]
            for label in [f"author:{a}" for a in record.authors] + [
                f"category:{c}" for c in record.categories
            ]:
                if label in wanted:
                    rows.setdefault(label, []).append(row)
        matched |= {label: np.array(sorted(set(r)), dtype=np.int64) for label, r in rows.items()}
    return matched


def _co_saves(
    app: Paperfeed, trained: dict[int, TrainedMember], members: list[int], candidates: Candidates
) -> tuple[np.ndarray | None, np.ndarray | None, dict[str, int], object, np.ndarray | None]:
    """Co-save scores (candidates × members) from one save matrix over every involved paper, and
    per candidate how many members saved it."""
    positives = sorted({p for m in members for p in trained[m].model.positive_ids})
    if not positives:
        return None, None, {}, None, None
    readers_of_positives = app.store.library.savers(positives)
    readers_of_candidates = {
        pid: readers
        for pid, readers in app.store.library.savers_published(candidates.since, candidates.until).items()
        if pid in candidates.row_of
    }
    if not readers_of_candidates:
        return None, None, {}, None, None
    readers = np.zeros(len(candidates), dtype=np.float32)
    for pid, users in readers_of_candidates.items():
        readers[candidates.row_of[pid]] = len(users)
    # every positive gets a column (also those nobody saved), so a member's columns line up with
    # their positive ids for the reasons
    matrix, columns = save_matrix(
        [{p: readers_of_positives.get(p, set()) for p in positives}, readers_of_candidates]
    )
    candidate_columns = np.array([columns.get(pid, -1) for pid in candidates.ids], dtype=np.int64)
    known = candidate_columns >= 0
    scores = np.zeros((len(candidates), len(members)), dtype=np.float32)
    counts = np.zeros((len(candidates), len(members)), dtype=np.float32)
    if known.any():
        names = [str(m) for m in members]
        scores[known] = co_saves_for(matrix, names, candidate_columns[known])
        counts[known] = co_saves_for(matrix, names, candidate_columns[known], counts=True)
    return scores, counts, columns, matrix, readers


def recommendations_for_many(
    app: Paperfeed,
    user_ids: Sequence[int],
    since: datetime,
    until: datetime,
    limit: int = 10,
    *,
    progress: Progress | None = None,
) -> dict[int, list[tuple[str, str]]]:
    """For each member, the best ``limit`` papers first published in ``[since, until)`` (naive UTC)
    as ``(paper id, reason text)``, best first (see the module docstring)."""
    from paperfeed.recommend.service import SHOWN_TIMES, rank

    if until <= since:
        raise InvalidInput(
            f"the period ends ({until:%Y-%m-%d %H:%M}) before it starts ({since:%Y-%m-%d %H:%M})"
        )
    members = list(dict.fromkeys(int(u) for u in user_ids))
    signals = member_signals_many(app, members)
    candidates = candidates_for(app, since, until)
    if candidates is None or not len(candidates):  # no features yet (or no papers): the one-member path
        return {
            m: [(p.paper_id, p.reason.text) for p in rank(app, signals[m], since, until, limit=limit).items]
            for m in members
        }
    trained = member_models(app, signals, candidates)
    matched = _follows(app, signals, candidates)
    co_scores, co_counts, columns, matrix, readers = _co_saves(app, trained, members, candidates)
    weights = active_weights(app)  # fitted on the store's members when a fit put them in use
    n = len(candidates)
    chosen: dict[int, list[Ranked]] = {}
    follows_of: dict[int, dict[str, Follow]] = {}
    for start in range(0, len(members), CHUNK):
        block = members[start : start + CHUNK]
        stack = stack_models([trained[m].model for m in block])
        co_block = co_scores[:, start : start + len(block)] if co_scores is not None else None
        follow_best = np.zeros((n, len(block)), dtype=np.float32)
        member_follows: list[tuple[dict[str, np.ndarray], dict[str, Follow]]] = []
        member_boosts: list[dict[str, float]] = []
        for j, m in enumerate(block):
            switches = drivers_of(signals[m])
            present: list[str] = []
            if switches.library and trained[m].model.has_positives:
                present += ["content_mean", "content_max", "generic"]
                if stack.dense_positive is not None and candidates.dense is not None:
                    present += ["dense_mean", "dense_max"]
            if switches.co_saves and co_block is not None and co_block[:, j].any():
                present += ["co_saves", "co_counts", "popularity"]
            boosts = follow_weights(weights, present)
            member_boosts.append(boosts)
            enabled = signals[m].enabled_follows if switches.follows else []
            vectors, labels = follow_vectors(enabled, matched, n)
            member_follows.append((vectors, labels))
            if vectors:
                follow_best[:, j] = np.max(
                    np.vstack([boosts.get(follow_kind(k), 0.0) * v for k, v in vectors.items()]), axis=0
                )
        # the chunk's saved papers' rows, gathered once: each member's best cosine to one of their
        # positives (the blend's per-positive maximum), and the reasons, compare candidates with them
        union = sorted({p for m in block for p in trained[m].model.positive_ids})
        union_tfidf, union_dense = candidates.positive_rows(union)
        union_row = {pid: i for i, pid in enumerate(union)}
        owned = [
            np.array([union_row[p] for p in trained[m].model.positive_ids], dtype=np.int64) for m in block
        ]
        content_max, dense_max = _best_positive(candidates, union_tfidf, union_dense, owned)
        scored = score_members(
            stack,
            candidates.tfidf,
            candidates.background,
            dense_candidates=candidates.dense if stack.dense_positive is not None else None,
            content_max=content_max,
            dense_max=dense_max if stack.dense_positive is not None else None,
            co_saves=co_block if co_block is not None and co_block.any() else None,
            co_counts=co_counts[:, start : start + len(block)] if co_counts is not None else None,
            readers=readers,
            follows=follow_best,
            drivers=[drivers_of(signals[m]) for m in block],
            weights=weights,
        )
        for j, m in enumerate(block):
            vectors, labels = member_follows[j]
            own = np.array([union_row[p] for p in trained[m].model.positive_ids], dtype=np.int64)
            positives = (union_tfidf[own], None if union_dense is None else union_dense[own])
            parts = _member_parts(
                scored, j, {k: member_boosts[j].get(follow_kind(k), 0.0) * v for k, v in vectors.items()}
            )
            shared = None
            if co_block is not None and "co_saves" in parts.values and matrix is not None:
                positive_columns = np.array(
                    [columns[p] for p in trained[m].model.positive_ids], dtype=np.int64
                )
                shared = CoSaves(co_block[:, j], matrix, columns, positive_columns, str(m))  # type: ignore[arg-type]
            exclude = already_seen(signals[m], max_times=SHOWN_TIMES) | set(signals[m].more)
            chosen[m] = pick(
                trained[m].model,
                parts,
                scored.scores[:, j],
                candidates,
                blocked=blocked_rows(candidates, exclude),
                limit=limit,
                shared=shared,
                positives=positives,
            )
            follows_of[m] = labels
        if progress is not None:
            progress(min(start + CHUNK, len(members)), len(members))
    named = {x for items in chosen.values() for i in items for x in (i.reason.paper_id, i.linked) if x}
    titles = app.store.papers.titles(sorted(named))
    names = app.store.library.collection_names(members)
    return {
        m: [
            (
                i.paper_id,
                describe(i, signals[m], trained[m].model.positive_ids, titles, names, follows_of[m]).text,
            )
            for i in chosen[m]
        ]
        for m in members
    }


def _best_positive(
    candidates: Candidates, union_tfidf: object, union_dense: np.ndarray | None, owned: list[np.ndarray]
) -> tuple[np.ndarray | None, np.ndarray | None]:
    """Per member of a chunk (columns), each candidate's best cosine to one of the member's
    positives (``owned``: their rows in the chunk's union of positives), TF-IDF and dense."""
    n = len(candidates)
    if not any(len(o) for o in owned):
        return None, None
    # saved papers × candidates: each member's rows are contiguous to gather
    sims = np.asarray((union_tfidf @ candidates.matching.T).toarray(), dtype=np.float32)
    dense_sims = (
        union_dense @ candidates.dense.T if candidates.dense is not None and union_dense is not None else None
    )
    tfidf_best = np.zeros((n, len(owned)), dtype=np.float32)
    dense_best = np.zeros((n, len(owned)), dtype=np.float32) if dense_sims is not None else None
    for j, rows in enumerate(owned):
        if len(rows):
            tfidf_best[:, j] = sims[rows].max(axis=0)
            if dense_best is not None and dense_sims is not None:
                dense_best[:, j] = dense_sims[rows].max(axis=0)
    return tfidf_best, dense_best


def _member_parts(scored: BatchScores, column: int, follows: dict[str, np.ndarray]) -> Parts:
    """One member's driver parts from the batch, with the follow that gives each candidate its
    follows part (the strongest matching follow, the first on a tie, as in the one-member path)."""
    values = {name: m[:, column] for name, m in scored.parts.items() if np.any(m[:, column])}
    speaks = {name: m[:, column] for name, m in scored.speaks.items() if name in values}
    labels = list(follows)
    index = np.full(scored.scores.shape[0], -1, dtype=np.int64)
    if labels:
        stacked = np.vstack([follows[label] for label in labels])
        index = np.where(stacked.max(axis=0) > 0, stacked.argmax(axis=0), -1)
    return Parts(values, index, labels, speaks)
