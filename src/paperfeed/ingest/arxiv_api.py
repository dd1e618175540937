"""arXiv's search API (``export.arxiv.org/api/query``, Atom): queries by text, category and date.

Each Atom entry describes the **latest** version of a paper: its id ends in ``vN`` (that version),
``<published>`` is v1's submission date and ``<updated>`` vN's. So a record gets
``versions = [Version(1, published), Version(N, updated)]`` — the intermediate versions' dates are
not in the feed. Both the current layout and the 2016 one (namespace declared per element,
``arxiv:doi``) parse with the same namespace-aware lookups.

arXiv asks for one request every 3 seconds on one connection; :class:`~paperfeed.ingest.http.PoliteClient`
enforces it and retries timeouts/5xx. A request arXiv rejects (HTTP 400 with an error feed, e.g. a
malformed id) raises :class:`ArxivApiError` with arXiv's own explanation.
"""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import date

from lxml import etree

from paperfeed.ids import InvalidArxivId, parse_arxiv_id
from paperfeed.ingest.fields import RECORD_FAILURES, error_for
from paperfeed.ingest.http import PoliteClient, PoliteOptions, SourceError
from paperfeed.records import PaperRecord, RecordError, SourceItem, Version, finalize, parse_datetime

SOURCE = "arxiv-api"
ATOM = "http://www.w3.org/2005/Atom"
ARXIV = "http://arxiv.org/schemas/atom"
OPENSEARCH = "http://a9.com/-/spec/opensearch/1.1/"
_A = f"{{{ATOM}}}"
_X = f"{{{ARXIV}}}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
_log = logging.getLogger(__name__)


class ArxivApiError(SourceError):
    """arXiv refused the request or answered something that is not a feed."""


def _text(element: etree._Element | None) -> str | None:
    return None if element is None or element.text is None else element.text


def _entry_record(entry: etree._Element) -> PaperRecord:
    arxiv_id = parse_arxiv_id(_text(entry.find(f"{_A}id")) or "")
    published = parse_datetime(_text(entry.find(f"{_A}published")))
    updated = parse_datetime(_text(entry.find(f"{_A}updated")))
    versions = [Version(1, published)]
    if arxiv_id.version is not None and arxiv_id.version > 1:
        versions.append(Version(arxiv_id.version, updated))
    primary = entry.find(f"{_X}primary_category")
    categories = [primary.get("term", "")] if primary is not None else []
    categories += [c.get("term", "") for c in entry.iterfind(f"{_A}category")]
    record = PaperRecord(
        paper_id=arxiv_id.base,
        title=_text(entry.find(f"{_A}title")) or "",
        abstract=_text(entry.find(f"{_A}summary")) or "",
        authors=[_text(a.find(f"{_A}name")) or "" for a in entry.iterfind(f"{_A}author")],
        categories=[c for c in categories if c],
        version=arxiv_id.version,
        versions=versions,
        published=published,
        updated=updated,
        doi=_text(entry.find(f"{_X}doi")),
        comment=_text(entry.find(f"{_X}comment")),
        journal_ref=_text(entry.find(f"{_X}journal_ref")),
        source=SOURCE,
    )
    return finalize(record)


def parse_feed(xml: bytes) -> tuple[list[SourceItem], int]:
    """Records (or per-entry errors) of one Atom page, and the query's ``totalResults``.

    Raises :class:`ArxivApiError` for an error feed (arXiv reports errors as a one-entry feed whose
    id is ``https://arxiv.org/api/errors#...``) or for a body that is not Atom at all.
    """
    try:
        root = etree.fromstring(xml, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise ArxivApiError(f"arXiv answered something that is not XML: {exc}") from exc
    if root.tag != f"{_A}feed":
        raise ArxivApiError(f"arXiv answered XML that is not an Atom feed (root element {root.tag!r})")
    entries = root.findall(f"{_A}entry")
    for entry in entries:
        entry_id = _text(entry.find(f"{_A}id")) or ""
        if "/api/errors" in entry_id:
            message = " ".join((_text(entry.find(f"{_A}summary")) or entry_id).split())
            raise ArxivApiError(f"arXiv rejected the request: {message}")
    total_text = _text(root.find(f"{{{OPENSEARCH}}}totalResults"))
    total = int(total_text) if total_text and total_text.strip().isdigit() else len(entries)
    items: list[SourceItem] = []
    for entry in entries:
        try:
            items.append(_entry_record(entry))
        except RECORD_FAILURES as exc:
            items.append(error_for(f"id {_text(entry.find(f'{_A}id')) or '?'}", exc))
    return items, total


def _date_range(since: date | None, until: date | None) -> str:
    """arXiv's ``submittedDate`` range; an open end is the first or the last day arXiv can hold."""
    start = (since or date(1991, 1, 1)).strftime("%Y%m%d")
    end = (until or date(9999, 12, 31)).strftime("%Y%m%d")
    return f"submittedDate:[{start}0000 TO {end}2359]"


def build_search_query(
    query: str | None, *, category: str | None = None, since: date | None = None, until: date | None = None
) -> str:
    """``cat:cs.LG AND submittedDate:[202602010000 TO 202611222359]``; a free query is ANDed in brackets."""
    parts = []
    if query and query.strip():
        parts.append(query.strip())
    if category:
        parts.append(f"cat:{category}")
    if since is not None or until is not None:
        parts.append(_date_range(since, until))
    if not parts:
        raise ValueError("give a query, a category or a date range to search arXiv")
    if len(parts) > 1 and query and query.strip():
        parts[0] = f"({parts[0]})"
    return " AND ".join(parts)


class ArxivApiClient:
    """Search and look up papers through the arXiv API, politely (see the module docstring)."""

    def __init__(
        self,
        base_url: str = "https://export.arxiv.org/api/query",
        options: PoliteOptions | None = None,
        *,
        page_size: int = 100,
        empty_page_retries: int = 2,
    ) -> None:
        if page_size < 1:
            raise ValueError("page_size must be at least 1")
        self.page_size = page_size
        self.empty_page_retries = empty_page_retries
        self._http = PoliteClient(base_url, options or PoliteOptions())

    def close(self) -> None:
        self._http.close()

    def _page(self, params: dict[str, str]) -> tuple[list[SourceItem], int]:
        response = self._http.get(params)
        if response.status_code != 200:
            if response.status_code == 400:
                parse_feed(response.content)  # raises with arXiv's explanation when it sent one
            raise ArxivApiError(f"arXiv answered HTTP {response.status_code} for {response.request.url}")
        return parse_feed(response.content)

    def search(
        self,
        query: str | None = None,
        *,
        category: str | None = None,
        since: date | None = None,
        until: date | None = None,
        max_results: int | None = None,
        sort_by: str = "submittedDate",
    ) -> Iterator[SourceItem]:
        """Page through a search, newest submissions first, until the results or ``max_results`` end.

        arXiv occasionally answers a page in the middle of a result set with zero entries; such a
        page is asked for again (``empty_page_retries`` times) before the search is taken as done.
        """
        search_query = build_search_query(query, category=category, since=since, until=until)
        start = 0
        empty_retries = 0
        while max_results is None or start < max_results:
            size = self.page_size if max_results is None else min(self.page_size, max_results - start)
            items, total = self._page(
                {
                    "search_query": search_query,
                    "id_list": "",
                    "sortBy": sort_by,
                    "sortOrder": "descending",
                    "start": str(start),
                    "max_results": str(size),
                }
            )
            if not items:
                if start < total and empty_retries < self.empty_page_retries:
                    empty_retries += 1
                    continue
                return
            empty_retries = 0
            if max_results is not None:
                items = items[: max_results - start]  # never more than asked, whatever arXiv sends
            yield from items
            start += len(items)
            if start >= total:
                return

    def fetch(self, ids: list[str]) -> list[PaperRecord]:
        """The current records for ``ids`` (any spelling :func:`parse_arxiv_id` accepts).

        Unknown ids simply give no record. An id arXiv cannot parse raises :class:`ArxivApiError`
        with arXiv's message naming it. Versioned ids return that version's metadata.
        """
        wanted = []
        for raw in ids:
            try:
                wanted.append(str(parse_arxiv_id(raw)))
            except InvalidArxivId:
                wanted.append(raw.strip())  # let arXiv say what is wrong with it
        records: list[PaperRecord] = []
        for offset in range(0, len(wanted), self.page_size):
            chunk = wanted[offset : offset + self.page_size]
            items, _total = self._page(
                {
                    "search_query": "",
                    "id_list": ",".join(chunk),
                    "sortBy": "relevance",
                    "sortOrder": "descending",
                    "start": "0",
                    "max_results": str(self.page_size),
                }
            )
            for item in items:
                if isinstance(item, PaperRecord):
                    records.append(item)
                elif isinstance(item, RecordError):
                    _log.warning("skipping an unreadable arXiv entry (%s): %s", item.where, item.reason)
        return records
