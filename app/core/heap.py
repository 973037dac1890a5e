"""A serving process's heap: what start-up built is frozen out of the cyclic garbage collector.

The collector's full (generation 2) pass walks every tracked object, and a started app holds ~320,000
(routes, pydantic and SQLAlchemy metadata, the OpenAPI document's models). Requests in flight when a
younger collection runs are promoted, so under load a full pass came every ~3 s per process, took
170–290 ms, found nothing, and stalled every request on that process meanwhile. Frozen, the start-up
objects are never walked again: the passes take ~3.5 ms (measured on GET detail, 32 clients, two workers:
p99 200 → 37–59 ms, CPU per request 0.80 → 0.71 ms; bench/README.md, 2026-12-04 night).

Only ``jincheng serve`` does this: a test run builds and drops many apps, whose objects must stay
collectable.
"""

from __future__ import annotations

import gc


def freeze_startup_objects() -> None:
    gc.collect()  # what start-up already dropped is freed, not frozen
    gc.freeze()
