"""Recommendations ("For you"): per-member models over paper features, ranked with their reasons.

A library with no database or web dependency at its core (docs/recommend.md). Entry points:

* :func:`paperfeed.recommend.model.train_member` / :func:`~paperfeed.recommend.model.score_member`:
  one member; :func:`paperfeed.recommend.batch.score_members`: many members at once;
* :func:`paperfeed.recommend.service.for_you`: the live service behind the page, the API and the CLI.

Its evaluation (``paperfeed eval recommend``, the benchmarks and baselines) lives apart, in
:mod:`paperfeed.evaluation`.
"""
