"""Text analysis shared by the keyword index and the query builder.

The index and the queries must tokenize identically, or a stemmed index never matches an unstemmed
query term; keeping the analyzers in one module (and registering them by name on every index we
open) is what guarantees that. tantivy's Python binding exposes its analyzers, so query text goes
through the very same Rust code as indexed text.
"""

from __future__ import annotations

from functools import lru_cache

import tantivy

STEMMED = "pf_stem"
"""English: simple tokens, lowercased, ASCII-folded, stop words dropped, Porter-stemmed (title, abstract)."""
NAMES = "pf_names"
"""Names: lowercased and ASCII-folded, not stemmed (``Müller`` finds ``Muller``, ``Bengio`` is not cut)."""
MAX_TOKEN_LEN = 40


def _stemmed() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(MAX_TOKEN_LEN))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .filter(tantivy.Filter.stopword("english"))
        .filter(tantivy.Filter.stemmer("english"))
        .build()
    )


def _names() -> tantivy.TextAnalyzer:
    return (
        tantivy.TextAnalyzerBuilder(tantivy.Tokenizer.simple())
        .filter(tantivy.Filter.remove_long(MAX_TOKEN_LEN))
        .filter(tantivy.Filter.lowercase())
        .filter(tantivy.Filter.ascii_fold())
        .build()
    )


@lru_cache(maxsize=1)
def analyzers() -> dict[str, tantivy.TextAnalyzer]:
    """The analyzers by the names the schema refers to."""
    return {STEMMED: _stemmed(), NAMES: _names()}


def register(index: tantivy.Index) -> None:
    """Register our analyzers on ``index`` (needed on every open, they are not persisted)."""
    for name, analyzer in analyzers().items():
        index.register_tokenizer(name, analyzer)


def stem_tokens(text: str) -> list[str]:
    """Index terms of ``text`` for the title and abstract fields."""
    return list(analyzers()[STEMMED].analyze(text))


def name_tokens(text: str) -> list[str]:
    """Index terms of ``text`` for the authors field (also the plain lowercased words of any text)."""
    return list(analyzers()[NAMES].analyze(text))


def phrase_positions(text: str) -> list[tuple[int, str]]:
    """(position, stemmed term) pairs of a phrase, keeping the gaps left by dropped stop words.

    The index records the original positions, so ``"state of the art"`` is indexed as ``state``@0 and
    ``art``@3; a phrase query must ask for exactly those offsets to match.
    """
    out: list[tuple[int, str]] = []
    for position, word in enumerate(name_tokens(text)):
        stemmed = stem_tokens(word)
        if stemmed:
            out.append((position, stemmed[0]))
    return out
