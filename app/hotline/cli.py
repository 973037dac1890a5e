"""`jincheng hotline simulate --calls N`: file realistic calls through the running server's signed API."""

from __future__ import annotations

import asyncio
from typing import Annotated

import typer
from rich.console import Console

hotline_cli = typer.Typer(help="1890 热线对接", no_args_is_help=True)
console = Console(stderr=True)


async def _secret_of(name: str) -> tuple[str, str]:
    """The client's id and its newest live secret, read from the database (the CLI holds the master key)."""
    from sqlalchemy.ext.asyncio import create_async_engine

    from app.core.clock import SystemClock
    from app.core.database_url import resolve_database_url
    from app.core.db import make_sessionmaker
    from app.core.settings import get_settings
    from app.integrations import api as service

    settings = get_settings()
    engine = create_async_engine(resolve_database_url(settings))
    try:
        async with make_sessionmaker(engine)() as session:
            client = await service.get_by_name(session, name)
            if client is None or client.revoked_at is not None:
                raise typer.BadParameter(
                    f"客户端 {name} 不存在或已吊销；先运行 jincheng integrations create-client {name}"
                )
            master = settings.hotline_secret.get_secret_value()
            secrets = await service.active_secrets(session, master, client.id, SystemClock().now())
            if not secrets:
                raise typer.BadParameter(f"客户端 {name} 没有可用密钥；运行 jincheng integrations rotate {name}")
            return str(client.id), secrets[0]
    finally:
        await engine.dispose()


@hotline_cli.command("simulate")
def simulate_command(
    calls: Annotated[int, typer.Option(min=1, max=100_000, help="来电数")] = 20,
    client: Annotated[str, typer.Option(help="对接客户端名称")] = "hotline",
    base_url: Annotated[str, typer.Option(help="服务地址（make run 默认）")] = "http://127.0.0.1:8000",
    seed: Annotated[int, typer.Option(help="随机种子（同一种子生成同样的来电）")] = 1890,
) -> None:
    """File N realistic calls (look-up first, repeat callers add information) through the signed API."""
    import uuid

    import httpx

    from app.core.clock import SystemClock
    from app.hotline.simulate import SignedClient, SimulationReport, simulate

    client_id, secret = asyncio.run(_secret_of(client))

    async def go() -> SimulationReport:
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as http:
            signed = SignedClient(http, uuid.UUID(client_id), secret, SystemClock())
            return await simulate(signed, calls, seed=seed)

    report = asyncio.run(go())
    per_call = report.seconds / max(1, report.calls) * 1000
    console.print(
        f"来电 {report.calls} 通：新立单 {report.filed}，重复来电补充 {report.repeat_calls}，"
        f"重发同一工单 {report.resent}；用时 {report.seconds:.1f} 秒（每通 {per_call:.0f} 毫秒，含查询与立单）"
    )
    for failure in report.failures:
        console.print(f"[red]失败：{failure}[/red]")
    if report.failures:
        raise typer.Exit(code=1)
