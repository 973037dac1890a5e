"""Chinese labels for every status-like enum, served by GET /api/v1/meta/enums.

A domain registers an enum with its labels in one line next to the enum (``labelled(State, STATE_TITLES)``);
the front end then never hard-codes a label. Registration fails at import time when a value has no label.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import TypeVar

E = TypeVar("E", bound=StrEnum)

# Enum name (its OpenAPI schema name) → value → Chinese label, in declaration order.
ENUM_LABELS: dict[str, dict[str, str]] = {}


def labelled(enum: type[E], labels: Mapping[E, str] | Mapping[str, str]) -> type[E]:
    """Register ``enum`` with a Chinese label per value; returns the enum so it can wrap the class."""
    by_value = {str(k): v for k, v in labels.items()}
    missing = [m.value for m in enum if m.value not in by_value]
    if missing:
        raise ValueError(f"{enum.__name__}: no label for {missing}")
    table = {m.value: by_value[m.value] for m in enum}
    existing = ENUM_LABELS.setdefault(enum.__name__, table)
    if existing != table:
        raise ValueError(f"two enums named {enum.__name__} with different values or labels")
    return enum
