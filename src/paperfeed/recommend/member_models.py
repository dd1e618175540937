"""Members' models, trained when their signals change and cached in the store.

A model (:class:`~paperfeed.recommend.model.MemberModel`) depends on exactly: the member's
positive papers (library and "more like this", after the driver switches), their weighted
negatives ("not interested", papers passed over), and the features those papers are represented
by (the TF-IDF generation, the embeddings). :func:`fingerprint` hashes exactly that. A page view
reads the member's signals (it needs them anyway, for exclusions), computes the fingerprint and
compares it with the cached row's: equal means *score with the cached model*; different means the
member saved, dismissed, switched or passed over something since, and the model is retrained once
(a sparse mean: milliseconds) and the row replaced. Nothing else triggers training, and no
request trains a model whose inputs did not change.

Models are stored compactly (:func:`dump_model`: a JSON header and raw arrays, no pickle): the
≤ 1,000 largest TF-IDF weights of each direction, the embedding directions, and the positive ids
the reasons name.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from datetime import datetime

import numpy as np
import scipy.sparse as sp

from paperfeed.context import Paperfeed
from paperfeed.library.signals import MemberSignals, negative_weights, positive_weights
from paperfeed.recommend.candidates import Candidates
from paperfeed.recommend.model import MemberModel, ModelConfig, train_member
from paperfeed.store import ModelRow, StoredModel

MODEL_VERSION = "1"
"""Bump when the model's training changes: every cached model is then retrained on next use."""
CONFIG = ModelConfig()


@dataclass(slots=True)
class Inputs:
    """What a member's model is trained on, restricted to papers the features index has."""

    positives: list[str]
    negatives: list[str]
    negative_weights: list[float]
    dense_positives: int = 0
    dense_negatives: int = 0


@dataclass(slots=True)
class TrainedMember:
    model: MemberModel
    fingerprint: str
    trained_at: datetime
    retrained: bool
    positives: int
    negatives: int


def inputs_of(signals: MemberSignals, candidates: Candidates) -> Inputs:
    """The member's positives and weighted negatives that the features index can represent."""
    features = candidates.features
    positives = sorted(p for p in positive_weights(signals) if p in features)
    negatives = {p: w for p, w in negative_weights(signals).items() if p in features and p not in positives}
    ordered = sorted(negatives)
    inputs = Inputs(positives, ordered, [negatives[p] for p in ordered])
    if candidates.vectors is not None:
        stored = candidates.vectors.live
        inputs.dense_positives = sum(1 for p in positives if p in stored)
        inputs.dense_negatives = sum(1 for p in ordered if p in stored)
    return inputs


def fingerprint(inputs: Inputs, candidates: Candidates) -> str:
    """A hash of everything the model depends on (see the module docstring)."""
    vectors = candidates.vectors
    payload = {
        "version": MODEL_VERSION,
        "config": asdict(CONFIG),
        "features": candidates.features.generation,
        "vectors": vectors.index_id if vectors is not None else None,
        "positives": inputs.positives,
        "negatives": list(zip(inputs.negatives, inputs.negative_weights, strict=True)),
        "dense": [inputs.dense_positives, inputs.dense_negatives],
    }
    return hashlib.sha256(json.dumps(payload, sort_keys=True).encode("utf-8")).hexdigest()


def train(inputs: Inputs, candidates: Candidates) -> MemberModel:
    """Train from the indexes' rows (the same rows the candidates are scored with)."""
    positives, dense_positives = candidates.positive_rows(inputs.positives)
    negatives, dense_negatives = candidates.positive_rows(inputs.negatives)
    use_dense = candidates.vectors is not None
    return train_member(
        positives,
        negatives=negatives,
        negative_weights=np.asarray(inputs.negative_weights, dtype=np.float32) if inputs.negatives else None,
        dense_positives=_embedded(dense_positives, inputs.positives, candidates) if use_dense else None,
        dense_negatives=_embedded(dense_negatives, inputs.negatives, candidates) if use_dense else None,
        positive_ids=inputs.positives,
        config=CONFIG,
    )


def _embedded(rows: np.ndarray | None, ids: list[str], candidates: Candidates) -> np.ndarray | None:
    """The rows of the papers that are embedded (a missing paper would pull the mean to zero)."""
    if rows is None or candidates.vectors is None:
        return None
    keep = [i for i, pid in enumerate(ids) if pid in candidates.vectors.live]
    return rows[keep] if keep else None


# ------------------------------------------------------------------------------ serialisation
def _sparse_parts(row: sp.csr_matrix) -> tuple[np.ndarray, np.ndarray]:
    csr = sp.csr_matrix(row)
    return np.asarray(csr.indices, dtype=np.int32), np.asarray(csr.data, dtype=np.float32)


MAGIC = b"PFM1"


def dump_model(model: MemberModel) -> bytes:
    """``PFM1``, a 4-byte header length, a JSON header (shapes, flags, positive ids), then the raw
    little-endian arrays: reading one back is a few ``frombuffer`` calls (no zip, no pickle)."""
    arrays: dict[str, np.ndarray] = {}
    arrays["pos_idx"], arrays["pos_val"] = _sparse_parts(model.tfidf_positive)
    arrays["neg_idx"], arrays["neg_val"] = _sparse_parts(model.tfidf_negative)
    if model.dense_positive is not None:
        arrays["dense_pos"] = np.asarray(model.dense_positive, dtype=np.float32)
    if model.dense_negative is not None:
        arrays["dense_neg"] = np.asarray(model.dense_negative, dtype=np.float32)
    header = {
        "width": int(model.tfidf_positive.shape[1]),
        "flags": [bool(model.has_positives), bool(model.has_negatives)],
        "positive_ids": list(model.positive_ids),
        "arrays": [[name, str(array.dtype.newbyteorder("<")), len(array)] for name, array in arrays.items()],
    }
    head = json.dumps(header).encode("utf-8")
    body = b"".join(
        array.astype(array.dtype.newbyteorder("<"), copy=False).tobytes() for array in arrays.values()
    )
    return MAGIC + len(head).to_bytes(4, "little") + head + body


def load_model(blob: bytes) -> MemberModel:
    if blob[:4] != MAGIC:
        raise ValueError("not a paperfeed member model")
    size = int.from_bytes(blob[4:8], "little")
    header = json.loads(blob[8 : 8 + size].decode("utf-8"))
    offset = 8 + size
    arrays: dict[str, np.ndarray] = {}
    for name, dtype, length in header["arrays"]:
        kind = np.dtype(dtype)
        arrays[name] = np.frombuffer(blob, dtype=kind, count=int(length), offset=offset)
        offset += kind.itemsize * int(length)
    width = int(header["width"])

    def row(prefix: str) -> sp.csr_matrix:
        indices, values = arrays[f"{prefix}_idx"], arrays[f"{prefix}_val"]
        indptr = np.array([0, len(indices)], dtype=np.int32)
        return sp.csr_matrix((values.astype(np.float32), indices.astype(np.int32), indptr), shape=(1, width))

    flags = header["flags"]
    dense_pos, dense_neg = arrays.get("dense_pos"), arrays.get("dense_neg")
    return MemberModel(
        tfidf_positive=row("pos"),
        tfidf_negative=row("neg"),
        dense_positive=None if dense_pos is None else dense_pos.astype(np.float32),
        dense_negative=None if dense_neg is None else dense_neg.astype(np.float32),
        positive_ids=[str(x) for x in header["positive_ids"]],
        has_positives=bool(flags[0]),
        has_negatives=bool(flags[1]),
    )


# ------------------------------------------------------------------------------ the cache
def _from_cache(cached: StoredModel | None, expected: str) -> TrainedMember | None:
    if cached is None or cached.fingerprint != expected:
        return None
    try:
        model = load_model(cached.model)
    except (ValueError, KeyError, TypeError):  # an unreadable row is retrained, not an error
        return None
    return TrainedMember(model, expected, cached.trained_at, False, cached.positives, cached.negatives)


def member_models(
    app: Paperfeed,
    signals: Mapping[int, MemberSignals],
    candidates: Candidates,
    *,
    now: datetime | None = None,
) -> dict[int, TrainedMember]:
    """Each member's model: the cached one when its fingerprint still matches, else trained now and
    cached (one read and at most one write for all of them)."""
    now = now or app.clock.now()
    wanted = {user_id: inputs_of(s, candidates) for user_id, s in signals.items()}
    prints = {user_id: fingerprint(inputs, candidates) for user_id, inputs in wanted.items()}
    cached = app.store.recommend.get_models(list(wanted))
    found: dict[int, TrainedMember] = {}
    fresh: list[ModelRow] = []
    for user_id, inputs in wanted.items():
        hit = _from_cache(cached.get(user_id), prints[user_id])
        if hit is not None:
            found[user_id] = hit
            continue
        model = train(inputs, candidates)
        found[user_id] = TrainedMember(
            model, prints[user_id], now, True, len(inputs.positives), len(inputs.negatives)
        )
        fresh.append(
            ModelRow(
                user_id, prints[user_id], len(inputs.positives), len(inputs.negatives), dump_model(model)
            )
        )
    if fresh:
        app.store.recommend.put_models(fresh, now=now)
    return found


def member_model(
    app: Paperfeed, signals: MemberSignals, candidates: Candidates, *, now: datetime | None = None
) -> TrainedMember:
    """:func:`member_models` for one member."""
    return member_models(app, {signals.user_id: signals}, candidates, now=now)[signals.user_id]
