"""Maps of papers: a set of papers (a search, a period, a collection, For you) laid out in 2-D by
content, clustered and labelled by their distinctive terms (:mod:`paperfeed.maps.service`)."""
