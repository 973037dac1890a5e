"""Composition root for the domain-event bus: import every module that subscribes to domain events.

``load_subscribers()`` runs in ``create_app``, the worker and the CLI (and the test suite), so subscribers
are registered whatever the entry point. A new domain with subscribers adds one line to ``SUBSCRIBER_MODULES``.
The order of this list does not matter: ``app.core.events`` orders subscribers by stage, then name.
"""

from __future__ import annotations

import importlib

SUBSCRIBER_MODULES: tuple[str, ...] = (
    "app.sla.subscribers",
    "app.complaints.stats.subscribers",
    "app.complaints.notifications",
    "app.trustfund.subscribers",
    "app.hotline.webhooks",
)


def load_subscribers() -> None:
    for module in SUBSCRIBER_MODULES:
        importlib.import_module(module)
