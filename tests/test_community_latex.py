"""The LaTeX text-markup converter: what readers see for common markup, math left for KaTeX, hostile
text never markup, highlights on the right words, bounded work on hostile input."""

from __future__ import annotations

import re
import time

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from paperfeed.formats.latex import latex_html, latex_text

ALLOWED_TAGS = re.compile(r'</?(?:b|i|u|code|sup|sub|mark)>|<span class="(?:smallcaps|tex-dollar)">|</span>')


@pytest.mark.parametrize(
    ("source", "html"),
    [
        (r"from 5\% to 52\%", "from 5% to 52%"),
        (r"\textbf{D}ynamic", "<b>D</b>ynamic"),
        (r"\emph{not} \textit{this}", "<i>not</i> <i>this</i>"),
        (r"``quoted'' and `single'", "“quoted” and ‘single&#x27;"),
        (r"{\bf bold} {\em em} {Protected}", "<b>bold</b> <i>em</i> Protected"),
        (r"Schr\"odinger, \'{e}t\'e, \c{c}a, G\"{o}del", "Schrödinger, été, ça, Gödel"),
        (r"10--20 --- a~b", "10–20 — a\u00a0b"),
        (r"R\&D, a\_b, \#1, \{x\}", "R&amp;D, a_b, #1, {x}"),
        (r"\ldots and \LaTeX", "… and LaTeX"),
        (
            r"\texttt{code} \textsc{Caps} x\textsuperscript{2}",
            '<code>code</code> <span class="smallcaps">Caps</span> x<sup>2</sup>',
        ),
        (r"see\footnote{a note}", "see (a note)"),
        (r"\ce{NaCl} crystals", "NaCl crystals"),
        (r"\unknownmacro stays", r"\unknownmacro stays"),
    ],
)
def test_text_markup_reads_as_text(source: str, html: str) -> None:
    assert latex_html(source) == html


@pytest.mark.parametrize(
    "math", [r"$x_1 \% y$", r"$$\sum_i \emph{x}$$", r"\(a\textbf{b}\)", r"\[E = mc^2\]", r"$a\$b$"]
)
def test_math_is_left_for_katex(math: str) -> None:
    assert latex_html(f"see {math} here") == f"see {math} here"


def test_a_literal_dollar_cannot_pair_with_a_formula() -> None:
    out = latex_html(r"costs \$5, and $x$")
    assert out == 'costs <span class="tex-dollar">$</span>5, and $x$'


def test_hostile_text_never_becomes_markup_or_a_link() -> None:
    out = latex_html(r'<script>alert(1)</script> \href{javascript:alert(1)}{click} \url{javascript:x} "q"')
    assert "<script" not in out and "href" not in out and "<a" not in out
    assert out.startswith("&lt;script&gt;") and "click" in out


@settings(max_examples=300, deadline=None)
@given(
    st.lists(
        st.sampled_from([*"ab <>&\"'\\{}$%`~-_^\u202e", "\\textbf{", "\\href{", "$$", "\\(", "\\'"]),
        max_size=40,
    ).map("".join)
)
def test_no_input_produces_a_tag_of_its_own(text: str) -> None:
    out = latex_html(text)
    assert "<" not in ALLOWED_TAGS.sub("", out)
    assert out.count("<b>") == out.count("</b>") and out.count("<i>") == out.count("</i>")


def test_highlights_fall_on_the_same_words_after_conversion() -> None:
    text = r"The \textbf{Dynamic} graph and $x$ graph"
    spans = [
        (text.index("Dynamic"), text.index("Dynamic") + 7),
        (text.index("graph"), text.index("graph") + 5),
    ]
    assert latex_html(text, spans) == "The <b><mark>Dynamic</mark></b> <mark>graph</mark> and $x$ graph"
    across = latex_html(r"a \textbf{bc} d", [(0, 15)])  # a span across a tag: closed and reopened
    assert across == "<mark>a </mark><b><mark>bc</mark></b><mark> d</mark>"


def test_unbalanced_and_deep_input_is_bounded() -> None:
    assert latex_html(r"\textbf{unclosed") == "<b>unclosed</b>"
    assert latex_html("}") == "}"
    deep = "{" * 5000 + "x" + "}" * 5000
    assert "x" in latex_html(deep)  # no RecursionError
    started = time.perf_counter()
    hostile = (r"\( " * 20_000 + "$ " * 20_000)[:100_000]  # unclosed openers, as long as an abstract may be
    assert latex_html(hostile).startswith(r"\( \(")
    assert time.perf_counter() - started < 10  # generous: a busy machine, not a tight budget


def test_plain_text_form() -> None:
    assert latex_text(r"\textbf{D}ynamic 5\% ``q'' $\alpha$") == "Dynamic 5% “q” $\\alpha$"
