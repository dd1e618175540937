"""The one JSON shape of a paper, shared by ``papers show --json``, the JSON API and exports."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from paperfeed.ids import is_title_id
from paperfeed.records import PaperRecord


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat().replace("+00:00", "Z")


def arxiv_urls(paper: PaperRecord) -> dict[str, str | None]:
    """arXiv abs and PDF links (none for papers known only by title)."""
    if is_title_id(paper.paper_id):
        return {"abs": None, "pdf": None}
    return {
        "abs": f"https://arxiv.org/abs/{paper.paper_id}",
        "pdf": f"https://arxiv.org/pdf/{paper.paper_id}",
    }


def paper_json(paper: PaperRecord) -> dict[str, Any]:
    return {
        "id": paper.paper_id,
        "title": paper.title,
        "abstract": paper.abstract,
        "authors": list(paper.authors),
        "categories": list(paper.categories),
        "primary_category": paper.primary_category,
        "version": paper.version,
        "versions": [{"version": v.number, "submitted": _iso(v.submitted)} for v in paper.versions],
        "published": _iso(paper.published),
        "updated": _iso(paper.updated),
        "doi": paper.doi,
        "comment": paper.comment,
        "journal_ref": paper.journal_ref,
        "code_links": list(paper.code_links),
        "links": arxiv_urls(paper),
        "source": paper.source,
    }
