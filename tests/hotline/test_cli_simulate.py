"""`jincheng integrations create-client|rotate|revoke|set-webhook` and `hotline simulate` through the real API."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import create_async_engine
from typer.testing import CliRunner

from app.cli import cli
from app.core.db import make_sessionmaker
from app.core.settings import Settings, get_settings
from app.hotline.models import HotlineTicket
from app.hotline.simulate import SignedClient, simulate
from app.integrations import service
from app.integrations.models import IntegrationClient
from tests.hotline.conftest import Hotline


def _run(args: list[str], db_url: str, monkeypatch) -> object:  # type: ignore[no-untyped-def]
    monkeypatch.setenv("JINCHENG_DATABASE_URL", db_url)
    monkeypatch.setenv("JINCHENG_ENV", "test")
    get_settings.cache_clear()
    try:
        return CliRunner().invoke(cli, args)
    finally:
        get_settings.cache_clear()


def _values(output: str) -> dict[str, str]:
    return dict(line.split("=", 1) for line in output.splitlines() if "=" in line and " " not in line)


async def _stored(db_url: str) -> tuple[IntegrationClient, list[str]]:
    engine = create_async_engine(db_url)
    try:
        async with make_sessionmaker(engine)() as session:
            client = await service.get_by_name(session, "hotline")
            assert client is not None
            master = Settings().hotline_secret.get_secret_value()
            return client, await service.active_secrets(session, master, client.id, datetime.now(UTC))
    finally:
        await engine.dispose()


def test_create_rotate_revoke(fresh_db: str, monkeypatch) -> None:  # type: ignore[no-untyped-def]
    args = ["integrations", "create-client", "hotline", "--webhook-url", "https://hl.example/cb"]
    made = _run(args, fresh_db, monkeypatch)
    assert made.exit_code == 0, made.output  # type: ignore[attr-defined]
    values = _values(made.stdout)  # type: ignore[attr-defined]
    assert values["secret"].startswith("whsec_") and values["api_key"].startswith("o311_")
    assert _run(["integrations", "create-client", "hotline"], fresh_db, monkeypatch).exit_code == 1  # type: ignore[attr-defined]
    rotated = _run(["integrations", "rotate", "hotline"], fresh_db, monkeypatch)
    assert rotated.exit_code == 0, rotated.output  # type: ignore[attr-defined]
    new = _values(rotated.stdout)["secret"]  # type: ignore[attr-defined]
    client, live = asyncio.run(_stored(fresh_db))
    assert client.id == uuid.UUID(values["client_id"]) and client.webhook_url == "https://hl.example/cb"
    assert live == [new, values["secret"]]
    bad_url = _run(["integrations", "set-webhook", "hotline", "--url", "ftp://x"], fresh_db, monkeypatch)
    assert bad_url.exit_code == 1  # type: ignore[attr-defined]
    assert _run(["integrations", "revoke", "hotline"], fresh_db, monkeypatch).exit_code == 0  # type: ignore[attr-defined]
    client, live = asyncio.run(_stored(fresh_db))
    assert client.revoked_at is not None and live == []


async def test_simulate_files_calls_through_the_signed_api(hotline: Hotline, session) -> None:  # type: ignore[no-untyped-def]
    signed = SignedClient(hotline.http, hotline.client_id, hotline.secret, hotline.clock)
    report = await simulate(signed, 30, seed=7, prefix="T")
    assert report.failures == []
    assert report.calls == 30 and report.filed + report.repeat_calls == 30 and report.repeat_calls > 0
    count = (await session.execute(select(func.count()).select_from(HotlineTicket))).scalar_one()
    assert count == report.filed
