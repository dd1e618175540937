"""Co-saves ("readers who saved X also saved Y"): a co-saving signal from all members' libraries.

The saves are a sparse members × papers 0/1 matrix ``R``. A member's co-save score of paper ``c``
is the item-item cosine summed over their positives, computed through the members (two sparse
products, never the papers × papers matrix)::

    score(c) = sum_p  |readers(p) ∩ readers(c)| / sqrt(|readers(p)| |readers(c)|)
             = (r D^-1/2) R^T R D^-1/2 [c]          r = the member's 0/1 row, D = readers per paper

The member's own row is left out (their library would otherwise "co-save" with itself), so only
other members' behaviour counts. A paper nobody else saved scores 0: this signal helps with the
back catalogue and papers a few days old, never with the day's brand-new papers, which is why the
recommender blends it with content similarity instead of relying on it.

For the reason shown to the member, :func:`strongest_link` names the positive paper whose readers
overlap most with the candidate's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import scipy.sparse as sp


class SaveMatrix:
    """Members' libraries as a normalised sparse matrix, built once per (re)training round."""

    def __init__(self, libraries: Mapping[str, Sequence[int]], n_papers: int) -> None:
        self.members = sorted(libraries)
        self.member_row = {m: i for i, m in enumerate(self.members)}
        rows: list[int] = []
        cols: list[int] = []
        for i, member in enumerate(self.members):
            papers = np.unique(np.asarray(libraries[member], dtype=np.int64))
            rows.extend([i] * len(papers))
            cols.extend(papers.tolist())
        ones = np.ones(len(rows), dtype=np.float32)
        saves = sp.csr_matrix((ones, (rows, cols)), shape=(len(self.members), n_papers))
        self.readers = np.asarray(saves.sum(axis=0), dtype=np.float32).ravel()
        self.inv_sqrt = np.zeros(n_papers, dtype=np.float32)
        nonzero = self.readers > 0
        self.inv_sqrt[nonzero] = 1.0 / np.sqrt(self.readers[nonzero])
        self.normalised = sp.csr_matrix(saves @ sp.diags(self.inv_sqrt))
        self.normalised_t = sp.csr_matrix(self.normalised.T)
        self.binary = saves
        self.binary_t = sp.csr_matrix(saves.T)

    def scores(self, positives: np.ndarray, *, member: str | None = None) -> np.ndarray:
        """Co-save score of every paper for a member whose positives are the rows ``positives``."""
        n_papers = self.normalised.shape[1]
        if len(positives) == 0:
            return np.zeros(n_papers, dtype=np.float32)
        query = np.zeros(n_papers, dtype=np.float32)
        query[positives] = self.inv_sqrt[positives]
        overlap = np.asarray(self.normalised @ query).ravel()  # per other member: shared saves
        if member is not None and member in self.member_row:
            overlap[self.member_row[member]] = 0.0
        return np.asarray(self.normalised_t @ overlap, dtype=np.float32).ravel()

    def counts(self, positives: np.ndarray, *, member: str | None = None) -> np.ndarray:
        """Co-occurrence counts: per paper, summed over the other members, how many of the
        positives they share with the member when they saved the paper (``Rᵀ R q``, 0/1 ``R``).
        Unlike :meth:`scores` a popular paper is not discounted: the blend weighs that against
        ``popularity`` itself, which on in-matrix benchmarks ranks better than either alone."""
        n_papers = self.binary.shape[1]
        if len(positives) == 0:
            return np.zeros(n_papers, dtype=np.float32)
        query = np.zeros(n_papers, dtype=np.float32)
        query[positives] = 1.0
        overlap = np.asarray(self.binary @ query).ravel()
        if member is not None and member in self.member_row:
            overlap[self.member_row[member]] = 0.0
        return np.asarray(self.binary_t @ overlap, dtype=np.float32).ravel()

    def strongest_link(
        self, positives: np.ndarray, candidate: int, *, member: str | None = None
    ) -> int | None:
        """The positive row sharing the most (normalised) readers with ``candidate``, or None."""
        if len(positives) == 0:
            return None
        # the candidate's column, read as a row of the transpose (CSR rows are cheap, columns not)
        readers_c = self.normalised_t[candidate].toarray().ravel()
        if member is not None and member in self.member_row:
            readers_c[self.member_row[member]] = 0.0
        links = np.asarray(self.normalised_t[positives] @ readers_c).ravel()
        best = int(np.argmax(links))
        return int(positives[best]) if links[best] > 0 else None
