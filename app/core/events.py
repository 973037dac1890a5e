"""The in-process domain-event bus: a domain publishes a typed event, other domains subscribe to it.

- An event is a frozen dataclass (or any class); subscribers register for its exact type with
  ``@subscriber(EventType, stage=Stage.X)`` when their module is imported (``app.wiring.load_subscribers``
  imports them all, from ``create_app``, the worker and the CLI).
- ``await publish(session, event)`` runs the subscribers one after another **in the caller's
  transaction**: what they write commits or rolls back with the action that raised the event, and an
  exception in any of them propagates to the caller, so nothing is half-written.
- The order is explicit, never import order: by ``Stage`` (SLA clocks before the figures that judge
  "in time" against them, figures before notifications ...), then by subscriber name.
- Work that leaves the process (WeChat, the hotline) is not done here: a subscriber writes an outbox row
  (``app.core.outbox``) and the worker delivers it after commit.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import IntEnum
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession


class Stage(IntEnum):
    """When a subscriber runs, relative to the others of the same event."""

    CLOCKS = 10  # SLA stage clocks and deadlines
    FIGURES = 20  # statistics: facts and rollups
    NOTIFICATIONS = 30  # inbox rows and subscribe messages
    RECORDS = 40  # other domains' source records (trust-fund 质询, volunteers, merchants ...)
    OUTBOUND = 50  # outbox rows for the hotline and other work leaving the process


E = TypeVar("E")
Handler = Callable[[AsyncSession, Any], Awaitable[None]]
H = TypeVar("H", bound=Callable[..., Awaitable[None]])


@dataclass(frozen=True)
class _Subscription:
    stage: Stage
    name: str
    handler: Handler


_SUBSCRIPTIONS: dict[type, list[_Subscription]] = {}


def subscriber(event_type: type[E], *, stage: Stage, name: str | None = None) -> Callable[[H], H]:
    """Register ``async def handler(session, event)`` for ``event_type``; ``name`` defaults to
    ``module.function`` and must be unique per event type (a re-import replaces, never duplicates)."""

    def register(handler: H) -> H:
        key = name or f"{handler.__module__}.{handler.__qualname__}"
        subs = [s for s in _SUBSCRIPTIONS.get(event_type, []) if s.name != key]
        subs.append(_Subscription(stage, key, handler))
        subs.sort(key=lambda s: (s.stage, s.name))
        _SUBSCRIPTIONS[event_type] = subs
        return handler

    return register


async def publish(session: AsyncSession, event: object) -> None:
    """Run every subscriber of ``type(event)`` in order, in the caller's transaction."""
    # A copy: a subscriber may publish further events (nested publishes run to completion first).
    for sub in list(_SUBSCRIPTIONS.get(type(event), ())):
        await sub.handler(session, event)


def subscribers_of(event_type: type) -> list[tuple[Stage, str]]:
    """The registered subscribers of ``event_type`` in the order ``publish`` runs them."""
    return [(s.stage, s.name) for s in _SUBSCRIPTIONS.get(event_type, ())]
