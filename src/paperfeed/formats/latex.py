"""LaTeX text markup in titles and abstracts, shown the way a reader expects.

arXiv metadata is written in LaTeX: ``5\\% to 52\\%``, ``\\textbf{D}ynamic``, ``\\emph{not}``,
````quotes''``, ``Schr\\"odinger``, ``--``. Printed raw, about one demo abstract in nine shows
backslashes. :func:`latex_html` turns the text-mode markup into HTML and leaves the math
(``$…$``, ``$$…$$``, ``\\(…\\)``, ``\\[…\\]``) as it is, for KaTeX in the browser to typeset.

Safety comes first: the input is untrusted. Every character of it reaches the output escaped;
the only tags are the handful this module writes itself (``b i u code sup sub mark span``), never
a tag, an attribute or a link taken from the text (``\\href`` and ``\\url`` show their text only).
A literal dollar (``\\$``) is put in its own element so that KaTeX cannot pair it with another.
Unknown commands are left as they are written.

The text is read once into *atoms* that remember where they came from, so that search highlights
(character spans of the raw text) still fall on the right words after conversion: a ``<mark>`` is
closed before any tag or formula and reopened after it, so the HTML always nests.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_right
from collections.abc import Sequence
from dataclasses import dataclass
from html import escape
from typing import Any

# Atom kinds
RUN = 0  # raw text, one output character per source character (highlights can split it)
UNIT = 1  # one symbol standing for a command (\ldots, \"o): highlighted whole or not at all
TAG = 2  # an opening or closing tag written here: never inside a <mark>
MATH = 3  # a formula with its delimiters, for KaTeX: never highlighted, never converted

MAX_DEPTH = 16  # braces nested deeper than this are shown as written (hostile input cannot recurse)

STYLES = {
    "textbf": ("<b>", "</b>"),
    "mathbf": ("<b>", "</b>"),
    "bf": ("<b>", "</b>"),
    "bfseries": ("<b>", "</b>"),
    "textit": ("<i>", "</i>"),
    "emph": ("<i>", "</i>"),
    "textsl": ("<i>", "</i>"),
    "it": ("<i>", "</i>"),
    "em": ("<i>", "</i>"),
    "sl": ("<i>", "</i>"),
    "itshape": ("<i>", "</i>"),
    "texttt": ("<code>", "</code>"),
    "tt": ("<code>", "</code>"),
    "underline": ("<u>", "</u>"),
    "textsc": ('<span class="smallcaps">', "</span>"),
    "sc": ('<span class="smallcaps">', "</span>"),
    "textsuperscript": ("<sup>", "</sup>"),
    "textsubscript": ("<sub>", "</sub>"),
}
# Commands whose argument is shown as plain text (no link is ever made from \url or \href).
PLAIN_ARGUMENT = {"textrm", "textnormal", "textup", "textsf", "textmd", "mbox", "text", "url", "rm", "ce"}
SWITCHES = {"bf", "it", "em", "sl", "sc", "tt", "rm", "bfseries", "itshape"}
SYMBOLS = {
    "ldots": "…",
    "dots": "…",
    "textellipsis": "…",
    "LaTeX": "LaTeX",
    "TeX": "TeX",
    "textendash": "–",
    "textemdash": "—",
    "textasciitilde": "~",
    "textbackslash": "\\",
    "textquotedblleft": "“",
    "textquotedblright": "”",
    "textquoteleft": "‘",
    "textquoteright": "’",
    "textbar": "|",
    "textless": "<",
    "textgreater": ">",
    "textdegree": "°",
    "textregistered": "®",
    "texttrademark": "™",
    "copyright": "©",
    "S": "§",
    "P": "¶",
    "ss": "ß",
    "ae": "æ",
    "AE": "Æ",
    "oe": "œ",
    "OE": "Œ",
    "aa": "å",
    "AA": "Å",
    "o": "ø",
    "O": "Ø",
    "l": "ł",
    "L": "Ł",
    "i": "ı",
    "j": "ȷ",
    "newline": " ",
    "quad": " ",
    "qquad": " ",
}
# Accent commands → combining characters (\"o → ö, \c{c} → ç, \v{s} → š).
ACCENTS = {
    "'": "\u0301",
    "`": "\u0300",
    "^": "\u0302",
    '"': "\u0308",
    "~": "\u0303",
    "=": "\u0304",
    ".": "\u0307",
    "u": "\u0306",
    "v": "\u030c",
    "H": "\u030b",
    "c": "\u0327",
    "k": "\u0328",
    "r": "\u030a",
    "d": "\u0323",
    "b": "\u0331",
}
ESCAPED_CHARS = set("%&_#{}$")
SPACES = {",": "\u2009", ";": " ", ":": " ", " ": " ", "!": "", "\\": " ", "/": ""}

# Where something other than plain text may start (a lone "-" or "'" is plain text: no token).
_SPECIAL = re.compile(r"https?://|\$\$?|\\[()\[\]]|\\[A-Za-z]+|\\.|[{}~`]|''|---?", re.DOTALL)
_URL_REST = re.compile(r"[^\s{}]*")
_SWITCH = re.compile(r"\\([A-Za-z]+)\s*")


@dataclass(frozen=True, slots=True)
class Atom:
    kind: int
    plain: str  # what it reads as in plain text
    html: str  # its HTML (for RUN, computed from the source when highlighting)
    start: int  # source characters it stands for
    end: int


class _Reader:
    """Reads a text into atoms (see the module docstring); one instance per text."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.absent_after: dict[str, int] = {}  # closer → a position after which it never occurs

    def closing(self, opener: str, start: int) -> int:
        """Where the formula opened by ``opener`` at ``start`` ends (index after it), or -1.

        A failed search is remembered, so a text of many unclosed openers stays linear."""
        text = self.text
        closer = {"$": "$", "$$": "$$", "\\(": "\\)", "\\[": "\\]"}[opener]
        position = start + len(opener)
        known_absent = self.absent_after.get(closer)
        if known_absent is not None and position >= known_absent:
            return -1
        while True:
            found = text.find(closer, position)
            if found < 0:
                self.absent_after[closer] = position if known_absent is None else min(position, known_absent)
                return -1
            if closer.startswith("$") and text[found - 1] == "\\":
                position = found + 1  # \$ inside a formula is a dollar sign, not the end
                continue
            return found + len(closer)

    def unit(self, plain: str, start: int, end: int, html: str | None = None) -> Atom:
        return Atom(UNIT, plain, escape(plain) if html is None else html, start, end)

    def run(self, start: int, end: int) -> Atom:
        piece = self.text[start:end]
        return Atom(RUN, piece, "", start, end)

    def group(self, start: int, depth: int) -> tuple[list[Atom], int]:
        """Atoms of a ``{…}`` group whose content starts at ``start``; returns the index after ``}``."""
        return self.read(start, depth + 1, in_group=True)

    def styled(self, name: str, atoms: list[Atom], start: int, end: int) -> list[Atom]:
        opening, closing = STYLES[name]
        return [Atom(TAG, "", opening, start, start), *atoms, Atom(TAG, "", closing, end, end)]

    def argument(self, position: int, depth: int) -> tuple[list[Atom], int] | None:
        """The ``{…}`` argument starting at ``position`` (spaces allowed before it), else None."""
        text = self.text
        while position < len(text) and text[position] == " ":
            position += 1
        if position < len(text) and text[position] == "{" and depth < MAX_DEPTH:
            return self.group(position + 1, depth)
        return None

    def command(self, name: str, start: int, end: int, depth: int) -> tuple[list[Atom], int]:
        """A ``\\name`` command at ``start`` (its name ends at ``end``)."""
        if name in STYLES or name in PLAIN_ARGUMENT or name in ("href", "footnote"):
            arg = self.argument(end, depth)
            if arg is not None:
                atoms, after = arg
                if name == "footnote":  # inline, in parentheses
                    opening, closing = self.unit(" (", start, start), self.unit(")", after, after)
                    return [opening, *atoms, closing], after
                if name == "href":  # \href{url}{text}: the text only, never a link
                    second = self.argument(after, depth)
                    if second is not None:
                        return second
                    return atoms, after
                if name in STYLES:
                    return self.styled(name, atoms, start, after), after
                return atoms, after
        if name in SYMBOLS:
            return [self.unit(SYMBOLS[name], start, end)], end
        if name in ACCENTS and len(name) == 1:
            arg = self.argument(end, depth)
            if arg is not None:
                atoms, after = arg
                base = "".join(a.plain for a in atoms)
                if len(base) == 1 and base.isalpha():
                    accented = unicodedata.normalize("NFC", base + ACCENTS[name])
                    return [self.unit(accented, start, after)], after
        return [self.run(start, end)], end

    def escape_sequence(self, start: int) -> tuple[list[Atom], int]:
        """``\\`` followed by one non-letter: an escaped character, a space or an accent."""
        text = self.text
        char = text[start + 1]
        if char == "$":  # alone in its element, so that KaTeX cannot pair it with another dollar
            return [self.unit("$", start, start + 2, '<span class="tex-dollar">$</span>')], start + 2
        if char in ESCAPED_CHARS:
            return [self.unit(char, start, start + 2)], start + 2
        if char in SPACES:
            return [self.unit(SPACES[char], start, start + 2)], start + 2
        if char in ACCENTS:
            position = start + 2
            if position < len(text) and text[position] == "{":
                close = text.find("}", position)
                base = text[position + 1 : close] if close > 0 else ""
                after = close + 1
            else:
                base = text[position : position + 1]
                after = position + 1
            if len(base) == 1 and base.isalpha():
                accented = unicodedata.normalize("NFC", base + ACCENTS[char])
                return [self.unit(accented, start, after)], after
        return [self.run(start, start + 2)], start + 2

    def brace(self, start: int, depth: int) -> tuple[list[Atom], int]:
        """A ``{`` at ``start``: ``{\\bf x}`` style switches, or braces that only group (dropped)."""
        if depth >= MAX_DEPTH:
            return [self.run(start, start + 1)], start + 1
        switch = _SWITCH.match(self.text, start + 1)
        if switch is not None and switch.group(1) in SWITCHES:
            atoms, after = self.group(switch.end(), depth)
            name = switch.group(1)
            if name == "rm":
                return atoms, after
            return self.styled(name, atoms, start, after), after
        return self.group(start + 1, depth)

    def special(self, token: str, start: int, end: int, depth: int) -> tuple[list[Atom], int]:
        text = self.text
        if token.startswith("http"):  # a URL: shown exactly as written (never converted, never a link)
            rest = _URL_REST.match(text, end)
            stop = rest.end() if rest else end
            return [self.run(start, stop)], stop
        if token in ("$", "$$", "\\(", "\\["):
            close = self.closing(token, start)
            if close < 0:
                if token.startswith("$"):  # an unpaired dollar is a dollar
                    html = '<span class="tex-dollar">$</span>' * len(token)
                    return [self.unit(token, start, end, html)], end
                return [self.run(start, end)], end
            source = text[start:close]
            return [Atom(MATH, source, escape(source), start, close)], close
        if token.startswith("\\") and len(token) > 2 and token[1:].isalpha():
            return self.command(token[1:], start, end, depth)
        if token.startswith("\\") and len(token) == 2:
            return self.escape_sequence(start)
        if token == "{":
            return self.brace(start, depth)
        if token == "~":
            return [self.unit("\u00a0", start, end)], end
        if token == "`":
            if text.startswith("`", end):
                return [self.unit("“", start, end + 1)], end + 1
            quote, tick = text.find("'", end), text.find("`", end)
            if end < len(text) and text[end].isalnum() and quote > 0 and (tick < 0 or quote < tick):
                return [self.unit("‘", start, end)], end  # `word' (LaTeX), not a Markdown `code`
            return [self.run(start, end)], end
        if token == "''":
            return [self.unit("”", start, end)], end
        if token == "---":
            return [self.unit("—", start, end)], end
        if token == "--":
            return [self.unit("–", start, end)], end
        return [self.run(start, end)], end  # a stray "\)" or "\]"

    def read(self, position: int, depth: int, in_group: bool = False) -> tuple[list[Atom], int]:
        """Atoms from ``position`` to the end (or to the ``}`` closing the group); index after it."""
        text = self.text
        atoms: list[Atom] = []
        while position < len(text):
            found = _SPECIAL.search(text, position)
            if found is None:
                atoms.append(self.run(position, len(text)))
                return atoms, len(text)
            if found.start() > position:
                atoms.append(self.run(position, found.start()))
            token = found.group(0)
            if token == "}":
                if in_group:
                    return atoms, found.end()
                atoms.append(self.run(found.start(), found.end()))
                position = found.end()
                continue
            produced, position = self.special(token, found.start(), found.end(), depth)
            atoms.extend(produced)
        return atoms, position


def read_atoms(text: str) -> list[Atom]:
    atoms, _ = _Reader(text).read(0, 0)
    return atoms


def _clean_spans(spans: Sequence[Sequence[int]] | None, length: int) -> list[tuple[int, int]]:
    """Sorted, non-overlapping, in-range spans (the rest are dropped, as the plain highlighter does)."""
    clean: list[tuple[int, int]] = []
    last = 0
    for a, b in sorted((int(x), int(y)) for x, y in spans or ()):
        if a < last or b <= a or b > length:
            continue
        clean.append((a, b))
        last = b
    return clean


def latex_html(text: str | None, spans: Sequence[Sequence[int]] | None = None) -> str:
    """``text`` as safe HTML: LaTeX text markup converted, math kept for KaTeX, ``spans`` marked."""
    if not text:
        return ""
    atoms = read_atoms(text)
    marks = _clean_spans(spans, len(text))
    starts = [a for a, _ in marks]
    out: list[str] = []
    open_mark = False

    def marked(position: int) -> tuple[bool, int]:
        """Whether ``position`` is highlighted, and where that state changes next."""
        index = bisect_right(starts, position) - 1
        if index >= 0 and position < marks[index][1]:
            return True, marks[index][1]
        following = marks[index + 1][0] if index + 1 < len(marks) else len(text)
        return False, following

    def toggle(want: bool) -> None:
        nonlocal open_mark
        if want != open_mark:
            out.append("<mark>" if want else "</mark>")
            open_mark = want

    for atom in atoms:
        if atom.kind == RUN:
            position = atom.start
            while position < atom.end:
                state, change = marked(position) if marks else (False, atom.end)
                stop = min(change, atom.end)
                toggle(state)
                out.append(escape(text[position:stop]))
                position = stop
        elif atom.kind == UNIT:
            toggle(bool(marks) and any(a < atom.end and b > atom.start for a, b in marks))
            out.append(atom.html)
        else:
            toggle(False)
            out.append(atom.html)
    toggle(False)
    return "".join(out)


def latex_text(text: str | None) -> str:
    """``text`` as plain text: markup converted to characters, math kept (feeds, meta tags)."""
    if not text:
        return ""
    return "".join(atom.plain for atom in read_atoms(text))


_SUPERSCRIPT_CHARS = dict(
    zip("0123456789+-=()abcdeiklmnoptxT", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ᵃᵇᶜᵈᵉⁱᵏˡᵐⁿᵒᵖᵗˣᵀ", strict=True)
)
_SUBSCRIPT_CHARS = dict(
    zip("0123456789+-=()aehijklmnoprstuvx", "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ", strict=True)
)
_SCRIPT = re.compile(r"([\^_])(\{[^{}]*\}|\([^()]*\)|-?[A-Za-z0-9+=])")
_MATH_TEXT: Any = None


def _math_as_text(formula: str) -> str:
    """One formula as a line of plain text: ``\\alpha`` → α, ``^3`` → ³ (when Unicode has every
    character as a superscript or subscript, else ``^d`` stays), ``\\sqrt{n}`` → √(n)."""
    global _MATH_TEXT
    body = formula.strip()
    for opener, closer in (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]")):
        if body.startswith(opener) and body.endswith(closer) and len(body) >= len(opener) + len(closer):
            body = body[len(opener) : len(body) - len(closer)]
            break
    try:
        if _MATH_TEXT is None:
            from pylatexenc.latex2text import LatexNodes2Text

            _MATH_TEXT = LatexNodes2Text(math_mode="text")
        text = str(_MATH_TEXT.latex_to_text(body))
    except Exception:  # pylatexenc is lenient; a formula it cannot read is shown without its markup
        text = body.replace("{", "").replace("}", "").replace("\\", "")

    def script(match: re.Match[str]) -> str:
        mark, value = match.group(1), match.group(2).strip("{}")
        table = _SUPERSCRIPT_CHARS if mark == "^" else _SUBSCRIPT_CHARS
        if not value or not all(ch in table for ch in value):
            return match.group(0)  # ``^d`` reads better than half a superscript
        return "".join(table[ch] for ch in value)

    return " ".join(_SCRIPT.sub(script, text).split())


def plain_text(text: str | None) -> str:
    """``text`` as one line of plain text with the math flattened too, for what cannot typeset it
    (a browser tab, a ``<meta>`` description): ``R$^3$L`` → ``R³L``, ``$\\alpha$-Nets`` → ``α-Nets``."""
    if not text:
        return ""
    return "".join(
        _math_as_text(atom.plain) if atom.kind == MATH else atom.plain for atom in read_atoms(text)
    )
