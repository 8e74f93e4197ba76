"""问题清单, recording and changing: a finding added (flagged recurring), its measure, deadline and
responsible person changed, reported rectified, and the revisit (复查) that closes it.

Closing one needs a revisit date, a result and who checked; a failed revisit sends it back to
整改中. A finding is *recurring* when the same check item was found at the same enterprise (or
institution) in an earlier quarter. All services flush; the caller commits. The list and its
export: `db.records.finding_list`.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlmodel import Session, col, select

from db.codes import AuditAction, FindingStatus, JurisdictionKind, RevisitResult, TargetKind
from db.models import Finding, Inspection, SelfInspectionReport
from db.records.common import InputError, audit, jurisdiction_by_id, target_jurisdictions, target_name
from db.records.row_versions import check_version, flush_checked
from db.rules.access import Principal, require_write


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


__all__ = [
    "FindingInput",
    "add_finding",
    "close_finding",
    "is_recurring",
    "quarter_start",
    "update_finding",
]
