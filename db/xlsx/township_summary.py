"""The monthly 汇总表 as a print-ready workbook (A4 landscape, header repeated, the stamp line):
one jurisdiction's sheet, or a county total sheet followed by a sheet per jurisdiction. The numbers
come from `db.xlsx.summary_figures`; the builder adds an audit entry to the session (the caller
commits). Every cell is formula-safe (`anpei.cells.safe_text`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from copy import copy
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlmodel import Session

from anpei.cells import safe_text
from anpei.periods import Month
from db.codes import AuditAction
from db.reads import county_dedup, jurisdiction_list
from db.records.common import InputError, audit, jurisdiction_by_id
from db.records.monthly_table import TITLE, MonthlyColumn, layout_for
from db.rules.access import Principal, require_read
from db.xlsx.file_names import sheet_title
from db.xlsx.styles import (
    BODY_FONT,
    BORDER,
    HEADER_FILL,
    HEADER_FONT,
    TITLE_FONT,
    WRAP_CENTER,
    print_setup,
    workbook_bytes,
)
from db.xlsx.summary_figures import (
    SOURCES,
    Source,
    SummarySheet,
    county_vs_units_of,
    summary_sheets_and_rows,
    total_values,
)

TOTAL_SHEET = "全县合计"
TOTAL_ROW = "各单位合计"


def _cell_value(column: MonthlyColumn, value: Any) -> Any:
    if column.kind == "money":
        return float(Decimal(str(value or 0)))
    if column.kind == "count":
        return int(value or 0)
    if isinstance(value, str):
        return safe_text(value)
    return value


def _header(ws: Worksheet, columns: Sequence[MonthlyColumn], *, group_row: int) -> None:
    width = len(columns)
    start = 1
    for index in range(1, width + 1):
        group = columns[index - 1].group
        if index == width or columns[index].group != group:
            ws.cell(row=group_row, column=start, value=group)
            for c in range(start, index + 1):
                cell = ws.cell(row=group_row, column=c)
                cell.font, cell.fill, cell.border, cell.alignment = (
                    HEADER_FONT,
                    HEADER_FILL,
                    BORDER,
                    WRAP_CENTER,
                )
            if index > start:
                ws.merge_cells(start_row=group_row, start_column=start, end_row=group_row, end_column=index)
            start = index + 1
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(row=group_row + 1, column=index, value=column.header)
        cell.font, cell.fill, cell.border, cell.alignment = HEADER_FONT, HEADER_FILL, BORDER, WRAP_CENTER
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.row_dimensions[group_row].height = 30
    ws.row_dimensions[group_row + 1].height = 66


def _data_row(ws: Worksheet, row: int, columns: Sequence[MonthlyColumn], values: dict[str, Any]) -> None:
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(row=row, column=index, value=_cell_value(column, values.get(column.key)))
        cell.font, cell.border = BODY_FONT, BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if column.kind == "money":
            cell.number_format = "0.0000"
        elif column.kind == "date":
            cell.number_format = "yyyy-mm-dd"
        elif column.kind in ("text", "month"):
            cell.number_format = "@"
    ws.row_dimensions[row].height = 30


def _unit_text(unit: str) -> str:
    return safe_text(f"填报单位（盖章）：{unit}")


def _month_text(month_label: str, note: str) -> str:
    return safe_text(f"统计月份：{month_label}　　{note}")


def _signature_text(filled_by: str, phone: str, filled_on: dt.date | None) -> str:
    day = f"{filled_on.year}年{filled_on.month}月{filled_on.day}日" if filled_on else "______年____月____日"
    return safe_text(
        f"填报人：{filled_by or '____________'}　　联系电话：{phone or '________________'}　　填报日期：{day}"
    )


def _title_rows(ws: Worksheet, *, width: int, unit: str, month_label: str, note: str) -> None:
    last = get_column_letter(width)
    ws["A1"] = TITLE
    ws["A1"].font, ws["A1"].alignment = TITLE_FONT, Alignment(horizontal="center", vertical="center")
    ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 32
    half = max(2, width // 2)
    ws.cell(row=2, column=1, value=_unit_text(unit)).font = Font(name="宋体", size=11, bold=True)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=half)
    info = ws.cell(row=2, column=half + 1, value=_month_text(month_label, note))
    info.font = Font(name="宋体", size=10)
    info.alignment = Alignment(horizontal="right", vertical="center")
    ws.merge_cells(start_row=2, start_column=half + 1, end_row=2, end_column=width)
    ws.row_dimensions[2].height = 24


def _footer_rows(
    ws: Worksheet, *, row: int, width: int, filled_by: str, phone: str, filled_on: dt.date | None
) -> None:
    half = max(2, width // 2)
    sign = ws.cell(row=row, column=1, value=_signature_text(filled_by, phone, filled_on))
    sign.font = Font(name="宋体", size=11)
    ws.merge_cells(start_row=row, start_column=1, end_row=row, end_column=half)
    stamp = ws.cell(row=row, column=half + 1, value="填报单位（盖章）")
    stamp.font = Font(name="宋体", size=11, bold=True)
    stamp.alignment = Alignment(horizontal="right", vertical="top")
    ws.merge_cells(start_row=row, start_column=half + 1, end_row=row + 2, end_column=width)
    for r in (row, row + 1, row + 2):
        ws.row_dimensions[r].height = 26


def _finish_sheet(ws: Worksheet, *, header_row: int) -> None:
    print_setup(ws, title_rows=f"{header_row}:{header_row + 1}", landscape=True)
    ws.freeze_panes = ws.cell(row=header_row + 2, column=3)
    ws.oddFooter.center.text = "第 &P 页 / 共 &N 页"


def _sheet_values(sheet: SummarySheet) -> dict[str, Any]:
    return {
        **sheet.values,
        "jurisdiction": sheet.jurisdiction,
        "month": str(sheet.month),
        "filled_by": sheet.filled_by,
        "phone": sheet.phone,
        "filled_on": sheet.filled_on,
    }


def _write_township(ws: Worksheet, sheet: SummarySheet, columns: Sequence[MonthlyColumn]) -> None:
    label = sheet.month.label
    _title_rows(ws, width=len(columns), unit=sheet.jurisdiction, month_label=label, note=sheet.note)
    _header(ws, columns, group_row=3)
    _data_row(ws, 5, columns, _sheet_values(sheet))
    _footer_rows(
        ws, row=7, width=len(columns), filled_by=sheet.filled_by, phone=sheet.phone, filled_on=sheet.filled_on
    )
    _finish_sheet(ws, header_row=3)


def _copy_township(
    template: Worksheet, title: str, sheet: SummarySheet, columns: Sequence[MonthlyColumn]
) -> Worksheet:
    """Another jurisdiction's sheet as a copy of `template` (a sheet `_write_township` wrote) with
    this sheet's values: the same cells as `_write_township` writes, without styling every cell
    and merging every range again (openpyxl hashes each style object on every assignment, which
    made the all-townships workbook spend most of its time on identical header styling)."""
    workbook = template.parent
    assert workbook is not None
    ws = workbook.copy_worksheet(template)
    ws.title = title
    width = len(columns)
    half = max(2, width // 2)
    ws.cell(row=2, column=1).value = _unit_text(sheet.jurisdiction)
    ws.cell(row=2, column=half + 1).value = _month_text(sheet.month.label, sheet.note)
    values = _sheet_values(sheet)
    for index, column in enumerate(columns, start=1):
        ws.cell(row=5, column=index).value = _cell_value(column, values.get(column.key))
    ws.cell(row=7, column=1).value = _signature_text(sheet.filled_by, sheet.phone, sheet.filled_on)
    _finish_sheet(ws, header_row=3)
    return ws


def _write_total(
    ws: Worksheet,
    sheets: Sequence[SummarySheet],
    columns: Sequence[MonthlyColumn],
    *,
    unit: str,
    county_vs_units: Sequence[county_dedup.CountyVsUnits] = (),
) -> int:
    """One row per jurisdiction, then 各单位合计 (the sum of the township sheets). Returns that row."""
    month = sheets[0].month
    reported = sum(s.source == "reported" for s in sheets)
    note = f"共 {len(sheets)} 个单位，{reported} 个用报送数、{len(sheets) - reported} 个用系统记录；“{TOTAL_ROW}”为各单位工作表之和"
    if county_vs_units:
        note += "（检查生产经营单位数不是全县去重数，见表下说明）"
    _title_rows(ws, width=len(columns), unit=unit, month_label=month.label, note=note)
    _header(ws, columns, group_row=3)
    row = 5
    for sheet in sheets:
        if row == 5:
            _data_row(ws, row, columns, _sheet_values(sheet))
        else:  # the same look as the first row: its cells' styles are copied, not built again
            values = _sheet_values(sheet)
            for index, column in enumerate(columns, start=1):
                cell = ws.cell(row=row, column=index, value=_cell_value(column, values.get(column.key)))
                cell._style = copy(ws.cell(row=5, column=index)._style)
            ws.row_dimensions[row].height = 30
        row += 1
    _data_row(
        ws, row, columns, {**total_values(sheets, columns), "jurisdiction": TOTAL_ROW, "month": str(month)}
    )
    for index in range(1, len(columns) + 1):
        ws.cell(row=row, column=index).font = Font(name="宋体", size=10, bold=True)
        ws.cell(row=row, column=index).fill = PatternFill("solid", fgColor="F2F2F2")
    footer = row + 2
    if county_vs_units:
        explained = ws.cell(
            row=row + 1,
            column=1,
            value=safe_text("说明：" + county_dedup.county_vs_units_text(county_vs_units)),
        )
        explained.font = Font(name="宋体", size=10)
        explained.alignment = Alignment(horizontal="left", vertical="center", wrap_text=True)
        ws.merge_cells(start_row=row + 1, start_column=1, end_row=row + 1, end_column=len(columns))
        ws.row_dimensions[row + 1].height = 36
        footer = row + 3
    _footer_rows(ws, row=footer, width=len(columns), filled_by="", phone="", filled_on=None)
    _finish_sheet(ws, header_row=3)
    return row


def township_summary_xlsx(
    session: Session,
    *,
    principal: Principal,
    month: Month,
    jurisdiction_id: int | None = None,
    source: Source = "auto",
    kinds: Sequence[str] | None = jurisdiction_list.DEFAULT_KINDS,
    county_name: str = "县应急管理局",
) -> bytes:
    """The 汇总表 as a print-ready workbook: one jurisdiction's sheet, or (no `jurisdiction_id`) a
    county total sheet first and then a sheet per jurisdiction; the total equals the sum of the sheets."""
    if jurisdiction_id is not None:
        require_read(principal, jurisdiction_id)
        jurisdiction_by_id(session, jurisdiction_id)
    ids = [jurisdiction_id] if jurisdiction_id is not None else None
    sheets, rows = summary_sheets_and_rows(
        session,
        principal=principal,
        month=month,
        jurisdiction_ids=ids,
        source=source,
        kinds=None if jurisdiction_id is not None else kinds,
    )
    if not sheets:
        raise InputError("没有可导出的乡镇（街道）或单位")
    columns = layout_for(session)
    workbook = Workbook()
    first = workbook.active
    assert first is not None
    used: set[str] = set()
    if jurisdiction_id is None:
        first.title = sheet_title(TOTAL_SHEET, used)
        # the rows are the county_totals' own when they are the whole month's (every readable township and unit)
        whole = rows if kinds == jurisdiction_list.DEFAULT_KINDS and principal.sees_all else None
        figures = county_vs_units_of(session, principal=principal, sheets=sheets, columns=columns, rows=whole)
        _write_total(first, sheets, columns, unit=county_name, county_vs_units=figures)
        template: Worksheet | None = None
        for sheet in sheets:
            title = sheet_title(sheet.jurisdiction, used)
            if template is None:
                template = workbook.create_sheet(title)
                _write_township(template, sheet, columns)
            else:
                _copy_township(template, title, sheet, columns)
    else:
        first.title = sheet_title(sheets[0].jurisdiction, used)
        _write_township(first, sheets[0], columns)
    what = sheets[0].jurisdiction if jurisdiction_id is not None else f"全部 {len(sheets)} 个单位及全县合计"
    audit(
        session,
        principal=principal,
        action=AuditAction.EXPORT,
        entity="monthlyreport",
        entity_id=f"{jurisdiction_id or 'all'}:{sheets[0].month}",
        detail=f"导出汇总表（打印版）：{what}，{sheets[0].month}，数据来源 {SOURCES[source]}",
    )
    return workbook_bytes(workbook)
