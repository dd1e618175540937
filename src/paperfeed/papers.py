"""Looking up one stored paper by any spelling of its id: what every feature and shell needs first.

A paper id arrives from a URL, a form, a CLI argument or an import (``2602.18409``, ``2602.18409v2``,
``arXiv:2602.18409``, an old-style ``hep-th/9901001``); merged papers leave aliases behind. These
functions turn any of them into the stored paper, or a :class:`~paperfeed.errors.NotFound` that says
what to do.
"""

from __future__ import annotations

from paperfeed.context import Paperfeed
from paperfeed.errors import NotFound
from paperfeed.ids import InvalidArxivId, normalize_paper_id
from paperfeed.records import PaperRecord

_MISSING = "(it may not be imported yet; members can submit it)"


def paper_key(text: str) -> str:
    """The stored form of a paper id from a URL or form; a malformed id is "no such paper"."""
    try:
        return normalize_paper_id(text)
    except InvalidArxivId:
        raise NotFound(f"{text!r} is not a paper id paperfeed knows") from None


def stored_paper_id(app: Paperfeed, text: str) -> str:
    """The id of a stored paper (following aliases of merged papers), else :class:`NotFound`."""
    key = paper_key(text)
    found = app.store.papers.resolve_id(key)
    if found is None:
        raise NotFound(f"no paper {key} here {_MISSING}")
    return found


def get_paper(app: Paperfeed, text: str) -> PaperRecord:
    """One stored paper by any spelling of its id, else :class:`NotFound`."""
    key = paper_key(text)
    paper = app.store.papers.get(key)
    if paper is None:
        raise NotFound(f"no paper {key} here {_MISSING}")
    return paper
