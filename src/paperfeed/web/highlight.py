"""The one highlighter: plain text plus character spans of matched words, as safe HTML.

Search results carry text and spans, never markup (see :mod:`paperfeed.search.engine`); this is
the only place they become ``<mark>`` elements, and every other character is escaped, so a paper's
title or abstract can never inject markup whatever it contains. :func:`tex` (the templates'
``tex`` filter) does the same and also shows LaTeX text markup as a reader expects
(:mod:`paperfeed.formats.latex`); :func:`mark` is the plain form the JSON API's
``snippet_html`` uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from markupsafe import Markup

from paperfeed.formats.latex import latex_html


def tex(text: str | None, spans: Sequence[Sequence[int]] | None = None) -> Markup:
    """``text`` as safe HTML with its LaTeX text markup converted, math kept for KaTeX, spans marked."""
    return Markup(latex_html(text, spans))


def mark(text: str | None, spans: Sequence[Sequence[int]] | None = None) -> Markup:
    """``text`` escaped, with ``<mark>`` around each ``(start, end)`` span (overlaps skipped)."""
    if not text:
        return Markup("")
    pieces: list[str] = []
    cursor = 0
    for start, end in sorted((int(a), int(b)) for a, b in spans or ()):
        if start < cursor or end <= start or end > len(text):
            continue
        pieces.append(escape(text[cursor:start]))
        pieces.append("<mark>" + escape(text[start:end]) + "</mark>")
        cursor = end
    pieces.append(escape(text[cursor:]))
    return Markup("".join(pieces))
