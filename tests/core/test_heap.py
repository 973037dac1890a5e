"""``jincheng serve`` freezes the start-up heap out of the cyclic collector; other apps (tests) do not."""

from __future__ import annotations

import gc

from app.core.settings import Environment, Settings
from app.main import create_app


async def _freeze_count_while_running(freeze_heap: bool, settings: Settings) -> int:
    app = create_app(settings, sessionmaker=None, freeze_heap=freeze_heap)
    gc.unfreeze()
    async with app.router.lifespan_context(app):
        count = gc.get_freeze_count()
    gc.unfreeze()  # the rest of the test run collects as usual
    return count


async def test_the_served_app_freezes_its_start_up_objects(test_db_url, tmp_path) -> None:
    settings = Settings(env=Environment.test, database_url=test_db_url, data_dir=tmp_path)
    # Frozen: everything the started app holds, its routes among them.
    assert await _freeze_count_while_running(True, settings) > 100_000
    assert await _freeze_count_while_running(False, settings) == 0
