"""Importing a library from a reference manager (Zotero, JabRef, Mendeley…): BibTeX, CSL JSON, RIS.

Every entry of the file is matched to a stored paper, in this order:

1. by arXiv id (``eprint``, an arxiv.org URL, arXiv's DOI ``10.48550/arXiv.…``, ``arXiv:…`` notes);
   ids the store does not have are fetched from arXiv's API (one batched request per 100 ids, at
   arXiv's polite rate) into the store, then matched;
2. by DOI;
3. by normalised title (:func:`paperfeed.ids.normalize_title`): exactly one stored paper with that
   title, or one with that title and the entry's year. Titles of one or two words match only with
   the year, because "Introduction" is not a paper.

Matched papers go into one collection (``collection``, created if new; default: the file's name),
with the entry's tags, note and read mark merged into the member's annotations (tags are added,
a note is appended unless the member's note already contains it), so importing the same file
again changes nothing. Entries that match nothing are reported with the reason, never silently
dropped, and so are entries the file's format could not express (a missing title).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import PurePath
from typing import Any

from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput, PaperfeedError
from paperfeed.ids import normalize_title
from paperfeed.ingest.fetch import Fetcher
from paperfeed.library.annotations import MAX_TAGS_PER_PAPER, clean_note, clean_tag
from paperfeed.library.bibtex import read_bibtex
from paperfeed.library.collections import clean_name, require_member, slugify
from paperfeed.library.csl_json import CslJsonError, read_csl_json
from paperfeed.library.references import ReadProblem, Reference
from paperfeed.library.ris import read_ris
from paperfeed.records import PaperRecord
from paperfeed.store import Collection, User

log = logging.getLogger(__name__)

FORMATS = ("bibtex", "csl-json", "ris")
READERS: dict[str, Callable[[str], tuple[list[Reference], list[ReadProblem]]]] = {
    "bibtex": lambda text: read_bibtex(text, abstracts=False),  # matching never reads abstracts
    "csl-json": read_csl_json,
    "ris": read_ris,
}
EXTENSIONS = {".bib": "bibtex", ".bibtex": "bibtex", ".json": "csl-json", ".ris": "ris", ".txt": None}
DEFAULT_COLLECTION_NAME = "Imported"
MIN_TITLE_WORDS = 3

ArxivFetcher = Callable[[Paperfeed, list[str]], None]
"""Imports arXiv papers by id into the store (unknown ids simply stay missing)."""


def fetch_arxiv_ids(app: Paperfeed, arxiv_ids: list[str], transport: object | None = None) -> None:
    """The default fetcher: arXiv's API by id list (the ingest job; store only, never an index)."""
    from paperfeed.ingest.jobs import ingest_arxiv

    ingest_arxiv(app, ids=arxiv_ids, transport=transport)  # type: ignore[arg-type,unused-ignore]


def one_by_one(fetch: Fetcher) -> ArxivFetcher:
    """An :data:`ArxivFetcher` from a one-id fetcher (the web app's submission fetcher)."""

    def fetch_all(app: Paperfeed, arxiv_ids: list[str]) -> None:
        for arxiv_id in arxiv_ids:
            fetch(app, arxiv_id)

    return fetch_all


@dataclass(slots=True)
class Matched:
    where: str
    title: str
    paper_id: str
    how: str  # "arxiv", "doi" or "title"
    fetched: bool = False
    added: bool = False  # new to the collection (False: it was already there)


@dataclass(slots=True)
class Unmatched:
    where: str
    title: str
    reason: str
    arxiv_id: str | None = None
    doi: str | None = None


@dataclass(slots=True)
class ImportReport:
    format: str
    collection: Collection | None
    entries: int = 0
    matched: list[Matched] = field(default_factory=list)
    unmatched: list[Unmatched] = field(default_factory=list)
    problems: list[ReadProblem] = field(default_factory=list)
    duplicates: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    @property
    def added(self) -> int:
        return sum(1 for m in self.matched if m.added)

    @property
    def fetched(self) -> int:
        return sum(1 for m in self.matched if m.fetched)

    def to_dict(self) -> dict[str, Any]:
        collection = self.collection
        return {
            "format": self.format,
            "collection": None
            if collection is None
            else {"id": collection.id, "name": collection.name, "ref": collection.ref},
            "entries": self.entries,
            "matched": len(self.matched),
            "added": self.added,
            "fetched": self.fetched,
            "unmatched": [asdict(u) for u in self.unmatched],
            "problems": [asdict(p) for p in self.problems],
            "duplicates": self.duplicates,
            "notices": self.notices,
            "papers": [asdict(m) for m in self.matched],
        }


def decode(data: bytes) -> tuple[str, str | None]:
    """The file's text: UTF-8 (with or without a byte-order mark), else Windows-1252 with a notice."""
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace"), "the file is not UTF-8; it was read as Windows-1252"


def detect_format(text: str, filename: str | None = None) -> str:
    """The format from the file name's extension, else from the first characters of the text."""
    if filename:
        known = EXTENSIONS.get(PurePath(filename).suffix.lower())
        if known:
            return known
    head = text.lstrip("\ufeff \t\r\n")
    if head.startswith(("[", "{")):
        return "csl-json"
    if head[:2].isupper() and head[2:6].lstrip(" ").startswith("-") and "TY  -" in text[:2000]:
        return "ris"
    if "@" in head[:2000]:
        return "bibtex"
    raise InvalidInput(
        "cannot tell the file's format: choose bibtex (.bib), csl-json (.json) or ris (.ris) explicitly"
    )


def parse_references(text: str, fmt: str) -> tuple[list[Reference], list[ReadProblem]]:
    if fmt not in READERS:
        raise InvalidInput(f"unknown format {fmt!r}; one of {', '.join(FORMATS)}")
    try:
        return READERS[fmt](text)
    except CslJsonError as exc:
        raise InvalidInput(f"not a CSL JSON file: {exc}") from None


def title_keys(title: str) -> list[str]:
    """The normalised title, and its spelling with TeX dashes: arXiv titles say ``27--May``, which a
    BibTeX reader turns into ``27–May``, and the two normalise differently ("27 may" / "27may")."""
    dashed = title.replace("\u2013", "--").replace("\u2014", "---")
    return list(dict.fromkeys(k for k in (normalize_title(title), normalize_title(dashed)) if k))


def _title_match(
    ref: Reference, candidates: list[str], loaded: dict[str, PaperRecord]
) -> tuple[str | None, str]:
    """(paper id, "") for an unambiguous title match, else (None, why not)."""

    def year_of(paper_id: str) -> int | None:
        paper = loaded.get(paper_id)
        return paper.published.year if paper is not None and paper.published is not None else None

    same_year = [pid for pid in candidates if ref.year is not None and year_of(pid) == ref.year]
    if len(same_year) == 1:
        return same_year[0], ""
    if len(normalize_title(ref.title).split()) < MIN_TITLE_WORDS:
        return None, "the title is too short to match without the same year"
    if len(candidates) == 1:
        return candidates[0], ""
    shown = ", ".join(candidates[:5])
    return None, f"{len(candidates)} stored papers have this title ({shown}); add the arXiv id to the entry"


class _Matcher:
    """Matching references to stored papers, step by step (see the module docstring)."""

    def __init__(self, app: Paperfeed, refs: Sequence[Reference]) -> None:
        self.papers = app.store.papers
        self.refs = refs

    def by_arxiv(self) -> dict[int, str]:
        wanted = {i: ref.arxiv_id for i, ref in enumerate(self.refs) if ref.arxiv_id is not None}
        resolved = self.papers.resolve_ids(list(wanted.values()))
        return {i: resolved[arxiv_id] for i, arxiv_id in wanted.items() if arxiv_id in resolved}

    def by_doi(self, pending: list[int]) -> dict[int, str]:
        wanted = {i: doi for i in pending if (doi := self.refs[i].doi)}
        found = self.papers.ids_by_doi(list(wanted.values()))  # keyed by the lowercased DOI
        return {i: found[doi.lower()][0] for i, doi in wanted.items() if doi.lower() in found}

    def by_title(self, pending: list[int]) -> tuple[dict[int, str], dict[int, str]]:
        keys = {i: title_keys(self.refs[i].title) for i in pending}
        found = self.papers.ids_by_title_key([k for ks in keys.values() for k in ks])
        loaded = self.papers.get_many(sorted({pid for ids in found.values() for pid in ids}))
        matched: dict[int, str] = {}
        why: dict[int, str] = {}
        for i, candidates in keys.items():
            key = next((k for k in candidates if k in found), None)
            if key is not None:
                paper_id, reason = _title_match(self.refs[i], found[key], loaded)
                if paper_id is not None:
                    matched[i] = paper_id
                else:
                    why[i] = reason
        return matched, why


def _fetch(
    app: Paperfeed, ids: list[str], fetch: ArxivFetcher | None, fetch_limit: int | None, report: ImportReport
) -> tuple[set[str], dict[str, str]]:
    """Fetch missing arXiv ids; (ids asked for, reason per id that could not be asked)."""
    why: dict[str, str] = {}
    if fetch is None:
        return set(), {i: "not in the store (fetching from arXiv was off)" for i in ids}
    asked = ids if fetch_limit is None else ids[:fetch_limit]
    for arxiv_id in ids[len(asked) :]:
        why[arxiv_id] = (
            f"not fetched: at most {fetch_limit} papers are fetched per import; import again for more"
        )
    if asked:
        try:
            fetch(app, asked)
        except PaperfeedError as exc:
            log.warning("library import: fetching %d arXiv ids failed: %s", len(asked), exc)
            report.notices.append(f"arXiv could not be reached to fetch {len(asked)} papers: {exc}")
            why.update(
                {i: "not in the store, and arXiv could not be reached; import again later" for i in asked}
            )
            return set(), why
    return set(asked), why


def _target_collection(app: Paperfeed, user: User, name: str | None, filename: str | None) -> Collection:
    wanted = (
        name if name and name.strip() else (PurePath(filename).stem if filename else DEFAULT_COLLECTION_NAME)
    )
    clean = clean_name(wanted or DEFAULT_COLLECTION_NAME)
    return app.store.library.ensure_collection(user.id, name=clean, slug=slugify(clean), now=app.clock.now())


def _merge_annotations(
    app: Paperfeed, user: User, paper_id: str, refs: list[Reference], report: ImportReport
) -> None:
    """Add the entries' tags, note and read mark to the member's annotations (idempotent)."""
    store = app.store.library
    current = store.annotations(user.id, [paper_id]).get(paper_id)
    have = set(current.tags) if current else set()
    tags: list[str] = []
    for ref in refs:
        for raw in ref.tags:
            try:
                tags.append(clean_tag(raw))
            except InvalidInput as exc:
                report.notices.append(f"{ref.where}: tag skipped: {exc}")
    room = max(0, MAX_TAGS_PER_PAPER - len(have))
    store.add_tags(user.id, paper_id, [t for t in dict.fromkeys(tags) if t not in have][:room])
    before = current.note if current else None
    note = before
    for ref in refs:
        try:
            incoming = clean_note(ref.note)
            if incoming and (note is None or incoming not in note):
                note = clean_note(incoming if note is None else f"{note}\n\n{incoming}")
        except InvalidInput as exc:
            report.notices.append(f"{ref.where}: note skipped: {exc}")
    now = app.clock.now()
    if note != before:
        store.set_note(user.id, paper_id, note, now=now)
    if any(ref.read for ref in refs) and not (current and current.read):
        store.set_read(user.id, paper_id, now, now=now)


def import_library(
    app: Paperfeed,
    user: User | None,
    data: bytes | str,
    *,
    filename: str | None = None,
    fmt: str | None = None,
    collection: str | None = None,
    fetch: ArxivFetcher | None = fetch_arxiv_ids,
    fetch_limit: int | None = None,
    max_bytes: int | None = None,
) -> ImportReport:
    """Import a reference file into the member's library (see the module docstring); the report
    says, entry by entry, what was matched how, added, fetched, or not found and why."""
    member = require_member(user, "import a library")
    if max_bytes is not None and len(data) > max_bytes:
        raise InvalidInput(f"the file is larger than {max_bytes // (1024 * 1024)} MB; import it with the CLI")
    text, notice = decode(data) if isinstance(data, bytes) else (data, None)
    chosen = fmt or detect_format(text, filename)
    refs, problems = parse_references(text, chosen)
    report = ImportReport(
        format=chosen, collection=None, entries=len(refs) + len(problems), problems=problems
    )
    if notice:
        report.notices.append(notice)
    if not refs:
        if not problems:
            raise InvalidInput(f"no entries found in the file (read as {chosen})")
        return report

    matcher = _Matcher(app, refs)
    found: dict[int, tuple[str, str]] = {i: (pid, "arxiv") for i, pid in matcher.by_arxiv().items()}
    missing = list(
        dict.fromkeys(r.arxiv_id for i, r in enumerate(refs) if r.arxiv_id is not None and i not in found)
    )
    asked, not_fetched = _fetch(app, missing, fetch, fetch_limit, report)
    if asked:
        found |= {i: (pid, "arxiv") for i, pid in matcher.by_arxiv().items() if i not in found}
    pending = [i for i in range(len(refs)) if i not in found]
    found |= {i: (pid, "doi") for i, pid in matcher.by_doi(pending).items()}
    pending = [i for i in pending if i not in found]
    by_title, title_why = matcher.by_title(pending)
    found |= {i: (pid, "title") for i, pid in by_title.items()}

    for i, ref in enumerate(refs):
        if i in found:
            continue
        if ref.arxiv_id:
            reason = not_fetched.get(ref.arxiv_id) or f"arXiv has no paper {ref.arxiv_id}"
        elif i in title_why:
            reason = title_why[i]
        else:
            reason = "not in the store, and the entry has no arXiv id to fetch it by"
        report.unmatched.append(Unmatched(ref.where, ref.title, reason, ref.arxiv_id, ref.doi))

    if not found:
        return report
    target = _target_collection(app, member, collection, filename)
    report.collection = target
    by_paper: dict[str, list[int]] = {}
    for i in sorted(found):
        by_paper.setdefault(found[i][0], []).append(i)
    added = set(app.store.library.add_entries(target.id, list(by_paper), now=app.clock.now()))
    for paper_id, indexes in by_paper.items():
        first = refs[indexes[0]]
        report.matched.append(
            Matched(
                first.where,
                first.title,
                paper_id,
                found[indexes[0]][1],
                fetched=found[indexes[0]][1] == "arxiv" and first.arxiv_id in asked,
                added=paper_id in added,
            )
        )
        report.duplicates += [f"{refs[j].where}: the same paper as {first.where}" for j in indexes[1:]]
        _merge_annotations(app, member, paper_id, [refs[j] for j in indexes], report)
    updated = app.store.library.get_collection(target.id)
    report.collection = updated or target
    return report
