"""Community features: accounts, votes, featured papers and submissions, trending, daily pages.

Every function here takes the :class:`paperfeed.store.Store` (or the running
:class:`paperfeed.context.Paperfeed`) and calls its typed interfaces; none writes SQL.
"""
