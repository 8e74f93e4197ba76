"""问题清单: findings with measure, deadline, responsible person, status and revisit (复查).

A finding is *overdue* when it is not rectified and its deadline has passed. Closing one needs a
revisit date, a result and who checked; a failed revisit sends it back to 整改中. A finding is
*recurring* when the same check item was found at the same enterprise (or institution) in an
earlier quarter. All services flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, and_
from sqlmodel import Session, col, select

from db.codes import AuditAction, FindingStatus, JurisdictionKind, RevisitResult, TargetKind
from db.models import Finding, Inspection, SelfInspectionReport, TrainingLead
from db.records.common import (
    InputError,
    audit,
    check_items,
    jurisdiction_by_id,
    local_today,
    select_with_names,
    target_jurisdictions,
    target_name,
)
from db.records.row_versions import check_version, flush_checked
from db.rules.access import Principal, require_read, require_write, scope_filter
from db.xlsx.styles import simple_workbook
from training_audit.leads import RULE_NAMES


def quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)


def is_recurring(
    session: Session,
    *,
    enterprise_id: int | None,
    institution_id: int | None,
    check_item_number: int | None,
    found_on: dt.date,
    exclude_id: int | None = None,
) -> bool:
    """The same item at the same target was found before the quarter of `found_on`."""
    if check_item_number is None or (enterprise_id is None and institution_id is None):
        return False
    stmt = select(Finding.id).where(
        Finding.check_item_number == check_item_number,
        col(Finding.found_on) < quarter_start(found_on),
        (Finding.enterprise_id == enterprise_id)
        if enterprise_id is not None
        else (Finding.institution_id == institution_id),
    )
    if exclude_id is not None:
        stmt = stmt.where(Finding.id != exclude_id)
    return session.exec(stmt.limit(1)).first() is not None


@dataclass(frozen=True)
class FindingInput:
    """A problem to record: `check_item_number` refers to the target kind's check items."""

    description: str
    check_item_number: int | None = None
    measure: str = ""
    deadline: dt.date | None = None
    responsible_person: str = ""


def _check_target(
    session: Session,
    *,
    jurisdiction_id: int,
    target_kind: TargetKind | str,
    enterprise_id: int | None,
    institution_id: int | None,
    inspection_id: int | None,
    self_inspection_id: int | None,
) -> None:
    """InputError unless the jurisdiction may record a finding on this target (see `add_finding`)."""
    try:
        kind = TargetKind(str(target_kind))
    except ValueError:
        raise InputError(f"检查对象类型“{target_kind}”无法识别") from None
    if (kind is TargetKind.ENTERPRISE) != (enterprise_id is not None) or (kind is TargetKind.INSTITUTION) != (
        institution_id is not None
    ):
        raise InputError(f"问题的对象应为一家{kind.label}")
    owners = target_jurisdictions(session, enterprise_id=enterprise_id, institution_id=institution_id)
    actor = jurisdiction_by_id(session, jurisdiction_id)
    target = (enterprise_id, institution_id)
    if inspection_id is not None:
        inspection = session.get(Inspection, inspection_id)
        if inspection is None or (
            inspection.jurisdiction_id,
            inspection.enterprise_id,
            inspection.institution_id,
        ) != (jurisdiction_id, *target):
            raise InputError(f"检查记录 {inspection_id} 不是{actor.name}对该对象的检查")
        return
    if self_inspection_id is not None:
        report = session.get(SelfInspectionReport, self_inspection_id)
        if report is None or (report.jurisdiction_id, report.enterprise_id, report.institution_id) != (
            jurisdiction_id,
            *target,
        ):
            raise InputError(f"自查报告 {self_inspection_id} 不是该对象报送给{actor.name}的")
        return
    if actor.kind != JurisdictionKind.COUNTY.value and jurisdiction_id not in owners:
        name = target_name(session, enterprise_id=enterprise_id, institution_id=institution_id)
        raise InputError(f"{name}不属于{actor.name}，不能登记它的问题")


def add_finding(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    target_kind: TargetKind | str,
    enterprise_id: int | None,
    institution_id: int | None,
    found_on: dt.date,
    finding: FindingInput,
    inspection_id: int | None = None,
    self_inspection_id: int | None = None,
    training_lead_id: int | None = None,
) -> Finding:
    """Record one finding (flagged recurring when it is), audited.

    `training_lead_id`: the 培训档案线索 the finding comes from (set by `training_archives` on 属实).

    The target must belong to the recording jurisdiction (the county may record on any), unless
    the finding comes from that jurisdiction's inspection of that target or from the target's own
    自查报告 (`inspection_id`, `self_inspection_id`).
    """
    require_write(principal, jurisdiction_id)
    _check_target(
        session,
        jurisdiction_id=jurisdiction_id,
        target_kind=target_kind,
        enterprise_id=enterprise_id,
        institution_id=institution_id,
        inspection_id=inspection_id,
        self_inspection_id=self_inspection_id,
    )
    if not finding.description.strip():
        raise InputError("问题描述不能为空")
    if finding.deadline is not None and finding.deadline < found_on:
        raise InputError(f"整改期限 {finding.deadline} 早于发现日期 {found_on}")
    row = Finding(
        jurisdiction_id=jurisdiction_id,
        inspection_id=inspection_id,
        self_inspection_id=self_inspection_id,
        target_kind=str(target_kind),
        enterprise_id=enterprise_id,
        institution_id=institution_id,
        check_item_number=finding.check_item_number,
        found_on=found_on,
        description=finding.description.strip(),
        measure=finding.measure.strip(),
        deadline=finding.deadline,
        responsible_person=finding.responsible_person.strip()[:50],
        status=FindingStatus.OPEN.value,
        recurring=is_recurring(
            session,
            enterprise_id=enterprise_id,
            institution_id=institution_id,
            check_item_number=finding.check_item_number,
            found_on=found_on,
        ),
        training_lead_id=training_lead_id,
        created_at=dt.datetime.now(dt.UTC),
    )
    session.add(row)
    session.flush()
    audit(
        session, principal=principal, action=AuditAction.CREATE, entity="finding", entity_id=row.id, after=row
    )
    return row


# --- reading ---------------------------------------------------------------------------------


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


# --- changing --------------------------------------------------------------------------------


def _load(session: Session, principal: Principal, finding_id: int) -> Finding:
    finding = session.get(Finding, finding_id)
    if finding is None:
        raise InputError(f"找不到编号为 {finding_id} 的问题")
    require_write(principal, finding.jurisdiction_id)
    return finding


def update_finding(
    session: Session,
    *,
    principal: Principal,
    finding_id: int,
    measure: str | None = None,
    deadline: dt.date | None = None,
    responsible_person: str | None = None,
    rectified_on: dt.date | None = None,
    expected_version: int | None = None,
) -> Finding:
    """Change the measure, deadline or responsible person, or report it rectified (待复查).

    `expected_version`: the version the form was loaded with; a problem changed since is refused
    (StaleRecord). None skips the check."""
    finding = _load(session, principal, finding_id)
    check_version(what=f"问题 {finding_id}", stored=finding, expected=expected_version)
    if finding.status == FindingStatus.CLOSED.value:
        raise InputError("该问题已复查销号，不能再修改")
    before = finding.model_copy()
    if measure is not None:
        finding.measure = measure.strip()
    if deadline is not None:
        if deadline < finding.found_on:
            raise InputError(f"整改期限 {deadline} 早于发现日期 {finding.found_on}")
        finding.deadline = deadline
    if responsible_person is not None:
        finding.responsible_person = responsible_person.strip()[:50]
    if rectified_on is not None:
        if rectified_on < finding.found_on:
            raise InputError(f"整改完成日期 {rectified_on} 早于发现日期 {finding.found_on}")
        finding.rectified_on = rectified_on
        finding.status = FindingStatus.RECTIFIED.value
    session.add(finding)
    flush_checked(session, what=f"问题 {finding_id}")
    audit(
        session,
        principal=principal,
        action=AuditAction.UPDATE,
        entity="finding",
        entity_id=finding.id,
        before=before,
        after=finding,
    )
    return finding


def close_finding(
    session: Session,
    *,
    principal: Principal,
    finding_id: int,
    revisit_date: dt.date | None,
    revisit_result: RevisitResult | str | None,
    revisit_by: str,
    expected_version: int | None = None,
) -> Finding:
    """Record the revisit (复查): passed → 已销号; failed → back to 整改中. All three are required.

    `expected_version` as for `update_finding`."""
    finding = _load(session, principal, finding_id)
    check_version(what=f"问题 {finding_id}", stored=finding, expected=expected_version)
    missing = [
        name
        for name, value in (
            ("复查日期", revisit_date),
            ("复查结果", revisit_result),
            ("复查人", (revisit_by or "").strip()),
        )
        if not value
    ]
    if missing:
        raise InputError(f"销号须填写{'、'.join(missing)}")
    assert revisit_date is not None and revisit_result is not None
    try:
        result = (
            RevisitResult(revisit_result) if not isinstance(revisit_result, RevisitResult) else revisit_result
        )
    except ValueError:
        result = RevisitResult(RevisitResult.from_label(str(revisit_result)))
    if revisit_date < finding.found_on:
        raise InputError(f"复查日期 {revisit_date} 早于发现日期 {finding.found_on}")
    if finding.status == FindingStatus.CLOSED.value:
        raise InputError("该问题已复查销号")
    before = finding.model_copy()
    finding.revisit_date, finding.revisit_result, finding.revisit_by = (
        revisit_date,
        result.value,
        revisit_by.strip()[:50],
    )
    if result is RevisitResult.PASSED:
        finding.status = FindingStatus.CLOSED.value
        finding.rectified_on = finding.rectified_on or revisit_date
    else:
        finding.status = FindingStatus.OPEN.value
        finding.rectified_on = None
    session.add(finding)
    flush_checked(session, what=f"问题 {finding_id}")
    audit(
        session,
        principal=principal,
        action=AuditAction.UPDATE,
        entity="finding",
        entity_id=finding.id,
        before=before,
        after=finding,
        detail=f"复查：{result.label}",
    )
    return finding


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
    "FindingInput",
    "FindingRow",
    "add_finding",
    "close_finding",
    "export_findings",
    "is_recurring",
    "lead_rules",
    "list_findings",
    "quarter_start",
    "update_finding",
]
