"""`jincheng trustfund import FILE` against a committed database."""

from __future__ import annotations

import asyncio
import uuid
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from app.cli import cli
from app.core.db import make_sessionmaker
from app.core.settings import get_settings
from app.identity.models import User
from app.identity.principal import Grant, Principal
from app.identity.roles import Role, ScopeType
from app.trustfund import service
from app.trustfund.models import TrustTransaction
from app.trustfund.schemas import FundCreate
from tests.conftest import STREET_ID
from tests.trustfund.conftest import COMPOUND_ID

CSV = (
    "reference,kind,amount,period_start,period_end,payer,description\n"
    "CLI-1,property_fee,1200.00,2026-01-01,2026-12-31,3栋2单元301,年度物业费\n"
    "CLI-2,parking_fee,300,,,,车位费\n"
    "CLI-3,rent,300,,,,类型错误\n"
)


async def _make_fund(url: str) -> None:
    engine = create_async_engine(url)
    async with make_sessionmaker(engine)() as s:
        admin = User(nickname="admin", appid="wxtest", openid=f"o-{uuid.uuid4().hex}")
        s.add(admin)
        await s.flush()
        principal = Principal(admin.id, (Grant(Role.street_admin, ScopeType.street, STREET_ID, STREET_ID),))
        await service.create_fund(s, principal, FundCreate(compound_id=COMPOUND_ID, start_date=date(2026, 1, 1)))
        await s.commit()
    await engine.dispose()


async def _count(url: str) -> int:
    engine = create_async_engine(url)
    async with make_sessionmaker(engine)() as s:
        n = int((await s.execute(select(func.count()).select_from(TrustTransaction))).scalar_one())
    await engine.dispose()
    return n


def test_cli_import_dry_run_all_or_nothing_commit_and_replay(fresh_db, tmp_path, monkeypatch) -> None:
    asyncio.run(_make_fund(fresh_db))
    monkeypatch.setenv("JINCHENG_DATABASE_URL", fresh_db)
    get_settings.cache_clear()
    path = tmp_path / "fees.csv"
    path.write_text(CSV, encoding="utf-8")
    runner = CliRunner()
    args = ["trustfund", "import", str(path), "--compound", str(COMPOUND_ID)]
    try:
        dry = runner.invoke(cli, [*args, "--dry-run"])
        assert dry.exit_code == 1, dry.output
        assert "CLI-3" in dry.output and "试运行" in dry.output
        assert asyncio.run(_count(fresh_db)) == 0
        aon = runner.invoke(cli, [*args, "--all-or-nothing"])
        assert aon.exit_code == 1 and "整体回退" in aon.output
        assert asyncio.run(_count(fresh_db)) == 0
        done = runner.invoke(cli, args)
        assert "已入账 2" in done.output, done.output
        assert asyncio.run(_count(fresh_db)) == 2
        again = runner.invoke(cli, args)
        assert "已入账 0" in again.output and "重复 2" in again.output
        assert asyncio.run(_count(fresh_db)) == 2
    finally:
        get_settings.cache_clear()
