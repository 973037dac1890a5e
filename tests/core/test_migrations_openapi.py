from __future__ import annotations

import asyncio
import json

from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from app.core.migrations import downgrade, script_heads, upgrade
from app.core.openapi import OPENAPI_PATH, render
from app.main import create_app
from app.org.seed import seed_demo


async def _tables(url: str) -> set[str]:
    engine = create_async_engine(url)
    try:
        async with engine.connect() as conn:
            rows = await conn.execute(text("SELECT tablename FROM pg_tables WHERE schemaname = 'public'"))
            return {r[0] for r in rows}
    finally:
        await engine.dispose()


async def test_migrations_go_down_to_base_and_up_again(fresh_db: str) -> None:
    assert "communities" in await _tables(fresh_db)
    await asyncio.to_thread(downgrade, fresh_db, "base")
    assert await _tables(fresh_db) <= {"alembic_version"}
    await asyncio.to_thread(upgrade, fresh_db, "heads")
    engine = create_async_engine(fresh_db)
    async with engine.connect() as conn:
        versions = {r[0] for r in await conn.execute(text("SELECT version_num FROM alembic_version"))}
    await engine.dispose()
    assert versions == script_heads()
    assert {"communities", "users", "role_assignments"} <= await _tables(fresh_db)


async def test_seed_demo_is_idempotent(fresh_db: str) -> None:
    async def counts() -> dict[str, int]:
        engine = create_async_engine(fresh_db)
        async with engine.connect() as conn:
            result = {}
            for table in ["communities", "grids", "compounds", "buildings", "households", "departments"]:
                result[table] = (await conn.execute(text(f"SELECT count(*) FROM {table}"))).scalar_one()
        await engine.dispose()
        return result

    before = await counts()  # the template was seeded once already
    assert before["communities"] == 16
    assert await seed_demo(fresh_db) is False
    assert await counts() == before


def test_committed_openapi_matches_the_app() -> None:
    assert OPENAPI_PATH.read_text(encoding="utf-8") == render(create_app().openapi()), (
        "openapi/openapi.json is stale: run `jincheng openapi export`"
    )


def test_openapi_contract_for_the_front_end() -> None:
    doc = json.loads(render(create_app().openapi()))
    assert doc["info"]["title"] == "智慧金城 API"
    tags = {t["name"] for t in doc["tags"]}
    for path, item in doc["paths"].items():
        for method, op in item.items():
            assert op["operationId"].split("-", 1)[0] in tags, (path, method)
            assert op["operationId"] == f"{op['tags'][0]}-{op['operationId'].split('-', 1)[1]}"
            assert "500" in op["responses"], (path, method)
            open311 = op.get("x-open311")  # the standard's [{code, description}] errors, see app/open311
            if "requestBody" in op:
                assert {"400", "413", "422"} <= set(op["responses"]) or open311, (path, method)
            for status, resp in op["responses"].items():
                if status.startswith(("4", "5")) and not (open311 and status in ("400", "403", "404")):
                    assert "application/problem+json" in resp["content"], (path, method, status)
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids))


def test_openapi_check_command_passes() -> None:
    from typer.testing import CliRunner

    from app.cli import cli

    result = CliRunner().invoke(cli, ["openapi", "check"])
    assert result.exit_code == 0, result.output


async def test_docs_are_served_from_local_assets(client) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert "/docs-assets/swagger-ui-bundle.js" in page.text
    assert "cdn" not in page.text.lower()
    js = await client.get("/docs-assets/swagger-ui-bundle.js")
    assert js.status_code == 200 and len(js.content) > 100_000
