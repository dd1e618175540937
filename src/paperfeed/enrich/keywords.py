"""Keywords of a paper, ranked by TF-IDF, computed here with no network and no model.

The TF-IDF features index (:mod:`paperfeed.search.tfidf_index`, kept by the indexer) already holds
every paper's row: the weight of each of its words and two-word phrases, sublinear term frequency
times the inverse document frequency over the whole store, stop words left out. A paper's keywords
are the top of that row, made readable:

- a two-word phrase beats the single words inside it (``graph neural`` over ``graph``), and two
  overlapping phrases that stand together in the text become one (``graph neural`` +
  ``neural networks`` → ``graph neural networks``);
- a phrase counts only when its words stand next to each other in the title or abstract (the
  vectorizer drops stop words before it pairs words, so ``state of art`` could pair ``state art``);
- each keyword is shown as the text writes it where that carries information (``LLM``, ``GNNs``),
  lower case otherwise; pure numbers and two-letter scraps are left out.

:func:`keywords_from_weights` is pure; the enrichment job feeds it the rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

from paperfeed.formats.latex import latex_text
from paperfeed.search.tfidf import TOKEN_PATTERN

MAX_KEYWORDS = 8
_CANDIDATES = 40
_TOKEN = re.compile(TOKEN_PATTERN)
_JOINER = re.compile(r"^[\s\-–/]*$")


@dataclass(frozen=True, slots=True)
class _Token:
    lower: str
    surface: str
    start: int
    end: int


@cache
def _stop_words() -> frozenset[str]:
    """The vectorizer's English stop words (scikit-learn's list), imported when first needed: the
    import costs every command that never extracts a keyword about 1.3 s of start-up."""
    from sklearn.feature_extraction.text import ENGLISH_STOP_WORDS

    return frozenset(ENGLISH_STOP_WORDS)


def _tokens(text: str) -> list[_Token]:
    """The text's words as the vectorizer sees them (stop words dropped), with where they stand."""
    stop_words = _stop_words()
    return [
        _Token(m.group(0).lower(), m.group(0), m.start(), m.end())
        for m in _TOKEN.finditer(text)
        if m.group(0).lower() not in stop_words
    ]


def _readable(surface: str) -> str:
    """Keep the writer's capitals where they mean something (LLM, GNNs, BERT), else lower case."""
    words = surface.split()
    return " ".join(
        w
        if sum(c.isupper() for c in w) >= 2 or (w[:1].isupper() and any(c.isdigit() for c in w))
        else w.lower()
        for w in words
    )


def _stem(word: str) -> str:
    """Enough of a stem to tell ``preference`` and ``preferences`` apart as one keyword."""
    lower = word.lower()
    if lower.endswith("ies") and len(lower) > 5:
        return lower[:-3] + "y"
    if lower.endswith("s") and not lower.endswith(("ss", "us", "is")) and len(lower) > 4:
        return lower[:-1]
    return lower


def _whole(surface: str, start: int, end: int, text: str) -> bool:
    """Not a piece of a hyphenated word (``based`` of ``EEG-based``)."""
    return not (text[start - 1 : start] == "-" or text[end : end + 1] == "-")


def _positions(tokens: Sequence[_Token]) -> dict[str, list[int]]:
    """Where each word stands among ``tokens`` (so a phrase is looked for where its first word is)."""
    found: dict[str, list[int]] = {}
    for n, token in enumerate(tokens):
        found.setdefault(token.lower, []).append(n)
    return found


def _locate(
    words: Sequence[str], tokens: Sequence[_Token], text: str, positions: dict[str, list[int]]
) -> str | None:
    """Where ``words`` first stand next to each other as whole words (only spaces, hyphens or
    slashes between them, not inside a hyphenated word), as written; else ``None``."""
    n = len(words)
    for i in positions.get(words[0], ()):
        if i + n > len(tokens):
            break
        if all(tokens[i + k].lower == words[k] for k in range(1, n)) and all(
            _JOINER.match(text[tokens[i + k].end : tokens[i + k + 1].start]) for k in range(n - 1)
        ):
            start, end = tokens[i].start, tokens[i + n - 1].end
            if _whole(text[start:end], start, end, text):
                return text[start:end]
    return None


def keywords_from_weights(
    weights: Sequence[tuple[str, float]], title: str, abstract: str, *, limit: int = MAX_KEYWORDS
) -> list[str]:
    """The paper's keywords from its TF-IDF row (``(term, weight)`` pairs, any order). Pure.

    A term found in the title counts 1.5 times, a phrase 1.3 times (a phrase says more than a word);
    words that say nothing about a paper's subject (:data:`GENERIC`) are left out."""
    text = latex_text(f"{title}. {abstract}")
    title_text = latex_text(title).lower()
    tokens = _tokens(text)
    positions = _positions(tokens)
    boosted = []
    for term, weight in weights:
        words = term.split()
        if any(len(w) < 3 or w.isdigit() or w in GENERIC for w in words):
            continue
        factor = (1.5 if term in title_text else 1.0) * (1.3 if len(words) > 1 else 1.0)
        boosted.append((term, weight * factor))
    ranked = sorted(boosted, key=lambda tw: (-tw[1], tw[0]))[:_CANDIDATES]
    chosen: list[tuple[list[str], float]] = []
    for term, weight in ranked:
        words = term.split()
        if _locate(words, tokens, text, positions) is None:
            continue  # not standing together as whole words (or only in LaTeX markup)
        if len(words) == 1 and any(words[0] in c for c, _ in chosen if len(c) > 1):
            continue  # already inside a chosen phrase
        if len(words) > 1:
            chosen = [(c, w) for c, w in chosen if not (len(c) == 1 and c[0] in words)]
            merged = next((c for c, _ in chosen if len(c) > 1 and c[-1] == words[0]), None)
            if merged is not None and _locate([*merged, *words[1:]], tokens, text, positions) is not None:
                chosen = [(c, w) for c, w in chosen if c is not merged] + [([*merged, *words[1:]], weight)]
                continue
        chosen.append((words, weight))
    shown: list[str] = []
    seen: set[tuple[str, ...]] = set()
    for words, _ in sorted(chosen, key=lambda cw: -cw[1]):
        key = tuple(_stem(w) for w in words)
        if key in seen:
            continue
        seen.add(key)
        shown.append(_readable(_locate(words, tokens, text, positions) or " ".join(words)))
        if len(shown) == limit:
            break
    return shown


GENERIC = frozenset(
    [
        "able",
        "achieve",
        "achieved",
        "achieves",
        "achieving",
        "address",
        "addresses",
        "adopt",
        "advance",
        "advances",
        "allow",
        "allows",
        "analysis",
        "analyze",
        "approach",
        "approaches",
        "arrive",
        "based",
        "benchmark",
        "benchmarks",
        "better",
        "build",
        "builds",
        "case",
        "challenge",
        "challenges",
        "challenging",
        "code",
        "compared",
        "comprehensive",
        "conduct",
        "conducted",
        "consider",
        "current",
        "demonstrate",
        "demonstrates",
        "demonstrating",
        "design",
        "designed",
        "different",
        "effective",
        "effectively",
        "efficient",
        "enable",
        "enables",
        "evaluate",
        "evaluated",
        "evaluation",
        "evaluations",
        "existing",
        "experiment",
        "experimental",
        "experiments",
        "extensive",
        "faces",
        "findings",
        "framework",
        "gain",
        "gains",
        "general",
        "given",
        "improve",
        "improved",
        "improvement",
        "improvements",
        "improves",
        "improving",
        "including",
        "initial",
        "insights",
        "introduce",
        "introduces",
        "key",
        "large",
        "lead",
        "leading",
        "leads",
        "leverage",
        "leverages",
        "limited",
        "method",
        "methods",
        "model",
        "models",
        "need",
        "needs",
        "new",
        "novel",
        "outperform",
        "outperforms",
        "paper",
        "particular",
        "performance",
        "perform",
        "performs",
        "potential",
        "present",
        "presents",
        "previous",
        "problem",
        "problems",
        "propose",
        "proposed",
        "proposes",
        "provide",
        "provides",
        "real",
        "recent",
        "remain",
        "remains",
        "result",
        "results",
        "review",
        "scale",
        "shows",
        "significant",
        "significantly",
        "simple",
        "specific",
        "state",
        "study",
        "studies",
        "suggest",
        "task",
        "tasks",
        "technique",
        "techniques",
        "use",
        "used",
        "uses",
        "using",
        "various",
        "way",
        "work",
        "works",
        "yield",
        "yields",
        "world",
    ]
)
