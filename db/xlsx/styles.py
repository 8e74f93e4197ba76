"""Writing styled sheets: `write_table` lays out a title, a header and rows with one style, every
cell formula-safe (`safe_cell`, over `anpei.cells.safe_text`); `print_setup` makes a sheet
print-ready; `workbook_bytes` and `simple_workbook` hand back the file.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.properties import PageSetupProperties
from openpyxl.worksheet.worksheet import Worksheet

from anpei.cells import safe_text

THIN = Side(style="thin", color="808080")
BORDER = Border(left=THIN, right=THIN, top=THIN, bottom=THIN)
HEADER_FILL = PatternFill("solid", fgColor="DDEBF7")
TITLE_FONT = Font(name="宋体", size=16, bold=True)
HEADER_FONT = Font(name="宋体", size=10, bold=True)
BODY_FONT = Font(name="宋体", size=10)
WRAP_CENTER = Alignment(horizontal="center", vertical="center", wrap_text=True)


def safe_cell(value: Any) -> Any:
    """A cell value: text formula-safe (`anpei.cells.safe_text`), a Decimal as a float."""
    if isinstance(value, str):
        return safe_text(value)
    if isinstance(value, Decimal):
        return float(value)
    return value


def write_table(
    ws: Worksheet,
    *,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    title: str = "",
    widths: Sequence[float] | None = None,
    start_row: int = 1,
) -> int:
    """A title (merged over the header width), a styled header and bordered rows; the header row."""
    row = start_row
    if title:
        ws.cell(row=row, column=1, value=safe_text(title)).font = TITLE_FONT
        ws.cell(row=row, column=1).alignment = Alignment(horizontal="center", vertical="center")
        if len(header) > 1:
            ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=len(header))
        ws.row_dimensions[row].height = 28
        row += 1
    header_row = row
    for col_index, text in enumerate(header, start=1):
        cell = ws.cell(row=row, column=col_index, value=text)
        cell.font, cell.fill, cell.border, cell.alignment = HEADER_FONT, HEADER_FILL, BORDER, WRAP_CENTER
    for values in rows:
        row += 1
        for col_index, value in enumerate(values, start=1):
            cell = ws.cell(row=row, column=col_index, value=safe_cell(value))
            cell.font, cell.border = BODY_FONT, BORDER
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
    for col_index in range(1, len(header) + 1):
        width = widths[col_index - 1] if widths and col_index <= len(widths) else 14
        ws.column_dimensions[get_column_letter(col_index)].width = width
    ws.freeze_panes = ws.cell(row=header_row + 1, column=1)
    return header_row


def workbook_bytes(workbook: Workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def simple_workbook(
    *,
    sheet: str,
    header: Sequence[str],
    rows: Sequence[Sequence[Any]],
    title: str = "",
    widths: Sequence[float] | None = None,
) -> bytes:
    """A one-sheet styled .xlsx (exports)."""
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = sheet
    header_row = write_table(ws, header=header, rows=rows, title=title, widths=widths)
    print_setup(ws, title_rows=f"{header_row}:{header_row}")
    return workbook_bytes(workbook)


def print_setup(ws: Worksheet, *, title_rows: str | None = None, landscape: bool = True) -> None:
    """A4, fit to the page width, header rows repeated on every printed page."""
    ws.page_setup.orientation = "landscape" if landscape else "portrait"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    ws.page_setup.fitToWidth = 1
    ws.page_setup.fitToHeight = 0
    ws.print_options.horizontalCentered = True
    ws.page_margins.left = ws.page_margins.right = 0.4
    if title_rows:
        ws.print_title_rows = title_rows
