"""Recommendations: per-member models over paper features, baselines, and their evaluation.

A library with no database or web dependency (docs/recommend.md). Entry points:

* :func:`paperfeed.recommend.model.train_member` / :func:`~paperfeed.recommend.model.score_member`:
  one member; :func:`paperfeed.recommend.batch.score_members`: many members at once;
* :func:`paperfeed.evaluation.recommend.evaluate_recommenders`: ``paperfeed eval recommend DIR``;
* :func:`paperfeed.evaluation.authors_benchmark.make_authors`: ``paperfeed eval make-authors``.
"""
