"""自查自改: institutions' and enterprises' self-inspection reports, each with its own 问题清单.

A report belongs to the jurisdiction of its institution or enterprise; its problems are ordinary
findings linked by `self_inspection_id` (so deadlines, overdue flags and revisits work the same).
All services flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from db.codes import AuditAction, FindingStatus, TargetKind
from db.models import Enterprise, Finding, Jurisdiction, SelfInspectionReport, TrainingInstitution
from db.records.common import (
    ATTACHMENT_TYPES,
    InputError,
    audit,
    aware_now,
    local_today,
    store_attachment,
    target_jurisdictions,
)
from db.records.findings import FindingInput, add_finding
from db.rules.access import Principal, require_write, scope_filter
from db.rules.metrics import count_if

REPORT_TYPES = tuple(ATTACHMENT_TYPES)


def submit_self_inspection(
    session: Session,
    *,
    principal: Principal,
    target_kind: TargetKind | str,
    enterprise_id: int | None = None,
    institution_id: int | None = None,
    submitted_on: dt.date | None = None,
    summary: str = "",
    period_from: dt.date = dt.date(2020, 4, 1),
    problems: Sequence[FindingInput] = (),
    attachment: bytes | None = None,
    filename: str = "",
    upload_dir: Path | None = None,
) -> SelfInspectionReport:
    """Record a 自查报告 with its problems (each a finding of the target's township)."""
    kind = TargetKind(str(target_kind))
    if (kind is TargetKind.ENTERPRISE) != (enterprise_id is not None) or (kind is TargetKind.INSTITUTION) != (
        institution_id is not None
    ):
        raise InputError(f"请选择一家{kind.label}")
    owners = target_jurisdictions(session, enterprise_id=enterprise_id, institution_id=institution_id)
    if enterprise_id is not None:
        ent = session.get(Enterprise, enterprise_id)
        assert ent is not None
        home = ent.jurisdiction_id
    else:
        inst = session.get(TrainingInstitution, institution_id)
        assert inst is not None
        home = inst.jurisdiction_id
    jurisdiction_id = principal.jurisdiction_id if principal.jurisdiction_id in owners else home
    require_write(principal, jurisdiction_id)
    day = submitted_on or local_today()
    if day > local_today():
        raise InputError(f"报送日期 {day} 晚于今天")
    if not summary.strip() and attachment is None:
        raise InputError("请填写自查情况或上传自查报告")
    path = None
    if attachment is not None:
        path = store_attachment(
            data=attachment,
            filename=filename,
            folder=f"self_inspection/{jurisdiction_id}",
            allowed=REPORT_TYPES,
            upload_dir=upload_dir,
        )
    report = SelfInspectionReport(
        target_kind=kind.value,
        enterprise_id=enterprise_id,
        institution_id=institution_id,
        jurisdiction_id=jurisdiction_id,
        submitted_on=day,
        period_from=period_from,
        summary=summary.strip(),
        attachment=path,
        created_at=aware_now(),
    )
    session.add(report)
    session.flush()
    audit(
        session,
        principal=principal,
        action=AuditAction.CREATE,
        entity="selfinspectionreport",
        entity_id=report.id,
        after=report,
    )
    for problem in problems:
        add_finding(
            session,
            principal=principal,
            jurisdiction_id=jurisdiction_id,
            target_kind=kind.value,
            enterprise_id=enterprise_id,
            institution_id=institution_id,
            found_on=day,
            finding=problem,
            self_inspection_id=report.id,
        )
    return report


@dataclass(frozen=True)
class SelfInspectionRow:
    id: int
    jurisdiction: str
    target_kind: str
    target_name: str
    submitted_on: dt.date
    summary: str
    attachment: str | None
    problems: int
    problems_open: int


def list_self_inspections(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int | None = None,
) -> list[SelfInspectionRow]:
    """Reports the principal may read, newest first, with their problem counts."""
    stmt: Any = (
        select(SelfInspectionReport, Jurisdiction.name, Enterprise.name, TrainingInstitution.name)
        .join(Jurisdiction, col(Jurisdiction.id) == SelfInspectionReport.jurisdiction_id)
        .outerjoin(Enterprise, col(Enterprise.id) == SelfInspectionReport.enterprise_id)
        .outerjoin(TrainingInstitution, col(TrainingInstitution.id) == SelfInspectionReport.institution_id)
        .order_by(col(SelfInspectionReport.submitted_on).desc(), col(SelfInspectionReport.id).desc())
    )
    if (scope := scope_filter(principal, SelfInspectionReport.jurisdiction_id)) is not None:
        stmt = stmt.where(scope)
    if jurisdiction_id is not None:
        stmt = stmt.where(SelfInspectionReport.jurisdiction_id == jurisdiction_id)
    rows = session.exec(stmt).all()
    counts: dict[int, tuple[int, int]] = {}
    ids = [r[0].id for r in rows]
    if ids:
        still_open = count_if(col(Finding.status) == FindingStatus.OPEN.value)
        for sid, total, n_open in session.exec(
            select(col(Finding.self_inspection_id), func.count(), still_open)
            .where(col(Finding.self_inspection_id).in_(ids))
            .group_by(col(Finding.self_inspection_id))
        ).all():
            counts[int(sid or 0)] = (int(total), int(n_open or 0))
    return [
        SelfInspectionRow(
            int(r.id),
            jname,
            r.target_kind,
            ename or iname or "",
            r.submitted_on,
            r.summary,
            r.attachment,
            *counts.get(int(r.id), (0, 0)),
        )
        for r, jname, ename, iname in rows
    ]
