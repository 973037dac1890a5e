"""Every FastAPI dependency is ``async def``: a sync one runs in the thread pool, a thread hop per request."""

from __future__ import annotations

import inspect

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute

from app.core.settings import Environment, Settings
from app.main import create_app


def _sync_dependencies(dependant: Dependant, seen: set[object]) -> list[str]:
    found: list[str] = []
    for dep in dependant.dependencies:
        call = dep.call
        if call is None or call in seen:
            continue
        seen.add(call)
        target = call if inspect.isfunction(call) or inspect.ismethod(call) else type(call).__call__
        if not inspect.iscoroutinefunction(target):
            found.append(getattr(call, "__qualname__", repr(call)))
        found.extend(_sync_dependencies(dep, seen))
    return found


def test_no_route_has_a_sync_dependency() -> None:
    app = create_app(Settings(env=Environment.test))
    seen: set[object] = set()
    sync = [
        f"{route.path}: {name}"
        for route in app.routes
        if isinstance(route, APIRoute)
        for name in _sync_dependencies(route.dependant, seen)
    ]
    assert sync == []
