"""Reconciliation: a month's 汇总表 against the records the jurisdiction entered.

The record-level side comes from `db.reads.month_figures.township_month_summary` (an enterprise inspected
several times, or jointly by several units, counts once per month) and, for the per-item problem
counts, from the month's findings. A jurisdiction that entered no records for the month has nothing
to reconcile (`has_records` is false) — its table stands on its own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from sqlalchemy import func
from sqlmodel import Session, col, select

from anpei.periods import Month
from db.codes import JurisdictionKind
from db.models import Finding, MonthlyReport
from db.reads.month_figures import JurisdictionMonthRow, township_month_summary
from db.records.common import InputError
from db.records.monthly_table import ITEM_PREFIX, layout_for
from db.rules.access import Principal, narrow, require_read
from db.rules.metrics import item_key

# (MonthlyReport field, record-level field of JurisdictionMonthRow, what the records are)
COMPARED: tuple[tuple[str, str, str], ...] = (
    ("enterprises_inspected", "enterprises_inspected", "检查记录（同一企业同月只计一次，含联合检查）"),
    ("high_risk_inspected", "high_risk_inspected", "检查记录中的高危行业企业"),
    ("industry_trade_inspected", "industry_trade_inspected", "检查记录中的工贸行业企业"),
    ("institutions_inspected", "institutions_inspected", "对培训机构的检查记录"),
    ("problems_found", "findings_found", "问题清单（本月发现）"),
    ("ordered_rectify", "orders", "责令整改记录"),
    ("cases", "cases", "立案记录"),
    ("exposures", "exposures", "曝光记录"),
    ("blacklisted", "blacklisted", "纳入黑名单记录"),
)
CERTIFICATE_COMPARED: tuple[tuple[str, str, str], ...] = (
    ("workers_checked", "workers_checked", "证书核验记录"),
    ("unlicensed", "unlicensed", "证书核验结果：无证上岗"),
    ("suspected_fake", "suspected_fake", "证书核验结果：疑似持假证"),
)


@dataclass(frozen=True)
class Difference:
    key: str
    label: str
    reported: str  # as in the table
    recorded: str  # from the records
    source: str

    @property
    def note(self) -> str:
        return f"汇总表填 {self.reported}，{self.source} 为 {self.recorded}"


@dataclass(frozen=True)
class Reconciliation:
    jurisdiction_id: int
    jurisdiction: str
    month: str
    table_status: str  # MonthlyStatus code
    has_records: bool
    differences: list[Difference] = field(default_factory=list)

    @property
    def consistent(self) -> bool:
        return not self.differences


def _reconcile_row(
    session: Session, row: JurisdictionMonthRow, m: Month, report: MonthlyReport | None
) -> Reconciliation:
    has_records = bool(row.inspections or row.enterprises_inspected or row.findings_found or row.orders)
    base = Reconciliation(row.jurisdiction_id, row.jurisdiction, row.month, row.monthly_status, has_records)
    if report is None or not has_records:
        return base
    headers = {c.key: c.header for c in layout_for(session)}
    differences: list[Difference] = []
    pairs = list(COMPARED)
    if row.workers_checked:
        pairs += CERTIFICATE_COMPARED
    for key, recorded_key, source in pairs:
        reported, recorded = int(getattr(report, key)), int(getattr(row, recorded_key))
        if reported != recorded:
            differences.append(Difference(key, headers[key], str(reported), str(recorded), source))
    fines_wan = (row.fines_yuan / Decimal(10000)).quantize(Decimal("0.0001"))
    if Decimal(str(report.fines_wan)).quantize(Decimal("0.0001")) != fines_wan:
        differences.append(
            Difference(
                "fines_wan",
                headers["fines_wan"],
                f"{Decimal(str(report.fines_wan)).normalize():f}",
                f"{fines_wan.normalize():f}",
                "罚款记录（万元）",
            )
        )
    by_item = session.exec(
        select(Finding.target_kind, Finding.check_item_number, func.count())
        .where(
            Finding.jurisdiction_id == row.jurisdiction_id,
            col(Finding.found_on).between(m.first, m.last),
            col(Finding.check_item_number).is_not(None),
        )
        .group_by(col(Finding.target_kind), col(Finding.check_item_number))
    ).all()
    recorded_items = {item_key(kind, number or 0): int(n) for kind, number, n in by_item}
    reported_items = {k: int(v) for k, v in (report.problems_by_item or {}).items()}
    if reported_items:  # per-item counts are optional in the table
        for item in sorted(set(recorded_items) | set(reported_items)):
            a, b = reported_items.get(item, 0), recorded_items.get(item, 0)
            if a != b:
                label = headers.get(f"{ITEM_PREFIX}{item}", item)
                differences.append(
                    Difference(f"{ITEM_PREFIX}{item}", label, str(a), str(b), "问题清单（按检查项）")
                )
    return Reconciliation(
        row.jurisdiction_id, row.jurisdiction, row.month, row.monthly_status, True, differences
    )


def reconcile_month(
    session: Session, *, principal: Principal, jurisdiction_id: int, month: Month
) -> Reconciliation:
    """One jurisdiction's table for the month compared with its records."""
    require_read(principal, jurisdiction_id)
    rows = township_month_summary(
        session, principal=principal, month=month, jurisdiction_ids=[jurisdiction_id], kinds=None
    )
    if not rows:
        raise InputError(f"找不到编号为 {jurisdiction_id} 的单位")
    report = session.exec(
        select(MonthlyReport).where(
            MonthlyReport.jurisdiction_id == jurisdiction_id, MonthlyReport.month == str(month)
        )
    ).first()
    return _reconcile_row(session, rows[0], month, report)


def reconcile_all(session: Session, *, principal: Principal, month: Month) -> list[Reconciliation]:
    """Every jurisdiction the principal may read (townships and member units), in sort order."""
    ids = narrow(principal, None)
    rows = township_month_summary(
        session,
        principal=principal,
        month=month,
        jurisdiction_ids=ids,
        kinds=(JurisdictionKind.TOWNSHIP.value, JurisdictionKind.MEMBER_UNIT.value),
    )
    reports = {
        r.jurisdiction_id: r
        for r in session.exec(select(MonthlyReport).where(MonthlyReport.month == str(month))).all()
    }
    return [_reconcile_row(session, row, month, reports.get(row.jurisdiction_id)) for row in rows]
