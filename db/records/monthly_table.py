"""The monthly summary table (汇总表): its layout as data, the template, validation and import.

One row per jurisdiction and month (campaign.md). A table enters the database in one of four ways —
an uploaded file (`import_monthly`), the on-screen form (`save_monthly_numbers`), an explicit
零报告 (`submit_zero_report`) — and a stamped scan can be attached (`attach_scan`). The first
submission time is kept, and the status follows from it: 已报 (by the campaign's monthly due day),
逾期 (after it), 零报告; 未报 is the absence of a table.

All services flush and never commit: the caller's transaction holds the change and its audit entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from sqlalchemy import func
from sqlmodel import Session, col, select

from db.access import AccessDenied, Principal, require_read, require_write
from db.campaign_defaults import CHECK_ITEMS
from db.codes import AuditAction, MonthlyStatus, RiskClass, Sector, TargetKind
from db.input_common import (
    SCAN_TYPES,
    InputError,
    active_campaign,
    audit,
    aware_now,
    jurisdiction_by_id,
    local_today,
    local_zone,
    registered_enterprises,
    sha256_hex,
    store_attachment,
)
from db.metrics import item_key, registered_to
from db.models import CheckItem, Enterprise, Jurisdiction, MonthlyReport
from db.queries import MonthFormatError, parse_month
from db.row_versions import check_version, flush_checked
from db.xlsx_io import (
    BODY_FONT,
    BORDER,
    HEADER_FILL,
    HEADER_FONT,
    TITLE_FONT,
    WRAP_CENTER,
    ImportProblem,
    ImportRefused,
    Table,
    column_ref,
    display,
    find_header_row,
    header_columns,
    merged_problems,
    normalise_header,
    parse_count,
    parse_date,
    parse_money,
    parse_month_cell,
    parse_text,
    print_setup,
    read_tables,
    safe_text,
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


def due_date(month: str, due_day: int) -> dt.date:
    """The day a month's table is due: `due_day` of the following month (clipped to its length)."""
    m = parse_month(month)
    following = parse_month(f"{m.last.year + (m.last.month == 12):04d}-{m.last.month % 12 + 1:02d}")
    return min(following.first + dt.timedelta(days=max(due_day, 1) - 1), following.last)


def is_late(submitted_at: dt.datetime, *, month: str, due_day: int) -> bool:
    """Submitted after the due day (in Settings.timezone)."""
    aware = submitted_at if submitted_at.tzinfo else submitted_at.replace(tzinfo=dt.UTC)
    return aware.astimezone(local_zone()).date() > due_date(month, due_day)


def derive_status(*, submitted_at: dt.datetime, month: str, due_day: int, zero: bool) -> MonthlyStatus:
    if zero:
        return MonthlyStatus.ZERO
    return (
        MonthlyStatus.LATE if is_late(submitted_at, month=month, due_day=due_day) else MonthlyStatus.SUBMITTED
    )


def _submitted(report: MonthlyReport | None) -> bool:
    return (
        report is not None
        and report.status != MonthlyStatus.UNREPORTED.value
        and report.submitted_at is not None
    )


# --- the template ----------------------------------------------------------------------------


def build_template(session: Session, *, principal: Principal, jurisdiction_id: int, month: str) -> bytes:
    """An .xlsx ready to fill and print: the 汇总表 with the jurisdiction and month filled in, and a
    second sheet listing the jurisdiction's registered enterprises."""
    require_read(principal, jurisdiction_id)
    label = parse_month(month).label
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
        due=due_date(label, campaign.monthly_due_day),
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


# --- validation ------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthlyRow:
    """One validated data row: `values` keyed by MonthlyReport field, `by_item` by item key."""

    sheet: str
    row: int
    jurisdiction: str
    month: str
    values: dict[str, Any]
    by_item: dict[str, int]


@dataclass(frozen=True)
class ValidationResult:
    filename: str
    sha256: str
    rows: list[MonthlyRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)

    @property
    def messages(self) -> list[str]:
        return [str(p) for p in self.problems]


def _where(sheet: str, row: int, index: int, column: MonthlyColumn) -> tuple[str, int, str]:
    return sheet, row, column_ref(index, column.header)


def parse_values(
    raw: Mapping[str, Any],
    *,
    columns: Sequence[MonthlyColumn],
    sheet: str,
    row: int,
    positions: Mapping[str, int] | None = None,
    unreadable: set[str] | None = None,
) -> tuple[dict[str, Any], dict[str, int], list[ImportProblem]]:
    """Typed numbers, by-item counts and problems from raw cell values keyed by layout key.

    The keys whose value could not be read are added to `unreadable` when given (so the row's
    cross-column rules can still be judged on the rest, see `sanity_problems`)."""
    values: dict[str, Any] = {}
    by_item: dict[str, int] = {}
    problems: list[ImportProblem] = []
    for column in columns:
        if column.key in ("jurisdiction", "month") or column.key not in raw:
            continue
        index = positions[column.key] if positions else 0
        where = _where(sheet, row, index, column) if index else (sheet, row, column.header)
        value = raw[column.key]
        parsed: Any
        if column.kind == "count":
            parsed = parse_count(value, where=where)
        elif column.kind == "money":
            parsed = parse_money(value, where=where)
        elif column.kind == "date":
            parsed = parse_date(value, where=where)
        else:
            parsed = parse_text(value, max_len=50)
        if isinstance(parsed, ImportProblem):
            problems.append(parsed)
            if unreadable is not None:
                unreadable.add(column.key)
        elif column.key.startswith(ITEM_PREFIX):
            if parsed:
                by_item[column.key[len(ITEM_PREFIX) :]] = int(parsed)
        else:
            values[column.key] = parsed
    return values, by_item, problems


def sanity_problems(
    values: Mapping[str, Any],
    by_item: Mapping[str, int],
    *,
    columns: Sequence[MonthlyColumn],
    sheet: str,
    row: int,
    registered: int | None = None,
    positions: Mapping[str, int] | None = None,
    unreadable: Collection[str] = (),
) -> list[ImportProblem]:
    """Numbers that cannot all be true (inspected > registered, rectified > ordered, …).

    A rule involving an `unreadable` key (one already reported as unreadable) is not judged: its
    value is unknown, and guessing 0 would report violations that are not there."""
    headers = {c.key: c.header for c in columns}

    def ref(key: str) -> str:
        index = positions.get(key) if positions else None
        return column_ref(index, headers[key]) if index else headers[key]

    def v(key: str) -> int:
        return int(values.get(key) or 0)

    problems: list[ImportProblem] = []

    def limit(keys: Sequence[str], bound: int, bound_text: str, bound_key: str | None = None) -> None:
        if any(k in unreadable for k in (*keys, bound_key)):
            return
        total = sum(v(k) for k in keys)
        if total > bound:
            names = "与".join(headers[k] for k in keys)
            what = f"{names}之和" if len(keys) > 1 else names
            problems.append(
                ImportProblem(
                    sheet,
                    row,
                    ref(keys[0]),
                    str(total),
                    f"不大于{bound_text}（{bound}）",
                    f"{what}大于{bound_text}",
                )
            )

    if registered is not None:
        limit(["enterprises_inspected"], registered, "本单位登记的生产经营单位数")
    limit(
        ["high_risk_inspected", "industry_trade_inspected"],
        v("enterprises_inspected"),
        "检查生产经营单位数",
        "enterprises_inspected",
    )
    limit(["ordered_rectify"], v("problems_found"), "发现问题数", "problems_found")
    limit(["rectified"], v("ordered_rectify"), "责令整改数", "ordered_rectify")
    limit(["unlicensed", "suspected_fake"], v("workers_checked"), "核查特种作业人员数", "workers_checked")
    limit(["managers_passed", "managers_overdue"], v("managers_due"), "应考核人数", "managers_due")
    item_total = sum(by_item.values())
    items_unknown = "problems_found" in unreadable or any(k.startswith(ITEM_PREFIX) for k in unreadable)
    if item_total != v("problems_found") and not items_unknown:  # each problem has exactly one check item
        problems.append(
            ImportProblem(
                sheet,
                row,
                ref("problems_found"),
                str(v("problems_found")),
                f"等于各检查项问题数之和（{item_total}）",
                f"发现问题数（{v('problems_found')}）与按检查项填写的问题数之和（{item_total}）不一致：每个问题对应一个检查项，"
                "请按检查项填写各列，使其合计等于发现问题数",
            )
        )
    return problems


def validate_monthly_file(
    data: bytes,
    *,
    filename: str,
    columns: Sequence[MonthlyColumn] | None = None,
    registered: Mapping[str, int] | None = None,
    today: dt.date | None = None,
    max_mb: int | None = None,
) -> ValidationResult:
    """Read and check a filled 汇总表 (.xlsx, or .csv with the same header).

    `registered` (jurisdiction name → registered enterprises), when given, makes unknown names an
    error and caps 检查生产经营单位数. Nothing is stored; `ok` is true when there are rows and no problems.
    """
    columns = tuple(columns or DEFAULT_LAYOUT)
    sha = sha256_hex(data)
    try:
        tables = read_tables(data, filename=filename, max_mb=max_mb)
    except ImportRefused as refused:
        return ValidationResult(filename, sha, problems=refused.problems)
    required = [c.header for c in columns if c.required]
    table, header_row = _find_table(tables, required)
    if table is None or header_row is None:
        names = "、".join(f"“{t.name}”" for t in tables)
        return ValidationResult(
            filename,
            sha,
            problems=[
                ImportProblem(
                    SHEET if len(tables) != 1 else tables[0].name,
                    0,
                    "",
                    names,
                    f"名为“{SHEET}”、表头含“填报单位”“月份”“检查生产经营单位数”等列的工作表",
                    f"找不到汇总表：文件中的工作表为 {names}，但没有一张含有汇总表的表头（请使用系统下载的模板）",
                )
            ],
        )
    problems: list[ImportProblem] = []
    present = header_columns(table, header_row)
    positions: dict[str, int] = {}
    for column in columns:
        index = present.get(normalise_header(column.header))
        if index is not None:
            positions[column.key] = index
        elif column.required:
            problems.append(
                ImportProblem(
                    table.name, header_row, "", "", f"表头含“{column.header}”", f"缺少“{column.header}”列"
                )
            )
    last_data = header_row
    for row in range(header_row + 1, len(table.rows) + 1):
        first = parse_text(table.cell(row, 1))
        if table.row_is_blank(row) or first.startswith(FOOTER_MARKERS):
            break
        last_data = row
    problems += merged_problems(table, from_row=header_row)
    problems = [p for p in problems if p.row <= last_data or p.message.startswith("缺少")]
    if problems and any(p.message.startswith("缺少") for p in problems):
        return ValidationResult(filename, sha, problems=problems)
    today = today or local_today()
    rows: list[MonthlyRow] = []
    seen: dict[tuple[str, str], int] = {}
    for row in range(header_row + 1, last_data + 1):
        raw = {key: table.cell(row, index) for key, index in positions.items()}
        name = parse_text(raw.get("jurisdiction"), max_len=50)
        row_problems: list[ImportProblem] = []
        j_col = _where(table.name, row, positions["jurisdiction"], columns[0])
        if not name:
            row_problems.append(ImportProblem(*j_col, "", "本单位全称，例如 三合街道", "填报单位不能为空"))
        elif registered is not None and name not in registered:
            row_problems.append(
                ImportProblem(
                    *j_col,
                    display(raw.get("jurisdiction")),
                    "系统中的乡镇（街道）或成员单位全称",
                    "找不到这个填报单位",
                )
            )
        month = parse_month_cell(
            raw.get("month"), where=_where(table.name, row, positions["month"], columns[1])
        )
        if isinstance(month, ImportProblem):
            row_problems.append(month)
        elif parse_month(month).first > today:
            row_problems.append(
                ImportProblem(
                    *_where(table.name, row, positions["month"], columns[1]),
                    month,
                    f"不晚于本月（{today:%Y-%m}）",
                    "月份还没到",
                )
            )
        unreadable: set[str] = set()
        values, by_item, value_problems = parse_values(
            raw, columns=columns, sheet=table.name, row=row, positions=positions, unreadable=unreadable
        )
        row_problems += value_problems
        row_problems += sanity_problems(
            values,
            by_item,
            columns=columns,
            sheet=table.name,
            row=row,
            positions=positions,
            registered=registered.get(name) if registered is not None else None,
            unreadable=unreadable,
        )
        if isinstance(month, str) and name:
            key = (name, month)
            if key in seen:
                row_problems.append(
                    ImportProblem(
                        *j_col,
                        f"{name} {month}",
                        "每个单位每月一行",
                        f"与第 {seen[key]} 行重复（同一单位同一月份）",
                    )
                )
            seen.setdefault(key, row)
        problems += row_problems
        if not row_problems and isinstance(month, str):
            rows.append(MonthlyRow(table.name, row, name, month, values, by_item))
    if not problems and not rows:
        problems.append(
            ImportProblem(
                table.name,
                header_row + 1,
                "",
                "",
                "至少一行数据（填报单位、月份和各项数字）",
                "表头下面没有数据行",
            )
        )
    return ValidationResult(filename, sha, rows=rows if not problems else [], problems=problems)


def _find_table(tables: Sequence[Table], required: Sequence[str]) -> tuple[Table | None, int | None]:
    ordered = sorted(tables, key=lambda t: t.name != SHEET)
    for table in ordered:
        row = find_header_row(table, required)
        if row is not None:
            return table, row
    return None, None


# --- import and the other ways in ----------------------------------------------------------


@dataclass(frozen=True)
class ImportReport:
    filename: str
    sha256: str
    created: list[str] = field(default_factory=list)  # "三合街道 2023-05"
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # the same file imported before

    @property
    def summary(self) -> str:
        parts = []
        if self.created:
            parts.append(f"新增 {len(self.created)} 份（{'、'.join(self.created)}）")
        if self.replaced:
            parts.append(f"更正替换 {len(self.replaced)} 份（{'、'.join(self.replaced)}）")
        if self.unchanged:
            parts.append(
                f"{len(self.unchanged)} 份与已导入的文件相同，未重复计入（{'、'.join(self.unchanged)}）"
            )
        return f"文件“{self.filename}”已导入：" + "；".join(parts)


def registered_counts(session: Session) -> dict[int, int]:
    """Active enterprises per jurisdiction (township of location, plus member unit supervising)."""
    own = registered_to()
    rows = session.execute(select(own.c.owner, func.count()).group_by(own.c.owner)).all()
    return {int(jid): int(n) for jid, n in rows}


def _find_report(session: Session, jurisdiction_id: int, month: str) -> MonthlyReport | None:
    return session.exec(
        select(MonthlyReport).where(
            MonthlyReport.jurisdiction_id == jurisdiction_id, MonthlyReport.month == month
        )
    ).first()


def _apply(report: MonthlyReport, values: Mapping[str, Any], by_item: Mapping[str, int]) -> None:
    for key in NUMBER_KEYS:
        setattr(report, key, values.get(key, Decimal("0") if key == "fines_wan" else 0))
    report.problems_by_item = dict(by_item)
    for key in ("filled_by", "phone", "filled_on"):
        if key in values:
            setattr(report, key, values[key] or (None if key == "filled_on" else ""))


def _numbers_are_zero(report: MonthlyReport) -> bool:
    return all(not getattr(report, key) for key in NUMBER_KEYS)


def import_monthly(
    session: Session,
    *,
    principal: Principal,
    data: bytes,
    filename: str,
    now: dt.datetime | None = None,
    max_mb: int | None = None,
) -> ImportReport:
    """Store a filled 汇总表: every row or none.

    Raises ImportRefused (every problem listed) or AccessDenied (a row of a jurisdiction the
    principal may not change) before anything is written. The same file again changes nothing; a
    corrected file replaces the month's numbers (audited before/after) and keeps the first
    submission time, so a correction does not turn an on-time table late.
    """
    if not principal.can_write:
        require_write(principal, principal.jurisdiction_id)
    names = {j.name: int(j.id) for j in session.exec(select(Jurisdiction)).all() if j.id is not None}
    counts = registered_counts(session)
    result = validate_monthly_file(
        data,
        filename=filename,
        columns=layout_for(session),
        max_mb=max_mb,
        registered={name: counts.get(jid, 0) for name, jid in names.items()},
    )
    if not result.ok:
        raise ImportRefused(result.problems)
    for row in result.rows:
        try:
            require_write(principal, names[row.jurisdiction])
        except AccessDenied as exc:
            raise AccessDenied(f"第 {row.row} 行（{row.jurisdiction}）：{exc}") from exc
    campaign = active_campaign(session)
    when = now or aware_now()
    created: list[str] = []
    replaced: list[str] = []
    unchanged: list[str] = []
    for row in result.rows:
        jid = names[row.jurisdiction]
        label = f"{row.jurisdiction} {row.month}"
        report = _find_report(session, jid, row.month)
        if _submitted(report) and report is not None and report.source_sha256 == result.sha256:
            unchanged.append(label)
            continue
        before = report.model_copy() if report is not None else None
        was_submitted = _submitted(report)
        if report is None:
            report = MonthlyReport(jurisdiction_id=jid, month=row.month)
        _apply(report, row.values, row.by_item)
        report.source_sha256 = result.sha256
        if not was_submitted or report.submitted_at is None:
            report.submitted_at = when
        report.status = derive_status(
            submitted_at=report.submitted_at, month=row.month, due_day=campaign.monthly_due_day, zero=False
        ).value
        session.add(report)
        session.flush()
        audit(
            session,
            principal=principal,
            action=AuditAction.IMPORT,
            entity="monthlyreport",
            entity_id=report.id,
            before=before if was_submitted else None,
            after=report,
            detail=f"{'更正' if was_submitted else '导入'}汇总表 {label}：文件“{filename}”第 {row.row} 行，sha256={result.sha256}",
        )
        (replaced if was_submitted else created).append(label)
    return ImportReport(filename, result.sha256, created, replaced, unchanged)


def submit_zero_report(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    month: str,
    filled_by: str = "",
    phone: str = "",
    now: dt.datetime | None = None,
) -> MonthlyReport:
    """An explicit 零报告 (nothing to report this month). Refused when the month has numbers."""
    require_write(principal, jurisdiction_id)
    label = _month_label(month)
    jurisdiction_by_id(session, jurisdiction_id)
    report = _find_report(session, jurisdiction_id, label)
    if _submitted(report) and report is not None:
        if report.status == MonthlyStatus.ZERO.value:
            return report
        if not _numbers_are_zero(report):
            raise InputError(f"{label} 已报送有数据的汇总表，不能再提交零报告；如需更正，请修改汇总表数字")
    before = report.model_copy() if report is not None else None
    if report is None:
        report = MonthlyReport(jurisdiction_id=jurisdiction_id, month=label)
    _apply(report, {}, {})
    report.filled_by, report.phone = filled_by.strip()[:50], phone.strip()[:30]
    report.filled_on = (now or aware_now()).astimezone(local_zone()).date()
    report.submitted_at = report.submitted_at if _submitted(before) else (now or aware_now())
    report.status = MonthlyStatus.ZERO.value
    report.source_sha256 = None
    session.add(report)
    session.flush()
    audit(
        session,
        principal=principal,
        action=AuditAction.CREATE if before is None else AuditAction.UPDATE,
        entity="monthlyreport",
        entity_id=report.id,
        before=before,
        after=report,
        detail=f"零报告 {label}",
    )
    return report


def save_monthly_numbers(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    month: str,
    values: Mapping[str, Any],
    now: dt.datetime | None = None,
    expected_version: int | None = None,
) -> MonthlyReport:
    """Enter or correct a month's numbers on screen (keys as in `layout`; item:<kind>-<n> for items).

    Same checks as a file; raises ImportRefused listing every problem (sheet “在线填报”).
    `expected_version` is the version of the table the form was loaded with (`row_versions.NO_ROW`
    when there was none): a table changed, or first reported, since then is not overwritten
    (StaleRecord). None skips the check (callers without a form).
    """
    require_write(principal, jurisdiction_id)
    label = _month_label(month)
    jurisdiction = jurisdiction_by_id(session, jurisdiction_id)
    what = f"{jurisdiction.name} {label} 汇总表"
    columns = layout_for(session)
    unreadable: set[str] = set()
    parsed, by_item, problems = parse_values(
        values, columns=columns, sheet=FORM_SHEET, row=0, unreadable=unreadable
    )
    problems += sanity_problems(
        parsed,
        by_item,
        columns=columns,
        sheet=FORM_SHEET,
        row=0,
        unreadable=unreadable,
        registered=registered_counts(session).get(jurisdiction_id, 0),
    )
    if problems:
        raise ImportRefused(problems)
    campaign = active_campaign(session)
    report = _find_report(session, jurisdiction_id, label)
    check_version(what=what, stored=report, expected=expected_version)
    was_submitted = _submitted(report)
    creating = report is None
    before = report.model_copy() if report is not None else None
    if report is None:
        report = MonthlyReport(jurisdiction_id=jurisdiction_id, month=label)
    _apply(report, parsed, by_item)
    if not was_submitted or report.submitted_at is None:
        report.submitted_at = now or aware_now()
    zero = report.status == MonthlyStatus.ZERO.value and _numbers_are_zero(report)
    report.status = derive_status(
        submitted_at=report.submitted_at, month=label, due_day=campaign.monthly_due_day, zero=zero
    ).value
    report.source_sha256 = None
    session.add(report)
    flush_checked(session, what=what, creating=creating)
    audit(
        session,
        principal=principal,
        action=AuditAction.UPDATE if was_submitted else AuditAction.CREATE,
        entity="monthlyreport",
        entity_id=report.id,
        before=before if was_submitted else None,
        after=report,
        detail=f"在线填报汇总表 {label}",
    )
    return report


def attach_scan(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    month: str,
    data: bytes,
    filename: str,
    upload_dir: Path | None = None,
) -> MonthlyReport:
    """Attach the stamped copy (PDF or image) to a submitted month; stored under Settings.upload_dir."""
    require_write(principal, jurisdiction_id)
    label = _month_label(month)
    jurisdiction = jurisdiction_by_id(session, jurisdiction_id)
    report = _find_report(session, jurisdiction_id, label)
    if report is None or not _submitted(report):
        raise InputError(
            f"{jurisdiction.name} {label} 尚未报送汇总表，请先报送（或提交零报告）再上传盖章扫描件"
        )
    path = store_attachment(
        data=data,
        filename=filename,
        folder=f"monthly/{jurisdiction.code}/{label}",
        allowed=SCAN_TYPES,
        upload_dir=upload_dir,
    )
    before = report.model_copy()
    report.scan_path = path
    session.add(report)
    session.flush()
    audit(
        session,
        principal=principal,
        action=AuditAction.UPDATE,
        entity="monthlyreport",
        entity_id=report.id,
        before=before,
        after=report,
        detail=f"上传盖章扫描件 {label}：{filename}",
    )
    return report


def get_monthly(
    session: Session, *, principal: Principal, jurisdiction_id: int, month: str
) -> MonthlyReport | None:
    """The stored table of a jurisdiction and month (None when nothing was reported)."""
    require_read(principal, jurisdiction_id)
    return _find_report(session, jurisdiction_id, _month_label(month))


def form_values(
    report: MonthlyReport | None, columns: Sequence[MonthlyColumn] = DEFAULT_LAYOUT
) -> dict[str, Any]:
    """A stored table as the form's values (zeros when nothing is stored)."""
    out: dict[str, Any] = {}
    for column in columns:
        if column.kind == "count":
            if column.key.startswith(ITEM_PREFIX):
                out[column.key] = int(
                    (report.problems_by_item if report else {}).get(column.key[len(ITEM_PREFIX) :], 0)
                )
            else:
                out[column.key] = int(getattr(report, column.key)) if report else 0
        elif column.kind == "money":
            out[column.key] = Decimal(str(report.fines_wan)) if report else Decimal("0")
        elif column.kind in ("text", "date") and column.key not in ("jurisdiction", "month"):
            out[column.key] = getattr(report, column.key) if report else None
    return out


def _month_label(month: str) -> str:
    try:
        return parse_month(month).label
    except MonthFormatError as exc:
        raise InputError(str(exc)) from exc


__all__ = [
    "DEFAULT_LAYOUT",
    "ImportReport",
    "MonthlyColumn",
    "MonthlyRow",
    "ValidationResult",
    "attach_scan",
    "build_template",
    "derive_status",
    "due_date",
    "form_values",
    "get_monthly",
    "import_monthly",
    "is_late",
    "layout",
    "layout_for",
    "registered_counts",
    "sanity_problems",
    "save_monthly_numbers",
    "submit_zero_report",
    "validate_monthly_file",
]
