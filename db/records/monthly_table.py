"""The monthly summary table (汇总表): its layout as data, the status a submission earns, and the
template a township fills in.

One row per jurisdiction and month (campaign.md). The layout (`layout`, `layout_for`) is data: the
fixed columns plus one per check item of the active campaign, shared by the template, validation
(`db.records.monthly_validation`), saving (`db.records.monthly_saving`) and the exports. The status
follows from the first submission time: 已报 (by the campaign's monthly due day), 逾期 (after it),
零报告; 未报 is the absence of a table.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlmodel import Session, col, select

from anpei.cells import safe_text
from anpei.periods import Month
from db.codes import AuditAction, MonthlyStatus, RiskClass, Sector, TargetKind
from db.models import CheckItem, Enterprise
from db.records.common import (
    active_campaign,
    audit,
    jurisdiction_by_id,
    local_zone,
    registered_enterprises,
)
from db.rules.access import Principal, require_read
from db.rules.campaign_defaults import CHECK_ITEMS
from db.rules.metrics import item_key
from db.xlsx.styles import (
    BODY_FONT,
    BORDER,
    HEADER_FILL,
    HEADER_FONT,
    TITLE_FONT,
    WRAP_CENTER,
    print_setup,
    workbook_bytes,
    write_table,
)

SHEET = "汇总表"
ENTERPRISE_SHEET = "企业名单"
FORM_SHEET = "在线填报"
TITLE = "安全生产培训“走过场”执法检查汇总表"
ITEM_PREFIX = "item:"  # layout keys of the by-check-item columns: item:enterprise-1 …
FOOTER_MARKERS = ("填报人：", "注：", "注:", "单位（盖章）", "填报单位（盖章）")

Kind = Literal["text", "month", "count", "money", "date"]


@dataclass(frozen=True)
class MonthlyColumn:
    """One column of the table: `key` is a MonthlyReport field (or item:<kind>-<n>), `header` its Chinese title."""

    key: str
    header: str
    kind: Kind
    group: str
    width: float = 8.0
    required: bool = True


def layout(items: Sequence[tuple[str, int, str]] = ()) -> tuple[MonthlyColumn, ...]:
    """The table's columns; `items` are the campaign's check items (target kind, number, short name)."""
    items = items or [(i.target_kind.value, i.number, i.short) for i in CHECK_ITEMS]
    by_item = tuple(
        MonthlyColumn(
            ITEM_PREFIX + item_key(kind, number),
            f"{'企业' if kind == TargetKind.ENTERPRISE.value else '机构'}{number}.{short}",
            "count",
            "发现问题（按检查项）",
            7.0,
            required=False,
        )
        for kind, number, short in sorted(items, key=lambda t: (t[0] != TargetKind.ENTERPRISE.value, t[1]))
    )
    c = MonthlyColumn
    return (
        c("jurisdiction", "填报单位", "text", "基本信息", 12),
        c("month", "月份", "month", "基本信息", 9),
        c("enterprises_inspected", "检查生产经营单位数", "count", "检查情况", 9),
        c("high_risk_inspected", "其中：高危行业", "count", "检查情况"),
        c("industry_trade_inspected", "其中：工贸行业", "count", "检查情况"),
        c("institutions_inspected", "检查培训机构数", "count", "检查情况"),
        c("problems_found", "发现问题数", "count", "发现问题（按检查项）"),
        *by_item,
        c("ordered_rectify", "责令整改数", "count", "整改情况"),
        c("rectified", "已整改数", "count", "整改情况"),
        c("workers_checked", "核查特种作业人员数", "count", "特种作业人员持证核查", 9),
        c("unlicensed", "无证上岗人数", "count", "特种作业人员持证核查"),
        c("suspected_fake", "疑似持假证人数", "count", "特种作业人员持证核查"),
        c("managers_due", "应考核主要负责人和安全管理人员数", "count", "主要负责人和安全管理人员考核", 11),
        c("managers_passed", "已考核合格数", "count", "主要负责人和安全管理人员考核"),
        c("managers_overdue", "逾期未考核数", "count", "主要负责人和安全管理人员考核"),
        c("cases", "立案数", "count", "执法处罚"),
        c("fines_wan", "罚款金额（万元）", "money", "执法处罚", 9),
        c("exposures", "曝光数", "count", "执法处罚"),
        c("blacklisted", "纳入黑名单数", "count", "执法处罚"),
        c("filled_by", "填报人", "text", "填报信息", 9, required=False),
        c("phone", "联系电话", "text", "填报信息", 12, required=False),
        c("filled_on", "填报日期", "date", "填报信息", 11, required=False),
    )


DEFAULT_LAYOUT = layout()
NUMBER_KEYS = tuple(
    c.key for c in DEFAULT_LAYOUT if c.kind in ("count", "money") and not c.key.startswith(ITEM_PREFIX)
)


def layout_for(session: Session) -> tuple[MonthlyColumn, ...]:
    """The layout with the active campaign's check items."""
    campaign = active_campaign(session)
    items = session.exec(
        select(CheckItem).where(CheckItem.campaign_id == campaign.id).order_by(col(CheckItem.number))
    ).all()
    return layout([(i.target_kind, i.number, i.short) for i in items])


# --- status and due dates ------------------------------------------------------------------


def due_date(month: Month, due_day: int) -> dt.date:
    """The day a month's table is due: `due_day` of the following month (clipped to its length)."""
    return month.next().day(due_day)


def is_late(submitted_at: dt.datetime, *, month: Month, due_day: int) -> bool:
    """Submitted after the due day (in Settings.timezone)."""
    aware = submitted_at if submitted_at.tzinfo else submitted_at.replace(tzinfo=dt.UTC)
    return aware.astimezone(local_zone()).date() > due_date(month, due_day)


def derive_status(*, submitted_at: dt.datetime, month: Month, due_day: int, zero: bool) -> MonthlyStatus:
    if zero:
        return MonthlyStatus.ZERO
    return (
        MonthlyStatus.LATE if is_late(submitted_at, month=month, due_day=due_day) else MonthlyStatus.SUBMITTED
    )


# --- the template ----------------------------------------------------------------------------


def build_template(session: Session, *, principal: Principal, jurisdiction_id: int, month: Month) -> bytes:
    """An .xlsx ready to fill and print: the 汇总表 with the jurisdiction and month filled in, and a
    second sheet listing the jurisdiction's registered enterprises."""
    require_read(principal, jurisdiction_id)
    label = str(month)
    jurisdiction = jurisdiction_by_id(session, jurisdiction_id)
    campaign = active_campaign(session)
    columns = layout_for(session)
    enterprises = registered_enterprises(session, jurisdiction_id)
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = SHEET
    _write_summary_sheet(
        ws,
        columns=columns,
        jurisdiction=jurisdiction.name,
        month=label,
        notice=campaign.notice_ref,
        due=due_date(month, campaign.monthly_due_day),
    )
    _write_enterprise_sheet(workbook.create_sheet(ENTERPRISE_SHEET), enterprises, jurisdiction.name, label)
    audit(
        session,
        principal=principal,
        action=AuditAction.EXPORT,
        entity="monthlyreport",
        entity_id=f"{jurisdiction_id}:{label}",
        detail=f"下载汇总表模板：{jurisdiction.name} {label}",
    )
    return workbook_bytes(workbook)


def _write_summary_sheet(
    ws: Any, *, columns: Sequence[MonthlyColumn], jurisdiction: str, month: str, notice: str, due: dt.date
) -> None:
    width = len(columns)
    last = get_column_letter(width)
    ws["A1"] = TITLE
    ws["A1"].font, ws["A1"].alignment = TITLE_FONT, Alignment(horizontal="center", vertical="center")
    ws.merge_cells(f"A1:{last}1")
    ws.row_dimensions[1].height = 30
    ws["A2"] = safe_text(f"填报单位（盖章）：{jurisdiction}")
    ws["A2"].font = Font(name="宋体", size=11, bold=True)
    ws.merge_cells(start_row=2, start_column=1, end_row=2, end_column=max(2, width // 2))
    info = ws.cell(
        row=2, column=width // 2 + 1, value=f"月份：{month}　　报送截止：{due.isoformat()}　　{notice}"
    )
    info.font = Font(name="宋体", size=11)
    # row 3: the column groups (merged), row 4: the headers
    start = 1
    for index in range(1, width + 1):
        group = columns[index - 1].group
        if index == width or columns[index].group != group:
            cell = ws.cell(row=3, column=start, value=group)
            for c in range(start, index + 1):
                g = ws.cell(row=3, column=c)
                g.font, g.fill, g.border, g.alignment = HEADER_FONT, HEADER_FILL, BORDER, WRAP_CENTER
            if index > start:
                ws.merge_cells(start_row=3, start_column=start, end_row=3, end_column=index)
            cell.alignment = WRAP_CENTER
            start = index + 1
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(row=4, column=index, value=column.header)
        cell.font, cell.fill, cell.border, cell.alignment = HEADER_FONT, HEADER_FILL, BORDER, WRAP_CENTER
        ws.column_dimensions[get_column_letter(index)].width = column.width
    ws.row_dimensions[4].height = 66
    for index, column in enumerate(columns, start=1):
        cell = ws.cell(row=5, column=index)
        cell.font, cell.border = BODY_FONT, BORDER
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        if column.key == "jurisdiction":
            cell.value = safe_text(jurisdiction)
        elif column.key == "month":
            cell.value, cell.number_format = month, "@"
        elif column.kind == "date":
            cell.number_format = "yyyy-mm-dd"
        elif column.kind == "text":
            cell.number_format = "@"
    ws.row_dimensions[5].height = 30
    _add_validations(ws, columns, rows="5:5")
    ws.cell(
        row=7,
        column=1,
        value="填报人：____________　　联系电话：________________　　填报日期：______年____月____日　　单位（盖章）",
    )
    ws.cell(
        row=8,
        column=1,
        value=(
            "注：1. 数量均填整数，没有的填 0；2. 罚款金额单位为万元；3. “其中：高危行业”“其中：工贸行业”之和不超过检查生产经营单位数；"
            "4. 已整改数不超过责令整改数，责令整改数不超过发现问题数；5. 无证上岗与疑似持假证人数之和不超过核查人数；"
            "6. 已考核合格与逾期未考核之和不超过应考核人数；7. 本月没有检查任务的，请在系统中提交“零报告”。"
            "“企业名单”工作表列出本单位登记的生产经营单位，供填报时核对。"
        ),
    )
    for row in (7, 8):
        ws.cell(row=row, column=1).font = BODY_FONT
    ws.freeze_panes = "C5"
    print_setup(ws, title_rows="3:4")
    ws.oddFooter.center.text = "填报单位（盖章）　　　　　　第 &P 页 / 共 &N 页"


def _add_validations(ws: Any, columns: Sequence[MonthlyColumn], *, rows: str) -> None:
    first, last = rows.split(":")
    counts = DataValidation(
        type="whole",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="数量",
        error="请填写不小于 0 的整数",
    )
    money = DataValidation(
        type="decimal",
        operator="greaterThanOrEqual",
        formula1="0",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="罚款金额",
        error="请填写不小于 0 的金额（万元）",
    )
    dates = DataValidation(
        type="date",
        operator="between",
        formula1="DATE(2000,1,1)",
        formula2="DATE(2100,12,31)",
        allow_blank=True,
        showErrorMessage=True,
        errorTitle="日期",
        error="请填写日期，例如 2023-05-06",
    )
    for index, column in enumerate(columns, start=1):
        letter = get_column_letter(index)
        target = {"count": counts, "money": money, "date": dates}.get(column.kind)
        if target is not None:
            target.add(f"{letter}{first}:{letter}{last}")
    for validation in (counts, money, dates):
        ws.add_data_validation(validation)


def _write_enterprise_sheet(
    ws: Any, enterprises: Sequence[Enterprise], jurisdiction: str, month: str
) -> None:
    header = [
        "序号",
        "企业名称",
        "统一社会信用代码",
        "行业",
        "类别",
        "地址",
        "联系人",
        "联系电话",
        "本月是否检查",
    ]
    rows = [
        [
            n,
            e.name,
            e.uscc or "",
            Sector(e.sector).label,
            RiskClass(e.risk_class).label,
            e.address,
            e.contact,
            e.phone,
            "",
        ]
        for n, e in enumerate(enterprises, start=1)
    ]
    high = sum(e.risk_class == RiskClass.HIGH_RISK.value for e in enterprises)
    trade = sum(e.risk_class == RiskClass.INDUSTRY_TRADE.value for e in enterprises)
    header_row = write_table(
        ws,
        header=header,
        rows=rows,
        widths=[6, 32, 22, 10, 10, 30, 10, 14, 10],
        title=f"{jurisdiction} 登记生产经营单位名单（{month}）：共 {len(enterprises)} 家，其中高危行业 {high} 家、工贸行业 {trade} 家",
    )
    if rows:
        check = DataValidation(type="list", formula1='"是,否"', allow_blank=True)
        check.add(f"I{header_row + 1}:I{header_row + len(rows)}")
        ws.add_data_validation(check)
    print_setup(ws, title_rows=f"{header_row}:{header_row}")


__all__ = [
    "DEFAULT_LAYOUT",
    "MonthlyColumn",
    "build_template",
    "derive_status",
    "due_date",
    "is_late",
    "layout",
    "layout_for",
]
