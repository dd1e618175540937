"""Static files with versioned URLs: cached for a year when the URL names the content, revalidated
otherwise.

Templates link ``{{ static_url("app.css") }}``, which is ``/static/app.css?v=<hash of the file>``. A
request whose ``v`` is the file's current hash gets ``Cache-Control: public, max-age=31536000,
immutable``: a browser never asks again, and a new release changes the URL. Anything else under
``/static`` (KaTeX's fonts, which its CSS names without a version; an old or missing ``v``) gets
``no-cache``, i.e. it is revalidated with the ``ETag`` Starlette sends, and answered 304 when unchanged.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import parse_qs

from starlette.responses import Response
from starlette.staticfiles import StaticFiles
from starlette.types import Scope

IMMUTABLE = "public, max-age=31536000, immutable"
REVALIDATE = "no-cache"


class StaticVersions:
    """The content hash of each static file, read once (the files do not change while serving)."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory.resolve()
        self._hashes: dict[str, str] = {}

    def version(self, path: str) -> str:
        if path not in self._hashes:
            file = (self.directory / path).resolve()
            if not file.is_relative_to(self.directory) or not file.is_file():
                raise FileNotFoundError(f"no static file {path!r} in {self.directory}")
            self._hashes[path] = hashlib.sha256(file.read_bytes()).hexdigest()[:12]
        return self._hashes[path]

    def url(self, path: str) -> str:
        """``/static/<path>?v=<hash>``, for templates."""
        return f"/static/{path}?v={self.version(path)}"


class VersionedStaticFiles(StaticFiles):
    """:class:`StaticFiles` that says how long each answer may be cached (see the module docstring)."""

    def __init__(self, *, directory: Path, versions: StaticVersions) -> None:
        super().__init__(directory=str(directory))
        self.versions = versions

    async def get_response(self, path: str, scope: Scope) -> Response:
        response = await super().get_response(path, scope)
        if response.status_code in (200, 304):
            asked = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("v", [""])[0]
            try:
                current = self.versions.version(path)
            except (FileNotFoundError, OSError, ValueError):
                current = None
            response.headers["Cache-Control"] = IMMUTABLE if asked and asked == current else REVALIDATE
        return response
