"""曝光 and 黑名单: enterprises and institutions penalised, published or blacklisted, for publication.

Read from the enforcement actions (罚款, 曝光, 纳入黑名单; 立案 on request) with dates and case
references; `export_exposures` writes the list as a printable .xlsx (audited).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlmodel import Session, col

from db.codes import ActionKind, AuditAction, TargetKind
from db.models import EnforcementAction, Enterprise, Jurisdiction, TrainingInstitution
from db.records.common import audit, local_today
from db.rules.access import Principal, require_read, scope_filter
from db.xlsx.styles import simple_workbook

PUBLISHED_KINDS: tuple[str, ...] = (
    ActionKind.FINE.value,
    ActionKind.EXPOSURE.value,
    ActionKind.BLACKLIST.value,
)


@dataclass(frozen=True)
class ExposureRow:
    id: int
    target_kind: str
    target_name: str
    uscc: str
    kind: str  # ActionKind
    action_date: dt.date
    case_ref: str
    fine_amount: Decimal | None  # yuan
    jurisdiction: str
    notes: str

    @property
    def kind_label(self) -> str:
        return ActionKind(self.kind).label


def list_exposures(
    session: Session,
    *,
    principal: Principal,
    kinds: Sequence[str] = PUBLISHED_KINDS,
    jurisdiction_id: int | None = None,
    date_from: dt.date | None = None,
    date_to: dt.date | None = None,
) -> list[ExposureRow]:
    """Penalties, exposures and blacklist entries the principal may read, newest first."""
    if jurisdiction_id is not None:
        require_read(principal, jurisdiction_id)
    a = EnforcementAction
    stmt: Any = (
        select(
            a,
            col(Jurisdiction.name),
            col(Enterprise.name),
            col(Enterprise.uscc),
            col(TrainingInstitution.name),
            col(TrainingInstitution.uscc),
        )
        .join(Jurisdiction, col(Jurisdiction.id) == a.jurisdiction_id)
        .outerjoin(Enterprise, col(Enterprise.id) == a.enterprise_id)
        .outerjoin(TrainingInstitution, col(TrainingInstitution.id) == a.institution_id)
        .where(col(a.kind).in_(list(kinds)))
        .order_by(col(a.action_date).desc(), col(a.id).desc())
    )
    if (scope := scope_filter(principal, a.jurisdiction_id)) is not None:
        stmt = stmt.where(scope)
    if jurisdiction_id is not None:
        stmt = stmt.where(a.jurisdiction_id == jurisdiction_id)
    if date_from is not None:
        stmt = stmt.where(col(a.action_date) >= date_from)
    if date_to is not None:
        stmt = stmt.where(col(a.action_date) <= date_to)
    return [
        ExposureRow(
            int(r.id),
            r.target_kind,
            ename or iname or "",
            euscc or iuscc or "",
            r.kind,
            r.action_date,
            r.case_ref,
            r.fine_amount,
            jname,
            r.notes,
        )
        for r, jname, ename, euscc, iname, iuscc in session.execute(stmt).all()
    ]


EXPORT_HEADER = (
    "序号",
    "单位名称",
    "统一社会信用代码",
    "单位类型",
    "处理方式",
    "日期",
    "案号/文号",
    "罚款金额（元）",
    "查处单位",
    "备注",
)


def export_exposures(session: Session, *, principal: Principal, **filters: Any) -> bytes:
    """The list as a printable .xlsx for publication (the export is audited)."""
    rows = list_exposures(session, principal=principal, **filters)
    body = [
        [
            n,
            r.target_name,
            r.uscc,
            TargetKind(r.target_kind).label,
            r.kind_label,
            r.action_date,
            r.case_ref,
            r.fine_amount if r.fine_amount is not None else "",
            r.jurisdiction,
            r.notes,
        ]
        for n, r in enumerate(rows, start=1)
    ]
    data = simple_workbook(
        sheet="曝光及黑名单",
        header=EXPORT_HEADER,
        rows=body,
        title=f"安全生产培训违法违规单位曝光及黑名单（{local_today().isoformat()}）",
        widths=[6, 30, 22, 13, 11, 11, 24, 13, 12, 20],
    )
    audit(
        session,
        principal=principal,
        action=AuditAction.EXPORT,
        entity="enforcementaction",
        detail=f"导出曝光及黑名单 {len(rows)} 条",
    )
    return data
