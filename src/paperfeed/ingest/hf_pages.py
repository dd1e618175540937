"""Saved Hugging Face Daily Papers pages (the page's text, copied from a browser).

Layout: a header block ("new", "Get trending papers in your email inbox!", "Subscribe",
"byAK and the research community", a date such as "Mar 11"), then for each paper a title line
followed by its abstract as one line. Some saves have blank lines between all lines, some have
none, and in some "Subscribe" is glued to the first title ("SubscribeLanguage Modeling with…").

Titles and abstracts are told apart by *alternation* after the header, not by guessing from the
text: a heuristic like "short line = title" breaks on short abstracts and long titles. Alternation
is checked, though: a line in a title slot that is far longer than any real title (a lost title
line) is reported as a :class:`RecordError` and treated as an orphan abstract, so one damaged
listing does not shift every following title/abstract pair.

The pages carry no arXiv ids, authors or dates, so each paper gets a ``title:`` id; the store merges
it into the arXiv record with the same normalised title when one arrives.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator
from typing import TextIO

from paperfeed.ingest.fields import RECORD_FAILURES, error_for
from paperfeed.records import PaperRecord, RecordError, SourceItem, finalize

SOURCE = "hf-page"
HEADER_LINES = frozenset(
    {
        "new",
        "Get trending papers in your email inbox!",
        "Get trending papers in your email inbox once a day!",
        "Subscribe",
        "byAK and the research community",
    }
)
_DATE_LABEL = re.compile(r"(?:Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]* \d{1,2}(?:, \d{4})?")
_SUBSCRIBE_PREFIX = "Subscribe"
# The longest title in the bundled pages is 176 characters, the shortest abstract 473; arXiv caps
# nothing, but a 400-character "title" means the alternation has slipped.
MAX_TITLE_LENGTH = 400


def looks_like_hf_page(head: str) -> bool:
    """True when the first lines of a text contain the Daily Papers header (format detection)."""
    lines = [line.strip() for line in head.splitlines()[:12] if line.strip()]
    return any(line.startswith("Get trending papers in your email inbox") for line in lines) or (
        "byAK and the research community" in lines
    )


def _content_lines(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """Non-blank lines after the header, with 1-based line numbers; the header's date is dropped."""
    in_header = True
    for number, raw in enumerate(lines, start=1):
        line = raw.strip()
        if not line:
            continue
        if in_header:
            if line in HEADER_LINES or _DATE_LABEL.fullmatch(line):
                continue
            in_header = False
            if line.startswith(_SUBSCRIBE_PREFIX) and len(line) > len(_SUBSCRIBE_PREFIX):
                line = line[len(_SUBSCRIBE_PREFIX) :].strip()
        yield number, line


def page_date_label(fh: TextIO) -> str | None:
    """The header's date text ("Mar 11"), or ``None``; reads only the header lines."""
    for number, raw in enumerate(fh, start=1):
        line = raw.strip()
        if _DATE_LABEL.fullmatch(line):
            return line
        if (line and line not in HEADER_LINES) or number > 20:
            return None
    return None


def read_hf_page(fh: TextIO) -> Iterator[SourceItem]:
    """Yield one record per title/abstract pair of a saved page, lazily."""
    title: tuple[int, str] | None = None
    for number, line in _content_lines(fh):
        if title is None:
            if len(line) > MAX_TITLE_LENGTH:
                yield RecordError(
                    f"line {number}",
                    f"expected a title, found a {len(line)}-character paragraph (a title line is missing?)",
                )
                continue
            title = (number, line)
            continue
        title_line, title_text = title
        title = None
        try:
            yield finalize(PaperRecord(paper_id="", title=title_text, abstract=line, source=SOURCE))
        except RECORD_FAILURES as exc:
            yield error_for(f"line {title_line}", exc)
    if title is not None:
        yield RecordError(
            f"line {title[0]}", f"title without an abstract at the end of the page: {title[1]!r}"
        )
