"""Follows: authors, categories and keyword queries a member wants to hear about.

* an **author** is an exact name as papers list it (the author pages' name: ``Yann LeCun``);
* a **category** is one arXiv category (``cs.LG``, ``hep-th``); a whole archive (``cs``) is too
  broad to be useful and is refused with a hint;
* a **query** uses the search syntax (see docs/search.md), exclusions included:
  ``diffusion -"stable diffusion"``, ``author:hinton cat:cs.LG -survey``. It is parsed with the
  search's own parser when added, and refused when it could only ever match everything (nothing
  but exclusions) or nothing (only stop words or symbols).

Each follow has its own switch (``enabled``): a member can silence one without losing it.
"""

from __future__ import annotations

import re
import unicodedata

from paperfeed.context import Paperfeed
from paperfeed.errors import InvalidInput, NotFound
from paperfeed.library.collections import require_member
from paperfeed.search.analysis import name_tokens, stem_tokens
from paperfeed.search.query import Clause, ParsedQuery, parse
from paperfeed.store import Follow, User

KINDS = ("author", "category", "query")
MAX_AUTHOR_CHARS = 200
MAX_QUERY_CHARS = 300
MAX_FOLLOWS = 200
_CATEGORY = re.compile(r"^[a-z]+(?:-[a-z]+)*(?:\.[A-Za-z]+(?:-[A-Za-z]+)*)?$")


def _text(value: str, what: str, limit: int) -> str:
    text = " ".join((value or "").split())
    if not text:
        raise InvalidInput(f"give the {what} to follow")
    if len(text) > limit:
        raise InvalidInput(f"a followed {what} is at most {limit} characters ({len(text)} given)")
    if any(unicodedata.category(ch) == "Cc" for ch in text):
        raise InvalidInput(f"the {what} cannot contain control characters")
    return text


def _clause_matches_something(clause: Clause) -> bool:
    if clause.field == "author":
        return bool(name_tokens(clause.text))
    if clause.field in ("cat", "id"):
        return bool(clause.text.strip())
    return bool(stem_tokens(clause.text))


def check_query(text: str) -> tuple[str, ParsedQuery]:
    """The cleaned query and its parse, or :class:`InvalidInput` saying what to change."""
    value = _text(text, "query", MAX_QUERY_CHARS)
    parsed = parse(value)
    positive = [c for c in parsed.required if _clause_matches_something(c)]
    words = bool(stem_tokens(" ".join(parsed.words)))  # stop words alone would only match names
    if not (positive or words):
        if parsed.excluded:
            raise InvalidInput(
                f'{value!r} only excludes; add what to look for, e.g. "diffusion -\\"stable diffusion\\""'
            )
        raise InvalidInput(f"{value!r} has no word to search for (only stop words or symbols)")
    return value, parsed


def clean_value(kind: str, value: str) -> str:
    """The stored form of a follow of ``kind``, validated."""
    if kind == "author":
        return _text(value, "author", MAX_AUTHOR_CHARS)
    if kind == "category":
        category = _text(value, "category", 40)
        if "." not in category and "-" not in category:
            raise InvalidInput(
                f"follow a category such as {category}.LG or hep-th, not the whole {category!r} archive"
            )
        if not _CATEGORY.match(category):
            raise InvalidInput(f"{category!r} is not an arXiv category (examples: cs.LG, math.AG, hep-th)")
        return category
    if kind == "query":
        return check_query(value)[0]
    raise InvalidInput(f"follow an author, a category or a query, not a {kind!r}")


def describe(kind: str, value: str) -> str:
    """How a follow reads in a "why am I seeing this" line: ``author Yann LeCun``."""
    return f"{kind} {value}"


def add_follow(app: Paperfeed, user: User | None, kind: str, value: str) -> tuple[Follow, bool]:
    """Follow something (again): an existing identical follow is switched on. (follow, created)."""
    member = require_member(user, "follow authors, categories and queries")
    if kind not in KINDS:
        raise InvalidInput(f"follow an author, a category or a query, not a {kind!r}")
    clean = clean_value(kind, value)
    existing = app.store.signals.follows_of(member.id)
    if len(existing) >= MAX_FOLLOWS and not any(f.kind == kind and f.value == clean for f in existing):
        raise InvalidInput(f"at most {MAX_FOLLOWS} follows per member; remove some first")
    return app.store.signals.add_follow(member.id, kind, clean, now=app.clock.now())


def follows_of(app: Paperfeed, user: User | None) -> list[Follow]:
    return app.store.signals.follows_of(require_member(user, "see your follows").id)


def following(app: Paperfeed, user: User | None, kind: str, value: str) -> Follow | None:
    """The member's follow of ``kind`` ``value`` (compared as stored), or ``None``; ``None`` for a
    visitor or a value that could not be followed (pages ask it to show "Following" or "Follow")."""
    if user is None:
        return None
    try:
        clean = clean_value(kind, value)
    except InvalidInput:
        return None
    return next(
        (f for f in app.store.signals.follows_of(user.id) if f.kind == kind and f.value == clean), None
    )


def own_follow(app: Paperfeed, user: User | None, follow_id: int) -> Follow:
    member = require_member(user, "change your follows")
    found = app.store.signals.get_follow(follow_id)
    if found is None or found.user_id != member.id:
        raise NotFound(f"you have no follow {follow_id}")
    return found


def set_follow_enabled(app: Paperfeed, user: User | None, follow_id: int, enabled: bool) -> Follow:
    """Switch one follow on or off (it stays in the list either way)."""
    found = own_follow(app, user, follow_id)
    app.store.signals.set_follow_enabled(found.id, enabled)
    changed = app.store.signals.get_follow(found.id)
    assert changed is not None
    return changed


def remove_follow(app: Paperfeed, user: User | None, follow_id: int) -> Follow:
    found = own_follow(app, user, follow_id)
    app.store.signals.delete_follow(found.id)
    return found
