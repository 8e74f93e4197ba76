"""The numbers of the monthly 汇总表 per jurisdiction (what the workbook of
`db.xlsx.township_summary` prints, and the county total sums).

Which numbers: `source="reported"` the table the jurisdiction submitted (zeros when it has none),
`"records"` the numbers computed from the record-level data (inspections, findings, certificate
checks, enforcement actions), `"auto"` (default) the submitted table where there is one, else the
computed numbers. Each sheet says which it shows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Literal

from sqlalchemy import func, select
from sqlmodel import Session, SQLModel, col
from sqlmodel import select as sqlmodel_select

from anpei import clock
from anpei.periods import Month
from db.codes import MonthlyStatus
from db.models import MonthlyReport
from db.reads import county_dedup, jurisdiction_list, month_figures
from db.records.common import InputError
from db.records.monthly_table import ITEM_PREFIX, NUMBER_KEYS, MonthlyColumn
from db.rules.access import Principal, narrow
from db.rules.metrics import count_if, item_key, rectified_by
from verifier.types import Outcome

Source = Literal["auto", "reported", "records"]
SOURCES: dict[str, str] = {
    "auto": "已报送的用报送数，未报送的用系统记录",
    "reported": "报送数",
    "records": "系统记录",
}

_F = SQLModel.metadata.tables["finding"]
_C = SQLModel.metadata.tables["certificatecheck"]
_REPORTED = (MonthlyStatus.SUBMITTED.value, MonthlyStatus.LATE.value, MonthlyStatus.ZERO.value)
_PASSED = (Outcome.VALID.value, Outcome.VALID_WITH_WARNINGS.value)


@dataclass(frozen=True)
class SummarySheet:
    """One jurisdiction's 汇总表 for a month: layout key → value, and where the numbers come from."""

    jurisdiction_id: int
    jurisdiction: str
    month: Month
    values: dict[str, Any]
    source: str  # "reported" or "records"
    note: str
    filled_by: str = ""
    phone: str = ""
    filled_on: dt.date | None = None
    status: str = MonthlyStatus.UNREPORTED.value


def _record_extras(session: Session, *, wanted: list[int], m: Month) -> dict[int, dict[str, Any]]:
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


def _from_records(row: month_figures.JurisdictionMonthRow, extra: dict[str, Any]) -> dict[str, Any]:
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
    month: Month,
    jurisdiction_ids: Sequence[int] | None = None,
    source: Source = "auto",
    kinds: Sequence[str] | None = jurisdiction_list.DEFAULT_KINDS,
) -> list[SummarySheet]:
    """The 汇总表 numbers of every jurisdiction asked for (and readable), in `sort_order`."""
    return summary_sheets_and_rows(
        session,
        principal=principal,
        month=month,
        jurisdiction_ids=jurisdiction_ids,
        source=source,
        kinds=kinds,
    )[0]


def summary_sheets_and_rows(
    session: Session,
    *,
    principal: Principal,
    month: Month,
    jurisdiction_ids: Sequence[int] | None,
    source: Source,
    kinds: Sequence[str] | None,
) -> tuple[list[SummarySheet], list[month_figures.JurisdictionMonthRow]]:
    """`summary_sheets` and the month summary rows they were made from (the county total reuses them)."""
    if source not in SOURCES:
        raise InputError(f"数据来源“{source}”无法识别：应为 auto、reported 或 records")
    m = month
    ids = narrow(principal, jurisdiction_ids)
    rows = month_figures.township_month_summary(
        session, principal=principal, month=m, jurisdiction_ids=ids, kinds=kinds
    )
    wanted = [r.jurisdiction_id for r in rows]
    if not wanted:
        return [], rows
    extras = _record_extras(session, wanted=wanted, m=m)
    stmt = sqlmodel_select(MonthlyReport).where(
        MonthlyReport.month == str(m), col(MonthlyReport.jurisdiction_id).in_(wanted)
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
                month=m,
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


def county_vs_units_of(
    session: Session,
    *,
    principal: Principal,
    sheets: Sequence[SummarySheet],
    columns: Sequence[MonthlyColumn],
    rows: Sequence[month_figures.JurisdictionMonthRow] | None = None,
) -> list[county_dedup.CountyVsUnits]:
    """For the county total sheet: 全县（去重） from the records next to the 各单位合计 the sheet shows.
    Empty for township and unit staff (county-wide figures are not theirs to read). `rows`: the
    month's unfiltered `township_month_summary`, when the caller has it (not read twice)."""
    if not principal.sees_all or not sheets:
        return []
    county = month_figures.county_totals(session, principal=principal, month=sheets[0].month, rows=rows)
    sums = total_values(sheets, columns)
    return county_dedup.county_vs_units(
        county=county, units_sum={k: int(sums.get(k, 0)) for k, _ in county_dedup.NOT_ADDITIVE}
    )
