"""Papers similar to one paper, or to a set of papers and unlike another set.

Public API (the paper page, "more like this" and recommendations call this)::

    similar(app, positives, *, negatives=(), limit=10, method=None)
        -> SimilarResults(method, hits[SimilarHit(paper_id, score)], notice)

Two methods:

* ``embeddings`` (default when the positives are embedded): nearest neighbours of the Rocchio query
  ``normalise(mean(positives) - 0.5 * mean(negatives))`` in the vector store. No model is loaded:
  stored vectors are enough, so it is as fast as a vector search.
* ``tfidf`` (always available, no semantic extra needed): the arxiv-sanity idea, bounded. A keyword
  query of the positives' most distinctive words (tf x idf, the idf read from the keyword index)
  picks a candidate pool (:data:`POOL_SIZE` papers), TF-IDF (uni+bigrams) is fitted on the pool, and
  a linear SVM separates the positives from the rest of the pool (negatives weighted up);
  candidates are ranked by its decision function. arxiv-sanity trains on the whole corpus per
  request, which is fine at 30k papers and not at 2.7M; the pool keeps the cost constant (and small:
  a paper page's panel) while keeping the classifier's ability to weigh positives and negatives.

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
from paperfeed.search.lexical import LexicalIndex

METHODS = ("embeddings", "tfidf")
POOL_SIZE = 200
"""Candidates the classifier ranks. On the sample benchmark (docs/benchmarks.md, paired over 200
queries) 200 scored as 2,000 did (nDCG@10 -0.004 +- 0.007) at a small fraction of the cost; 100
scored lower (-0.012 +- 0.007), 300 the same as 200 at 1.5x the time."""
QUERY_TERMS = 30
NEGATIVE_WEIGHT = 0.5


class SimilarError(InvalidInput):
    """Unknown paper ids or an unusable request (the message says which)."""


@dataclass(slots=True)
class SimilarHit:
    paper_id: str
    score: float


EXPLANATIONS = {
    "embeddings": (
        "embeddings: cosine similarity between each paper's embedding and the mean embedding of the "
        "given papers (minus half of the --not papers'); score 1 = same direction, 0 = unrelated"
    ),
    "tfidf": (
        "tfidf: a linear classifier over TF-IDF words and word pairs, trained to tell the given papers "
        f"from up to {POOL_SIZE:,} keyword matches of their words (--not papers count 5x against); "
        "score = its decision value: only the order matters, higher is more alike (it is usually below 0, "
        "as a few given papers stand against thousands)"
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
            return SimilarResults("embeddings", _by_embeddings(vectors, stored, pos, neg, limit))
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


def candidate_query(lexical: LexicalIndex, texts: Sequence[str], terms: int = QUERY_TERMS) -> Any:
    """A keyword query for papers like ``texts``: their ``terms`` most distinctive stemmed words.

    Each word of the positives is weighted by sublinear tf x idf, the idf read from the index itself
    (``doc_freq``), so the query is the texts' own signature rather than their most repeated words;
    words found in one document only (typos, the text's own id) are skipped."""
    import tantivy

    searcher = lexical.index.searcher()
    total = max(1, int(searcher.num_docs))
    counts: dict[str, int] = {}
    for text in texts:
        for token in stem_tokens(text):
            counts[token] = counts.get(token, 0) + 1
    weights: dict[str, float] = {}
    for token, count in counts.items():
        frequency = searcher.doc_freq("body", token)
        if frequency > 1:
            weights[token] = (1.0 + math.log(count)) * math.log(total / frequency)
    top = sorted(weights, key=lambda t: (-weights[t], t))[:terms]
    if not top:
        return None
    return tantivy.Query.boolean_query(
        [(tantivy.Occur.Should, tantivy.Query.term_query(lexical.schema, "body", t)) for t in top]
    )


def _by_tfidf(app: Paperfeed, pos: list[str], neg: list[str], limit: int) -> list[SimilarHit]:
    from sklearn.feature_extraction.text import HashingVectorizer, TfidfTransformer
    from sklearn.svm import LinearSVC

    from paperfeed.search.engine import open_lexical

    lexical = open_lexical(app)
    papers = app.store.papers.get_many(pos + neg)
    texts = {pid: f"{p.title} {p.abstract}" for pid, p in papers.items()}
    lexical.index.reload()
    query = candidate_query(lexical, [texts[p] for p in pos if p in texts])
    if query is None:
        return []
    excluded = set(pos) | set(neg)
    searcher = lexical.index.searcher()
    found = searcher.search(query, POOL_SIZE + len(excluded), count=False)
    pool: list[str] = []
    for _, address in found.hits:
        doc = searcher.doc(address)
        pid = str(doc.get_first("paper_id"))
        if pid in excluded:
            continue
        texts[pid] = f"{doc.get_first('title') or ''} {doc.get_first('abstract') or ''}"
        pool.append(pid)
    pool = pool[:POOL_SIZE]
    if not pool:
        return []
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
    start = len(train_ids) - len(pool)
    scores = classifier.decision_function(matrix[start:])
    order = np.argsort(-scores, kind="stable")[:limit]
    return [SimilarHit(pool[i], float(scores[i])) for i in order]
