"""The clock and settings of the current unit of work, for code that has no request at hand.

``UnitOfWorkRoute`` installs the app's clock and settings around every request; periodic jobs install the
worker's. Domain code asks ``now()`` / ``current_settings()`` instead of ``datetime.now()`` /
``get_settings()``, so a test that builds the app with a ``FrozenClock`` drives every business rule.
Outside any such scope they fall back to the system clock and the environment settings.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from datetime import datetime

from app.core.clock import Clock, SystemClock
from app.core.settings import Settings, get_settings

_SYSTEM = SystemClock()
_clock: ContextVar[Clock | None] = ContextVar("jincheng_clock", default=None)
_settings: ContextVar[Settings | None] = ContextVar("jincheng_settings", default=None)


def current_clock() -> Clock:
    return _clock.get() or _SYSTEM


def now() -> datetime:
    """The current instant (UTC) on the clock of this unit of work."""
    return current_clock().now()


def current_settings() -> Settings:
    return _settings.get() or get_settings()


@contextmanager
def runtime(clock: Clock | None, settings: Settings | None) -> Iterator[None]:
    """Install ``clock`` and ``settings`` for the code run inside the ``with`` block."""
    clock_token = _clock.set(clock)
    settings_token = _settings.set(settings)
    try:
        yield
    finally:
        _settings.reset(settings_token)
        _clock.reset(clock_token)
