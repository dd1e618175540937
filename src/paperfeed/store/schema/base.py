"""The one ``MetaData`` every table of the store is declared on.

Feature tables (community, digests, libraries, …) live in sibling modules of this package, and
:mod:`paperfeed.store.schema` imports every one of them: whoever opens the store sees every table,
so a merge of a title-only paper re-points ``paper_id`` columns of all features, and the migration
check compares the whole schema.
"""

from __future__ import annotations

from sqlalchemy import MetaData

metadata = MetaData()
