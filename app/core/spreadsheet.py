"""Safe cells for every xlsx and CSV export: no formula injection, no characters Excel refuses.

Text that people typed (a description, a payee, a community name) reaches spreadsheets that treasurers
and street staff open in Excel or WPS. Two things must never happen:

* a value such as ``=HYPERLINK("http://…","点击查看凭证")`` becoming a live formula (CSV/formula
  injection, OWASP): in CSV a leading ``=``, ``+``, ``-``, ``@``, tab or CR gets an apostrophe; in
  xlsx the cell is written as a literal string with Excel's quote prefix, so it stays text even when
  someone edits it;
* a control character (U+0000–U+001F except tab, LF, CR; U+FFFE/U+FFFF) that openpyxl refuses and Excel
  cannot open: posted ledger entries are immutable, so a single such character would break a
  statement export for good. They are removed.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any

# What XML 1.0 (and so xlsx) cannot hold; openpyxl raises IllegalCharacterError on the C0 part.
_REFUSED = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
# Spreadsheet programs start a formula (or DDE) on these; the full-width forms for IME input.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r", "＝", "＋", "－", "＠")

Cell = str | int | float | None


def clean_text(value: str) -> str:
    """``value`` without the characters an xlsx file cannot hold."""
    return _REFUSED.sub("", value)


def starts_formula(value: str) -> bool:
    return value.startswith(FORMULA_TRIGGERS)


def csv_cell(value: Cell) -> Cell:
    """A CSV field that a spreadsheet program shows as the text typed, never evaluates."""
    if not isinstance(value, str):
        return value
    text = clean_text(value)
    return "'" + text if starts_formula(text) else text


def csv_row(values: Iterable[Cell]) -> list[Cell]:
    return [csv_cell(v) for v in values]


def append_row(ws: Any, values: Sequence[Cell]) -> None:
    """``ws.append(values)`` with every string written as literal text (openpyxl worksheet ``ws``)."""
    ws.append([clean_text(v) if isinstance(v, str) else v for v in values])
    if not values:
        return
    for cell in ws[ws.max_row]:
        if isinstance(cell.value, str) and (cell.data_type == "f" or starts_formula(cell.value)):
            # openpyxl types "=…" as a formula; force a string cell and Excel's quote prefix.
            cell.data_type = "s"
            cell.quotePrefix = True
