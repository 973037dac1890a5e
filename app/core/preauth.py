"""Authentication before the body: checks a route runs before FastAPI reads and parses its body.

FastAPI parses a JSON body before it resolves any dependency, so a secured operation answered a
malformed body with 400 to a caller without a token, who should learn only that they must sign in
(401). A domain registers the dependency that makes a route secured together with a check that
authenticates the request from its headers alone; ``UnitOfWorkRoute`` runs the checks of every
registered dependency in the route's tree before the body is touched. The check caches what it
resolved (the principal) on ``request.state``, so the dependency itself does no second lookup.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant

PreBodyCheck = Callable[[Request], Awaitable[None]]

_CHECKS: dict[Callable[..., Any], PreBodyCheck] = {}


def run_before_body(dependency: Callable[..., Any], check: PreBodyCheck) -> None:
    """Whenever ``dependency`` is in a route's dependency tree, ``check(request)`` runs before the body is read."""
    _CHECKS[dependency] = check


def checks_for(dependant: Dependant) -> list[PreBodyCheck]:
    found: list[PreBodyCheck] = []
    pending = [dependant]
    while pending:
        node = pending.pop()
        check = _CHECKS.get(node.call) if node.call is not None else None
        if check is not None and check not in found:
            found.append(check)
        pending.extend(node.dependencies)
    return found
