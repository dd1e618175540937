"""Free text in and out of BibTeX field values, losslessly: notes and keywords.

Titles and names go through the project's BibTeX reader (pylatexenc), which is right for them: it
turns ``Sch{\\"o}lkopf`` into "Schölkopf". For a member's note it is not: it turns ``--`` into a dash,
``''`` into a curly quote and drops everything after a ``%``. So paperfeed writes notes with a small,
closed set of escapes (:func:`escape`), and reads a value back with :func:`unescape` when it uses
only those; anything else (another tool's ``{\\'e}``) is decoded by pylatexenc. Braces are written
``\\textbraceleft{}`` and ``\\textbraceright{}``, whose own braces pair up, so a note with a lone
``{`` cannot unbalance the entry for BibTeX (which counts ``\\{`` as a brace) or for bibtexparser
(which does not); ``\\{`` and ``\\}`` from older exports are still read back.
"""

from __future__ import annotations

import re

from pylatexenc.latex2text import LatexNodes2Text

_ESCAPES = {
    "\\": r"\textbackslash{}",
    "{": r"\textbraceleft{}",
    "}": r"\textbraceright{}",
    "$": r"\$",
    "&": r"\&",
    "%": r"\%",
    "#": r"\#",
    "_": r"\_",
    "~": r"\textasciitilde{}",
    "^": r"\textasciicircum{}",
}
_OWN = re.compile(
    r"\\(?:textbackslash\{\}|textasciitilde\{\}|textasciicircum\{\}|textbraceleft\{\}|textbraceright\{\}|[{}$&%#_])"
)
_UNESCAPE = {
    r"\textbackslash{}": "\\",
    r"\textbraceleft{}": "{",
    r"\textbraceright{}": "}",
    r"\textasciitilde{}": "~",
    r"\textasciicircum{}": "^",
}
_LATEX = LatexNodes2Text(math_mode="verbatim")


def escape(text: str) -> str:
    """``text`` as a BibTeX value that :func:`unescape` turns back into exactly ``text``."""
    return "".join(_ESCAPES.get(ch, ch) for ch in text)


_AT_GUARD = re.compile(r"(\n[^\S\n]*)\{\}(?=@)")
"""The empty group the BibTeX writer puts before an ``@`` that starts a line (see
:func:`paperfeed.formats.bibtex.guard_line_starts`)."""


def unescape(value: str) -> str:
    """The text of a BibTeX value: exact for :func:`escape`'s output, pylatexenc for anything else."""
    plain = _AT_GUARD.sub(r"\1", value)
    rest = _OWN.sub("", plain)
    if "\\" in rest or "{" in rest or "}" in rest:
        try:
            return str(_LATEX.latex_to_text(value))
        except Exception:  # pylatexenc is lenient, but a malformed macro must not lose the entry
            return value.replace("{", "").replace("}", "")
    return _OWN.sub(lambda m: _UNESCAPE.get(m.group(0), m.group(0)[1:]), plain)
