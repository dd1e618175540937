"""A subscription's choices: validation of loose input, and a one-line description for people.

Pure functions (no store, no mail): the header form, the API, the settings page and the CLI all
pass their input through :func:`make_choices`, so a rule (at most 30 follows, what a category looks
like, a query must look for something) exists once.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import replace

from paperfeed.digest.due import FREQUENCIES
from paperfeed.errors import InvalidInput
from paperfeed.search.analysis import stem_tokens
from paperfeed.search.query import parse
from paperfeed.store import DigestChoices

MAX_FOLLOWS = 30
MAX_QUERY_CHARS = 300
MAX_AUTHOR_CHARS = 200
MAX_PAPERS_LIMIT = 100
_CATEGORY = re.compile(r"^[A-Za-z][A-Za-z\-]*(\.[A-Za-z\-]+)?$")


def _clean(values: Iterable[str] | None) -> list[str]:
    return list(dict.fromkeys(" ".join(str(v).split()) for v in values or () if str(v).strip()))


def _categories(values: Iterable[str] | None, field: str) -> tuple[str, ...]:
    found = _clean(values)
    for value in found:
        if len(value) > 32 or not _CATEGORY.match(value):
            raise InvalidInput(f"{field}: {value!r} is not an arXiv category (like cs.LG or math)")
    if len(found) > MAX_FOLLOWS:
        raise InvalidInput(f"{field}: at most {MAX_FOLLOWS}, not {len(found)}")
    return tuple(found)


def _check_query(query: str) -> None:
    if len(query) > MAX_QUERY_CHARS:
        raise InvalidInput(f"queries: {query[:40]!r}… is longer than {MAX_QUERY_CHARS} characters")
    parsed = parse(query)
    positive = [w for w in parsed.words if stem_tokens(w)] + [
        c for c in parsed.required if c.field in ("author", "cat", "id") or stem_tokens(c.text)
    ]
    if not positive:
        raise InvalidInput(
            f"queries: {query!r} has nothing to look for (only exclusions or common words); "
            'add a word or a phrase, e.g. "world model" -survey'
        )


def make_choices(
    *,
    frequency: str | None = None,
    trending: bool | Sequence[str] | None = None,
    categories: Iterable[str] | None = None,
    authors: Iterable[str] | None = None,
    queries: Iterable[str] | None = None,
    max_papers: int | None = None,
    default_max_papers: int = 20,
    recommended: bool = False,
) -> DigestChoices:
    """Validated choices from loose input; :class:`InvalidInput` names the field and the value.

    ``trending``: ``True`` (site-wide, the default), ``False`` (none), or a list of categories
    (trending in each of them). ``recommended``: a "Recommended for you" section (the member's
    "For you" ranking; an address without an account gets none). Whitespace is tidied and
    duplicates dropped.
    """
    chosen_frequency = (frequency or "daily").strip().lower()
    if chosen_frequency not in FREQUENCIES:
        raise InvalidInput(f"frequency: {frequency!r} is not daily or weekly")
    trending_categories: tuple[str, ...] = ()
    if trending is None or isinstance(trending, bool):
        wants_trending = trending is not False
    else:
        trending_categories = _categories(trending, "trending")
        wants_trending = True
    author_list = _clean(authors)
    for name in author_list:
        if len(name) > MAX_AUTHOR_CHARS or not any(ch.isalpha() for ch in name):
            raise InvalidInput(f"authors: {name[:60]!r} is not an author's name")
    query_list = _clean(queries)
    for query in query_list:
        _check_query(query)
    for field, items in (("authors", author_list), ("queries", query_list)):
        if len(items) > MAX_FOLLOWS:
            raise InvalidInput(f"{field}: at most {MAX_FOLLOWS}, not {len(items)}")
    size = default_max_papers if max_papers is None else max_papers
    if not 1 <= size <= MAX_PAPERS_LIMIT:
        raise InvalidInput(f"max_papers: {size} is not between 1 and {MAX_PAPERS_LIMIT}")
    return DigestChoices(
        frequency=chosen_frequency,
        trending=wants_trending,
        trending_categories=trending_categories,
        categories=_categories(categories, "categories"),
        authors=tuple(author_list),
        queries=tuple(query_list),
        max_papers=size,
        recommended=bool(recommended),
    )


def describe(choices: DigestChoices) -> str:
    """The choices in one line for people: "daily: trending; new in cs.CL; by Jane Doe; 'diffusion'"."""
    parts = []
    if choices.trending:
        parts.append(
            "trending in " + ", ".join(choices.trending_categories)
            if choices.trending_categories
            else "trending papers"
        )
    if choices.recommended:
        parts.append("recommended for you")
    parts.extend(f"new in {c}" for c in choices.categories)
    parts.extend(f"by {a}" for a in choices.authors)
    parts.extend(f"'{q}'" for q in choices.queries)
    what = "; ".join(parts) if parts else "nothing yet (add categories, authors or queries)"
    return f"{choices.frequency}, up to {choices.max_papers} papers: {what}"


def same_choices(a: DigestChoices, b: DigestChoices) -> bool:
    """The same follows and frequency (the size limit may differ): one subscription, not two."""
    return replace(a, max_papers=0) == replace(b, max_papers=0)
