"""Which HTTP methods a path supports, across every route that serves it.

Starlette answers a method a route does not take with the ``Allow`` header of the *first* route
whose path matches, so ``/api/v1/papers/{id}/vote`` (a POST route and a DELETE route) advertised
only POST, and ``OPTIONS`` got a 405. Here the resource is the first path template (in routing
order) that matches, and its methods are those of every route declared with that template; a
catch-all such as ``/papers/{paper_id:path}`` therefore does not add GET to ``…/vote``.
"""

from __future__ import annotations

from collections.abc import Sequence

from fastapi.routing import iter_route_contexts
from starlette.routing import BaseRoute, compile_path


class MethodTable:
    """The path templates of an app's routes, in routing order, with their methods."""

    def __init__(self, routes: Sequence[BaseRoute]) -> None:
        merged: dict[str, set[str]] = {}
        for context in iter_route_contexts(list(routes)):
            if context.path is not None and context.methods:
                merged.setdefault(context.path, set()).update(context.methods)
        self._templates = [(compile_path(path)[0], frozenset(m)) for path, m in merged.items()]

    def allowed(self, path: str) -> list[str]:
        """The methods of the resource at ``path`` plus OPTIONS, or ``[]`` when no route serves it."""
        for pattern, methods in self._templates:
            if pattern.match(path):
                return sorted(methods | {"OPTIONS"})
        return []
