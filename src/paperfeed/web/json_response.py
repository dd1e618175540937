"""The JSON every API answer is written with: Starlette's, minus bidirectional overrides.

Pages drop U+202A-U+202E and U+2066-U+2069 from every value they print (``env.finalize``); a
collection's name or a follow's value served raw as JSON would reverse the text around it in
whatever shows it. These characters can only occur inside JSON strings (never in the syntax, and
Starlette writes them unescaped), so they are removed from the encoded bytes in one pass.
"""

from __future__ import annotations

import re
from typing import Any

from fastapi.responses import JSONResponse

from paperfeed.records import BIDI_CONTROLS

_BIDI_BYTES = re.compile(b"|".join(re.escape(ch.encode("utf-8")) for ch in BIDI_CONTROLS))


class TextSafeJSONResponse(JSONResponse):
    """:class:`JSONResponse` without bidirectional overrides in any string."""

    def render(self, content: Any) -> bytes:
        body = super().render(content)
        return _BIDI_BYTES.sub(b"", body) if b"\xe2\x80" in body or b"\xe2\x81" in body else body
