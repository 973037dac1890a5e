"""Files nobody claimed: uploads never attached to a record, and files left behind by a failed commit.

An upload is written to disk before the transaction that records it commits (the row must name a file
that exists). When that transaction fails, or the uploaded photo is never attached, the file stays.
``sweep_unclaimed_files`` walks a storage root and deletes every file older than the cutoff that the
domain's ``claimed`` callback does not recognise. The age guard (24 h in the jobs) keeps it away from
uploads whose transaction is still running.
"""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

log = logging.getLogger("app.orphans")

BATCH = 500
# Given a batch of keys, the subset some database row still refers to.
Claimed = Callable[[list[str]], Awaitable[set[str]]]
KeyOf = Callable[[Path], str]


@dataclass(frozen=True)
class SweepReport:
    examined: int
    removed: int


def _stale(root: Path, cutoff: float) -> list[Path]:
    def walk() -> Iterator[Path]:
        for folder, _dirs, files in os.walk(root):
            for name in files:
                path = Path(folder) / name
                try:
                    if path.stat().st_mtime < cutoff:
                        yield path
                except FileNotFoundError:  # removed meanwhile
                    continue

    return list(walk()) if root.is_dir() else []


def _remove(paths: list[Path]) -> None:
    for path in paths:
        path.unlink(missing_ok=True)


async def sweep_unclaimed_files(root: Path, older_than: datetime, key_of: KeyOf, claimed: Claimed) -> SweepReport:
    """Delete files under ``root`` last modified before ``older_than`` whose key no row claims."""
    stale = await asyncio.to_thread(_stale, root, older_than.timestamp())
    removed = 0
    for start in range(0, len(stale), BATCH):
        batch = stale[start : start + BATCH]
        keys = [key_of(p) for p in batch]
        kept = await claimed(keys)
        doomed = [p for p, k in zip(batch, keys, strict=True) if k not in kept]
        await asyncio.to_thread(_remove, doomed)
        removed += len(doomed)
    if removed:
        log.info("orphan files removed", extra={"root": str(root), "removed": removed})
    return SweepReport(examined=len(stale), removed=removed)
