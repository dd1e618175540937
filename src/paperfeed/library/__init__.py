"""Members' libraries: collections, tags, notes and read marks; follows; feedback; imports and exports.

Use cases (called by the web pages, the JSON API and the CLI alike):

* :mod:`paperfeed.library.collections`: save and unsave papers, collections, public pages' data;
* :mod:`paperfeed.library.annotations`: tags, notes and read marks;
* :mod:`paperfeed.library.follows`: follow authors, categories and search queries (with exclusions);
* :mod:`paperfeed.library.feedback`: "more like this", "not interested", impressions, driver switches;
* :mod:`paperfeed.library.follows_feed`: the follows feed, a clean driver for recommendations;
* :mod:`paperfeed.library.signals`: everything a recommender reads about one member, in one call;
* :mod:`paperfeed.library.importers` / :mod:`paperfeed.library.exporters`: BibTeX, CSL JSON, RIS.
"""
