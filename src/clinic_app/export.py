"""Writing lists to .xlsx (openpyxl) for the township desk and the county.

Text cells stay text (an ID number written as a number loses its last digits in Excel), the
header row is bold and frozen, and columns are sized to their content.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from clinic_app.errors import ClinicError


def write_xlsx(path: Path | str, title: str, headers: Sequence[str],
               rows: Iterable[Sequence[Any]]) -> int:
    """Write one sheet; returns the number of data rows. Atomic: a failed write leaves no file."""
    target = Path(path)
    book = Workbook(write_only=False)
    sheet = book.active
    assert sheet is not None
    sheet.title = title[:31]
    sheet.append(list(headers))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    widths = [len(str(h)) * 2 + 2 for h in headers]
    count = 0
    for row in rows:
        values = ["" if v is None else v for v in row]
        sheet.append(values)
        for column, value in enumerate(values):
            cell = sheet.cell(row=count + 2, column=column + 1)
            if isinstance(value, str):
                cell.number_format = "@"
            widths[column] = max(widths[column], min(60, len(str(value)) * 2 + 2))
        count += 1
    for column, width in enumerate(widths, 1):
        sheet.column_dimensions[get_column_letter(column)].width = width
    sheet.freeze_panes = "A2"
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, temp = tempfile.mkstemp(suffix=".xlsx", dir=target.parent)
        os.close(fd)
        try:
            book.save(temp)
            os.replace(temp, target)
        finally:
            if os.path.exists(temp):
                os.unlink(temp)
    except PermissionError:
        raise ClinicError(f"无法写入 {target}：文件可能正在 Excel 中打开，请关闭后重试") from None
    except OSError as exc:
        raise ClinicError(f"无法写入 {target}：{exc.strerror or exc}") from None
    return count
