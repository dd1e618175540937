"""Keeping the TF-IDF features index (:mod:`~paperfeed.search.tfidf_index`) current with the store.

Only the indexer calls :func:`update_tfidf`, holding the indexer lock, like the keyword index and
the vectors (:mod:`~paperfeed.search.index_updates`); the same crash rule holds: write the data,
then move the mark (the generation's manifest), so a crash only repeats one batch.

**When the vocabulary is fitted.** A generation's vocabulary and IDF are fitted once, on the
:data:`FIT_PAPERS` newest papers, and every paper is then transformed with it. A new generation is
started when there is none, on ``full`` (``paperfeed index rebuild --full``), and when the store
has doubled since the current one was fitted (a vocabulary fitted on the first 300 papers would
miss most of the words of the next 20,000; doubling keeps the total refitting work within twice
the corpus). The new generation is filled beside the current one (which keeps following the
store meanwhile) and replaces it once it has caught up, so readers never see a half-built one.

**Slices.** With ``budget`` (the follow loop) one call transforms about that many papers per
generation, so a large first build does not hold up the keyword index for minutes: about 1,500
abstracts per second here. Fitting itself is one step (about 30 s for 20,000 abstracts on this
2-core machine under load).
"""

from __future__ import annotations

import re
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import scipy.sparse as sp

from paperfeed.clock import wall_now
from paperfeed.context import Paperfeed
from paperfeed.search.marks import UpdateReport
from paperfeed.search.tfidf import FittedVocabulary, TfidfConfig, fit_tfidf, paper_text
from paperfeed.search.tfidf_index import (
    CURRENT_FILE,
    VOCABULARY_FILE,
    Manifest,
    Segment,
    TfidfSnapshot,
    current_generation,
    epoch_seconds,
    read_segment,
    tfidf_path,
    write_segment,
    write_text_atomic,
)

FIT_PAPERS = 20_000
"""The vocabulary and IDF are fitted on this many of the newest papers."""
REFIT_GROWTH = 2.0
"""A new vocabulary is fitted when the store has grown this many times since the last fit."""
FEATURE_SLICE = 4000
"""Papers the follow loop transforms per generation and round (a few seconds)."""
MAX_SEGMENTS = 8
"""More segments than this: the small ones at the end are merged into one (reads gather from fewer
files)."""
SEGMENT_PAPERS = 200_000
"""A catch-up writes a segment per this many papers, and compaction leaves segments this large
alone: memory stays bounded by one segment's rows (a whole catalogue in one segment would hold
gigabytes of rows in memory while it is built, and rewrite them at every compaction)."""
BATCH = 1000

Progress = Callable[[int], None]
_SEGMENT_NAME = re.compile(r"^s(\d{6,})$")


def _generations(root: Path) -> list[Path]:
    return sorted(p for p in root.glob("g-*") if p.is_dir())


def _building(root: Path, current: str | None) -> Manifest | None:
    """The generation being built beside the current one, if any; leftovers of crashes are removed."""
    found: Manifest | None = None
    for folder in _generations(root):
        if folder.name == current:
            continue
        manifest = Manifest.read(folder)
        if manifest is None or manifest.complete or found is not None:
            shutil.rmtree(folder, ignore_errors=True)  # a crash before or after a switch
            continue
        found = manifest
    return found


def _start_generation(app: Paperfeed, root: Path) -> tuple[Manifest, FittedVocabulary] | None:
    """Fit a vocabulary on the newest papers and create an empty generation for it."""
    from paperfeed.store import Window

    papers = app.store.papers
    ids = [paper_id for paper_id, _ in papers.window_dates(Window(), limit=FIT_PAPERS)]
    if not ids:  # only undated (title-only) papers: fit on whatever the store has
        ids = [p.paper_id for batch in papers.iter_changed(0, batch_size=FIT_PAPERS) for p in batch][
            :FIT_PAPERS
        ]
    if not ids:
        return None
    texts: list[str] = []
    for start in range(0, len(ids), BATCH):
        loaded = papers.get_many(ids[start : start + BATCH])
        texts += [paper_text(p.title, p.abstract) for p in loaded.values()]
    config = TfidfConfig()
    vectorizer, _ = fit_tfidf(texts, config)
    vocabulary = FittedVocabulary.from_vectorizer(vectorizer, config, len(texts))
    name = f"g-{uuid.uuid4().hex[:12]}"
    folder = root / name
    folder.mkdir(parents=True)
    vocabulary.save(folder / VOCABULARY_FILE)
    manifest = Manifest(
        name,
        store_papers=papers.count(),
        fitted_at=wall_now().isoformat(timespec="seconds"),
    )
    manifest.write(folder)
    return manifest, vocabulary


def _next_segment(manifest: Manifest) -> str:
    numbers = [int(m.group(1)) for s in manifest.segments if (m := _SEGMENT_NAME.match(s))]
    return f"s{max(numbers, default=0) + 1:06d}"


def _compact(folder: Path, manifest: Manifest, vocabulary: FittedVocabulary) -> None:
    """Merge the small segments at the end (each under :data:`SEGMENT_PAPERS` rows) into one: their
    live rows, and every id any of them removed (a removal must still apply to the segments before
    them). Large segments are left as they are. Then drop the old files."""
    width = len(vocabulary)
    names = list(manifest.segments)
    start = len(names)
    segments: list[Segment] = []
    while start > 0:
        segment = read_segment(folder / names[start - 1], width)
        if len(segment.ids) >= SEGMENT_PAPERS:
            break
        segments.insert(0, segment)
        start -= 1
    if len(segments) < 2:
        return
    snapshot = TfidfSnapshot(folder, manifest, vocabulary, segments)
    everything = np.arange(len(snapshot))
    matrix = snapshot._gather(snapshot._segment_of[everything], snapshot._row_of[everything])
    removed = sorted({paper_id for segment in segments for paper_id in segment.removed})
    name = _next_segment(manifest)
    write_segment(folder / name, snapshot.ids, snapshot.published, matrix, removed)
    manifest.segments = [*names[:start], name]
    manifest.write(folder)
    for old in names[start:]:
        shutil.rmtree(folder / old, ignore_errors=True)


def _offset(progress: Progress, done: int) -> Progress:
    """``progress`` counting on from ``done`` papers (each segment's count starts at zero)."""
    return lambda n: progress(done + n)


def _advance_all(
    app: Paperfeed,
    folder: Path,
    manifest: Manifest,
    vocabulary: FittedVocabulary,
    target: int,
    budget: int | None,
    progress: Progress | None,
) -> tuple[int, int]:
    """:func:`_advance` up to ``target`` (or about ``budget`` papers), one segment per
    :data:`SEGMENT_PAPERS` papers at most."""
    indexed = removed = 0
    while manifest.seq < target and (budget is None or indexed < budget):
        left = SEGMENT_PAPERS if budget is None else min(SEGMENT_PAPERS, budget - indexed)
        step = None if progress is None else _offset(progress, indexed)
        more, gone = _advance(app, folder, manifest, vocabulary, target, left, step)
        indexed, removed = indexed + more, removed + gone
        if more == 0 and gone == 0:
            break
    return indexed, removed


def _advance(
    app: Paperfeed,
    folder: Path,
    manifest: Manifest,
    vocabulary: FittedVocabulary,
    target: int,
    budget: int | None,
    progress: Progress | None,
) -> tuple[int, int]:
    """Transform the papers changed after the generation's mark (about ``budget`` of them), write
    them as one segment and move the mark; returns (papers transformed, ids removed)."""
    papers = app.store.papers
    after = manifest.seq
    if after >= target:
        return 0, 0
    vectorizer: Any = vocabulary.vectorizer()
    removed = papers.removed_since(after) if after > 0 else []
    ids: list[str] = []
    published: list[int] = []
    blocks: list[sp.csr_matrix] = []
    done_through, last_seq = target, after
    size = BATCH if budget is None else max(1, min(BATCH, budget))
    for batch in papers.iter_changed_with_seq(after, batch_size=size, until_seq=target):
        # Stop only between two changes: papers of one change may span batches, and the mark can
        # only say "everything up to change n".
        if budget is not None and len(ids) >= budget and batch[0][1] > last_seq:
            done_through = batch[0][1] - 1
            break
        blocks.append(
            sp.csr_matrix(vectorizer.transform([paper_text(p.title, p.abstract) for p, _ in batch]))
        )
        ids += [p.paper_id for p, _ in batch]
        published += [epoch_seconds(p.published) for p, _ in batch]
        last_seq = batch[-1][1]
        if progress is not None:
            progress(len(ids))
    if ids or removed:
        width = len(vocabulary)
        matrix = sp.vstack(blocks, format="csr") if blocks else sp.csr_matrix((0, width), dtype=np.float32)
        name = _next_segment(manifest)
        write_segment(folder / name, ids, np.asarray(published, dtype=np.int64), matrix, removed)
        manifest.segments.append(name)
    manifest.seq = max(after, done_through)
    manifest.write(folder)
    if len(manifest.segments) > MAX_SEGMENTS:
        _compact(folder, manifest, vocabulary)
    return len(ids), len(removed)


def refit_due(manifest: Manifest, store_papers: int) -> bool:
    """Whether the store has grown enough since the fit to fit a new vocabulary."""
    return manifest.store_papers > 0 and store_papers >= REFIT_GROWTH * manifest.store_papers


def update_tfidf(
    app: Paperfeed, *, full: bool = False, budget: int | None = None, progress: Progress | None = None
) -> UpdateReport:
    """Bring the TF-IDF features up to the store's current change (see the module docstring)."""
    papers = app.store.papers
    root = tfidf_path(app.settings.index_dir)
    root.mkdir(parents=True, exist_ok=True)
    target = papers.current_seq()
    current_name = current_generation(root)
    current = Manifest.read(root / current_name) if current_name else None
    if current is not None and not current.complete:
        current = None
    building = _building(root, current_name)
    report = UpdateReport("tfidf", seq=current.seq if current else 0)
    if building is None and (full or current is None or refit_due(current, papers.count())):
        started = _start_generation(app, root)
        if started is None:
            report.skipped = "the store has no papers yet"
            return report
        building = started[0]
    if building is not None:
        folder = root / building.generation
        vocabulary = FittedVocabulary.load(folder / VOCABULARY_FILE)
        indexed, removed = _advance_all(app, folder, building, vocabulary, target, budget, progress)
        report.full = True
        report.indexed += indexed
        report.removed += removed
        if building.seq >= target:
            building.complete = True
            building.write(folder)
            write_text_atomic(root / CURRENT_FILE, building.generation)
            if current_name and current_name != building.generation:
                shutil.rmtree(root / current_name, ignore_errors=True)
            report.seq = building.seq
            return report
        report.pending = papers.changed_count(building.seq)
    if current is not None and current_name is not None:
        folder = root / current_name
        vocabulary = FittedVocabulary.load(folder / VOCABULARY_FILE)
        indexed, removed = _advance_all(app, folder, current, vocabulary, target, budget, progress)
        if not report.full:
            report.indexed, report.removed = indexed, removed
        report.seq = current.seq
        if current.seq < target:
            report.pending = max(report.pending, papers.changed_count(current.seq))
    return report


def tfidf_status(app: Paperfeed) -> dict[str, Any]:
    """What the features index holds: generation, papers, vocabulary, current change, pending."""
    root = tfidf_path(app.settings.index_dir)
    name = current_generation(root)
    manifest = Manifest.read(root / name) if name else None
    papers = app.store.papers
    status: dict[str, Any] = {"path": str(root), "exists": manifest is not None and manifest.complete}
    if manifest is None or not manifest.complete or name is None:
        status["pending"] = papers.count()
        return status
    from paperfeed.search.tfidf_index import open_tfidf

    snapshot = open_tfidf(app.settings.index_dir)
    building = _peek_building(root, name)
    status.update(
        generation=name,
        papers=len(snapshot) if snapshot is not None else 0,
        vocabulary=snapshot.width if snapshot is not None else 0,
        fitted_at=manifest.fitted_at,
        segments=len(manifest.segments),
        current_to_seq=manifest.seq,
        pending=papers.changed_count(manifest.seq),
        refit_in_progress=building is not None,
    )
    return status


def _peek_building(root: Path, current: str) -> Manifest | None:
    for folder in _generations(root):
        manifest = Manifest.read(folder) if folder.name != current else None
        if manifest is not None and not manifest.complete:
            return manifest
    return None
