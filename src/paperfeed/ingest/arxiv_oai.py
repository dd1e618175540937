"""arXiv's OAI-PMH interface (``export.arxiv.org/oai2``): bulk, incremental harvesting by set and date.

``ListRecords`` with ``metadataPrefix=arXiv`` returns pages of records and a ``resumptionToken`` for
the next page. :meth:`OaiHarvester.harvest` yields each page's records followed by
``Checkpoint(key, token)``, so the ingest pipeline commits a page together with the token that
continues after it, and a killed harvest resumes from the stored token without gaps or repeats.
The last page has an empty token and yields ``Checkpoint(key, None)`` (harvest complete).

Version semantics — OAI gives no version number. A record carries the **latest** version's title
and abstract, ``created`` (v1's submission date) and ``updated`` (the latest version's date; absent
when there is only v1). So:

- without ``updated``: the paper has one version → ``version = 1``, ``versions = [v1]``;
- with ``updated``: the version is some vN, N ≥ 2, unknown → ``version = None``,
  ``versions = [Version(1, created)]`` and ``updated`` set; the store should treat it as newer than
  a stored version whose date is earlier than ``updated`` (and as the same or older otherwise).

Dates are day precision (midnight UTC). Deleted records (``<header status="deleted">``) are
skipped; ``noRecordsMatch`` is an empty harvest, not an error; other OAI errors raise
:class:`OaiError` with what to do.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date

from lxml import etree

from paperfeed.ids import parse_arxiv_id
from paperfeed.ingest.fields import RECORD_FAILURES, error_for
from paperfeed.ingest.http import PoliteClient, PoliteOptions, SourceError
from paperfeed.records import Checkpoint, PaperRecord, SourceItem, Version, finalize, parse_date_only

SOURCE = "arxiv-oai"
OAI = "{http://www.openarchives.org/OAI/2.0/}"
ARXIV = "{http://arxiv.org/OAI/arXiv/}"
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=True)
_HINTS = {
    "badResumptionToken": "the stored resumption token is no longer valid (they expire); restart the "
    "harvest from its start date",
    "badArgument": "check the set name and the dates (YYYY-MM-DD)",
    "cannotDisseminateFormat": "the server does not offer the arXiv metadata format",
}


class OaiError(SourceError):
    """The OAI-PMH server answered with an error (other than "no records match")."""


def _text(parent: etree._Element, tag: str) -> str | None:
    element = parent.find(tag)
    return None if element is None else element.text


def oai_record(metadata: etree._Element) -> PaperRecord:
    """One ``<arXiv>`` metadata element → a finalized record (see the module docstring for versions)."""
    arxiv_id = parse_arxiv_id(_text(metadata, f"{ARXIV}id") or "")
    created = parse_date_only(_text(metadata, f"{ARXIV}created"))
    updated = parse_date_only(_text(metadata, f"{ARXIV}updated"))
    authors = []
    for author in metadata.iterfind(f"{ARXIV}authors/{ARXIV}author"):
        parts = (
            _text(author, f"{ARXIV}forenames"),
            _text(author, f"{ARXIV}keyname"),
            _text(author, f"{ARXIV}suffix"),
        )
        authors.append(" ".join(p.strip() for p in parts if p and p.strip()))
    record = PaperRecord(
        paper_id=arxiv_id.base,
        title=_text(metadata, f"{ARXIV}title") or "",
        abstract=_text(metadata, f"{ARXIV}abstract") or "",
        authors=authors,
        categories=(_text(metadata, f"{ARXIV}categories") or "").split(),
        version=arxiv_id.version,
        versions=[Version(1, created)] if created is not None else [],
        published=created,
        updated=updated,
        doi=_text(metadata, f"{ARXIV}doi"),
        comment=_text(metadata, f"{ARXIV}comments"),
        journal_ref=_text(metadata, f"{ARXIV}journal-ref"),
        source=SOURCE,
    )
    return finalize(record)


def parse_page(xml: bytes) -> tuple[list[SourceItem], str | None]:
    """The records of one ``ListRecords`` response and its resumption token (``None`` = last page).

    Raises :class:`OaiError` for OAI errors other than ``noRecordsMatch``.
    """
    try:
        root = etree.fromstring(xml, parser=_PARSER)
    except etree.XMLSyntaxError as exc:
        raise OaiError(f"the OAI-PMH server answered something that is not XML: {exc}") from exc
    error = root.find(f"{OAI}error")
    if error is not None:
        code = error.get("code", "unknown")
        if code == "noRecordsMatch":
            return [], None
        message = " ".join((error.text or "").split())
        hint = _HINTS.get(code)
        raise OaiError(f"OAI-PMH error {code}: {message}" + (f" — {hint}" if hint else ""))
    items: list[SourceItem] = []
    list_records = root.find(f"{OAI}ListRecords")
    if list_records is None:  # a GetRecord answer has the same record layout and no token
        list_records = root.find(f"{OAI}GetRecord")
    if list_records is None:
        raise OaiError("the OAI-PMH answer has neither records nor an error (not a ListRecords response)")
    for record in list_records.iterfind(f"{OAI}record"):
        header = record.find(f"{OAI}header")
        if header is not None and header.get("status") == "deleted":
            continue
        metadata = record.find(f"{OAI}metadata/{ARXIV}arXiv")
        identifier = (_text(header, f"{OAI}identifier") if header is not None else None) or "?"
        if metadata is None:
            items.append(error_for(f"id {identifier}", ValueError("no arXiv metadata in the record")))
            continue
        try:
            items.append(oai_record(metadata))
        except RECORD_FAILURES as exc:
            items.append(error_for(f"id {_text(metadata, f'{ARXIV}id') or identifier}", exc))
    token_element = list_records.find(f"{OAI}resumptionToken")
    token = (token_element.text or "").strip() if token_element is not None else ""
    return items, token or None


class OaiHarvester:
    """Harvest ``ListRecords`` politely (one request per ``min_interval``, 503 Retry-After honoured)."""

    def __init__(
        self,
        base_url: str = "https://export.arxiv.org/oai2",
        options: PoliteOptions | None = None,
    ) -> None:
        self._http = PoliteClient(base_url, options or PoliteOptions(timeout=60.0))

    def close(self) -> None:
        self._http.close()

    def harvest(
        self,
        set_spec: str | None,
        from_date: date | None,
        until_date: date | None,
        *,
        resumption_token: str | None = None,
        checkpoint_key: str | None = None,
    ) -> Iterator[SourceItem]:
        """Yield records page by page, each page followed by its :class:`Checkpoint`.

        With ``resumption_token`` the harvest continues from there (the set and dates are then
        encoded in the token, as OAI-PMH requires). ``checkpoint_key`` defaults to ``oai:<set>``.
        """
        key = checkpoint_key or f"oai:{set_spec or '*'}"
        token = resumption_token
        while True:
            if token:
                params = {"verb": "ListRecords", "resumptionToken": token}
            else:
                params = {"verb": "ListRecords", "metadataPrefix": "arXiv"}
                if set_spec:
                    params["set"] = set_spec
                if from_date:
                    params["from"] = from_date.isoformat()
                if until_date:
                    params["until"] = until_date.isoformat()
            response = self._http.get(params)
            if response.status_code != 200:
                raise OaiError(
                    f"the OAI-PMH server answered HTTP {response.status_code} for {response.request.url}"
                )
            items, token = parse_page(response.content)
            yield from items
            yield Checkpoint(key, token)
            if token is None:
                return
