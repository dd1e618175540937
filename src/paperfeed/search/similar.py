"""Papers similar to one paper, or to a set of papers and unlike another set.

Public API (the paper page, "more like this" and recommendations call this)::

    similar(app, positives, *, negatives=(), limit=10, method=None)
        -> SimilarResults(method, hits[SimilarHit(paper_id, score)], notice)

Two methods:

* ``tfidf`` (always available, no semantic extra needed): the arxiv-sanity idea, bounded. A keyword
  query of the positives' most distinctive words (tf x idf, the idf read from the keyword index; a
  title word counts once more) picks a candidate pool (:data:`POOL_SIZE` papers), TF-IDF
  (uni+bigrams) is fitted on the pool, and a linear SVM separates the positives from the rest of
  the pool (negatives weighted up). A candidate's score is 0.3 x its BM25 for that query ("more like
  this": how much of the signature it shares) + 0.7 x the SVM's decision value, each min-max scaled
  over the pool (:data:`KEYWORD_SHARE`). arxiv-sanity trains on the whole corpus per request, which
  is fine at 30k papers and not at 2.7M; the pool keeps the cost constant (and small: a paper
  page's panel) while keeping the classifier's ability to weigh positives and negatives.
* ``embeddings`` (default when the positives are embedded): the Rocchio query
  ``normalise(mean(positives) - 0.5 * mean(negatives))``'s nearest papers in the vector store *and*
  the keyword pool (the top :data:`FUSED_DEPTH` of each), every candidate scored by its cosine (read
  from the stored vectors) and by the keyword evidence above (BM25 of the signature, restricted to
  the candidates, and the SVM), fused 0.6 / 0.4 (:data:`EMBEDDED_KEYWORD_SHARE`). Neither alone
  ranked as well on the same-author judgements (docs/benchmarks.md). No model is loaded: stored
  vectors are enough. Without a keyword index the embeddings alone answer.

The positives and negatives themselves are never returned.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

import numpy as np

from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput
from paperfeed.search.analysis import stem_tokens
from paperfeed.search.lexical import LexicalIndex, stored_text

METHODS = ("embeddings", "tfidf")
POOL_SIZE = 200
"""Candidates the classifier ranks. On the sample benchmark (docs/benchmarks.md, paired over 200
queries) 200 scored as 2,000 did (nDCG@10 -0.004 +- 0.007) at a small fraction of the cost; 100
scored lower (-0.012 +- 0.007), 300 the same as 200 at 1.5x the time."""
QUERY_TERMS = 30
TITLE_WEIGHT = 1.0
"""A word of the given papers' titles counts once more in their signature (the title names the
subject; on the same-author judgements 1.0 ranked above 0 and 2: docs/benchmarks.md)."""
KEYWORD_SHARE = 0.3
"""The keyword method's score: this share of the pool's min-max BM25 (how much of the signature a
candidate shares) plus the rest of the SVM's min-max decision value (MAP on the same-author
judgements' tuning queries: 0.0793 SVM alone, 0.0810 at 0.3, 0.0802 at 0.2, 0.0752 at 0.4)."""
EMBEDDED_KEYWORD_SHARE = 0.4
"""With embeddings: the keyword evidence's share of the fused score (the rest is the cosine). MAP on
the same-author judgements' tuning queries: embeddings alone 0.045, 0.2 -> 0.063, 0.3 -> 0.072,
0.4 -> 0.076, 0.5 -> 0.075 (with the SVM in the keyword evidence)."""
FUSED_SVM = True
"""With embeddings: whether the keyword evidence also includes the SVM's decision value."""
FUSED_DEPTH = 100
"""With embeddings: nearest papers and keyword matches each fetched, then fused."""
NEGATIVE_WEIGHT = 0.5


class SimilarError(InvalidInput):
    """Unknown paper ids or an unusable request (the message says which)."""


@dataclass(slots=True)
class SimilarHit:
    paper_id: str
    score: float


EXPLANATIONS = {
    "embeddings": (
        "embeddings and keywords: 0.6 x the cosine similarity between each paper's embedding and the "
        "mean embedding of the given papers (minus half of the --not papers') + 0.4 x keyword evidence "
        "(how many of their distinctive words it shares, and a linear classifier's decision value), "
        "each scaled to 0-1 over the candidates; higher is more alike"
    ),
    "tfidf": (
        "tfidf: 0.3 x how many of the given papers' distinctive words a paper shares (BM25) + 0.7 x the "
        "decision value of a linear classifier over TF-IDF words and word pairs, trained to tell the "
        f"given papers from up to {POOL_SIZE:,} keyword matches of their words (--not papers count 5x "
        "against), each scaled to 0-1 over those matches; higher is more alike"
    ),
}
"""What each method does and what its scores mean, for people (the CLI prints it)."""


@dataclass(slots=True)
class SimilarResults:
    method: str
    hits: list[SimilarHit] = field(default_factory=list)
    notice: str | None = None

    @property
    def explanation(self) -> str:
        return EXPLANATIONS[self.method]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self) | {"explanation": self.explanation}


def _resolve(app: Paperfeed, ids: Sequence[str]) -> list[str]:
    resolved: list[str] = []
    for paper_id in ids:
        found = app.store.papers.resolve_id(paper_id)
        if found is None:
            raise SimilarError(f"no paper {paper_id} in the store")
        if found not in resolved:
            resolved.append(found)
    return resolved


def similar(
    app: Paperfeed,
    positives: Sequence[str],
    *,
    negatives: Sequence[str] = (),
    limit: int = 10,
    method: str | None = None,
) -> SimilarResults:
    """Papers like ``positives`` and unlike ``negatives`` (see the module docstring)."""
    if method is not None and method not in METHODS:
        raise SimilarError(f"method must be one of {', '.join(METHODS)}, not {method!r}")
    if not positives:
        raise SimilarError("give at least one paper")
    pos = _resolve(app, positives)
    neg = [n for n in _resolve(app, negatives) if n not in pos]
    limit = max(1, min(limit, 1000))
    notice: str | None = None
    if method in (None, "embeddings"):
        from paperfeed.search.vectors import open_vectors

        vectors = open_vectors(app)
        stored = vectors.get(pos + neg) if vectors is not None else {}
        if vectors is not None and any(p in stored for p in pos):
            from paperfeed.search.engine import SearchUnavailable

            try:
                hits = _by_embeddings_fused(app, vectors, pos, neg, limit)
            except SearchUnavailable:  # no keyword index yet: the embeddings alone
                hits = _by_embeddings(vectors, stored, pos, neg, limit)
            return SimilarResults("embeddings", hits)
        if method == "embeddings":
            raise SimilarError(
                "these papers are not embedded (paperfeed index rebuild with the semantic extra)"
            )
        notice = "using TF-IDF: the papers are not embedded" if vectors is not None else None
    return SimilarResults("tfidf", _by_tfidf(app, pos, neg, limit), notice)


def rocchio(
    positive: Sequence[np.ndarray], negative: Sequence[np.ndarray], beta: float = NEGATIVE_WEIGHT
) -> np.ndarray:
    """Unit-length ``mean(positive) - beta * mean(negative)`` (pure; the embeddings' query)."""
    query = np.mean(np.stack(positive), axis=0)
    if negative:
        query = query - beta * np.mean(np.stack(negative), axis=0)
    norm = float(np.linalg.norm(query))
    return query / norm if norm > 0 else query


def _by_embeddings(
    vectors: Any, stored: dict[str, np.ndarray], pos: list[str], neg: list[str], limit: int
) -> list[SimilarHit]:
    query = rocchio([stored[p] for p in pos if p in stored], [stored[n] for n in neg if n in stored])
    hits = vectors.search(query, limit, exclude=set(pos) | set(neg))
    return [SimilarHit(h.paper_id, h.score) for h in hits]


def distinctive_terms(
    lexical: LexicalIndex,
    texts: Sequence[str],
    *,
    titles: Sequence[str] = (),
    terms: int = QUERY_TERMS,
    title_weight: float = TITLE_WEIGHT,
) -> dict[str, float]:
    """The ``terms`` most distinctive stemmed words of ``texts`` with their weights.

    Each word is weighted by sublinear tf x idf, the idf read from the index itself (``doc_freq``),
    so the query is the texts' own signature rather than their most repeated words; a word of a
    title counts ``title_weight`` more times (a title names the subject); words found in one
    document only (typos, the text's own id) are skipped."""
    searcher = lexical.index.searcher()
    total = max(1, int(searcher.num_docs))
    counts: dict[str, float] = {}
    for text in texts:
        for token in stem_tokens(text):
            counts[token] = counts.get(token, 0.0) + 1.0
    for title in titles:
        for token in stem_tokens(title):
            counts[token] = counts.get(token, 0.0) + title_weight
    weights: dict[str, float] = {}
    for token, count in counts.items():
        frequency = searcher.doc_freq("body", token)
        if frequency > 1:
            weights[token] = (1.0 + math.log(count)) * math.log(total / frequency)
    top = sorted(weights, key=lambda t: (-weights[t], t))[:terms]
    return {t: weights[t] for t in top}


def weighted_query(lexical: LexicalIndex, weights: dict[str, float], *, boosted: bool = True) -> Any:
    """An OR of the words on the ``body`` field, each boosted by its weight (BM25 "more like this":
    a candidate scores by how much of the signature it shares, the signature's heaviest words most)."""
    import tantivy

    if not weights:
        return None
    top = max(weights.values())
    clauses = []
    for term, weight in weights.items():
        query = tantivy.Query.term_query(lexical.schema, "body", term)
        if boosted:
            query = tantivy.Query.boost_query(query, weight / top)
        clauses.append((tantivy.Occur.Should, query))
    return tantivy.Query.boolean_query(clauses)


def _minmax(values: np.ndarray) -> np.ndarray:
    if not len(values):
        return values
    low, high = float(values.min()), float(values.max())
    return (values - low) / (high - low) if high > low else np.ones_like(values)


def _svm_scores(texts: dict[str, str], pos: list[str], neg: list[str], pool: list[str]) -> np.ndarray:
    """A linear SVM's decision values for ``pool``: the positives against the pool (negatives
    weighted up), on TF-IDF uni+bigram features fitted on the pool."""
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
    from sklearn.svm import LinearSVC

    train_ids = [p for p in pos if p in texts] + [n for n in neg if n in texts] + pool
    # Hashed uni+bigram counts, then TF-IDF over the pool: the same features as a fitted vocabulary
    # without building and sorting one per request (that was most of the request's time).
    counts = HashingVectorizer(
        ngram_range=(1, 2), n_features=2**18, alternate_sign=False, norm=None, stop_words="english"
    ).transform([texts[i] for i in train_ids])
    matrix = TfidfTransformer(sublinear_tf=True).fit_transform(counts)
    labels = np.zeros(len(train_ids), dtype=np.int64)
    n_pos = sum(1 for p in pos if p in texts)
    labels[:n_pos] = 1
    weights = np.ones(len(train_ids))
    weights[n_pos : n_pos + len(neg)] = 5.0  # an explicit "not like this" counts more than "unlabelled"
    classifier = LinearSVC(class_weight="balanced", C=0.1, max_iter=10000, tol=1e-6)
    classifier.fit(matrix, labels, sample_weight=weights)
    return np.asarray(classifier.decision_function(matrix[len(train_ids) - len(pool) :]), dtype=np.float64)


def _keyword_pool(
    app: Paperfeed,
    pos: list[str],
    neg: list[str],
    *,
    pool_size: int,
    terms: int,
    title_weight: float,
    boosted: bool,
) -> tuple[LexicalIndex, dict[str, str], Any, list[str], np.ndarray]:
    """(index, texts by id, the query, the pool's ids, their BM25 scores) for the positives."""
    from paperfeed.search.engine import open_lexical

    lexical = open_lexical(app)
    papers = app.store.papers.get_many(pos + neg)
    texts = {pid: f"{p.title} {p.abstract}" for pid, p in papers.items()}
    lexical.index.reload()
    weights = distinctive_terms(
        lexical,
        [texts[p] for p in pos if p in texts],
        titles=[papers[p].title for p in pos if p in papers],
        terms=terms,
        title_weight=title_weight,
    )
    query = weighted_query(lexical, weights, boosted=boosted)
    if query is None:
        return lexical, texts, None, [], np.zeros(0)
    excluded = set(pos) | set(neg)
    searcher = lexical.index.searcher()
    found = searcher.search(query, pool_size + len(excluded), count=False)
    pool: list[str] = []
    scores: list[float] = []
    for score, address in found.hits:
        doc = searcher.doc(address)
        pid = str(doc.get_first("paper_id"))
        if pid in excluded or len(pool) >= pool_size:
            continue
        texts[pid] = f"{doc.get_first('title') or ''} {stored_text(doc, 'abstract')}"
        pool.append(pid)
        scores.append(float(score))
    return lexical, texts, query, pool, np.asarray(scores, dtype=np.float64)


def _by_tfidf(
    app: Paperfeed,
    pos: list[str],
    neg: list[str],
    limit: int,
    *,
    pool_size: int = POOL_SIZE,
    terms: int = QUERY_TERMS,
    title_weight: float = TITLE_WEIGHT,
    keyword_share: float = KEYWORD_SHARE,
    boosted: bool = False,
) -> list[SimilarHit]:
    _, texts, _, pool, bm25 = _keyword_pool(
        app, pos, neg, pool_size=pool_size, terms=terms, title_weight=title_weight, boosted=boosted
    )
    if not pool:
        return []
    scores = _minmax(bm25) * keyword_share
    if keyword_share < 1.0:
        scores = scores + (1.0 - keyword_share) * _minmax(_svm_scores(texts, pos, neg, pool))
    order = np.argsort(-scores, kind="stable")[:limit]
    return [SimilarHit(pool[i], float(scores[i])) for i in order]


def _restricted_scores(lexical: LexicalIndex, query: Any, paper_ids: list[str]) -> dict[str, float]:
    """BM25 scores of ``query`` for ``paper_ids`` only (those it matches; the same scores as in a
    search of the whole index: the idf is the index's)."""
    import tantivy

    if query is None or not paper_ids:
        return {}
    restricted = tantivy.Query.boolean_query(
        [
            (tantivy.Occur.Must, query),
            (
                tantivy.Occur.Must,
                tantivy.Query.const_score_query(
                    tantivy.Query.term_set_query(lexical.schema, "paper_id", paper_ids), 0.0
                ),
            ),
        ]
    )
    searcher = lexical.index.searcher()
    found = searcher.search(restricted, len(paper_ids), count=False)
    return {str(searcher.doc(address).get_first("paper_id")): float(score) for score, address in found.hits}


def _by_embeddings_fused(
    app: Paperfeed,
    vectors: Any,
    pos: list[str],
    neg: list[str],
    limit: int,
    *,
    keyword_share: float = EMBEDDED_KEYWORD_SHARE,
    depth: int = FUSED_DEPTH,
    svm: bool = FUSED_SVM,
    title_weight: float = TITLE_WEIGHT,
    boosted: bool = False,
) -> list[SimilarHit]:
    """Embeddings and keyword evidence fused: the nearest papers by embedding and the keyword pool
    ("more like this", BM25) together, each candidate scored by both (its cosine read from the
    stored vectors, its BM25 from the same query restricted to the candidates), min-max scaled
    over the candidates and mixed, ``keyword_share`` of it keyword."""
    stored = vectors.get(pos + neg)
    query = rocchio([stored[p] for p in pos if p in stored], [stored[n] for n in neg if n in stored])
    excluded = set(pos) | set(neg)
    nearest = vectors.search(query, max(depth, limit), exclude=excluded)
    lexical, texts, keyword_query, pool, bm25 = _keyword_pool(
        app, pos, neg, pool_size=depth, terms=QUERY_TERMS, title_weight=title_weight, boosted=boosted
    )
    candidates = list(dict.fromkeys([h.paper_id for h in nearest] + pool))
    if not candidates:
        return []
    keyword_of = dict(zip(pool, bm25.tolist(), strict=True))
    missing = [c for c in candidates if c not in keyword_of]
    keyword_of.update(_restricted_scores(lexical, keyword_query, missing))
    found = vectors.get(candidates)
    cosine = np.array([float(found[c] @ query) if c in found else -1.0 for c in candidates], dtype=np.float64)
    if (cosine < -0.5).any():
        cosine[cosine < -0.5] = cosine[cosine >= -0.5].min() if (cosine >= -0.5).any() else 0.0
    keyword = _minmax(np.array([keyword_of.get(c, 0.0) for c in candidates], dtype=np.float64))
    if svm and candidates:
        unread = [c for c in candidates if c not in texts]
        for pid, doc in lexical.stored(unread).items():
            texts[pid] = f"{(doc.get('title') or [''])[0]} {stored_text(doc, 'abstract')}"
        usable = [c for c in candidates if c in texts]
        decision = dict(zip(usable, _svm_scores(texts, pos, neg, usable).tolist(), strict=True))
        if decision:
            low = min(decision.values())
            keyword = 0.5 * keyword + 0.5 * _minmax(
                np.array([decision.get(c, low) for c in candidates], dtype=np.float64)
            )
    scores = keyword_share * keyword + (1.0 - keyword_share) * _minmax(cosine)
    order = np.argsort(-scores, kind="stable")[:limit]
    return [SimilarHit(candidates[i], float(scores[i])) for i in order]
