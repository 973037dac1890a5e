"""The router every domain builds on: /api/v1 prefix, its tag, the per-request unit of work, quick refusals.

FastAPI (0.165) keeps every included router as a branch and asks each branch, in order, whether it has a
route for the request, then asks the chosen branch again to pick it: a request for a route near the end
of ~300 routes walked every route before it twice, through FastAPI's per-candidate scope bookkeeping and
the route's regex. That walk cost more CPU than the rest of a one-row read (``bench/README.md``). A
branch now refuses at once a path that starts with none of its routes' literal heads (the text before
the first ``{``): no route of it could match, so the answer is the same, only sooner.
"""

from __future__ import annotations

from fastapi import APIRouter
from starlette._utils import get_route_path
from starlette.routing import Match, Route
from starlette.types import Scope

from app.core.db import UnitOfWorkRoute

API_PREFIX = "/api/v1"


def literal_head(path: str) -> str:
    """The part of a route template before its first parameter: every matching path starts with it."""
    return path.split("{", 1)[0]


class PrefixedRouter(APIRouter):
    """An APIRouter that answers "no match" at once for paths none of its routes can start with."""

    _heads: tuple[str, ...] | None = None
    _heads_of: int = -1

    def _literal_heads(self) -> tuple[str, ...] | None:
        # Rebuilt when routes are added (FastAPI bumps its routes version); None: a route of a kind whose
        # paths we cannot bound (a mount or host), so every path must be asked the slow way.
        version = self._get_routes_version()
        if version != self._heads_of:
            heads: set[str] | None = set()
            for route in self.routes:
                if isinstance(route, Route) and heads is not None:
                    heads.add(literal_head(route.path))
                else:
                    heads = None
            self._heads = tuple(sorted(heads)) if heads is not None else None
            self._heads_of = version
        return self._heads

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        heads = self._literal_heads()
        if heads is not None and not get_route_path(scope).startswith(heads):
            return Match.NONE, {}
        return super().matches(scope)


def domain_router(tag: str) -> APIRouter:
    # The prefix lives on the router itself, not on include_router, so that a route's own `path`
    # is the full template that metrics and logs label requests with.
    return PrefixedRouter(prefix=API_PREFIX, tags=[tag], route_class=UnitOfWorkRoute)
