"""The `jincheng` command: serve, migrate, seed-demo, openapi, ..."""

from __future__ import annotations

import asyncio
import sys
from typing import Annotated

import typer
from rich.console import Console

from app.core.settings import Environment, ProductionConfigError, check_production, get_settings
from app.hotline.cli import hotline_cli
from app.integrations.cli import integrations_cli
from app.trustfund.cli import trustfund_cli

cli = typer.Typer(help="智慧金城后端命令行", no_args_is_help=True, add_completion=False)
migrate_cli = typer.Typer(help="数据库迁移（Alembic）", no_args_is_help=True)
openapi_cli = typer.Typer(help="OpenAPI 文档导出与校验", no_args_is_help=True)
admin_cli = typer.Typer(help="管理员账号", no_args_is_help=True)
cli.add_typer(migrate_cli, name="migrate")
cli.add_typer(openapi_cli, name="openapi")
cli.add_typer(admin_cli, name="admin")
complaints_cli = typer.Typer(help="网上枫桥诉求", no_args_is_help=True)
cli.add_typer(complaints_cli, name="complaints")
cli.add_typer(trustfund_cli, name="trustfund")
cli.add_typer(integrations_cli, name="integrations")
cli.add_typer(hotline_cli, name="hotline")
console = Console(stderr=True)


def _database_url() -> str:
    from app.core.database_url import resolve_database_url

    return resolve_database_url(get_settings())


@cli.command()
def serve(
    host: Annotated[str | None, typer.Option(help="监听地址")] = None,
    port: Annotated[int | None, typer.Option(help="监听端口")] = None,
    workers: Annotated[int, typer.Option(min=1, help="进程数（多进程时只有一个进程运行后台投递循环）")] = 1,
) -> None:
    """Migrate, load the demo data on first run (dev), and serve the API (``--workers N``: N processes)."""
    import uvicorn

    from app.core.logging import configure_logging
    from app.core.migrations import upgrade
    from app.main import create_app

    settings = get_settings()
    try:
        check_production(settings)
    except ProductionConfigError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=2) from exc
    configure_logging(settings.log_level)
    url = _database_url()
    upgrade(url)
    if settings.env is Environment.dev:
        from app.org.seed import seed_demo

        created = asyncio.run(seed_demo(url, only_if_empty=True))
        if created:
            console.print("已加载金城街道演示数据")
    # The dev WeChat client calls the fake mounted in this process, so it must know the real port.
    settings = settings.model_copy(update={"host": host or settings.host, "port": port or settings.port})
    if workers > 1:
        # Worker processes import the app factory afresh and read their settings from the environment:
        # hand them the resolved database URL (the embedded server stays owned by this process) and the port.
        import os

        os.environ.update(
            {"JINCHENG_DATABASE_URL": url, "JINCHENG_HOST": settings.host, "JINCHENG_PORT": str(settings.port)}
        )
        uvicorn.run(
            "app.main:create_served_app",
            factory=True,
            workers=workers,
            host=settings.host,
            port=settings.port,
            log_config=None,
            proxy_headers=True,
            server_header=False,
        )
        return
    uvicorn.run(
        create_app(settings, freeze_heap=True),
        host=settings.host,
        port=settings.port,
        log_config=None,
        proxy_headers=True,
        server_header=False,  # no `server: uvicorn` banner
    )


@cli.command()
def worker(
    until_idle: Annotated[
        bool, typer.Option("--until-idle", help="投递完当前到期的消息、跑一轮定时任务后退出")
    ] = False,
) -> None:
    """Deliver the outbox and run periodic jobs. Any number of workers may run at once."""
    from app.core.logging import configure_logging

    settings = get_settings()
    try:
        check_production(settings)
    except ProductionConfigError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=2) from exc
    configure_logging(settings.log_level)
    url = _database_url()
    asyncio.run(_run_worker(url, until_idle))


async def _run_worker(url: str, until_idle: bool) -> None:
    import signal

    from app.core.db import create_engine, make_sessionmaker
    from app.wechat.deps import build_wechat_client
    from app.wechat.subscribe import bind_wechat_sender
    from app.worker import Worker, load_plugins

    settings = get_settings()
    load_plugins(settings)
    engine = create_engine(url, settings)
    wechat = build_wechat_client(settings, engine)
    bind_wechat_sender(wechat)
    try:
        worker = Worker(make_sessionmaker(engine), settings=settings)
        if until_idle:
            await worker.run_periodic_once()
            await worker.run_until_idle()
            return
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, stop.set)
        await worker.run_forever(stop)
    finally:
        await wechat.aclose()
        await engine.dispose()


@migrate_cli.command("upgrade")
def migrate_upgrade(revision: Annotated[str, typer.Argument(help="目标版本")] = "heads") -> None:
    """Apply migrations up to REVISION (default: all heads)."""
    from app.core.migrations import upgrade

    upgrade(_database_url(), revision)
    console.print(f"已升级到 {revision}")


@migrate_cli.command("downgrade")
def migrate_downgrade(revision: Annotated[str, typer.Argument(help="目标版本，例如 base 或 -1")]) -> None:
    """Revert migrations down to REVISION."""
    from app.core.migrations import downgrade

    downgrade(_database_url(), revision)
    console.print(f"已回退到 {revision}")


@migrate_cli.command("current")
def migrate_current() -> None:
    """Print the database's current revision(s)."""
    from alembic import command

    from app.core.migrations import alembic_config

    command.current(alembic_config(_database_url()))


@cli.command("seed-demo")
def seed_demo_command(
    complaints: Annotated[
        int, typer.Option("--complaints", min=0, help="另外批量生成 N 件过去一年的诉求（含事件、评价、退单）并重建统计")
    ] = 0,
) -> None:
    """Load 金城街道's demo organisation. Running it twice changes nothing (``--complaints N`` adds N each time)."""
    import time

    from app.org.seed import seed_demo

    url = _database_url()
    from app.core.migrations import upgrade

    upgrade(url)
    created = asyncio.run(seed_demo(url))
    console.print("演示数据已加载" if created else "演示数据已存在，无变化")
    if complaints:
        from app.complaints.stats.seed import seed_complaints_url

        started = time.perf_counter()
        events = asyncio.run(seed_complaints_url(url, complaints))
        console.print(f"已生成 {complaints} 件诉求、{events} 条事件，用时 {time.perf_counter() - started:.1f} 秒")


@openapi_cli.command("export")
def openapi_export() -> None:
    """Write openapi/openapi.json from the app (sorted keys, stable output)."""
    from app.core.openapi import OPENAPI_PATH, render
    from app.main import create_app

    OPENAPI_PATH.parent.mkdir(parents=True, exist_ok=True)
    OPENAPI_PATH.write_text(render(create_app().openapi()), encoding="utf-8")
    console.print(f"已写入 {OPENAPI_PATH}")


@openapi_cli.command("check")
def openapi_check() -> None:
    """Exit non-zero when the committed openapi/openapi.json differs from the app."""
    import difflib

    from app.core.openapi import OPENAPI_PATH, render
    from app.main import create_app

    expected = render(create_app().openapi())
    actual = OPENAPI_PATH.read_text(encoding="utf-8") if OPENAPI_PATH.exists() else ""
    if actual != expected:
        diff = difflib.unified_diff(actual.splitlines(), expected.splitlines(), "committed", "app", lineterm="", n=1)
        for line in list(diff)[:40]:
            console.print(line, markup=False, highlight=False)
        console.print("[red]openapi/openapi.json 已过期：请运行 jincheng openapi export 并提交[/red]")
        raise typer.Exit(code=1)
    console.print("openapi/openapi.json 与应用一致")


@admin_cli.command("create")
def admin_create(
    username: Annotated[str, typer.Option(help="PC 端登录名")],
    password: Annotated[
        str, typer.Option(prompt="密码", hide_input=True, confirmation_prompt=True, help="至少 12 个字符")
    ],
    street_code: Annotated[str | None, typer.Option(help="街道代码；库中只有一个街道时可省略")] = None,
    name: Annotated[str | None, typer.Option(help="姓名")] = None,
) -> None:
    """Create a street administrator (the first one, or another) who signs in with a password."""
    from app.identity.admin import AdminCreateError, create_street_admin

    if len(password) < 12:
        console.print("[red]密码至少需要 12 个字符[/red]")
        raise typer.Exit(code=2)
    from app.core.migrations import upgrade

    url = _database_url()
    upgrade(url)
    try:
        user_id = asyncio.run(create_street_admin(url, username, password, street_code, name))
    except AdminCreateError as exc:
        console.print(f"[red]{exc}[/red]")
        raise typer.Exit(code=1) from exc
    console.print(f"已创建街道管理员 {username}（{user_id}）")


@complaints_cli.command("auto-close")
def complaints_auto_close() -> None:
    """Archive complaints left unrated 7 days after 办结 (the periodic worker will call the same function)."""
    from app.complaints.jobs import run_auto_close

    closed = asyncio.run(run_auto_close(_database_url()))
    console.print(f"已自动归档 {closed} 件诉求")


@complaints_cli.command("stats-rebuild")
def complaints_stats_rebuild() -> None:
    """Recompute the figures (per-complaint facts and daily rollups) from the event log."""
    from app.complaints.stats.jobs import run_rebuild

    facts, rollups = asyncio.run(run_rebuild(_database_url()))
    console.print(f"已从事件日志重建统计：{facts} 件诉求，{rollups} 行日汇总")


def main() -> None:
    from app.wiring import load_subscribers

    load_subscribers()  # commands that change complaints (auto-close, seeds) run the same subscribers
    try:
        cli()
    except ProductionConfigError as exc:
        console.print(f"[red]{exc}[/red]")
        sys.exit(2)


if __name__ == "__main__":
    main()
