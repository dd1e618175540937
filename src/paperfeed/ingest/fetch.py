"""Fetching one missing paper from arXiv while someone waits: a submission, a library import.

The paper goes into the store through the same ingest job as any other arXiv record (store only;
the indexer makes it searchable moments later: a request never touches an index).
"""

from __future__ import annotations

from collections.abc import Callable

from paperfeed.context import Paperfeed
from paperfeed.errors import PaperfeedError, UpstreamUnavailable
from paperfeed.ingest.http import SourceUnavailable
from paperfeed.ingest.jobs import ingest_arxiv


class FetchFailed(UpstreamUnavailable):
    """arXiv could not be reached to fetch a missing paper (try again later)."""


Fetcher = Callable[[Paperfeed, str], None]
FETCH_TIMEOUT = 10.0
"""Seconds a submission waits for arXiv to answer about a paper the store does not have."""


def fetch_from_arxiv(app: Paperfeed, arxiv_id: str, transport: object | None = None) -> None:
    """Import one paper from arXiv's API into the store (the ingest job, store only).

    Someone is waiting on the page: one try, at most :data:`FETCH_TIMEOUT` seconds (or the
    ``arxiv_timeout`` setting when shorter), then a clear "try again" instead of half a minute of
    silent retries.
    """
    timeout = min(app.settings.arxiv_timeout, FETCH_TIMEOUT)
    try:
        ingest_arxiv(
            app,
            ids=[arxiv_id],
            transport=transport,  # type: ignore[arg-type,unused-ignore]
            timeout=timeout,
            max_retries=0,
        )
    except SourceUnavailable as exc:
        raise FetchFailed(
            f"arXiv could not be asked about {arxiv_id} (waited at most {timeout:.0f} s: {exc}); "
            "nothing was saved, try again in a minute"
        ) from exc
    except PaperfeedError as exc:  # arXiv rejecting the request
        raise FetchFailed(f"could not fetch {arxiv_id} from arXiv: {exc}") from exc
