"""`jincheng complaints stats-rebuild` run as the real command, in a subprocess, on a committed database:
the figures it rebuilds from the event log are the ones the maintenance hook kept incrementally."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, create_async_engine

from tests.complaints.test_stats import _aggregates, _counts, week  # noqa: F401 - `week` is a fixture

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
async def session(fresh_db: str) -> AsyncIterator[AsyncSession]:
    """Overrides the rolled-back session here: the command runs in another process and sees only commits."""
    engine = create_async_engine(fresh_db, pool_size=2)
    async with AsyncSession(engine, expire_on_commit=False, autoflush=False) as s:
        yield s
    await engine.dispose()


def _rebuild(db_url: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "JINCHENG_ENV": "test", "JINCHENG_DATABASE_URL": db_url, "PYTHONPATH": str(ROOT)}
    exe = Path(sys.executable).parent / "jincheng"
    return subprocess.run(
        [str(exe), "complaints", "stats-rebuild"],
        env=env,
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


async def test_stats_rebuild_command_restores_the_figures(session, fresh_db, week) -> None:  # noqa: F811
    await session.commit()  # the week's complaints, events and incrementally kept figures
    incremental = await _aggregates(session)
    facts, rollups = incremental
    assert len(facts) == 6 and rollups
    # Lose the derived tables: only the event log is left to rebuild from.
    await session.execute(text("DELETE FROM complaint_stat_facts"))
    await session.execute(text("DELETE FROM complaint_stat_rollups"))
    await session.commit()
    assert await _counts(session) == (0, 0)
    await session.rollback()  # hold no snapshot (and no table lock) while the command rebuilds

    done = _rebuild(fresh_db)
    assert done.returncode == 0, done.stderr
    assert "已从事件日志重建统计：6 件诉求" in done.stderr, done.stderr  # the CLI console writes to stderr
    assert await _aggregates(session) == incremental
    await session.rollback()
    # Run twice, same figures: the rebuild replaces, it does not add.
    assert _rebuild(fresh_db).returncode == 0
    assert await _aggregates(session) == incremental
