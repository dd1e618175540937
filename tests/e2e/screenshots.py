"""Screenshots of the pages the browser tests visit, for a person to look at.

They are taken only when ``SCREENSHOT_DIR`` names a folder (``SCREENSHOT_DIR=shots pytest tests/e2e``):
a full-page screenshot of a long page is about a third of a second of Chromium's work, and nobody
sees the pictures a plain run would leave in its temporary folders (measured: 19 of them, 6.3 s of
the browser tests). No test reads a screenshot; what the pages must show, the tests assert.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any


def keep(page: Any, name: str, *, full_page: bool = True) -> Path | None:
    """Save ``page`` as ``$SCREENSHOT_DIR/<name>`` when ``SCREENSHOT_DIR`` is set; returns the file."""
    target = os.environ.get("SCREENSHOT_DIR")
    if not target:
        return None
    folder = Path(target)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=folder / name, full_page=full_page)
    return folder / name
