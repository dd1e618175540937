"""Community features: votes, submissions and curation, the daily page, period lists, trending.

Every function here takes the running :class:`paperfeed.context.Paperfeed` (or its store) and calls
the store's typed interfaces; none writes SQL. Community stands beside the library and For you and
uses neither (import-linter holds it); accounts, paper look-ups and rate limits are shared services
below it (:mod:`paperfeed.accounts`, :mod:`paperfeed.papers`, :mod:`paperfeed.ratelimit`).
"""
