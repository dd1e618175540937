"""Discussion: members' comments on papers, with one level of replies, moderation and reply notices.

A feature beside ``community`` (votes, daily lists) and ``library``, using neither:

- :mod:`~paperfeed.discussion.markup`: the safe Markdown subset comments are written in;
- :mod:`~paperfeed.discussion.comments`: the use cases (post, reply, edit, delete, report, hide,
  threads and counts as a viewer sees them), shared by the pages, ``/api/v1`` and the Papers API;
- :mod:`~paperfeed.discussion.notify`: reply notices by mail, with a one-click stop link;
- :mod:`~paperfeed.discussion.feed`: a paper's comments as an Atom feed.
"""
