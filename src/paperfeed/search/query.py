"""User query syntax → a parsed query → a tantivy query. Any string is a valid query.

Syntax (see docs/search.md)::

    diffusion protein            plain words: ranked by BM25 over title (boosted), abstract, authors
    "protein design"             a phrase: must appear, words adjacent (stemmed)
    author:lecun                 author:"Yann LeCun"   the author field (au: also works)
    cat:cs.LG   cat:cs           a category; without a dot, the whole archive (cs.*)
    title:transformer            title:"vision transformer"   only in the title (ti: also works)
    id:2602.18409                an arXiv id (or a title: id)
    -survey  -"literature review"  -author:smith  -cat:cs.CV    exclusions
    NOT survey                   the same as -survey; AND / OR are accepted and ignored (words are
                                 OR-ed and ranked, constraints are AND-ed)

We parse by hand instead of handing the string to tantivy's query parser: its grammar raises on
unbalanced quotes and parentheses and treats ``:`` specially in titles, and users paste anything.
:func:`parse` never raises; unknown prefixes (``http:``, ``re:``) are plain words; parentheses are
ignored; very long input is cut to :data:`MAX_QUERY_CHARS` characters and :data:`MAX_TERMS` terms.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field

import tantivy

from paperfeed.search.analysis import name_tokens, phrase_positions, stem_tokens

MAX_QUERY_CHARS = 5000
MAX_TERMS = 256
FIELD_ALIASES = {
    "author": "author",
    "au": "author",
    "authors": "author",
    "cat": "cat",
    "category": "cat",
    "title": "title",
    "ti": "title",
    "id": "id",
}

# One token: optional "-", optional "field:", then a quoted run (closing quote optional) or a bare run.
_TOKEN = re.compile(r'(?P<neg>[-−]?)(?:(?P<field>[A-Za-z]+):)?(?:"(?P<phrase>[^"]*)"?|(?P<word>[^\s"]+))')
_QUOTES = str.maketrans({"“": '"', "”": '"', "„": '"', "«": '"', "»": '"'})


@dataclass(frozen=True, slots=True)
class Clause:
    """One piece of a query: ``field`` is None (all text fields), author, cat, title or id."""

    text: str
    field: str | None = None
    phrase: bool = False


@dataclass(slots=True)
class ParsedQuery:
    """A user query split into ranked words, required clauses and exclusions."""

    words: list[str] = field(default_factory=list)
    required: list[Clause] = field(default_factory=list)
    excluded: list[Clause] = field(default_factory=list)

    @property
    def free_text(self) -> str:
        """The words and phrases a person meant, without operators: what the embedder encodes."""
        parts = [*self.words, *(c.text for c in self.required if c.field in (None, "title"))]
        return " ".join(parts)

    @property
    def is_empty(self) -> bool:
        return not (self.words or self.required or self.excluded)


def parse(text: str, *, syntax: bool = True) -> ParsedQuery:
    """Parse any string into a :class:`ParsedQuery` (never raises).

    ``syntax`` False reads every word as a plain word (no phrases, fields or exclusions): for
    natural-language queries such as a benchmark's claims, where a quote or a dash is not an operator.
    """
    parsed = ParsedQuery()
    if not syntax:
        parsed.words = (text or "")[:MAX_QUERY_CHARS].split()[:MAX_TERMS]
        return parsed
    source = (text or "")[:MAX_QUERY_CHARS].translate(_QUOTES).replace("(", " ").replace(")", " ")
    negate_next = False
    count = 0
    for match in _TOKEN.finditer(source):
        if count >= MAX_TERMS:
            break
        neg = bool(match.group("neg")) or negate_next
        negate_next = False
        prefix = match.group("field")
        phrase = match.group("phrase")
        word = match.group("word")
        value = phrase if phrase is not None else (word or "")
        if prefix is not None and prefix.lower() not in FIELD_ALIASES:
            value = f"{prefix}:{value}"  # "http://…", "re:", … are text, not a field
            prefix = None
        if phrase is None and prefix is None and not match.group("neg"):
            if value in ("AND", "OR", "&&", "||"):
                continue
            if value == "NOT":
                negate_next = True
                continue
        value = value.strip()
        if not value or not any(ch.isalnum() for ch in value):
            continue
        count += 1
        clause_field = FIELD_ALIASES[prefix.lower()] if prefix else None
        is_phrase = phrase is not None
        if neg:
            parsed.excluded.append(Clause(value, clause_field, is_phrase))
        elif clause_field is None and not is_phrase:
            parsed.words.append(value)
        else:
            parsed.required.append(Clause(value, clause_field, is_phrase))
    return parsed


@dataclass(frozen=True, slots=True)
class FieldWeights:
    """Boosts of the fields for plain words.

    ``body`` is title + abstract as one field: one BM25 over the whole text ranked SciFact train
    better (nDCG@10 0.696) than summing per-field BM25s (0.672 with equal weights, 0.630 with the
    title at 2). The title gets a mild extra boost on top (0.3: 0.701; 1.0 already hurt, 0.665),
    since a word in the title still says more than one in the abstract. Measured in docs/benchmarks.md.
    """

    title: float = 0.3
    abstract: float = 0.0
    """Phrases and highlights in the abstract: since the index's schema 2 these go to ``body`` (the
    abstract is analysed only there), so for plain words this adds to ``body``'s weight."""
    authors: float = 1.0
    body: float = 1.0


DEFAULT_WEIGHTS = FieldWeights()
HIGHLIGHT_WEIGHTS = FieldWeights(title=1.0, abstract=1.0, authors=0.0, body=0.0)
"""The query used only to find the terms to highlight in the stored title and abstract."""
Occur = tantivy.Occur
Query = tantivy.Query


def _boost(query: tantivy.Query, weight: float) -> tantivy.Query:
    return query if weight == 1.0 else Query.boost_query(query, weight)


def _text_query(schema: tantivy.Schema, field_name: str, text: str, phrase: bool) -> tantivy.Query | None:
    """A stemmed title/abstract query: a phrase (with stop-word gaps) or an OR of its terms."""
    if phrase:
        positions = phrase_positions(text)
        if not positions:
            return None
        if len(positions) == 1:
            return Query.term_query(schema, field_name, positions[0][1])
        return Query.phrase_query(schema, field_name, [(pos, term) for pos, term in positions])
    terms = stem_tokens(text)
    if not terms:
        return None
    if len(terms) == 1:
        return Query.term_query(schema, field_name, terms[0])
    return Query.boolean_query([(Occur.Must, Query.term_query(schema, field_name, t)) for t in terms])


def _author_query(schema: tantivy.Schema, text: str) -> tantivy.Query | None:
    tokens = name_tokens(text)
    if not tokens:
        return None
    if len(tokens) == 1:
        return Query.term_query(schema, "authors", tokens[0])
    words: list[str | tuple[int, str]] = list(tokens)
    return Query.phrase_query(schema, "authors", words)


def category_query(schema: tantivy.Schema, text: str) -> tantivy.Query:
    value = text.strip().lower()
    if "." in value or "-" in value:
        return Query.term_query(schema, "categories", value)
    # "cat:cs" means the whole archive: cs, cs.AI, cs.LG, …
    return Query.regex_query(schema, "categories", re.escape(value) + r"(\..*)?")


def _id_query(schema: tantivy.Schema, text: str) -> tantivy.Query:
    from paperfeed.ids import InvalidArxivId, normalize_paper_id

    value = text.strip()
    with contextlib.suppress(InvalidArxivId, ValueError):
        value = normalize_paper_id(value)
    return Query.term_query(schema, "ids", value.lower())


def clause_query(schema: tantivy.Schema, clause: Clause, weights: FieldWeights) -> tantivy.Query | None:
    """The tantivy query for one clause, or None when nothing of it survives analysis (``-"the"``)."""
    if clause.field == "author":
        return _author_query(schema, clause.text)
    if clause.field == "cat":
        return category_query(schema, clause.text)
    if clause.field == "id":
        return _id_query(schema, clause.text)
    if clause.field == "title":
        return _text_query(schema, "title", clause.text, clause.phrase)
    parts = [
        q
        for q in (
            _boost_opt(_text_query(schema, "title", clause.text, clause.phrase), weights.title),
            _boost_opt(_text_query(schema, "body", clause.text, clause.phrase), weights.abstract),
        )
        if q is not None
    ]
    if not parts:
        return None
    return Query.boolean_query([(Occur.Should, q) for q in parts])


def _boost_opt(query: tantivy.Query | None, weight: float) -> tantivy.Query | None:
    return None if query is None else _boost(query, weight)


def word_clauses(schema: tantivy.Schema, words: list[str], weights: FieldWeights) -> list[tantivy.Query]:
    """SHOULD clauses for plain words: each stemmed term in title (boosted) and abstract, each name
    token in authors, and each word as an exact category or id (so ``cs.LG`` or ``2602.18409`` typed
    as a word finds the paper)."""
    text = " ".join(words)
    out: list[tantivy.Query] = []
    for term in stem_tokens(text):
        for name, weight in (("title", weights.title), ("body", weights.body + weights.abstract)):
            if weight > 0:
                out.append(_boost(Query.term_query(schema, name, term), weight))
    if weights.authors > 0:
        for token in dict.fromkeys(name_tokens(text)):
            out.append(_boost(Query.term_query(schema, "authors", token), weights.authors))
    for word in words:
        lowered = word.lower()
        if "." in lowered or "/" in lowered or lowered.startswith("title:"):
            out.append(Query.term_query(schema, "categories", lowered))
            out.append(_id_query(schema, word))
    return out


def constraint_clauses(
    schema: tantivy.Schema, parsed: ParsedQuery, weights: FieldWeights = DEFAULT_WEIGHTS
) -> list[tuple[tantivy.Occur, tantivy.Query]]:
    """MUST and MUST_NOT clauses of ``parsed`` (everything but the plain words).

    A clause made only of stop words (``"the"``) is dropped rather than matching nothing: the
    person asked for something, and the rest of the query still says what.
    """
    clauses: list[tuple[tantivy.Occur, tantivy.Query]] = []
    for clause in parsed.required:
        query = clause_query(schema, clause, weights)
        if query is not None:
            clauses.append((Occur.Must, query))
    for clause in parsed.excluded:
        query = clause_query(schema, clause, weights)
        if query is not None:
            clauses.append((Occur.MustNot, query))
    return clauses


def build_query(
    schema: tantivy.Schema,
    parsed: ParsedQuery,
    *,
    filters: list[tantivy.Query] | None = None,
    weights: FieldWeights = DEFAULT_WEIGHTS,
) -> tantivy.Query | None:
    """The whole tantivy query, or None when it can match nothing (only stop words, say).

    Plain words are OR-ed and ranked by BM25 (at least one must match); phrases and fielded clauses
    are MUST, exclusions MUST_NOT, ``filters`` (category, dates) MUST without score. A query of only
    exclusions or filters matches every other paper with a constant score.
    """
    clauses = constraint_clauses(schema, parsed, weights)
    should = word_clauses(schema, parsed.words, weights)
    if parsed.words and not should:
        return None  # the user's words were all stop words or symbols: nothing to rank by
    if should and not clauses and not filters:
        # Plain words alone: the disjunction of term queries is the whole query. Left unwrapped,
        # tantivy ranks it with block-max WAND (skipping blocks that cannot reach the top hits);
        # wrapped in a MUST it scored every matching paper (p99 35 -> 20 ms at 2.7M papers, same
        # scores: the wrapper added nothing to them).
        return Query.boolean_query([(Occur.Should, q) for q in should])
    for query in filters or []:
        clauses.append((Occur.Must, Query.const_score_query(query, 0.0)))
    if should:
        clauses.append((Occur.Must, Query.boolean_query([(Occur.Should, q) for q in should])))
    if not any(occ == Occur.Must for occ, _ in clauses):
        if not clauses:
            return None
        clauses.append((Occur.Must, Query.all_query()))
    return Query.boolean_query(clauses)
