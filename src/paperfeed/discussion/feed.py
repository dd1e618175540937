"""A paper's comments as an Atom feed (``/papers/{id}/comments.atom``), newest first.

Each entry is one visible comment (neither deleted nor hidden, not in a hidden thread): its author's
handle, when it was written (and last edited), and its text as the same safe HTML the page shows
(``type="html"``: the renderer's own tags only, links only to http(s)). Characters XML cannot carry
are dropped, as in every feed paperfeed writes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from xml.etree import ElementTree as ET

from paperfeed.discussion.comments import newest_first
from paperfeed.discussion.markup import plain_text, render
from paperfeed.formats.feeds import ATOM_NS, xml_safe
from paperfeed.formats.latex import latex_text
from paperfeed.records import PaperRecord
from paperfeed.store import CommentRow

FEED_SIZE = 100


def _utc(moment: datetime) -> str:
    aware = moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
    return aware.isoformat()


def comments_atom(paper: PaperRecord, rows: Sequence[CommentRow], *, base_url: str, built: datetime) -> bytes:
    """The feed of ``paper``'s comments (``rows``: all of them, as the store gives them)."""
    ET.register_namespace("", ATOM_NS)
    page = f"{base_url.rstrip('/')}/papers/{paper.paper_id}"

    def sub(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        element = ET.SubElement(parent, f"{{{ATOM_NS}}}{tag}", {k: xml_safe(v) for k, v in attrs.items()})
        if text is not None:
            element.text = xml_safe(text)
        return element

    shown = newest_first(rows)[:FEED_SIZE]
    root = ET.Element(f"{{{ATOM_NS}}}feed")
    sub(root, "title", f"Comments on {' '.join(latex_text(paper.title).split())}")
    sub(root, "id", f"{page}/comments.atom")
    sub(root, "link", href=f"{page}#discussion")
    sub(root, "link", rel="self", href=f"{page}/comments.atom")
    newest = max((r.edited_at or r.created_at for r in shown), default=built)
    sub(root, "updated", _utc(newest))
    for row in shown:
        entry = sub(root, "entry")
        who = row.author or "a member"
        words = plain_text(row.body)
        sub(entry, "title", f"{who}: {words[:80]}{'…' if len(words) > 80 else ''}")
        sub(entry, "id", f"{page}#comment-{row.id}")
        sub(entry, "link", href=f"{page}#comment-{row.id}")
        sub(entry, "published", _utc(row.created_at))
        sub(entry, "updated", _utc(row.edited_at or row.created_at))
        sub(sub(entry, "author"), "name", who)
        sub(entry, "content", str(render(row.body)), type="html")
    return ET.tostring(root, encoding="utf-8", xml_declaration=True)
