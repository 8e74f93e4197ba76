"""Correcting stored inspections: change one (`update_inspection`), delete one (`delete_inspection`),
and the list the correction form picks from (`list_inspections`).

A correction saves only onto the row version it loaded, keeps the check-item results and the
findings of failed items in step, and is written to the audit log with before and after. All
services flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from db.codes import ActionKind, AuditAction, ItemResult, TargetKind
from db.models import (
    EnforcementAction,
    Finding,
    Inspection,
    InspectionItemResult,
)
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
from db.records.findings import FindingInput, add_finding, is_recurring
from db.records.inspections import item_result, joint_problem, load_inspection
from db.records.row_versions import check_version, flush_checked, touch
from db.rules.access import Principal, require_read, require_write, scope_filter


def _stored_results(session: Session, inspection_id: int) -> dict[int, InspectionItemResult]:
    rows = session.exec(
        select(InspectionItemResult).where(InspectionItemResult.inspection_id == inspection_id)
    ).all()
    return {row.item_number: row for row in rows}


def _snapshot(inspection: Inspection, results: Mapping[int, str]) -> dict[str, Any]:
    return {**inspection.model_dump(), "results": {str(n): results[n] for n in sorted(results)}}


def _linked(session: Session, inspection_id: int) -> tuple[list[Finding], list[EnforcementAction]]:
    findings = session.exec(
        select(Finding).where(Finding.inspection_id == inspection_id).order_by(col(Finding.id))
    ).all()
    actions = session.exec(
        select(EnforcementAction)
        .where(EnforcementAction.inspection_id == inspection_id)
        .order_by(col(EnforcementAction.id))
    ).all()
    return list(findings), list(actions)


def update_inspection(
    session: Session,
    *,
    principal: Principal,
    inspection_id: int,
    inspected_on: dt.date | None = None,
    joint: bool | None = None,
    joint_units: str | None = None,
    results: Mapping[int, ItemResult | str] | None = None,
    inspectors: str | None = None,
    notes: str | None = None,
    today: dt.date | None = None,
    expected_version: int | None = None,
) -> Inspection:
    """Correct an inspection record (only the fields given), audited with before and after.

    A new date moves the inspection's findings along (their 发现日期). An item turned 不合格 gets a
    finding (the item's text); an item with a finding cannot be turned 合格 or 不适用. InputError
    lists every problem; nothing is changed then. `expected_version`: the version the form was
    loaded with; a record changed since is refused (StaleRecord). None skips the check.
    """
    inspection = load_inspection(session, inspection_id)
    require_write(principal, inspection.jurisdiction_id)
    what = f"检查记录 {inspection_id}"
    check_version(what=what, stored=inspection, expected=expected_version)
    kind = TargetKind(inspection.target_kind)
    items = check_items(session, target_kind=kind)
    stored = _stored_results(session, inspection_id)
    old = {n: row.result for n, row in stored.items()}
    findings, actions = _linked(session, inspection_id)
    day = inspected_on or inspection.inspected_on
    new_joint = inspection.joint if joint is None else joint
    problems: list[str] = []
    if day > (today or local_today()):
        problems.append(f"检查日期 {day} 晚于今天")
    if day != inspection.inspected_on:
        for finding in findings:
            latest = max(
                (d for d in (finding.deadline, finding.rectified_on, finding.revisit_date) if d), default=None
            )
            if latest is not None and latest < day:
                problems.append(
                    f"问题“{finding.description[:20]}”的整改期限或整改、复查日期早于新的检查日期 {day}"
                )
        problems += [
            f"{ActionKind(a.kind).label}日期 {a.action_date} 早于新的检查日期 {day}"
            for a in actions
            if a.action_date < day
        ]
        duplicate = session.exec(
            select(Inspection.id).where(
                Inspection.jurisdiction_id == inspection.jurisdiction_id,
                Inspection.inspected_on == day,
                Inspection.enterprise_id == inspection.enterprise_id,
                Inspection.institution_id == inspection.institution_id,
                Inspection.id != inspection_id,
            )
        ).first()
        if duplicate is not None:
            problems.append(f"在 {day} 已登记过该单位对该对象的检查（编号 {duplicate}）")
    inspector = jurisdiction_by_id(session, inspection.jurisdiction_id)
    owners = target_jurisdictions(
        session, enterprise_id=inspection.enterprise_id, institution_id=inspection.institution_id
    )
    new_units = (inspection.joint_units if joint_units is None else joint_units) if new_joint else ""
    joint_refusal = joint_problem(
        session, inspector=inspector, owners=owners, joint=new_joint, joint_units=new_units
    )
    if joint_refusal:
        problems.append(joint_refusal)
    merged = dict(old)
    for number, value in (results or {}).items():
        if number not in items:
            problems.append(f"{kind.label}没有第 {number} 项检查内容（共 {len(items)} 项）")
            continue
        try:
            merged[number] = item_result(value).value
        except ValueError:
            problems.append(f"第 {number} 项检查结果“{value}”无法识别，应为合格、不合格或不适用")
    covered = {f.check_item_number for f in findings if f.check_item_number is not None}
    for number in sorted(covered):
        if merged.get(number, ItemResult.FAIL.value) != ItemResult.FAIL.value:
            label = ItemResult(merged[number]).label
            problems.append(f"第 {number} 项已登记问题，不能改为“{label}”；请先在问题清单中处理该问题")
    if problems:
        raise InputError("；".join(problems))

    before = _snapshot(inspection.model_copy(), old)
    previous_day = inspection.inspected_on
    inspection.inspected_on, inspection.joint = day, new_joint
    inspection.joint_units = (
        (inspection.joint_units if joint_units is None else joint_units.strip()) if new_joint else ""
    )
    if inspectors is not None:
        inspection.inspectors = inspectors.strip()
    if notes is not None:
        inspection.notes = notes.strip()
    for number, value in merged.items():
        if number in stored:
            stored[number].result = value
            session.add(stored[number])
        else:
            session.add(InspectionItemResult(inspection_id=inspection_id, item_number=number, result=value))
    after = _snapshot(inspection, merged)
    if after == before:
        return inspection
    touch(inspection, "notes")  # a change of the item results alone is a change of the record too
    session.add(inspection)
    flush_checked(session, what=what)
    after = _snapshot(inspection, merged)
    name = target_name(
        session, enterprise_id=inspection.enterprise_id, institution_id=inspection.institution_id
    )
    audit(
        session,
        principal=principal,
        action=AuditAction.UPDATE,
        entity="inspection",
        entity_id=inspection_id,
        before=before,
        after=after,
        detail=f"更正检查记录 {name} {day}",
    )
    if day != previous_day:
        for finding in findings:
            was = finding.model_copy()
            finding.found_on = day
            finding.recurring = is_recurring(
                session,
                enterprise_id=finding.enterprise_id,
                institution_id=finding.institution_id,
                check_item_number=finding.check_item_number,
                found_on=day,
                exclude_id=finding.id,
            )
            session.add(finding)
            audit(
                session,
                principal=principal,
                action=AuditAction.UPDATE,
                entity="finding",
                entity_id=finding.id,
                before=was,
                after=finding,
                detail=f"检查日期由 {previous_day} 更正为 {day}",
            )
    order_deadline = next((a.deadline for a in actions if a.kind == ActionKind.ORDER_RECTIFY.value), None)
    for number in sorted(merged):
        if (
            merged[number] == ItemResult.FAIL.value
            and old.get(number) != ItemResult.FAIL.value
            and number not in covered
        ):
            add_finding(
                session,
                principal=principal,
                jurisdiction_id=inspection.jurisdiction_id,
                target_kind=kind.value,
                enterprise_id=inspection.enterprise_id,
                institution_id=inspection.institution_id,
                found_on=day,
                finding=FindingInput(
                    description=items[number].text,
                    check_item_number=number,
                    deadline=order_deadline if order_deadline and order_deadline >= day else None,
                ),
                inspection_id=inspection_id,
            )
    session.flush()
    return inspection


def delete_inspection(
    session: Session, *, principal: Principal, inspection_id: int, expected_version: int | None = None
) -> None:
    """Delete an inspection entered by mistake, audited; refused once it has findings or actions, or
    (with `expected_version`) when it changed after the form showing it was loaded."""
    inspection = load_inspection(session, inspection_id)
    require_write(principal, inspection.jurisdiction_id)
    check_version(what=f"检查记录 {inspection_id}", stored=inspection, expected=expected_version)
    findings, actions = _linked(session, inspection_id)
    if findings or actions:
        raise InputError(
            f"检查记录 {inspection_id} 已有 {len(findings)} 条问题、{len(actions)} 项处理措施，不能删除；"
            "请更正这条记录，或先处理问题清单和处理措施"
        )
    stored = _stored_results(session, inspection_id)
    before = _snapshot(inspection, {n: row.result for n, row in stored.items()})
    name = target_name(
        session, enterprise_id=inspection.enterprise_id, institution_id=inspection.institution_id
    )
    for row in stored.values():
        session.delete(row)
    session.flush()
    session.delete(inspection)
    flush_checked(session, what=f"检查记录 {inspection_id}")
    audit(
        session,
        principal=principal,
        action=AuditAction.DELETE,
        entity="inspection",
        entity_id=inspection_id,
        before=before,
        detail=f"删除检查记录 {name} {before['inspected_on']}",
    )


@dataclass(frozen=True)
class InspectionRow:
    """One stored inspection as the correction form shows it."""

    id: int
    inspected_on: dt.date
    jurisdiction_id: int
    jurisdiction: str
    target_kind: str
    target_name: str
    joint: bool
    joint_units: str
    inspectors: str
    notes: str
    results: dict[int, str]  # check item number → ItemResult value
    findings: int  # findings recorded from this inspection
    actions: int  # enforcement actions recorded from this inspection
    version: int = 1  # the row version the correction form carries

    @property
    def label(self) -> str:
        return f"{self.inspected_on} {self.target_name}（{self.jurisdiction}，编号 {self.id}）"


def list_inspections(
    session: Session, *, principal: Principal, jurisdiction_id: int | None = None, limit: int = 200
) -> list[InspectionRow]:
    """The most recent inspections the principal may read (newest first), with results and link counts."""
    if jurisdiction_id is not None:
        require_read(principal, jurisdiction_id)
    stmt: Any = select_with_names(Inspection)
    if (scope := scope_filter(principal, Inspection.jurisdiction_id)) is not None:
        stmt = stmt.where(scope)
    if jurisdiction_id is not None:
        stmt = stmt.where(Inspection.jurisdiction_id == jurisdiction_id)
    stmt = stmt.order_by(col(Inspection.inspected_on).desc(), col(Inspection.id).desc()).limit(limit)
    found = session.exec(stmt).all()
    ids = [int(i.id) for i, *_ in found]
    results: dict[int, dict[int, str]] = defaultdict(dict)
    findings: dict[int, int] = defaultdict(int)
    actions: dict[int, int] = defaultdict(int)
    if ids:
        for r in session.exec(
            select(InspectionItemResult).where(col(InspectionItemResult.inspection_id).in_(ids))
        ):
            results[r.inspection_id][r.item_number] = r.result
        for fid in session.exec(select(Finding.inspection_id).where(col(Finding.inspection_id).in_(ids))):
            findings[int(fid or 0)] += 1
        for aid in session.exec(
            select(EnforcementAction.inspection_id).where(col(EnforcementAction.inspection_id).in_(ids))
        ):
            actions[int(aid or 0)] += 1
    return [
        InspectionRow(
            id=int(i.id),
            inspected_on=i.inspected_on,
            jurisdiction_id=i.jurisdiction_id,
            jurisdiction=jname,
            target_kind=i.target_kind,
            target_name=ename or iname or "",
            joint=i.joint,
            joint_units=i.joint_units,
            inspectors=i.inspectors,
            notes=i.notes,
            results=dict(sorted(results[int(i.id)].items())),
            findings=findings[int(i.id)],
            actions=actions[int(i.id)],
            version=i.version,
        )
        for i, jname, ename, iname in found
    ]


__all__ = ["InspectionRow", "delete_inspection", "list_inspections", "update_inspection"]
