"""Tags, notes and read marks: what a member writes about a paper in their library.

Annotating a paper that is in none of the member's collections saves it to "Saved" first: a note
on a paper you cannot find again in your library would be a trap. Tags are short labels without
commas or semicolons (those separate tags in every export format, so a tag containing one would
come back as two); notes are plain text, kept as written apart from line ends and outer blanks.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput
from paperfeed.library.collections import default_collection, require_member
from paperfeed.papers import stored_paper_id
from paperfeed.store import Annotation, User

MAX_TAG_CHARS = 100
MAX_TAGS_PER_PAPER = 50
MAX_NOTE_CHARS = 20_000


@dataclass(frozen=True, slots=True)
class Unset:
    """Marks "leave as it is" where ``None`` means "clear" (a note)."""


UNSET = Unset()


def clean_tag(text: str) -> str:
    tag = " ".join((text or "").split())
    if not tag:
        raise InvalidInput("a tag cannot be empty")
    if len(tag) > MAX_TAG_CHARS:
        raise InvalidInput(f"tags are at most {MAX_TAG_CHARS} characters: {tag[:40]!r}…")
    if "," in tag or ";" in tag:
        raise InvalidInput(
            f"tags cannot contain commas or semicolons ({tag!r}): they separate tags in exports"
        )
    if any(unicodedata.category(ch) == "Cc" for ch in tag):
        raise InvalidInput("tags cannot contain control characters")
    return tag


def clean_tags(tags: Sequence[str]) -> list[str]:
    cleaned = list(dict.fromkeys(clean_tag(t) for t in tags))
    if len(cleaned) > MAX_TAGS_PER_PAPER:
        raise InvalidInput(f"at most {MAX_TAGS_PER_PAPER} tags per paper")
    return cleaned


def parse_tags(text: str) -> list[str]:
    """Tags typed in one field: separated by commas (or semicolons); blanks ignored."""
    return clean_tags([t for t in text.replace(";", ",").split(",") if t.strip()])


def clean_note(text: str | None) -> str | None:
    """Line ends unified, outer blank lines and spaces removed, runs of blank lines made one; ``None``
    for an empty note. Control characters other than line breaks and tabs are refused."""
    if text is None:
        return None
    lines = [line.rstrip() for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    note = "\n".join(lines).strip()
    while "\n\n\n" in note:
        note = note.replace("\n\n\n", "\n\n")
    if len(note) > MAX_NOTE_CHARS:
        raise InvalidInput(f"notes are at most {MAX_NOTE_CHARS:,} characters ({len(note):,} given)")
    if any(unicodedata.category(ch) == "Cc" and ch not in "\n\t" for ch in note):
        raise InvalidInput("notes cannot contain control characters")
    return note or None


def annotate(
    app: Paperfeed,
    user: User | None,
    paper: str,
    *,
    note: str | Unset | None = UNSET,
    read: bool | None = None,
    tags: Sequence[str] | None = None,
    add_tags: Sequence[str] = (),
    remove_tags: Sequence[str] = (),
) -> Annotation:
    """Change a paper's note (``None`` clears it), read mark, tags (``tags`` replaces them all;
    ``add_tags``/``remove_tags`` edit them). Everything is validated before anything is written."""
    member = require_member(user, "annotate papers")
    paper_id = stored_paper_id(app, paper)
    new_note = UNSET if isinstance(note, Unset) else clean_note(note)
    replace_with = None if tags is None else clean_tags(tags)
    added = clean_tags(add_tags)
    removed = [" ".join(t.split()) for t in remove_tags]
    current = app.store.library.annotations(member.id, [paper_id]).get(paper_id, Annotation())
    final_tags = set(replace_with if replace_with is not None else current.tags) | set(added)
    final_tags -= set(removed)
    if len(final_tags) > MAX_TAGS_PER_PAPER:
        raise InvalidInput(f"at most {MAX_TAGS_PER_PAPER} tags per paper")
    now = app.clock.now()
    if not app.store.library.memberships(member.id, [paper_id]):
        app.store.library.add_entries(default_collection(app, member).id, [paper_id], now=now)
    if not isinstance(new_note, Unset):
        app.store.library.set_note(member.id, paper_id, new_note, now=now)
    if read is not None and read != current.read:
        app.store.library.set_read(member.id, paper_id, now if read else None, now=now)
    app.store.library.remove_tags(member.id, paper_id, sorted(set(current.tags) - final_tags))
    app.store.library.add_tags(member.id, paper_id, sorted(final_tags - set(current.tags)))
    return app.store.library.annotations(member.id, [paper_id]).get(paper_id, Annotation())


def tags_of(app: Paperfeed, user: User | None) -> list[tuple[str, int]]:
    """The member's tags with their paper counts, most used first."""
    return app.store.library.tags_of(require_member(user, "see your tags").id)
