"""The vector store: rows on disk, replacement, removal, a torn write, exact vs faiss IVF search."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from paperfeed.search.vectors import VectorStore


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.linalg.norm(rows, axis=1, keepdims=True)


def test_append_replace_remove_and_reload(tmp_path: Path) -> None:
    store = VectorStore.create(tmp_path / "v", model="m", dim=4)
    store.append(["a", "b", "c"], ["h1", "h2", "h3"], _unit(np.eye(4)[:3]))
    assert len(store) == 3 and store.hash_of("b") == "h2"
    store.append(["b"], ["h2b"], _unit(np.array([[0.0, 0.0, 0.0, 1.0]])), removed=["c"])
    again = VectorStore(tmp_path / "v")
    assert sorted(again.live) == ["a", "b"] and again.hash_of("b") == "h2b"
    hits = again.search_exact(np.array([0.0, 0.0, 0.0, 1.0]), 2)
    assert [h.paper_id for h in hits] == ["b", "a"]
    assert hits[0].score == np.float32(1.0)
    assert [h.paper_id for h in again.search_exact(np.array([0.0, 0.0, 0.0, 1.0]), 2, exclude={"b"})] == ["a"]


def test_torn_write_is_ignored(tmp_path: Path) -> None:
    store = VectorStore.create(tmp_path / "v", model="m", dim=4)
    store.append(["a"], ["h"], _unit(np.ones((1, 4))))
    with (tmp_path / "v" / "vectors.f16").open("ab") as handle:
        handle.write(b"\x00\x01\x02")  # a crash in the middle of the next row's vector
    assert sorted(VectorStore(tmp_path / "v").live) == ["a"]
    reopened = VectorStore(tmp_path / "v")
    reopened.append(["b"], ["h"], _unit(np.ones((1, 4))))
    assert sorted(VectorStore(tmp_path / "v").live) == ["a", "b"]


def test_ivf_recall_against_exact_on_clustered_vectors(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    centres = _unit(rng.standard_normal((40, 32)))
    data = _unit(centres[rng.integers(0, 40, 4000)] + 0.15 * rng.standard_normal((4000, 32)))
    store = VectorStore.create(tmp_path / "v", model="m", dim=32, exact_max=0, nprobe=16)
    store.append([f"p{i}" for i in range(4000)], [""] * 4000, data)
    store.append(["p0"], [""], data[1:2])  # a superseded row must never be returned
    queries = _unit(centres[rng.integers(0, 40, 50)] + 0.15 * rng.standard_normal((50, 32)))
    # Until the indexer writes the IVF file, a searching process answers exactly and writes nothing.
    assert store.search(queries[0], 3) == store.search_exact(queries[0], 3)
    assert not (tmp_path / "v" / "ivf.faiss").exists()
    store.save_ann()  # the indexer's job
    assert (tmp_path / "v" / "ivf.faiss").exists()
    store = VectorStore(tmp_path / "v", exact_max=0, nprobe=16)  # a reader, as another process opens it
    recall = 0.0
    for q in queries:
        exact = {h.paper_id for h in store.search_exact(q, 10)}
        approx = store.search(q, 10)  # exact_max=0: goes through faiss
        assert len({h.paper_id for h in approx}) == len(approx)
        recall += len(exact & {h.paper_id for h in approx}) / 10
    assert recall / len(queries) >= 0.9
    # New rows after the IVF index was built are added to it incrementally (in memory).
    store.append(["fresh"], [""], queries[:1])
    assert store.search(queries[0], 1)[0].paper_id == "fresh"


def test_search_subset_ranks_only_the_given_papers(tmp_path: Path) -> None:
    store = VectorStore.create(tmp_path / "v", model="m", dim=4)
    store.append(["a", "b", "c", "d"], [""] * 4, _unit(np.eye(4)))
    query = _unit(np.array([[0.9, 0.1, 0.3, 0.0]]))[0]
    hits = store.search_subset(query, ["d", "c", "b", "missing"], 2)
    assert [h.paper_id for h in hits] == ["c", "b"]
    assert hits[0].score == np.float32(query[2])
