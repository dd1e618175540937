"""Query and path parameters with control characters are refused before any route sees them.

No parameter of paperfeed's means anything with a NUL or another control character in it (a tag, a
search, a cursor, a paper id), and PostgreSQL cannot even compare a NUL: ``?tag=%00`` reached the
store and answered 500 there, while SQLite quietly found nothing. Refusing such text once, for every
page and API route, with a 422 that names the parameter, keeps the two backends alike and spares each
use case its own check. Tab, line break and carriage return stay allowed (pasted text carries them).
"""

from __future__ import annotations

from fastapi import Request

from paperfeed.errors import InvalidInput
from paperfeed.records import UNSAFE_CHARS

_UNSAFE = frozenset(UNSAFE_CHARS)


def _control_character(text: str) -> str | None:
    """The first control character of ``text``, written as an escape (``\\x00``), or None."""
    found = next((ch for ch in text if ch in _UNSAFE), None)
    return None if found is None else f"\\x{ord(found):02x}" if ord(found) < 0x100 else f"U+{ord(found):04X}"


def refuse_control_characters(request: Request) -> None:
    """An app-wide dependency: 422 when a query or path parameter holds a control character."""
    for name, value in request.query_params.multi_items():
        found = _control_character(name) or _control_character(value)
        if found:
            raise InvalidInput(
                f"the query parameter {name!r} contains a control character ({found}); "
                "remove it and try again"
            )
    for name, value in request.path_params.items():
        found = _control_character(value) if isinstance(value, str) else None
        if found:
            raise InvalidInput(
                f"the {name.replace('_', ' ')} in the address is not valid: it contains a control "
                f"character ({found})"
            )
