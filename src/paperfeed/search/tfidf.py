"""TF-IDF paper features: the vectorizer settings, fitting, and a fitted vocabulary kept on disk.

The recommender represents papers as L2-normalised TF-IDF rows over title and abstract (uni- and
bigrams). Fitting the vocabulary and IDF is the expensive part (about 30 s for 20,000 abstracts on
this 2-core machine); applying a fitted vocabulary is cheap per paper. So the live service fits once
per features index (:mod:`paperfeed.search.tfidf_index`, kept by the indexer) and every process
reads the fitted rows from there; nothing is fitted in a request.

This module sits in ``search`` (below ``recommend``) because the indexer, the one writer of
``<data dir>/index/``, needs it; :mod:`paperfeed.recommend.features` re-exports it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import scipy.sparse as sp

if TYPE_CHECKING:  # scikit-learn is imported when a vectorizer is made: it costs a command ~1.3 s to start
    from sklearn.feature_extraction.text import TfidfVectorizer

TOKEN_PATTERN = r"(?u)\b[a-zA-Z_][a-zA-Z0-9_]+\b"


def paper_text(title: str, text: str) -> str:
    """The text a paper is represented by: title then abstract (as search embeds it)."""
    return f"{title} {text}".strip()


@dataclass(frozen=True, slots=True)
class TfidfConfig:
    """TF-IDF settings. The defaults are paperfeed's; :data:`ARXIV_SANITY` is the baseline's.

    paperfeed keeps more features than arxiv-sanity-lite (50k vs 10k uni+bigrams) and rarer terms
    (min_df 2 vs 5): a member's library is small and specific, and a rare shared term is often the
    best evidence of a match. Measured in docs/benchmarks.md ("Recommendations").
    """

    max_features: int | None = 50_000
    min_df: int = 2
    max_df: float = 0.5
    ngram_max: int = 2
    sublinear_tf: bool = True

    def vectorizer(self, vocabulary: dict[str, int] | None = None) -> TfidfVectorizer:
        from sklearn.feature_extraction.text import TfidfVectorizer

        return TfidfVectorizer(
            strip_accents="unicode",
            lowercase=True,
            stop_words="english",
            token_pattern=TOKEN_PATTERN,
            ngram_range=(1, self.ngram_max),
            max_features=self.max_features,
            min_df=self.min_df,
            max_df=self.max_df,
            sublinear_tf=self.sublinear_tf,
            norm="l2",
            dtype=np.float32,
            vocabulary=vocabulary,
        )


#: arxiv-sanity-lite's compute.py defaults (10,000 uni+bigram features, min_df 5, max_df 0.5).
ARXIV_SANITY = TfidfConfig(max_features=10_000, min_df=5, max_df=0.5)


def fit_tfidf(
    texts: Sequence[str], config: TfidfConfig = TfidfConfig()
) -> tuple[TfidfVectorizer, sp.csr_matrix]:
    """Fit the vocabulary and IDF on ``texts``; returns the vectorizer and their L2-normalised rows.

    On a tiny corpus min_df/max_df may leave no term at all; then they are relaxed to (1, 1.0) rather
    than failing, since a recommender over three papers is still a valid (test) case."""
    vectorizer = config.vectorizer()
    try:
        matrix = vectorizer.fit_transform(texts)
    except ValueError:  # "After pruning, no terms remain" / max_df < min_df on a tiny corpus
        vectorizer.set_params(min_df=1, max_df=1.0)
        matrix = vectorizer.fit_transform(texts)
    return vectorizer, sp.csr_matrix(matrix, dtype=np.float32)


@dataclass(slots=True)
class FittedVocabulary:
    """A fitted vectorizer's state (terms in column order, IDF per column), savable as JSON."""

    terms: list[str]
    idf: list[float]
    config: TfidfConfig
    fitted_on: int  # how many papers the fit saw

    @classmethod
    def from_vectorizer(
        cls, vectorizer: TfidfVectorizer, config: TfidfConfig, fitted_on: int
    ) -> FittedVocabulary:
        vocabulary: dict[str, int] = vectorizer.vocabulary_
        terms = [""] * len(vocabulary)
        for term, column in vocabulary.items():
            terms[column] = term
        return cls(terms, [float(x) for x in vectorizer.idf_], config, fitted_on)

    def vectorizer(self) -> TfidfVectorizer:
        """A vectorizer that transforms exactly as the fitted one did (no refit)."""
        vectorizer = self.config.vectorizer({t: i for i, t in enumerate(self.terms)})
        # ``vocabulary=`` makes scikit-learn skip min_df/max_df; the IDF is set as it was fitted.
        vectorizer.fit(["placeholder"])  # builds the internal transformer for the fixed vocabulary
        vectorizer.idf_ = np.asarray(self.idf, dtype=np.float64)
        return vectorizer

    def save(self, path: Path) -> None:
        data: dict[str, Any] = {
            "config": asdict(self.config),
            "fitted_on": self.fitted_on,
            "terms": self.terms,
            "idf": self.idf,
        }
        path.write_text(json.dumps(data), encoding="utf-8")

    @classmethod
    def load(cls, path: Path) -> FittedVocabulary:
        data = json.loads(path.read_text(encoding="utf-8"))
        return cls(
            terms=list(data["terms"]),
            idf=[float(x) for x in data["idf"]],
            config=TfidfConfig(**data["config"]),
            fitted_on=int(data["fitted_on"]),
        )

    def __len__(self) -> int:
        return len(self.terms)
