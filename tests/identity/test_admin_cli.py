"""`jincheng admin create` makes a street administrator who can sign in with the password."""

from __future__ import annotations

import asyncio

from sqlalchemy import select
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from app.cli import cli
from app.core.settings import get_settings
from app.identity.models import RoleAssignment, User
from app.identity.passwords import check_hash
from tests.conftest import STREET_ID


def _run(args: list[str], db_url: str, monkeypatch) -> object:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("JINCHENG_DATABASE_URL", db_url)
    monkeypatch.setenv("JINCHENG_ENV", "test")
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, args)
    finally:
        get_settings.cache_clear()


async def _admin(db_url: str) -> tuple[User, list[str]]:
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            user = (await conn.execute(select(User).where(User.username == "desk"))).one()
            roles = (
                await conn.execute(
                    select(RoleAssignment.role, RoleAssignment.scope_id).where(RoleAssignment.user_id == user.id)
                )
            ).all()
        return user, sorted(f"{r.role}:{r.scope_id}" for r in roles)  # type: ignore[return-value]
    finally:
        await engine.dispose()


def test_admin_create(fresh_db, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    result = _run(["admin", "create", "--username", "desk", "--password", "a-long-password-1"], fresh_db, monkeypatch)
    assert result.exit_code == 0, result.output  # type: ignore[attr-defined]
    user, roles = asyncio.run(_admin(fresh_db))
    assert roles == ["resident:None", f"street_admin:{STREET_ID}"]
    assert check_hash(user.password_hash, "a-long-password-1")
    again = _run(["admin", "create", "--username", "desk", "--password", "a-long-password-1"], fresh_db, monkeypatch)
    assert again.exit_code == 1  # type: ignore[attr-defined]
    short = _run(["admin", "create", "--username", "other", "--password", "short"], fresh_db, monkeypatch)
    assert short.exit_code == 2  # type: ignore[attr-defined]
