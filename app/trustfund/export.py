"""The owners' monthly statement as a file: xlsx or CSV (UTF-8 with BOM), every typed cell made safe."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence

from openpyxl import Workbook

from app.core.spreadsheet import Cell, append_row, csv_row

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
EXPORT_HEADER: list[Cell] = [
    "入账时间",
    "类型",
    "类别",
    "金额(分)",
    "金额(元)",
    "酬金(分)",
    "付款户",
    "收款方",
    "说明",
    "业务编号",
]


def yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def _footer(opening_fen: int, closing_fen: int) -> list[Cell]:
    return ["期初余额(分)", opening_fen, "期末余额(分)", closing_fen]


def statement_csv(rows: Sequence[Sequence[Cell]], opening_fen: int, closing_fen: int) -> bytes:
    buf = io.StringIO()
    writer = csv.writer(buf)
    writer.writerow(EXPORT_HEADER)
    writer.writerows(csv_row(row) for row in rows)
    writer.writerow([])
    writer.writerow(_footer(opening_fen, closing_fen))
    return ("\ufeff" + buf.getvalue()).encode()


def statement_xlsx(title: str, rows: Sequence[Sequence[Cell]], opening_fen: int, closing_fen: int) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = title
    append_row(ws, EXPORT_HEADER)
    for row in rows:
        append_row(ws, row)
    ws.append([])
    append_row(ws, _footer(opening_fen, closing_fen))
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
