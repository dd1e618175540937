"""RSS 2.0 and Atom 1.0 documents for any list of papers, built with the standard library's XML tools.

ElementTree escapes every text node, so titles and abstracts full of ``<`` and ``&`` stay valid XML.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import UTC, datetime
from email.utils import format_datetime
from xml.etree import ElementTree as ET

from paperfeed.records import PaperRecord

ATOM_NS = "http://www.w3.org/2005/Atom"


def _when(paper: PaperRecord) -> datetime:
    return paper.updated or paper.published or datetime(1970, 1, 1, tzinfo=UTC)


def rss(
    title: str,
    link: str,
    description: str,
    papers: Sequence[PaperRecord],
    paper_url: str,
    *,
    notes: Mapping[str, str] | None = None,
) -> bytes:
    """RSS 2.0; ``paper_url`` is a format string with ``{id}`` for each item's link; ``notes`` (paper
    id → text) go before an item's abstract (a personal feed's reasons)."""
    root = ET.Element("rss", version="2.0")
    channel = ET.SubElement(root, "channel")
    ET.SubElement(channel, "title").text = title
    ET.SubElement(channel, "link").text = link
    ET.SubElement(channel, "description").text = description
    newest = max((_when(p) for p in papers), default=datetime.now(UTC))
    ET.SubElement(channel, "lastBuildDate").text = format_datetime(newest)
    for paper in papers:
        item = ET.SubElement(channel, "item")
        url = paper_url.format(id=paper.paper_id)
        ET.SubElement(item, "title").text = paper.title
        ET.SubElement(item, "link").text = url
        ET.SubElement(item, "guid", isPermaLink="true").text = url
        note = (notes or {}).get(paper.paper_id)
        ET.SubElement(item, "description").text = f"{note}\n\n{paper.abstract}" if note else paper.abstract
        if paper.authors:
            ET.SubElement(item, "author").text = ", ".join(paper.authors)
        for category in paper.categories:
            ET.SubElement(item, "category").text = category
        if paper.published:
            ET.SubElement(item, "pubDate").text = format_datetime(paper.published)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)


def atom(title: str, link: str, self_link: str, papers: Sequence[PaperRecord], paper_url: str) -> bytes:
    """Atom 1.0 with one entry per paper (id = the paper page URL)."""
    ET.register_namespace("", ATOM_NS)

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", attrs)
        if text is not None:
            element.text = text
        return element

    root = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(root, "title", title)
    sub(root, "id", self_link)
    sub(root, "link", href=link)
    sub(root, "link", rel="self", href=self_link)
    newest = max((_when(p) for p in papers), default=datetime.now(UTC))
    sub(root, "updated", newest.isoformat())
    for paper in papers:
        entry = sub(root, "entry")
        url = paper_url.format(id=paper.paper_id)
        sub(entry, "title", paper.title)
        sub(entry, "id", url)
        sub(entry, "link", href=url)
        sub(entry, "updated", _when(paper).isoformat())
        if paper.published:
            sub(entry, "published", paper.published.isoformat())
        for name in paper.authors or ["Unknown"]:
            sub(sub(entry, "author"), "name", name)
        for category in paper.categories:
            sub(entry, "category", term=category)
        sub(entry, "summary", paper.abstract)
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
