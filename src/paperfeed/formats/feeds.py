"""RSS 2.0 and Atom 1.0 documents for any list of papers, built with the standard library's XML tools.

ElementTree escapes ``<`` and ``&`` but writes any character it is given, and one NUL in one
abstract makes the whole document invalid XML: every reader of that feed then sees nothing. So
every string goes through :func:`xml_safe` first, whatever the store holds (ingest strips such
characters too, but a feed must not depend on it). It also drops bidirectional overrides (U+202E …),
as pages do: a collection's name must not reverse the text around it in a feed reader.

Each item carries the date the paper *entered this list* (featured on the day's page, its first
upvote in the trending window; for category and search feeds its first version), so a feed reader
shows new entries as new. The RSS ``lastBuildDate`` is the moment the document was built; authors
are ``dc:creator`` elements (RSS's own ``author`` must be an email address).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from paperfeed.formats.latex import latex_text
from paperfeed.records import BIDI_CONTROLS, PaperRecord

ATOM_NS = "http://www.w3.org/2005/Atom"
DC_NS = "http://purl.org/dc/elements/1.1/"
# Characters XML 1.0 forbids (C0 controls but tab/newline/CR, surrogates, U+FFFE/U+FFFF).
_NOT_XML = re.compile(f"[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]|[{BIDI_CONTROLS}]")

FeedEntry = tuple[PaperRecord, datetime | None]
"""A paper and when it entered the list (``None``: the paper's own date)."""


def xml_safe(text: str | None) -> str:
    """``text`` with the characters XML cannot carry, and bidirectional overrides, removed."""
    if not text:
        return ""
    return _NOT_XML.sub("", text)


def _utc(value: datetime) -> datetime:
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _paper_date(paper: PaperRecord) -> datetime:
    return _utc(paper.updated or paper.published or datetime(1970, 1, 1, tzinfo=UTC))


def _entry_date(entry: FeedEntry) -> datetime:
    paper, entered = entry
    return _utc(entered) if entered is not None else _utc(paper.published or _paper_date(paper))


def _title(paper: PaperRecord) -> str:
    return xml_safe(latex_text(paper.title))


def rss(
    title: str,
    link: str,
    description: str,
    entries: Sequence[FeedEntry],
    paper_url: str,
    *,
    built: datetime,
    notes: Mapping[str, str] | None = None,
) -> bytes:
    """RSS 2.0; ``paper_url`` is a format string with ``{id}`` for each item's link; ``notes`` (paper
    id → text) go before an item's abstract (a personal feed's reasons)."""
    ET.register_namespace("dc", DC_NS)
    root = ET.Element("rss", version="2.0")
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = xml_safe(title)
    ET.SubElement(channel, "link").text = xml_safe(link)
    ET.SubElement(channel, "description").text = xml_safe(description)
    ET.SubElement(channel, "lastBuildDate").text = format_datetime(_utc(built))
    for entry in entries:
        paper = entry[0]
        item = ET.SubElement(channel, "item")
        url = xml_safe(paper_url.format(id=paper.paper_id))
        ET.SubElement(item, "title").text = _title(paper)
        ET.SubElement(item, "link").text = url
        ET.SubElement(item, "guid", isPermaLink="true").text = url
        abstract = xml_safe(latex_text(paper.abstract))
        note = xml_safe((notes or {}).get(paper.paper_id))
        ET.SubElement(item, "description").text = f"{note}\n\n{abstract}" if note else abstract
        for name in paper.authors:
            ET.SubElement(item, f"{{{DC_NS}}}creator").text = xml_safe(name)
        for category in paper.categories:
            ET.SubElement(item, "category").text = xml_safe(category)
        ET.SubElement(item, "pubDate").text = format_datetime(_entry_date(entry))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def atom(
    title: str,
    link: str,
    self_link: str,
    entries: Sequence[FeedEntry],
    paper_url: str,
    *,
    built: datetime,
) -> bytes:
    """Atom 1.0 with one entry per paper (id = the paper page URL)."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: xml_safe(v) for k, v in attrs.items()})
        if text is not None:
            element.text = xml_safe(text)
        return element

    root = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(root, "title", title)
    sub(root, "id", self_link)
    sub(root, "link", href=link)
    sub(root, "link", rel="self", href=self_link)
    newest = max((_entry_date(e) for e in entries), default=_utc(built))
    sub(root, "updated", newest.isoformat())
    for entry in entries:
        paper = entry[0]
        element = sub(root, "entry")
        url = paper_url.format(id=paper.paper_id)
        sub(element, "title", _title(paper))
        sub(element, "id", url)
        sub(element, "link", href=url)
        sub(element, "updated", _entry_date(entry).isoformat())
        if paper.published:
            sub(element, "published", _utc(paper.published).isoformat())
        for name in paper.authors or ["Unknown"]:
            sub(sub(element, "author"), "name", name)
        for category in paper.categories:
            sub(element, "category", term=category)
        sub(element, "summary", latex_text(paper.abstract))
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
