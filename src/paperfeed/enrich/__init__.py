"""Enrichment: what paperfeed learns about a paper besides its record and indexes.

- :mod:`~paperfeed.enrich.links`: the GitHub repository and project page in the paper's own words;
- :mod:`~paperfeed.enrich.keywords`: keywords ranked by TF-IDF (the features index; no network);
- :mod:`~paperfeed.enrich.github`: GitHub's REST API for stars (rate limits, ETags, renames);
- :mod:`~paperfeed.enrich.summaries`: AI summaries from an operator's OpenAI-compatible model;
- :mod:`~paperfeed.enrich.run`: the job (``paperfeed enrich``, the indexer's slice, the scheduler);
- :mod:`~paperfeed.enrich.view`: what pages, APIs and digests read of it.

A feature beside ``community`` and ``discussion``; it reads the search package's TF-IDF index and
uses the polite HTTP client of ``ingest``. Requests never run any of it: they read the store.
"""
