"""Test databases: a migrated, seeded template per run, cloned for each database a test needs.

Real PostgreSQL only: the embedded pgserver by default, or the server named by TEST_DATABASE_URL.
"""

from __future__ import annotations

import asyncio
import os
import uuid
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from app.core.database_url import normalise_url
from app.core.embedded_pg import embedded_server_uri, to_asyncpg_url
from app.core.migrations import upgrade
from app.org.seed import seed_demo

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Server:
    """One PostgreSQL server and how to reach its databases."""

    base_url: str  # SQLAlchemy asyncpg URL of an existing database we may connect to for admin work

    def url_for(self, database: str) -> str:
        return make_url(self.base_url).set(database=database).render_as_string(hide_password=False)

    def asyncpg_dsn(self, database: str) -> dict[str, object]:
        url = make_url(self.base_url)
        kwargs: dict[str, object] = {"user": url.username or "postgres", "database": database}
        if url.password:
            kwargs["password"] = url.password
        host = url.query.get("host") or url.host or "127.0.0.1"
        kwargs["host"] = host
        if url.port:
            kwargs["port"] = url.port
        return kwargs

    async def admin(self, sql: str) -> None:
        conn = await asyncpg.connect(**self.asyncpg_dsn(make_url(self.base_url).database or "postgres"))  # type: ignore[arg-type]
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    async def create_database(self, name: str, template: str | None = None) -> str:
        suffix = f' TEMPLATE "{template}"' if template else ""
        await self.admin(f'CREATE DATABASE "{name}"{suffix}')
        return self.url_for(name)

    async def drop_database(self, name: str) -> None:
        await self.admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def test_server() -> Server:
    explicit = os.environ.get("TEST_DATABASE_URL")
    if explicit:
        return Server(normalise_url(explicit))
    return Server(to_asyncpg_url(embedded_server_uri(ROOT / "var" / "test")))


def unique_name(prefix: str) -> str:
    return f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"


async def build_template(server: Server) -> str:
    """Create a database, run every migration on it and load the demo organisation."""
    name = unique_name("jc_tmpl")
    url = await server.create_database(name)
    await asyncio.to_thread(upgrade, url)
    await seed_demo(url)
    return name
