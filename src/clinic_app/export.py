"""Writing lists to .xlsx (openpyxl) for the township desk and the county.

Text cells stay text (an ID number written as a number loses its last digits in Excel), the
header row is bold, frozen and repeated on printed pages, columns are sized to their content,
and an optional title row (merged across the columns) says what the list is. Numbers stay
numbers the county can add up: money is passed as ``Decimal`` yuan (exact, from integer fen)
and shown with two decimals, a rate as a ``Ratio`` of two counts, written as a fraction Excel
shows as a percentage (or — when nobody was counted, never a 0% that is not one).
"""

from __future__ import annotations

import datetime as dt
import decimal
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter

from clinic_app.fileio import write_file


@dataclass(frozen=True)
class Ratio:
    """A rate of two counts (签约率 = 签约人数 ÷ 在册人数) for a spreadsheet cell."""

    part: int
    whole: int

    def cell(self) -> tuple[Any, str | None]:
        """(value, number format): the fraction as a percentage, or — for 0 ÷ 0."""
        if not self.whole:
            return "—", "@"
        return self.part / self.whole, "0.0%"

    def __str__(self) -> str:
        return f"{100 * self.part / self.whole:.1f}%" if self.whole else "—"


def _cell(value: Any) -> tuple[Any, str | None]:
    if value is None:
        return "", "@"
    if isinstance(value, Ratio):
        return value.cell()
    if isinstance(value, str):
        return value, "@"  # ID numbers stay text (Excel keeps 15 digits)
    if isinstance(value, decimal.Decimal):
        return value, "#,##0.00"  # yuan from integer fen: two decimals, grouped
    return value, None


def write_xlsx(path: Path | str, sheet_name: str, headers: Sequence[str],
               rows: Iterable[Sequence[Any]], *, title: str | None = None) -> int:
    """Write one sheet; returns the number of data rows. Atomic: a failed write leaves no file.

    title: an optional first row merged across the columns ("红星村 花名册 导出于2026-11-23
    共12人"), so a printed or forwarded list says what it is; the header row follows it.
    """
    target = Path(path)
    book = Workbook(write_only=False)
    sheet = book.active
    assert sheet is not None
    sheet.title = sheet_name[:31]
    header_row = 1
    if title:
        sheet.append([title])
        cell = sheet.cell(row=1, column=1)
        cell.font = Font(bold=True, size=14)
        cell.alignment = Alignment(horizontal="center", vertical="center")
        if len(headers) > 1:
            sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(headers))
        sheet.row_dimensions[1].height = 24
        header_row = 2
    sheet.append(list(headers))
    for cell in sheet[header_row]:
        cell.font = Font(bold=True)
    widths = [len(str(h)) * 2 + 2 for h in headers]
    count = 0
    for row in rows:
        cells = [_cell(v) for v in row]
        sheet.append([value for value, _ in cells])
        for column, (value, number_format) in enumerate(cells):
            if number_format:
                cell = sheet.cell(row=header_row + count + 1, column=column + 1)
                cell.number_format = number_format
            shown = str(row[column]) if isinstance(row[column], Ratio) else str(value)
            widths[column] = max(widths[column], min(60, len(shown) * 2 + 2))
        count += 1
    for column, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.print_title_rows = f"{header_row}:{header_row}"  # the header on every printed page
    write_file(target, book.save)
    return count


def list_title(subject: str, what: str, on: dt.date | str, count: int, unit: str = "人") -> str:
    """A list's title row: "红星村 花名册 导出于2026-11-23 共12人" (subject may be empty)."""
    day = on.isoformat() if isinstance(on, dt.date) else on
    return " ".join(p for p in (subject, what, f"导出于{day}", f"共{count}{unit}") if p)
