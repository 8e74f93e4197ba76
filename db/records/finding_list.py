"""问题清单, read: findings as listed (overdue first, with their check item and the 培训档案线索
they come from), filtered, and the filtered list as a print-ready .xlsx (audited).

A finding is *overdue* when it is not rectified and its deadline has passed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_
from sqlmodel import Session, col, select

from db.codes import AuditAction, FindingStatus, RevisitResult, TargetKind
from db.models import Finding, TrainingLead
from db.records.common import audit, check_items, local_today, select_with_names
from db.rules.access import Principal, require_read, scope_filter
from db.xlsx.styles import simple_workbook
from training_audit.leads import RULE_NAMES


@dataclass(frozen=True)
class FindingRow:
    """A finding as shown in lists (read model)."""

    id: int
    jurisdiction_id: int
    jurisdiction: str
    target_kind: str
    target_name: str
    check_item_number: int | None
    found_on: dt.date
    description: str
    measure: str
    deadline: dt.date | None
    responsible_person: str
    status: str
    rectified_on: dt.date | None
    revisit_date: dt.date | None
    revisit_result: str | None
    revisit_by: str
    recurring: bool
    overdue: bool
    days_overdue: int
    version: int = 1  # the row version a form editing this problem carries
    check_item: str = ""  # the item's short name (培训档案), "" when the finding names none
    training_lead_id: int | None = None  # the 培训档案线索 it was raised from
    training_rule: str = ""  # that lead's rule (Chinese name)

    @property
    def status_label(self) -> str:
        return FindingStatus(self.status).label

    @property
    def source(self) -> str:
        """Where the finding comes from, for lists: 来自培训档案线索 #n（rule）, else ""."""
        if self.training_lead_id is None:
            return ""
        rule = f"（{self.training_rule}）" if self.training_rule else ""
        return f"来自培训档案线索 #{self.training_lead_id}{rule}"


def check_item_names(session: Session) -> dict[tuple[str, int], str]:
    """(target kind, item number) → the item's short name, for the active campaign."""
    return {
        (kind.value, number): item.short
        for kind in TargetKind
        for number, item in check_items(session, target_kind=kind).items()
    }


def lead_rules(session: Session, lead_ids: Sequence[int]) -> dict[int, str]:
    """Lead id → the Chinese name of its rule (for findings raised from 培训档案线索)."""
    out: dict[int, str] = {}
    wanted = sorted(set(lead_ids))
    for start in range(0, len(wanted), 500):
        stmt = select(TrainingLead.id, TrainingLead.code).where(
            col(TrainingLead.id).in_(wanted[start : start + 500])
        )
        out.update({int(i or 0): RULE_NAMES.get(code, code) for i, code in session.exec(stmt).all()})
    return out


def _overdue_clause(as_of: dt.date) -> ColumnElement[bool]:
    return and_(
        col(Finding.status) == FindingStatus.OPEN.value,
        col(Finding.deadline).is_not(None),
        col(Finding.deadline) < as_of,
    )


def list_findings(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int | None = None,
    enterprise_id: int | None = None,
    institution_id: int | None = None,
    status: str | Sequence[str] | None = None,
    due_from: dt.date | None = None,
    due_to: dt.date | None = None,
    overdue_only: bool = False,
    recurring_only: bool = False,
    as_of: dt.date | None = None,
    limit: int = 5000,
) -> list[FindingRow]:
    """The 问题清单 the principal may read, filtered; overdue first (longest), then by deadline."""
    if jurisdiction_id is not None:
        require_read(principal, jurisdiction_id)
    day = as_of or local_today()
    stmt: Any = select_with_names(Finding)
    if (scope := scope_filter(principal, Finding.jurisdiction_id)) is not None:
        stmt = stmt.where(scope)
    if jurisdiction_id is not None:
        stmt = stmt.where(Finding.jurisdiction_id == jurisdiction_id)
    if enterprise_id is not None:
        stmt = stmt.where(Finding.enterprise_id == enterprise_id)
    if institution_id is not None:
        stmt = stmt.where(Finding.institution_id == institution_id)
    if status:
        wanted = [status] if isinstance(status, str) else list(status)
        stmt = stmt.where(col(Finding.status).in_(wanted))
    if due_from is not None:
        stmt = stmt.where(col(Finding.deadline) >= due_from)
    if due_to is not None:
        stmt = stmt.where(col(Finding.deadline) <= due_to)
    if overdue_only:
        stmt = stmt.where(_overdue_clause(day))
    if recurring_only:
        stmt = stmt.where(col(Finding.recurring))
    stmt = stmt.order_by(col(Finding.deadline).is_(None), col(Finding.deadline), col(Finding.id)).limit(limit)
    rows: list[FindingRow] = []
    names = check_item_names(session)
    found = session.exec(stmt).all()
    rules = lead_rules(session, [f.training_lead_id for f, *_ in found if f.training_lead_id is not None])
    for f, jname, ename, iname in found:
        overdue = f.status == FindingStatus.OPEN.value and f.deadline is not None and f.deadline < day
        rows.append(
            FindingRow(
                id=int(f.id),
                jurisdiction_id=f.jurisdiction_id,
                jurisdiction=jname,
                target_kind=f.target_kind,
                target_name=ename or iname or "",
                check_item_number=f.check_item_number,
                found_on=f.found_on,
                description=f.description,
                measure=f.measure,
                deadline=f.deadline,
                responsible_person=f.responsible_person,
                status=f.status,
                rectified_on=f.rectified_on,
                revisit_date=f.revisit_date,
                revisit_result=f.revisit_result,
                revisit_by=f.revisit_by,
                recurring=f.recurring,
                overdue=overdue,
                version=f.version,
                days_overdue=(day - f.deadline).days if overdue and f.deadline else 0,
                check_item=names.get((f.target_kind, f.check_item_number), str(f.check_item_number))
                if f.check_item_number is not None
                else "",
                training_lead_id=f.training_lead_id,
                training_rule=rules.get(f.training_lead_id, "") if f.training_lead_id is not None else "",
            )
        )
    rows.sort(key=lambda r: (not r.overdue, -r.days_overdue))
    return rows


EXPORT_HEADER = (
    "序号",
    "单位",
    "检查对象",
    "检查项",
    "发现日期",
    "问题描述",
    "整改措施",
    "整改期限",
    "责任人",
    "状态",
    "是否逾期",
    "逾期天数",
    "整改完成日期",
    "复查日期",
    "复查结果",
    "复查人",
    "是否重复发生",
    "来源",
)


def export_findings(
    session: Session, *, principal: Principal, as_of: dt.date | None = None, **filters: Any
) -> bytes:
    """The filtered 问题清单 as a styled, printable .xlsx (the export is audited)."""
    day = as_of or local_today()
    rows = list_findings(session, principal=principal, as_of=day, **filters)
    body = [
        [
            n,
            r.jurisdiction,
            r.target_name,
            r.check_item,
            r.found_on,
            r.description,
            r.measure,
            r.deadline or "",
            r.responsible_person,
            r.status_label,
            "是" if r.overdue else "",
            r.days_overdue or "",
            r.rectified_on or "",
            r.revisit_date or "",
            RevisitResult(r.revisit_result).label if r.revisit_result else "",
            r.revisit_by,
            "是" if r.recurring else "",
            r.source,
        ]
        for n, r in enumerate(rows, start=1)
    ]
    data = simple_workbook(
        sheet="问题清单",
        header=EXPORT_HEADER,
        rows=body,
        title=f"问题清单（截至 {day.isoformat()}）",
        widths=[6, 12, 26, 12, 11, 36, 30, 11, 10, 12, 8, 8, 11, 11, 10, 10, 8, 30],
    )
    audit(
        session,
        principal=principal,
        action=AuditAction.EXPORT,
        entity="finding",
        detail=f"导出问题清单 {len(rows)} 条，筛选：{ {k: str(v) for k, v in filters.items() if v} }",
    )
    return data


__all__ = [
    "FindingRow",
    "check_item_names",
    "export_findings",
    "lead_rules",
    "list_findings",
]
