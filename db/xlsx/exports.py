"""Print-ready exports for staff: the monthly 汇总表 per township (one, or all with a county total),
a township's certificate verification results, its 问题清单 and the quarterly circular.

Builders return the .xlsx bytes and add an audit entry to the session (the caller commits). Cell
text is formula-safe (`xlsx_io.safe_text`); ID numbers are masked unless `full_ids` is asked for and
the principal may see them (that reveal is audited as such).

Which numbers fill the 汇总表: `source="reported"` the table the jurisdiction submitted (zeros when
it has none), `"records"` the numbers computed from the record-level data (inspections, findings,
certificate checks, enforcement actions), `"auto"` (default) the submitted table where there is
one, else the computed numbers. Each sheet says which it shows.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from copy import copy
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import func, select
from sqlmodel import Session, SQLModel, col
from sqlmodel import select as sqlmodel_select

from anpei import clock
from anpei.cells import safe_text
from anpei.masking import mask_id, mask_ids_in
from db.codes import AuditAction, MonthlyStatus
from db.models import MonthlyReport
from db.reads import overview, queries
from db.records.common import InputError, audit, jurisdiction_by_id
from db.records.findings import export_findings
from db.records.monthly_table import ITEM_PREFIX, NUMBER_KEYS, TITLE, MonthlyColumn, layout_for
from db.rules import scoring, scoring_assessment
from db.rules.access import AccessDenied, Principal, narrow, require_read
from db.rules.metrics import count_if, item_key, rectified_by
from db.xlsx.circular import circular_title, circular_xlsx
from db.xlsx.styles import (
    BODY_FONT,
    BORDER,
    HEADER_FILL,
    HEADER_FONT,
    TITLE_FONT,
    WRAP_CENTER,
    print_setup,
    safe_cell,
    workbook_bytes,
)
from verifier.types import FAMILY_LABELS, Family, Outcome, WarningCode

Source = Literal["auto", "reported", "records"]
SOURCES: dict[str, str] = {
    "auto": "已报送的用报送数，未报送的用系统记录",
    "reported": "报送数",
    "records": "系统记录",
}
TOTAL_SHEET = "全县合计"
XLSX_MEDIA = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

_F = SQLModel.metadata.tables["finding"]
_C = SQLModel.metadata.tables["certificatecheck"]
_P = SQLModel.metadata.tables["person"]
_E = SQLModel.metadata.tables["enterprise"]
_SHEET_BAD = re.compile(r"[\[\]:*?/\\]")
_REPORTED = (MonthlyStatus.SUBMITTED.value, MonthlyStatus.LATE.value, MonthlyStatus.ZERO.value)
_PASSED = (Outcome.VALID.value, Outcome.VALID_WITH_WARNINGS.value)
_COLOURS = {"valid": "C6EFCE", "warn": "E2EFDA", "red": "FFC7CE", "orange": "FCE4D6", "grey": "E7E6E6"}
_RED = {Outcome.NOT_FOUND, Outcome.NAME_MISMATCH, Outcome.CERT_NUMBER_MISMATCH}


# --- file names ----------------------------------------------------------------------------------


def download_name(*parts: str, suffix: str = ".xlsx") -> str:
    """A Chinese file name that survives download: no path or reserved characters, not too long."""
    text = "-".join(p.strip() for p in parts if p and p.strip())
    text = re.sub(r'[\\/:*?"<>|\r\n\t]+', "_", text).strip(" .")
    return (text[:80] or "导出") + suffix


def sheet_title(name: str, used: set[str]) -> str:
    """An Excel sheet name (≤ 31 characters, none of []:*?/\\), unique in the workbook."""
    base = _SHEET_BAD.sub("_", name).strip("'")[:31] or "Sheet"
    title, n = base, 2
    while title in used:
        tail = f"({n})"
        title, n = base[: 31 - len(tail)] + tail, n + 1
    used.add(title)
    return title


# --- the 汇总表 numbers ------------------------------------------------------------------------


@dataclass(frozen=True)
class SummarySheet:
    """One jurisdiction's 汇总表 for a month: layout key → value, and where the numbers come from."""

    jurisdiction_id: int
    jurisdiction: str
    month: str
    values: dict[str, Any]
    source: str  # "reported" or "records"
    note: str
    filled_by: str = ""
    phone: str = ""
    filled_on: dt.date | None = None
    status: str = MonthlyStatus.UNREPORTED.value


def _record_extras(session: Session, *, wanted: list[int], m: queries.Month) -> dict[int, dict[str, Any]]:
    """Per jurisdiction: findings of the month by check item and rectified by its end; managers passed."""
    extras: dict[int, dict[str, Any]] = {
        j: {"by_item": {}, "rectified": 0, "managers_passed": 0} for j in wanted
    }
    in_month = _F.c.found_on.between(m.first, m.last)
    stmt = (
        select(_F.c.jurisdiction_id, _F.c.target_kind, _F.c.check_item_number, func.count())
        .where(_F.c.jurisdiction_id.in_(wanted), in_month, _F.c.check_item_number.is_not(None))
        .group_by(_F.c.jurisdiction_id, _F.c.target_kind, _F.c.check_item_number)
    )
    for jid, kind, number, n in session.execute(stmt):
        extras[jid]["by_item"][item_key(kind, number)] = int(n)
    rectified = rectified_by(m.last)
    stmt = (
        select(_F.c.jurisdiction_id, count_if(rectified))
        .where(_F.c.jurisdiction_id.in_(wanted), in_month)
        .group_by(_F.c.jurisdiction_id)
    )
    for jid, n in session.execute(stmt):
        extras[jid]["rectified"] = int(n)
    stmt = (
        select(_C.c.jurisdiction_id, count_if(_C.c.outcome.in_(_PASSED)))
        .where(_C.c.jurisdiction_id.in_(wanted), _C.c.family == "safety", _C.c.as_of.between(m.first, m.last))
        .group_by(_C.c.jurisdiction_id)
    )
    for jid, n in session.execute(stmt):
        extras[jid]["managers_passed"] = int(n)
    return extras


def _from_records(row: queries.JurisdictionMonthRow, extra: dict[str, Any]) -> dict[str, Any]:
    values: dict[str, Any] = {
        "enterprises_inspected": row.enterprises_inspected,
        "high_risk_inspected": row.high_risk_inspected,
        "industry_trade_inspected": row.industry_trade_inspected,
        "institutions_inspected": row.institutions_inspected,
        "problems_found": row.findings_found,
        "ordered_rectify": row.orders,
        "rectified": extra["rectified"],
        "workers_checked": row.workers_checked,
        "unlicensed": row.unlicensed,
        "suspected_fake": row.suspected_fake,
        "managers_due": row.managers_checked,
        "managers_passed": extra["managers_passed"],
        "managers_overdue": row.managers_overdue,
        "cases": row.cases,
        "fines_wan": (row.fines_yuan / Decimal(10000)).quantize(Decimal("0.0001")),
        "exposures": row.exposures,
        "blacklisted": row.blacklisted,
    }
    for key, n in extra["by_item"].items():
        values[ITEM_PREFIX + key] = n
    return values


def _from_report(report: MonthlyReport) -> dict[str, Any]:
    values: dict[str, Any] = {key: getattr(report, key) for key in NUMBER_KEYS}
    values["fines_wan"] = Decimal(str(report.fines_wan or 0))
    for key, n in (report.problems_by_item or {}).items():
        values[ITEM_PREFIX + key] = int(n)
    return values


def summary_sheets(
    session: Session,
    *,
    principal: Principal,
    month: str,
    jurisdiction_ids: Sequence[int] | None = None,
    source: Source = "auto",
    kinds: Sequence[str] | None = queries.DEFAULT_KINDS,
) -> list[SummarySheet]:
    """The 汇总表 numbers of every jurisdiction asked for (and readable), in `sort_order`."""
    return _summary_sheets(
        session,
        principal=principal,
        month=month,
        jurisdiction_ids=jurisdiction_ids,
        source=source,
        kinds=kinds,
    )[0]


def _summary_sheets(
    session: Session,
    *,
    principal: Principal,
    month: str,
    jurisdiction_ids: Sequence[int] | None,
    source: Source,
    kinds: Sequence[str] | None,
) -> tuple[list[SummarySheet], list[queries.JurisdictionMonthRow]]:
    """`summary_sheets` and the month summary rows they were made from (the county total reuses them)."""
    if source not in SOURCES:
        raise InputError(f"数据来源“{source}”无法识别：应为 auto、reported 或 records")
    m = queries.parse_month(month)
    ids = narrow(principal, jurisdiction_ids)
    rows = queries.township_month_summary(
        session, principal=principal, month=m.label, jurisdiction_ids=ids, kinds=kinds
    )
    wanted = [r.jurisdiction_id for r in rows]
    if not wanted:
        return [], rows
    extras = _record_extras(session, wanted=wanted, m=m)
    stmt = sqlmodel_select(MonthlyReport).where(
        MonthlyReport.month == m.label, col(MonthlyReport.jurisdiction_id).in_(wanted)
    )
    reports = {r.jurisdiction_id: r for r in session.exec(stmt).all()}
    sheets: list[SummarySheet] = []
    for row in rows:
        report = reports.get(row.jurisdiction_id)
        reported = report is not None and report.status in _REPORTED and report.submitted_at is not None
        use_report = source == "reported" or (source == "auto" and reported)
        if use_report:
            values = (
                _from_report(report) if reported and report is not None else dict.fromkeys(NUMBER_KEYS, 0)
            )
            if reported and report is not None:
                when = clock.local_date(report.submitted_at).isoformat() if report.submitted_at else ""
                label = MonthlyStatus(report.status).label
                note = f"数据来源：本单位报送的汇总表（{label}，{when} 报送）"
            else:
                note = "数据来源：本单位未报送本月汇总表（按 0 填列）"
        else:
            values = _from_records(row, extras[row.jurisdiction_id])
            note = "数据来源：系统根据录入的检查、问题清单、证书核验和执法处罚记录统计" + (
                "（本单位未报送本月汇总表）" if not reported else ""
            )
        sheets.append(
            SummarySheet(
                jurisdiction_id=row.jurisdiction_id,
                jurisdiction=row.jurisdiction,
                month=m.label,
                values=values,
                source="reported" if use_report else "records",
                note=note,
                filled_by=(report.filled_by if report is not None else "") or "",
                phone=(report.phone if report is not None else "") or "",
                filled_on=report.filled_on if report is not None else None,
                status=report.status if report is not None else MonthlyStatus.UNREPORTED.value,
            )
        )
    return sheets, rows


def number_columns(columns: Sequence[MonthlyColumn]) -> list[MonthlyColumn]:
    return [c for c in columns if c.kind in ("count", "money")]


def total_values(sheets: Sequence[SummarySheet], columns: Sequence[MonthlyColumn]) -> dict[str, Any]:
    """The column sums over the sheets (what the county total sheet shows)."""
    totals: dict[str, Any] = {}
    for column in number_columns(columns):
        if column.kind == "money":
            totals[column.key] = sum(
                (Decimal(str(s.values.get(column.key) or 0)) for s in sheets), Decimal("0")
            )
        else:
            totals[column.key] = sum(int(s.values.get(column.key) or 0) for s in sheets)
    return totals


# --- the 汇总表 workbook -----------------------------------------------------------------------


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
        "month": sheet.month,
        "filled_by": sheet.filled_by,
        "phone": sheet.phone,
        "filled_on": sheet.filled_on,
    }


def _write_township(ws: Worksheet, sheet: SummarySheet, columns: Sequence[MonthlyColumn]) -> None:
    label = overview.month_label(sheet.month)
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
    ws.cell(row=2, column=half + 1).value = _month_text(overview.month_label(sheet.month), sheet.note)
    values = _sheet_values(sheet)
    for index, column in enumerate(columns, start=1):
        ws.cell(row=5, column=index).value = _cell_value(column, values.get(column.key))
    ws.cell(row=7, column=1).value = _signature_text(sheet.filled_by, sheet.phone, sheet.filled_on)
    _finish_sheet(ws, header_row=3)
    return ws


TOTAL_ROW = "各单位合计"


def county_vs_units_of(
    session: Session,
    *,
    principal: Principal,
    sheets: Sequence[SummarySheet],
    columns: Sequence[MonthlyColumn],
    rows: Sequence[queries.JurisdictionMonthRow] | None = None,
) -> list[queries.CountyVsUnits]:
    """For the county total sheet: 全县（去重） from the records next to the 各单位合计 the sheet shows.
    Empty for township and unit staff (county-wide figures are not theirs to read). `rows`: the
    month's unfiltered `township_month_summary`, when the caller has it (not read twice)."""
    if not principal.sees_all or not sheets:
        return []
    county = queries.county_totals(session, principal=principal, month=sheets[0].month, rows=rows)
    sums = total_values(sheets, columns)
    return queries.county_vs_units(
        county=county, units_sum={k: int(sums.get(k, 0)) for k, _ in queries.NOT_ADDITIVE}
    )


def _write_total(
    ws: Worksheet,
    sheets: Sequence[SummarySheet],
    columns: Sequence[MonthlyColumn],
    *,
    unit: str,
    county_vs_units: Sequence[queries.CountyVsUnits] = (),
) -> int:
    """One row per jurisdiction, then 各单位合计 (the sum of the township sheets). Returns that row."""
    month = sheets[0].month
    reported = sum(s.source == "reported" for s in sheets)
    note = f"共 {len(sheets)} 个单位，{reported} 个用报送数、{len(sheets) - reported} 个用系统记录；“{TOTAL_ROW}”为各单位工作表之和"
    if county_vs_units:
        note += "（检查生产经营单位数不是全县去重数，见表下说明）"
    _title_rows(ws, width=len(columns), unit=unit, month_label=overview.month_label(month), note=note)
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
    _data_row(ws, row, columns, {**total_values(sheets, columns), "jurisdiction": TOTAL_ROW, "month": month})
    for index in range(1, len(columns) + 1):
        ws.cell(row=row, column=index).font = Font(name="宋体", size=10, bold=True)
        ws.cell(row=row, column=index).fill = PatternFill("solid", fgColor="F2F2F2")
    footer = row + 2
    if county_vs_units:
        explained = ws.cell(
            row=row + 1, column=1, value=safe_text("说明：" + queries.county_vs_units_text(county_vs_units))
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
    month: str,
    jurisdiction_id: int | None = None,
    source: Source = "auto",
    kinds: Sequence[str] | None = queries.DEFAULT_KINDS,
    county_name: str = "县应急管理局",
) -> bytes:
    """The 汇总表 as a print-ready workbook: one jurisdiction's sheet, or (no `jurisdiction_id`) a
    county total sheet first and then a sheet per jurisdiction; the total equals the sum of the sheets."""
    if jurisdiction_id is not None:
        require_read(principal, jurisdiction_id)
        jurisdiction_by_id(session, jurisdiction_id)
    ids = [jurisdiction_id] if jurisdiction_id is not None else None
    sheets, rows = _summary_sheets(
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
        whole = rows if kinds == queries.DEFAULT_KINDS and principal.sees_all else None
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


# --- verification results --------------------------------------------------------------------


VERIFICATION_HEADER = (
    "序号",
    "核验日期",
    "生产经营单位",
    "姓名",
    "身份证号",
    "证书类型",
    "结论",
    "问题",
    "提示",
    "说明",
    "证号",
    "作业类别",
    "操作项目",
    "有效期结束",
    "应复审日期",
    "签发机关",
    "来源",
)
_WIDTHS = (6, 11, 26, 9, 21, 14, 12, 12, 18, 52, 22, 14, 18, 11, 11, 18, 8)
_SOURCE_LABELS = {"verifier": "批量核验", "saved_page": "保存页面", "manual": "人工录入"}


@dataclass(frozen=True)
class VerificationRow:
    as_of: dt.date
    enterprise: str
    name: str
    id_number: str
    family: str
    outcome: str
    problem: str
    warnings: str
    explanation: str
    cert_number: str
    category: str
    item: str
    valid_until: dt.date | None
    review_due: dt.date | None
    issuer: str
    source: str


def verification_rows(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    first: dt.date,
    last: dt.date,
    problems_only: bool = False,
) -> list[VerificationRow]:
    """The jurisdiction's certificate checks dated in [first, last], newest first (full ID numbers)."""
    require_read(principal, jurisdiction_id)
    conds = [_C.c.jurisdiction_id == jurisdiction_id, _C.c.as_of.between(first, last)]
    if problems_only:
        conds.append(_C.c.problem != "")
    stmt = (
        select(
            _C.c.as_of,
            _E.c.name,
            _P.c.name,
            _P.c.id_number,
            _C.c.family,
            _C.c.outcome,
            _C.c.problem,
            _C.c.warnings,
            _C.c.explanation,
            _C.c.cert_number,
            _C.c.category,
            _C.c.item,
            _C.c.valid_until,
            _C.c.review_due,
            _C.c.issuer,
            _C.c.source,
        )
        .select_from(_C.outerjoin(_P, _P.c.id == _C.c.person_id).outerjoin(_E, _E.c.id == _C.c.enterprise_id))
        .where(*conds)
        .order_by(_C.c.as_of.desc(), _E.c.name, _C.c.id)
    )
    return [
        VerificationRow(
            as_of=r[0],
            enterprise=r[1] or "",
            name=r[2] or "",
            id_number=r[3] or "",
            family=r[4],
            outcome=r[5],
            problem=r[6] or "",
            warnings=r[7] or "",
            explanation=r[8] or "",
            cert_number=r[9] or "",
            category=r[10] or "",
            item=r[11] or "",
            valid_until=r[12],
            review_due=r[13],
            issuer=r[14] or "",
            source=r[15] or "",
        )
        for r in session.execute(stmt)
    ]


def _outcome_label(code: str) -> str:
    try:
        return Outcome(code).label
    except ValueError:
        return code


def _outcome_class(code: str) -> str:
    try:
        outcome = Outcome(code)
    except ValueError:
        return "grey"
    if outcome is Outcome.VALID:
        return "valid"
    if outcome is Outcome.VALID_WITH_WARNINGS:
        return "warn"
    if outcome in _RED:
        return "red"
    return "grey" if not outcome.is_verdict else "orange"


def _warning_labels(codes: str) -> str:
    labels = []
    for code in filter(None, codes.split(";")):
        try:
            labels.append(WarningCode(code).label)
        except ValueError:
            labels.append(code)
    return "；".join(labels)


def _family_label(code: str) -> str:
    try:
        return FAMILY_LABELS[Family(code)]
    except ValueError:
        return code


def verification_xlsx(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    first: dt.date,
    last: dt.date,
    full_ids: bool = False,
    problems_only: bool = False,
) -> bytes:
    """A township's verification results as a print-ready sheet, coloured by outcome."""
    if full_ids and not principal.may_reveal_ids:
        raise AccessDenied(f"{principal.role.label}账号不能导出完整身份证号")
    jurisdiction = jurisdiction_by_id(session, jurisdiction_id)
    rows = verification_rows(
        session,
        principal=principal,
        jurisdiction_id=jurisdiction_id,
        first=first,
        last=last,
        problems_only=problems_only,
    )

    def ids(text: str) -> str:
        return text if full_ids else mask_ids_in(text)

    body = [
        [
            n,
            r.as_of,
            r.enterprise,
            r.name,
            r.id_number if full_ids else mask_id(r.id_number),
            _family_label(r.family),
            _outcome_label(r.outcome),
            r.problem,
            _warning_labels(r.warnings),
            ids(r.explanation),
            ids(r.cert_number),
            r.category,
            r.item,
            r.valid_until,
            r.review_due,
            r.issuer,
            _SOURCE_LABELS.get(r.source, r.source),
        ]
        for n, r in enumerate(rows, start=1)
    ]
    what = "问题人员" if problems_only else "证书核验结果"
    title = f"{jurisdiction.name} {what}（{first.isoformat()} 至 {last.isoformat()}，共 {len(rows)} 人次）"
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = sheet_title(what, set())
    ws.cell(row=1, column=1, value=safe_text(title)).font = TITLE_FONT
    ws.cell(row=1, column=1).alignment = Alignment(horizontal="center", vertical="center")
    ws.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(VERIFICATION_HEADER))
    ws.row_dimensions[1].height = 30
    for index, text in enumerate(VERIFICATION_HEADER, start=1):
        cell = ws.cell(row=2, column=index, value=text)
        cell.font, cell.fill, cell.border, cell.alignment = HEADER_FONT, HEADER_FILL, BORDER, WRAP_CENTER
        ws.column_dimensions[get_column_letter(index)].width = _WIDTHS[index - 1]
    fills = {name: PatternFill("solid", fgColor=colour) for name, colour in _COLOURS.items()}
    wrap = Alignment(wrap_text=True, vertical="top")
    for offset, (values, source) in enumerate(zip(body, rows, strict=True), start=3):
        for index, value in enumerate(values, start=1):
            cell = ws.cell(row=offset, column=index, value=safe_cell(value))
            cell.font, cell.border, cell.alignment = BODY_FONT, BORDER, wrap
            if isinstance(value, str):
                cell.data_type = "s"
            if isinstance(value, dt.date):
                cell.number_format = "yyyy-mm-dd"
        fill = fills[_outcome_class(source.outcome)]
        for index in (7, 8):
            ws.cell(row=offset, column=index).fill = fill
    print_setup(ws, title_rows="2:2")
    ws.freeze_panes = "A3"
    ws.oddFooter.center.text = "第 &P 页 / 共 &N 页"
    audit(
        session,
        principal=principal,
        action=AuditAction.REVEAL if full_ids else AuditAction.EXPORT,
        entity="certificatecheck",
        entity_id=str(jurisdiction_id),
        detail=f"导出{what}：{jurisdiction.name} {first.isoformat()}—{last.isoformat()}，{len(rows)} 人次"
        + ("，含完整身份证号" if full_ids else "，身份证号已打码"),
    )
    return workbook_bytes(workbook)


# --- findings and the circular ------------------------------------------------------------------


def findings_xlsx(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int | None,
    as_of: dt.date | None = None,
    overdue_only: bool = False,
) -> bytes:
    """The 问题清单 of a jurisdiction (or every readable one), print-ready (`db.records.findings`); audited."""
    if jurisdiction_id is not None:
        require_read(principal, jurisdiction_id)
        jurisdiction_by_id(session, jurisdiction_id)
    return export_findings(
        session, principal=principal, as_of=as_of, jurisdiction_id=jurisdiction_id, overdue_only=overdue_only
    )


def circular_workbook(
    session: Session,
    *,
    principal: Principal,
    quarter: str,
    as_of: dt.date | None = None,
) -> tuple[bytes, str]:
    """The quarterly circular (`db.xlsx.circular`) and its file name; audited."""
    if not principal.sees_all:
        raise AccessDenied("季度通报含全部乡镇（部门），只有县局账号可以导出")
    campaign = overview.get_campaign(session)
    if campaign is None:
        raise InputError("数据库中没有专项整治，请先运行 anpei db seed --sample 或导入数据")
    if quarter not in campaign.quarters:
        raise InputError(
            f"季度“{quarter}”不在本专项整治的考核季度内（可选：{'、'.join(campaign.quarters) or '无'}）"
        )
    day = as_of or overview.default_as_of(campaign, today=clock.local_today())
    result = scoring_assessment.assess_quarter(
        session,
        principal=principal,
        campaign=campaign,
        quarter=quarter,
        as_of=day,
        rules=scoring.load_rules(),
    )
    data = circular_xlsx(result, campaign_name=campaign.name, issuer=campaign.issuer, issued_on=day)
    audit(
        session,
        principal=principal,
        action=AuditAction.EXPORT,
        entity="assessment",
        entity_id=quarter,
        detail=f"导出季度通报：{overview.quarter_label(quarter)}，截至 {day.isoformat()}",
    )
    return data, download_name(circular_title(campaign.name, quarter))


__all__ = [
    "SOURCES",
    "TOTAL_SHEET",
    "SummarySheet",
    "VerificationRow",
    "circular_workbook",
    "download_name",
    "findings_xlsx",
    "sheet_title",
    "summary_sheets",
    "total_values",
    "township_summary_xlsx",
    "verification_rows",
    "verification_xlsx",
]
