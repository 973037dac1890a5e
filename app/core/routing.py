"""The router every domain builds on: /api/v1 prefix, its tag, and the per-request unit of work."""

from __future__ import annotations

from fastapi import APIRouter

from app.core.db import UnitOfWorkRoute

API_PREFIX = "/api/v1"


def domain_router(tag: str) -> APIRouter:
    # The prefix lives on the router itself, not on include_router, so that a route's own `path`
    # is the full template that metrics and logs label requests with.
    return APIRouter(prefix=API_PREFIX, tags=[tag], route_class=UnitOfWorkRoute)
