"""Similar papers without embeddings (issue 16): the signature counts title words again, the pool's
BM25 and the classifier's decision are mixed by a share that really moves the ranking."""

from __future__ import annotations

from paperfeed.context import Paperfeed
from paperfeed.search import similar as sim
from paperfeed.search.engine import open_lexical

PAPER = "2602.18409"  # Unifying approach to uniform expressivity of graph neural networks


def test_title_words_weigh_more_in_the_signature(sample_app: Paperfeed) -> None:
    lexical = open_lexical(sample_app)
    paper = sample_app.store.papers.get(PAPER)
    assert paper is not None
    text = f"{paper.title} {paper.abstract}"
    plain = sim.distinctive_terms(lexical, [text], terms=1000, title_weight=0.0)
    titled = sim.distinctive_terms(lexical, [text], titles=[paper.title], terms=1000, title_weight=1.0)
    assert "uniform" in titled and titled["uniform"] > plain["uniform"]  # a title word
    body_only = next(t for t in plain if t not in titled or titled[t] == plain[t])
    assert titled[body_only] == plain[body_only]


def test_the_keyword_share_mixes_bm25_and_the_classifier(sample_app: Paperfeed) -> None:
    by_bm25 = [h.paper_id for h in sim._by_tfidf(sample_app, [PAPER], [], 20, keyword_share=1.0)]
    by_svm = [h.paper_id for h in sim._by_tfidf(sample_app, [PAPER], [], 20, keyword_share=0.0)]
    mixed = sim._by_tfidf(sample_app, [PAPER], [], 20)
    _, _, _, pool, bm25 = sim._keyword_pool(
        sample_app, [PAPER], [], pool_size=sim.POOL_SIZE, terms=sim.QUERY_TERMS,
        title_weight=sim.TITLE_WEIGHT, boosted=False,
    )  # fmt: skip
    assert by_bm25 == [pool[i] for i in sorted(range(len(pool)), key=lambda i: -bm25[i])][:20]
    assert by_bm25 != by_svm and PAPER not in by_bm25 + by_svm
    assert all(0.0 <= h.score <= 1.0 for h in mixed) and mixed[0].score > mixed[-1].score
    assert [h.paper_id for h in mixed] not in (by_bm25, by_svm)
