"""The source-independent paper record that every ingest source produces and the store consumes.

Sources parse their own formats into :class:`PaperRecord`; they report records they cannot parse as
:class:`RecordError` (where + reason) instead of raising, so one bad line never stops an import.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from email.utils import parsedate_to_datetime

from paperfeed.ids import title_id

# Characters no paper text needs and that break or spoof what shows it: C0 controls but tab, newline
# and carriage return (a NUL makes a feed invalid XML for every subscriber), DEL, lone surrogates
# and the non-characters U+FFFE/U+FFFF (invalid XML too), and the bidirectional embeddings,
# overrides and isolates (U+202A–U+202E, U+2066–U+2069: "\u202egnp.exe" displays as "exe.png").
UNSAFE_CHARS = "".join(
    [
        *(chr(c) for c in range(0x20) if chr(c) not in "\t\n\r"),
        "\x7f",
        *(chr(c) for c in range(0xD800, 0xE000)),
        "\ufffe\uffff",
    ]
)
BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_DROP_UNSAFE = str.maketrans("", "", UNSAFE_CHARS + BIDI_CONTROLS)
_DROP_BIDI = str.maketrans("", "", BIDI_CONTROLS)

# Caps on one record's text: generous for real papers (arXiv's own abstract limit is 1,920
# characters; author lists of large collaborations run to a few thousand names), small enough that a
# broken or hostile file cannot store megabytes per paper.
MAX_TITLE_CHARS = 1_000
MAX_ABSTRACT_CHARS = 100_000
MAX_COMMENT_CHARS = 10_000
MAX_AUTHORS = 10_000
MAX_AUTHOR_CHARS = 500

# Code hosts whose links are worth surfacing on a paper page.
_CODE_URL = re.compile(
    r"https?://(?:www\.)?(?:github\.com|gitlab\.com|huggingface\.co)/[^\s<>\"'(){}\[\]]+",
    re.IGNORECASE,
)


@dataclass(frozen=True, slots=True)
class Version:
    """One arXiv version of a paper: ``number`` 1, 2, … and when it was submitted (UTC)."""

    number: int
    submitted: datetime | None = None

    def __reduce__(self) -> tuple[type[Version], tuple[int, datetime | None]]:
        return (Version, (self.number, self.submitted))


@dataclass(slots=True)
class PaperRecord:
    """One paper as a source describes it, normalised.

    ``paper_id`` is the arXiv base id, or a ``title:`` id for papers without one. ``versions`` is the
    version history the source knows (possibly just the one version it shows); ``version`` is the
    version whose title and abstract this record carries (``None`` when the source does not say).
    """

    paper_id: str
    title: str
    abstract: str = ""
    authors: list[str] = field(default_factory=list)
    categories: list[str] = field(default_factory=list)
    version: int | None = None
    versions: list[Version] = field(default_factory=list)
    published: datetime | None = None
    updated: datetime | None = None
    doi: str | None = None
    comment: str | None = None
    journal_ref: str | None = None
    code_links: list[str] = field(default_factory=list)
    source: str = ""

    @property
    def primary_category(self) -> str | None:
        return self.categories[0] if self.categories else None

    def __reduce__(self) -> tuple[type[PaperRecord], tuple[object, ...]]:
        """Pickle as positional arguments: the parallel reader ships millions of these between processes,
        and the dataclass default (``fields()`` per object) cost more than parsing them."""
        return (PaperRecord, tuple(getattr(self, name) for name in _RECORD_FIELDS))


_RECORD_FIELDS = tuple(PaperRecord.__dataclass_fields__)


@dataclass(frozen=True, slots=True)
class RecordError:
    """A record that was skipped: ``where`` is a line number, an id or a file position."""

    where: str
    reason: str


class RecordInvalid(ValueError):
    """Raised by the parse helpers below; sources turn it into a :class:`RecordError`."""


def clean_text(text: str | None) -> str:
    """Collapse the hard line wraps and runs of spaces that arXiv metadata is full of.

    Speed matters here (every title, abstract and author of the 2.7M-record bulk import passes
    through it). ``str.split`` splits on the same Unicode whitespace as ``\\s`` and is ~5x faster than
    a regex. Most abstracts are just hard-wrapped, so replacing the newlines and checking that no
    other whitespace is left (every whitespace character except the ASCII space is non-printable)
    avoids the split for them and halves the cost again.
    """
    if not text:
        return ""
    unwrapped = text.strip().replace("\n", " ")
    if "  " not in unwrapped and unwrapped.isprintable():
        return unwrapped
    joined = " ".join(unwrapped.split())
    if joined.isprintable():  # control and bidi characters are not printable: none left to drop
        return joined
    return " ".join(joined.translate(_DROP_UNSAFE).split())


def drop_unsafe_chars(text: str) -> str:
    """``text`` without :data:`UNSAFE_CHARS` and :data:`BIDI_CONTROLS` (whitespace kept)."""
    return text.translate(_DROP_UNSAFE) if not text.isprintable() else text


def strip_bidi_controls(value: object) -> object:
    """A string without bidirectional overrides (any other value unchanged); keeps ``str`` subclasses."""
    if isinstance(value, str) and not value.isprintable():
        cleaned = value.translate(_DROP_BIDI)
        return type(value)(cleaned) if type(value) is not str else cleaned
    return value


def is_web_url(url: str) -> bool:
    """Only ``http://`` and ``https://`` links may reach a page: never ``javascript:``, ``data:``, …"""
    lowered = url.strip().lower()
    return lowered.startswith(("http://", "https://")) and len(lowered) > len("https://")


def extract_code_links(*texts: str | None) -> list[str]:
    """GitHub, GitLab and Hugging Face URLs in the abstract or comments, in order, without duplicates."""
    seen: dict[str, None] = {}
    for text in texts:
        if not text or "://" not in text:  # cheap pre-check: most abstracts have no URL at all
            continue
        for match in _CODE_URL.finditer(text):
            url = match.group(0).rstrip(".,;:")
            seen.setdefault(url, None)
    return list(seen)


def parse_datetime(value: str | None) -> datetime | None:
    """Parse the date spellings arXiv sources use into an aware UTC datetime.

    Accepts ISO 8601 (``2026-02-20T18:18:48Z``), ``2026-02-20 18:18:48 UTC``, bare dates and RFC 2822
    (``Mon, 2 Apr 2007 19:18:42 GMT``). Raises :class:`RecordInvalid` on anything else.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    iso = text.replace(" UTC", "+00:00").replace("Z", "+00:00")
    if len(iso) >= 19 and iso[10] == " ":
        iso = iso[:10] + "T" + iso[11:]
    try:
        parsed = datetime.fromisoformat(iso)
    except ValueError:
        try:
            parsed = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError) as exc:
            raise RecordInvalid(f"unparseable date {value!r}") from exc
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def parse_date_only(value: str | None) -> datetime | None:
    """A ``YYYY-MM-DD`` date as midnight UTC (OAI-PMH and Kaggle's ``update_date``)."""
    if value is None or not value.strip():
        return None
    try:
        return datetime.combine(date.fromisoformat(value.strip()), datetime.min.time(), tzinfo=UTC)
    except ValueError as exc:
        raise RecordInvalid(f"unparseable date {value!r}") from exc


def split_categories(value: str | Iterable[str] | None) -> list[str]:
    """Categories from ``"cs.LG cs.AI"`` or a list, primary first, without duplicates."""
    if value is None:
        return []
    items = value.split() if isinstance(value, str) else [str(v).strip() for v in value]
    return list(dict.fromkeys(item for item in items if item))


def finalize(record: PaperRecord) -> PaperRecord:
    """Validate and normalise a record in place: whitespace, code links, versions, dates.

    Every source calls this last, so the rules (a title is required; the record's own version is
    in its history; ``published`` is the first version's date) live in one place.
    """
    record.title = clean_text(record.title)
    if not record.title:
        raise RecordInvalid("missing title")
    record.abstract = clean_text(record.abstract)
    record.authors = [a for a in (clean_text(a) for a in record.authors) if a]
    categories = split_categories(record.categories)
    if not "".join(categories).isprintable():
        categories = [c for c in map(drop_unsafe_chars, categories) if c]
    record.categories = categories
    record.comment = clean_text(record.comment) or None
    record.journal_ref = clean_text(record.journal_ref) or None
    record.doi = clean_text(record.doi) or None
    _check_sizes(record)
    if not record.paper_id:
        record.paper_id = title_id(record.title)
    versions = {v.number: v for v in record.versions}
    if record.version is not None and record.version not in versions:
        versions[record.version] = Version(record.version, record.updated)
    record.versions = [versions[n] for n in sorted(versions)]
    if record.versions:
        # The record shows the latest version it knows of, unless it carries a date later than that
        # version's (OAI-PMH gives v1's date and the latest version's date, but no version number).
        last_known = record.versions[-1]
        if record.version is None and (
            record.updated is None or last_known.submitted is None or record.updated <= last_known.submitted
        ):
            record.version = last_known.number
        first, last = record.versions[0], record.versions[-1]
        if record.published is None and first.number == 1:
            record.published = first.submitted
        if record.updated is None and last.submitted is not None and last.number == record.version:
            record.updated = last.submitted
    if record.updated is None:
        record.updated = record.published
    if record.published is None and record.version == 1:
        record.published = record.updated
    links = extract_code_links(record.abstract, record.comment)
    if record.code_links or links:
        given = [clean_text(url) for url in record.code_links]
        record.code_links = list(dict.fromkeys(url for url in [*given, *links] if is_web_url(url)))
    return record


def _check_sizes(record: PaperRecord) -> None:
    """Refuse (skip, with the reason) a record whose text is far beyond any real paper's."""
    authors = record.authors
    if (
        len(record.title) <= MAX_TITLE_CHARS
        and len(record.abstract) <= MAX_ABSTRACT_CHARS
        and len(record.comment or "") <= MAX_COMMENT_CHARS
        and len(record.journal_ref or "") <= MAX_COMMENT_CHARS
        and len(authors) <= MAX_AUTHORS
        and max(map(len, authors), default=0) <= MAX_AUTHOR_CHARS
    ):
        return  # the common case, kept cheap (every record of a bulk import passes here)
    for name, value, cap in (
        ("title", record.title, MAX_TITLE_CHARS),
        ("abstract", record.abstract, MAX_ABSTRACT_CHARS),
        ("comment", record.comment or "", MAX_COMMENT_CHARS),
        ("journal reference", record.journal_ref or "", MAX_COMMENT_CHARS),
    ):
        if len(value) > cap:
            raise RecordInvalid(f"the {name} is {len(value):,} characters long; at most {cap:,} are accepted")
    if len(record.authors) > MAX_AUTHORS:
        raise RecordInvalid(f"{len(record.authors):,} authors; at most {MAX_AUTHORS:,} are accepted")
    longest = max(record.authors, key=len, default="")
    if len(longest) > MAX_AUTHOR_CHARS:
        raise RecordInvalid(
            f"an author name is {len(longest):,} characters long; at most {MAX_AUTHOR_CHARS:,} are accepted"
        )


@dataclass(frozen=True, slots=True)
class Checkpoint:
    """A resumable position in a source (an OAI resumptionToken, a harvest's last date).

    Sources yield one after the records it covers; the ingest pipeline commits those records and
    the checkpoint in one transaction, so a killed harvest resumes exactly after what is stored.
    ``value`` ``None`` clears the checkpoint (the harvest is complete).
    """

    key: str
    value: str | None


SourceItem = PaperRecord | RecordError | Checkpoint
"""What every ingest source yields."""
