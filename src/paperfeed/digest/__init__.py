"""Email digests: subscriptions with double opt-in, composition with reasons, exactly-once delivery.

- :mod:`.choices`, :mod:`.subscriptions`: what a subscriber asks for, and the use cases (subscribe,
  confirm, change, unsubscribe) behind the header form, the API, the settings page and the CLI.
- :mod:`.due`: which period a daily or weekly digest covers, which are due, their ledger keys.
- :mod:`.content`, :mod:`.compose`: each source (trending, a category, an author, a query) computed
  once per period and shared; one digest picked from them, with a reason for every paper.
- :mod:`.render`, :mod:`.links`: the mail itself (plain text + HTML, signed links).
- :mod:`.sender`: the send ledger's plan → claim → send → record loop (see ``docs/digest.md``).
- :mod:`.preview`: previews and "view in browser". :mod:`.schedule`: the in-app scheduler.

This package sits above ``community`` (trending), ``recommend`` (the Recommended section) and
``search`` (keyword queries), and below the shells; the store's ``subscriptions`` and ``sends``
interfaces keep its tables.
"""
