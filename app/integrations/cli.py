"""`jincheng integrations create-client|rotate|revoke`: the registry of machine clients, from the shell.

Secrets are printed once, to stdout, and never logged; store them in the client's secret store at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from sqlalchemy.ext.asyncio import AsyncSession

integrations_cli = typer.Typer(help="对接客户端（1890 热线、Open311）", no_args_is_help=True)
console = Console(stderr=True)
T = TypeVar("T")


def _run(work: Callable[[AsyncSession, str], Awaitable[T]]) -> T:
    from sqlalchemy.ext.asyncio import create_async_engine

    from app.core.database_url import resolve_database_url
    from app.core.db import make_sessionmaker
    from app.core.migrations import upgrade
    from app.core.settings import get_settings

    settings = get_settings()
    url = resolve_database_url(settings)
    upgrade(url)

    async def go() -> T:
        engine = create_async_engine(url)
        try:
            async with make_sessionmaker(engine)() as session:
                result = await work(session, settings.hotline_secret.get_secret_value())
                await session.commit()
                return result
        finally:
            await engine.dispose()

    return asyncio.run(go())


@integrations_cli.command("create-client")
def create_client(
    name: Annotated[str, typer.Argument(help="客户端名称，例如 hotline")],
    street: Annotated[str | None, typer.Option(help="街道代码；库中只有一个街道时可省略")] = None,
    webhook_url: Annotated[str | None, typer.Option(help="接收状态回调的地址（https://…）")] = None,
    operation: Annotated[
        list[str] | None,
        typer.Option(help="授权的操作，可重复；默认全部：hotline.tickets hotline.lookup hotline.sync open311"),
    ] = None,
) -> None:
    """Create a client; prints its id, its signing secret (whsec_…) and, for Open311, its api_key, once."""
    from app.integrations import service

    async def work(session: AsyncSession, master: str) -> service.CreatedClient:
        return await service.create_client(
            session, master, name, street_code=street, operations=operation, webhook_url=webhook_url
        )

    try:
        created = _run(work)
    except service.IntegrationSetupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=1) from exc
    console.print(f"已创建对接客户端 {name}；密钥只显示这一次，请立即保存")
    typer.echo(f"client_id={created.client.id}")
    typer.echo(f"secret={created.secret}")
    if created.api_key:
        typer.echo(f"api_key={created.api_key}")


@integrations_cli.command("rotate")
def rotate(name: Annotated[str, typer.Argument(help="客户端名称")]) -> None:
    """Issue a new secret; the previous one keeps working for 24 hours, then only the new one does."""
    from app.integrations import service

    async def work(session: AsyncSession, master: str) -> tuple[str, datetime]:
        return await service.rotate(session, master, name, datetime.now(UTC))

    try:
        secret, until = _run(work)
    except service.IntegrationSetupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=1) from exc
    console.print(f"新密钥已生效；旧密钥在 {until.isoformat()} 前仍可使用")
    typer.echo(f"secret={secret}")


@integrations_cli.command("revoke")
def revoke(name: Annotated[str, typer.Argument(help="客户端名称")]) -> None:
    """Revoke a client and every secret of it at once."""
    from app.integrations import service

    async def work(session: AsyncSession, master: str) -> None:
        await service.revoke(session, name, datetime.now(UTC))

    try:
        _run(work)
    except service.IntegrationSetupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=1) from exc
    console.print(f"已吊销客户端 {name}")


@integrations_cli.command("set-webhook")
def set_webhook(
    name: Annotated[str, typer.Argument(help="客户端名称")],
    url: Annotated[str, typer.Option(help="接收状态回调的地址")],
) -> None:
    """Set (or restore after a 410) the client's callback URL and resume sending to it."""
    from app.integrations import service

    async def work(session: AsyncSession, master: str) -> None:
        await service.set_webhook(session, name, url)

    try:
        _run(work)
    except service.IntegrationSetupError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=1) from exc
    console.print(f"已设置 {name} 的回调地址；停用期间未送达的消息请在发件箱（/api/v1/admin/outbox?status=dead）重放")
