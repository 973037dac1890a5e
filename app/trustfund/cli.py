"""`jincheng trustfund import FILE`: bulk income import with a progress bar."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from app.core.errors import ProblemError

trustfund_cli = typer.Typer(help="信托制物业", no_args_is_help=True)
console = Console(stderr=True)


async def _run_import(
    url: str,
    compound_id: uuid.UUID,
    content: str,
    *,
    dry_run: bool,
    all_or_nothing: bool,
    recorded_by: uuid.UUID | None,
    progress: Progress,
) -> object:
    from sqlalchemy.ext.asyncio import create_async_engine

    from app.core.db import make_sessionmaker
    from app.trustfund import repository, service

    engine = create_async_engine(url)
    task = progress.add_task("导入收入", total=None)

    def on_progress(done: int, total: int) -> None:
        progress.update(task, completed=done, total=total)

    try:
        async with make_sessionmaker(engine)() as session:
            fund = await repository.fund_by_compound(session, compound_id)
            if fund is None:
                raise ProblemError(404, "trustfund.not_found", "该小区尚未实行信托制物业")
            report = await service.import_incomes(
                session,
                fund.id,
                content,
                dry_run=dry_run,
                all_or_nothing=all_or_nothing,
                recorded_by=recorded_by,
                on_progress=on_progress,
            )
            await session.commit()
            return report
    finally:
        await engine.dispose()


@trustfund_cli.command("import")
def import_command(
    file: Annotated[Path, typer.Argument(exists=True, dir_okay=False, readable=True, help="CSV 文件（UTF-8）")],
    compound: Annotated[uuid.UUID, typer.Option("--compound", help="小区 id")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="只校验，不入账")] = False,
    all_or_nothing: Annotated[bool, typer.Option("--all-or-nothing", help="有任一错误行则全部不入账")] = False,
    recorded_by: Annotated[uuid.UUID | None, typer.Option("--recorded-by", help="登记人用户 id")] = None,
) -> None:
    """Import fee payments from CSV: reference,kind,amount,period_start,period_end,payer,description."""
    from app.core.database_url import resolve_database_url
    from app.core.settings import get_settings
    from app.trustfund.service import ImportReport

    content = file.read_text(encoding="utf-8-sig")
    with Progress(
        TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), console=console
    ) as progress:
        try:
            report = asyncio.run(
                _run_import(
                    resolve_database_url(get_settings()),
                    compound,
                    content,
                    dry_run=dry_run,
                    all_or_nothing=all_or_nothing,
                    recorded_by=recorded_by,
                    progress=progress,
                )
            )
        except ProblemError as exc:
            console.print(f"[red]{exc.title}：{exc.detail or ''}[/red]")
            raise typer.Exit(code=2) from exc
    assert isinstance(report, ImportReport)
    bad = [r for r in report.rows if r.status == "error"]
    if bad:
        table = Table("行", "业务编号", "问题", title="有误的行")
        for r in bad:
            table.add_row(str(r.line), r.reference or "", "；".join(r.errors))
        console.print(table)
    mode = "试运行" if dry_run else ("整体回退（有错误行）" if not report.committed else "已提交")
    console.print(
        f"{mode}：共 {len(report.rows)} 行，有效 {report.count('valid') + report.count('posted')}，"
        f"已入账 {report.count('posted')}，重复 {report.count('duplicate')}，错误 {len(bad)}"
    )
    if bad:
        raise typer.Exit(code=1)
