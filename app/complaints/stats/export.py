"""The Excel workbook: one sheet per grouping, a Chinese header row, one row per group and a 合计 row."""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date

from openpyxl import Workbook
from openpyxl.styles import Font

from app.complaints.stats.schemas import StatsFigures, StatsRow, StatsScope
from app.core.spreadsheet import append_row, clean_text

# (header, attribute, number format)
COLUMNS: tuple[tuple[str, str, str | None], ...] = (
    ("受理量", "volume", None),
    ("响应率", "response_rate", "0.0%"),
    ("解决率", "resolution_rate", "0.0%"),
    ("满意率", "satisfaction_rate", "0.0%"),
    ("按期办结率", "on_time_rate", "0.0%"),
    ("退单率", "return_rate", "0.0%"),
    ("直办率", "direct_rate", "0.0%"),
    ("平均办理时长（工作小时）", "avg_handling_hours", "0.00"),
    ("P90办理时长（工作小时）", "p90_handling_hours", "0.0"),
    ("当前超期", "overdue_now", None),
    ("派单件数", "dispatched", None),
    ("退单件数", "returned", None),
    ("格中办件数", "on_spot", None),
    ("按时签收", "sign_ok", None),
    ("超时签收", "sign_late", None),
    ("超时未签收", "sign_overdue_unsigned", None),
    ("按期办结", "resolve_ok", None),
    ("超期办结", "resolve_late", None),
    ("已评价", "rated", None),
    ("评价已解决", "solved", None),
    ("评价满意或基本满意", "satisfied", None),
)
HEADER: tuple[str, ...] = ("分组", *(c[0] for c in COLUMNS))


def workbook(
    scope: StatsScope,
    start: date,
    end: date,
    sheets: Sequence[tuple[str, Sequence[StatsRow], StatsFigures]],
) -> bytes:
    wb = Workbook()
    for sheet in list(wb.worksheets):
        wb.remove(sheet)
    bold = Font(bold=True)
    for title, rows, total in sheets:
        ws = wb.create_sheet(f"按{title}")
        append_row(ws, list(HEADER))
        for cell in ws[1]:
            cell.font = bold
        for label, fig in [*((r.name, r) for r in rows), ("合计", total)]:
            # Group names are typed by administrators: written as literal text, never a formula.
            append_row(ws, [label, *(getattr(fig, attr) for _, attr, _ in COLUMNS)])
            for (_, _, fmt), cell in zip(COLUMNS, ws[ws.max_row][1:], strict=True):
                if fmt:
                    cell.number_format = fmt
        ws.cell(row=ws.max_row, column=1).font = bold
        ws.column_dimensions["A"].width = 24
        ws.freeze_panes = "B2"
    wb.properties.title = f"{clean_text(scope.name)} 诉求统计 {start:%Y-%m-%d} 至 {end:%Y-%m-%d}"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
