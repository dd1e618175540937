"""Paper identity: arXiv ids (new and old style, bare or inside URLs) and title-derived ids.

One paper is one record keyed by its *base* id (no version suffix). Sources disagree on how they
spell ids (``arXiv:2602.18409v2``, ``https://arxiv.org/pdf/2602.18409v2.pdf``,
``oai:arXiv.org:hep-th/9901001``, ``https://huggingface.co/papers/2602.18409``: Hugging Face's
paper pages are named by the arXiv id), so everything that takes an id from the outside goes
through :func:`parse_arxiv_id` first.

Papers known only by their title (saved Hugging Face pages) get a stable synthetic id from the
normalised title, ``title:<16 hex>``, so that re-importing the same page finds the same record and a
later arXiv record with the same normalised title can absorb it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from dataclasses import dataclass

from paperfeed.errors import InvalidInput

# New style: YYMM.NNNN (2007-2014) or YYMM.NNNNN (2015-), optional vN.
_NEW_STYLE = re.compile(r"(?P<base>\d{4}\.\d{4,5})(?:v(?P<version>\d+))?")
# Old style: archive(.SUBJ)/YYMMNNN, e.g. hep-th/9901001, math.GT/0309136, optional vN.
_OLD_STYLE = re.compile(
    r"(?P<base>(?P<archive>[a-z]+(?:-[a-z]+)*)(?:\.(?P<subject>[A-Z]{2}))?/\d{7})(?:v(?P<version>\d+))?"
)
_URL_PREFIX = re.compile(
    r"^(?:https?://)?(?:(?:www\.|export\.)?arxiv\.org/(?:abs|pdf|html|format)/"
    r"|(?:www\.)?(?:huggingface\.co|hf\.co)/papers/)",
    re.IGNORECASE,
)
_SCHEME_PREFIX = re.compile(r"^(?:arxiv:|oai:arxiv\.org:)", re.IGNORECASE)
TITLE_ID_PREFIX = "title:"


class InvalidArxivId(InvalidInput, ValueError):
    """The text is not an arXiv identifier in any spelling paperfeed understands."""


@dataclass(frozen=True, slots=True)
class ArxivId:
    """A parsed arXiv identifier: ``base`` is the record key, ``version`` is ``None`` when unversioned."""

    base: str
    version: int | None = None

    def __str__(self) -> str:
        return self.base if self.version is None else f"{self.base}v{self.version}"

    @property
    def is_old_style(self) -> bool:
        return "/" in self.base


def parse_arxiv_id(text: str) -> ArxivId:
    """Parse an arXiv id from a bare id, an ``arXiv:`` id, an OAI identifier or an abs/pdf URL.

    Raises :class:`InvalidArxivId` with the offending text when nothing matches.
    """
    raw = text.strip()
    candidate = _URL_PREFIX.sub("", raw)
    candidate = _SCHEME_PREFIX.sub("", candidate)
    candidate = candidate.split("?", 1)[0].split("#", 1)[0].rstrip("/")
    if candidate.lower().endswith(".pdf"):
        candidate = candidate[:-4]
    match = _NEW_STYLE.fullmatch(candidate)
    if match is None:
        match = _OLD_STYLE.fullmatch(candidate)
    if match is None:
        raise InvalidArxivId(f"not an arXiv id: {text!r}")
    version = match.group("version")
    if version is not None and int(version) < 1:
        raise InvalidArxivId(f"arXiv versions start at v1: {text!r}")
    return ArxivId(match.group("base"), int(version) if version is not None else None)


def is_arxiv_id(text: str) -> bool:
    """True when :func:`parse_arxiv_id` would accept ``text``."""
    try:
        parse_arxiv_id(text)
    except InvalidArxivId:
        return False
    return True


def find_arxiv_id(text: str) -> ArxivId | None:
    """Find the first arXiv id embedded in free text (a URL inside a sentence, a BibTeX ``eprint``)."""
    for pattern in (_NEW_STYLE, _OLD_STYLE):
        for match in pattern.finditer(text):
            try:
                return parse_arxiv_id(match.group(0))
            except InvalidArxivId:  # pragma: no cover - the patterns only match valid ids
                continue
    return None


_NON_WORD = re.compile(r"[^0-9a-z]+")


def normalize_title(title: str) -> str:
    """The title reduced to lowercase ASCII words: the key used to match papers across sources.

    Accents, LaTeX braces, punctuation and whitespace differences between sources all vanish, so
    ``"{BERT}: Pre-training of Deep…"`` and ``"BERT: Pre-Training of deep …"`` get the same key.
    """
    decomposed = unicodedata.normalize("NFKD", title)
    ascii_only = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return _NON_WORD.sub(" ", ascii_only).strip()


def title_id(title: str) -> str:
    """A stable synthetic id for a paper known only by its title."""
    key = normalize_title(title)
    if not key:
        raise ValueError("cannot derive an id from an empty title")
    return TITLE_ID_PREFIX + hashlib.sha1(key.encode("utf-8")).hexdigest()[:16]


def is_title_id(paper_id: str) -> bool:
    return paper_id.startswith(TITLE_ID_PREFIX)


def normalize_paper_id(text: str) -> str:
    """The store key for a user-supplied id: the arXiv base id, or a title id as given.

    Raises :class:`InvalidArxivId` for anything else, so the CLI and the web can answer with a clear
    message instead of a lookup that can never succeed.
    """
    stripped = text.strip()
    if is_title_id(stripped) and re.fullmatch(r"title:[0-9a-f]{16}", stripped):
        return stripped
    return parse_arxiv_id(stripped).base
