"""Community features: accounts, votes, featured papers, trending, rate limits.

Importing this package registers the community tables on the store's metadata, so that merges of
title-only papers re-point votes and featured rows as well.
"""

from paperfeed.store import community_schema as _community_schema  # noqa: F401  (registers the tables)
