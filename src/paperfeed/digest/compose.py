"""Composing one digest from ranked sources: which papers, in which section, and why. Pure.

A subscription's choices become *sources*, each a ranked list of paper ids of the period: trending
(site-wide or per category), personal recommendations (when a provider is plugged in), each
followed author, each keyword query, each followed category. Sources are built once per period and
shared by every subscriber who follows the same thing (see :mod:`paperfeed.digest.content`); this
module only picks from them, so composing 10,000 digests costs little.

The rule, in words a reader can check: sources take turns in the order above, each giving its best
paper not yet chosen, until the digest's size limit is reached or every source is used up. So one
busy category cannot crowd out a followed author, and the top trending paper always comes first.
Each chosen paper carries every reason it is there ("trending #3 in cs.CL", "matches 'diffusion'",
"by Jane Doe, whom you follow") and is shown in the section of the source that chose it.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

SECTION_ORDER = ("trending", "recommended", "author", "query", "category")
SECTION_TITLES = {
    "trending": "Trending",
    "recommended": "Recommended for you",
    "author": "From authors you follow",
    "query": "Matching your searches",
    "category": "New in your categories",
}


class Source:
    """One ranked list of paper ids and how to say why a paper is on it.

    ``kind`` is a section name (see :data:`SECTION_ORDER`); ``key`` the followed thing (a category,
    an author, a query; empty for site-wide trending). ``labels`` optionally names, per paper, what
    matched (the author's name as the paper spells it, a recommender's explanation).
    """

    __slots__ = ("_rank", "key", "kind", "labels", "ranked")

    def __init__(
        self, kind: str, key: str, ranked: Sequence[str], labels: Mapping[str, str] | None = None
    ) -> None:
        if kind not in SECTION_TITLES:
            raise ValueError(f"unknown source kind {kind!r}")
        self.kind = kind
        self.key = key
        self.ranked = list(dict.fromkeys(ranked))
        self.labels: Mapping[str, str] = labels or {}
        self._rank: dict[str, int] | None = None

    def rank_of(self, paper_id: str) -> int | None:
        """1-based rank of ``paper_id`` in this source, or ``None`` (built once, then shared)."""
        if self._rank is None:
            self._rank = {pid: i + 1 for i, pid in enumerate(self.ranked)}
        return self._rank.get(paper_id)

    def reason(self, paper_id: str, rank: int) -> str:
        """Why ``paper_id`` (at ``rank``) is in a digest, in a few words."""
        if self.kind == "trending":
            return f"trending #{rank}" + (f" in {self.key}" if self.key else "")
        if self.kind == "author":
            return f"by {self.labels.get(paper_id, self.key)}, whom you follow"
        if self.kind == "query":
            return f"matches '{self.key}'"
        if self.kind == "category":
            return f"new in {self.key}"
        return self.labels.get(paper_id, "recommended for you")

    def __repr__(self) -> str:
        return f"Source({self.kind!r}, {self.key!r}, {len(self.ranked)} papers)"


@dataclass(frozen=True, slots=True)
class DigestItem:
    paper_id: str
    section: str
    reasons: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ComposedDigest:
    """The chosen papers in display order (grouped by section), each with its reasons."""

    items: tuple[DigestItem, ...]

    @property
    def empty(self) -> bool:
        return not self.items

    def __len__(self) -> int:
        return len(self.items)

    def sections(self) -> list[tuple[str, list[DigestItem]]]:
        """(section kind, items) for each non-empty section, in :data:`SECTION_ORDER`."""
        grouped: dict[str, list[DigestItem]] = {}
        for item in self.items:
            grouped.setdefault(item.section, []).append(item)
        return [(kind, grouped[kind]) for kind in SECTION_ORDER if kind in grouped]

    def to_json(self) -> list[list[object]]:
        """A compact form for the send ledger: ``[[paper id, section, [reasons…]], …]``."""
        return [[item.paper_id, item.section, list(item.reasons)] for item in self.items]

    @classmethod
    def from_json(cls, data: object) -> ComposedDigest:
        """The inverse of :meth:`to_json` (what the ledger stored); malformed data raises ValueError."""
        if not isinstance(data, list):
            raise ValueError("a composed digest is a list")
        items = []
        for entry in data:
            if not (isinstance(entry, list) and len(entry) == 3 and isinstance(entry[2], list)):
                raise ValueError(f"malformed digest entry {entry!r}")
            items.append(DigestItem(str(entry[0]), str(entry[1]), tuple(str(r) for r in entry[2])))
        return cls(tuple(items))


def compose(sources: Sequence[Source], max_papers: int) -> ComposedDigest:
    """Pick up to ``max_papers`` papers from ``sources`` (in priority order) by taking turns.

    Deterministic: the same sources give the same digest. Sources are expected in
    :data:`SECTION_ORDER` priority; the display groups the chosen papers by section, keeping the
    order in which they were chosen within each section.
    """
    chosen: dict[str, str] = {}
    positions = [0] * len(sources)
    while len(chosen) < max_papers:
        progressed = False
        for index, source in enumerate(sources):
            ranked = source.ranked
            position = positions[index]
            while position < len(ranked) and ranked[position] in chosen:
                position += 1
            if position < len(ranked):
                chosen[ranked[position]] = source.kind
                position += 1
                progressed = True
            positions[index] = position
            if len(chosen) >= max_papers:
                break
        if not progressed:
            break
    items = []
    for paper_id, section in chosen.items():
        reasons = []
        for source in sources:
            rank = source.rank_of(paper_id)
            if rank is not None:
                reasons.append(source.reason(paper_id, rank))
        items.append(DigestItem(paper_id, section, tuple(dict.fromkeys(reasons))))
    order = {kind: i for i, kind in enumerate(SECTION_ORDER)}
    items.sort(key=lambda item: order[item.section])  # stable: choice order within a section
    return ComposedDigest(tuple(items))
