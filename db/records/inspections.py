"""Inspection records: one inspection with check-item results, findings and enforcement actions,
entered on screen (`record_inspection`); a later enforcement action joins it (`add_action`).

Every check item of the target kind gets a result (合格 / 不合格 / 不适用); a failed item without an
explicit finding gets one (the item's text), so the 问题清单 is complete. A joint inspection
(联合执法检查) is one record with the other units named; the read API counts an enterprise once per
month whoever inspected it. Corrections live in `db.records.inspection_edits`, the spreadsheet in
`db.records.inspection_sheet` (layout, template) and `db.records.inspection_import`. All services
flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from sqlmodel import Session, col, select

from db.codes import ActionKind, AuditAction, ItemResult, JurisdictionKind, TargetKind
from db.models import (
    EnforcementAction,
    Inspection,
    InspectionItemResult,
    Jurisdiction,
)
from db.records.common import (
    InputError,
    audit,
    aware_now,
    check_items,
    jurisdiction_by_id,
    local_today,
    target_jurisdictions,
    target_name,
)
from db.records.findings import FindingInput, add_finding
from db.rules.access import Principal, require_write


@dataclass(frozen=True)
class ActionInput:
    """An enforcement action: 责令整改 needs a deadline, 罚款 an amount in yuan."""

    kind: ActionKind | str
    action_date: dt.date
    deadline: dt.date | None = None
    fine_amount: Decimal | None = None
    case_ref: str = ""
    notes: str = ""


@dataclass(frozen=True)
class InspectionInput:
    inspected_on: dt.date
    jurisdiction_id: int  # who inspected
    target_kind: TargetKind | str
    enterprise_id: int | None = None
    institution_id: int | None = None
    results: Mapping[int, ItemResult | str] = field(default_factory=dict)  # check item number → result
    findings: Sequence[FindingInput] = ()
    actions: Sequence[ActionInput] = ()
    joint: bool = False
    joint_units: str = ""
    inspectors: str = ""
    notes: str = ""


def item_result(value: ItemResult | str) -> ItemResult:
    """A check-item result given as the enum, its value or its Chinese label."""
    if isinstance(value, ItemResult):
        return value
    try:
        return ItemResult(value)
    except ValueError:
        return ItemResult(ItemResult.from_label(value))


_UNIT_SEPARATORS = re.compile(r"[,，、;；/\s]+")


def joint_problem(
    session: Session, *, inspector: Jurisdiction, owners: set[int], joint: bool, joint_units: str
) -> str | None:
    """Why `inspector` may not record an inspection of a target owned by `owners`, or None.

    The county and the target's own township or member unit may always record it. Anyone else
    only as a joint inspection whose 联合单位 name a unit that owns the target (its township or its
    member unit): the owner took part, so a township cannot put another's enterprise on the
    county's exposure list alone.
    """
    if inspector.kind == JurisdictionKind.COUNTY.value or inspector.id in owners:
        return None
    owner_names = [
        row.name for row in session.exec(select(Jurisdiction).where(col(Jurisdiction.id).in_(sorted(owners))))
    ]
    listed = {part for part in _UNIT_SEPARATORS.split(joint_units) if part}
    if joint and listed & set(owner_names):
        return None
    return (
        f"检查对象属于{'、'.join(owner_names)}，不属于{inspector.name}；"
        f"只能作为联合检查登记，并在“联合单位”中填写{'或'.join(owner_names)}"
    )


def check_inspection(session: Session, data: InspectionInput, *, today: dt.date | None = None) -> list[str]:
    """Every reason the inspection cannot be stored, in Chinese (empty when it can)."""
    problems: list[str] = []
    try:
        kind = TargetKind(str(data.target_kind))
    except ValueError:
        return [f"检查对象类型“{data.target_kind}”无法识别，应为生产经营单位或安全培训机构"]
    if (kind is TargetKind.ENTERPRISE) != (data.enterprise_id is not None) or (
        data.enterprise_id is not None and data.institution_id is not None
    ):
        return [f"检查对象应为一家{kind.label}"]
    try:
        owners = target_jurisdictions(
            session, enterprise_id=data.enterprise_id, institution_id=data.institution_id
        )
        inspector = jurisdiction_by_id(session, data.jurisdiction_id)
    except InputError as exc:
        return [str(exc)]
    joint = joint_problem(
        session, inspector=inspector, owners=owners, joint=data.joint, joint_units=data.joint_units
    )
    if joint:
        problems.append(joint)
    if data.inspected_on > (today or local_today()):
        problems.append(f"检查日期 {data.inspected_on} 晚于今天")
    items = check_items(session, target_kind=kind)
    results: dict[int, ItemResult] = {}
    for number, value in data.results.items():
        if number not in items:
            problems.append(f"{kind.label}没有第 {number} 项检查内容（共 {len(items)} 项）")
            continue
        try:
            results[number] = item_result(value)
        except ValueError:
            problems.append(f"第 {number} 项检查结果“{value}”无法识别，应为合格、不合格或不适用")
    missing = [n for n in items if n not in data.results]
    if missing:
        problems.append(f"第 {'、'.join(map(str, missing))} 项未填写检查结果")
    for finding in data.findings:
        n = finding.check_item_number
        if n is not None and results.get(n) not in (None, ItemResult.FAIL):
            problems.append(f"第 {n} 项结果为“{results[n].label}”，却登记了问题")
        if finding.deadline is not None and finding.deadline < data.inspected_on:
            problems.append(f"问题“{finding.description[:20]}”的整改期限早于检查日期")
    for action in data.actions:
        problems += _check_action(action, data.inspected_on)
    duplicate = session.exec(
        select(Inspection.id).where(
            Inspection.jurisdiction_id == data.jurisdiction_id,
            Inspection.inspected_on == data.inspected_on,
            Inspection.enterprise_id == data.enterprise_id,
            Inspection.institution_id == data.institution_id,
        )
    ).first()
    if duplicate is not None:
        problems.append(f"{inspector.name} 在 {data.inspected_on} 已登记过对该对象的检查（编号 {duplicate}）")
    return problems


def _check_action(action: ActionInput, inspected_on: dt.date | None) -> list[str]:
    try:
        kind = ActionKind(str(action.kind))
    except ValueError:
        return [f"处理措施“{action.kind}”无法识别"]
    problems: list[str] = []
    if inspected_on is not None and action.action_date < inspected_on:
        problems.append(f"{kind.label}日期 {action.action_date} 早于检查日期")
    if kind is ActionKind.ORDER_RECTIFY and (action.deadline is None or action.deadline < action.action_date):
        problems.append("责令整改须填写不早于处理日期的整改期限")
    if kind is ActionKind.FINE and (action.fine_amount is None or action.fine_amount <= 0):
        problems.append("罚款须填写大于 0 的金额（元）")
    return problems


def _store_action(
    session: Session,
    *,
    principal: Principal,
    action: ActionInput,
    jurisdiction_id: int,
    target_kind: str,
    enterprise_id: int | None,
    institution_id: int | None,
    inspection_id: int | None,
) -> EnforcementAction:
    kind = ActionKind(str(action.kind))
    row = EnforcementAction(
        jurisdiction_id=jurisdiction_id,
        inspection_id=inspection_id,
        target_kind=target_kind,
        enterprise_id=enterprise_id,
        institution_id=institution_id,
        kind=kind.value,
        action_date=action.action_date,
        deadline=action.deadline if kind is ActionKind.ORDER_RECTIFY else None,
        fine_amount=action.fine_amount if kind is ActionKind.FINE else None,
        case_ref=action.case_ref.strip()[:100],
        notes=action.notes.strip(),
    )
    session.add(row)
    session.flush()
    audit(
        session,
        principal=principal,
        action=AuditAction.CREATE,
        entity="enforcementaction",
        entity_id=row.id,
        after=row,
    )
    return row


def load_inspection(session: Session, inspection_id: int) -> Inspection:
    """The stored inspection, or InputError in Chinese when there is none."""
    inspection = session.get(Inspection, inspection_id)
    if inspection is None:
        raise InputError(f"找不到编号为 {inspection_id} 的检查记录")
    return inspection


def record_inspection(
    session: Session,
    *,
    principal: Principal,
    data: InspectionInput,
    source_ref: str | None = None,
    today: dt.date | None = None,
) -> Inspection:
    """Store an inspection with its item results, findings and actions (InputError lists the problems)."""
    require_write(principal, data.jurisdiction_id)
    problems = check_inspection(session, data, today=today)
    if problems:
        raise InputError("；".join(problems))
    kind = TargetKind(str(data.target_kind))
    items = check_items(session, target_kind=kind)
    inspection = Inspection(
        inspected_on=data.inspected_on,
        jurisdiction_id=data.jurisdiction_id,
        joint=data.joint,
        joint_units=data.joint_units.strip(),
        target_kind=kind.value,
        enterprise_id=data.enterprise_id,
        institution_id=data.institution_id,
        inspectors=data.inspectors.strip(),
        notes=data.notes.strip(),
        source_ref=source_ref,
        created_at=aware_now(),
    )
    session.add(inspection)
    session.flush()
    assert inspection.id is not None
    results = {n: item_result(v) for n, v in data.results.items()}
    for number, result in sorted(results.items()):
        session.add(
            InspectionItemResult(inspection_id=inspection.id, item_number=number, result=result.value)
        )
    name = target_name(session, enterprise_id=data.enterprise_id, institution_id=data.institution_id)
    audit(
        session,
        principal=principal,
        action=AuditAction.CREATE,
        entity="inspection",
        entity_id=inspection.id,
        after={**inspection.model_dump(), "results": {str(n): r.value for n, r in results.items()}},
        detail=f"检查 {name} {data.inspected_on}",
    )
    order_deadline = next(
        (a.deadline for a in data.actions if str(a.kind) == ActionKind.ORDER_RECTIFY.value), None
    )
    covered = {f.check_item_number for f in data.findings}
    automatic = [
        FindingInput(description=items[n].text, check_item_number=n, deadline=order_deadline)
        for n, r in sorted(results.items())
        if r is ItemResult.FAIL and n not in covered
    ]
    for finding in [*data.findings, *automatic]:
        add_finding(
            session,
            principal=principal,
            jurisdiction_id=data.jurisdiction_id,
            target_kind=kind.value,
            enterprise_id=data.enterprise_id,
            institution_id=data.institution_id,
            found_on=data.inspected_on,
            finding=finding,
            inspection_id=inspection.id,
        )
    for action in data.actions:
        _store_action(
            session,
            principal=principal,
            action=action,
            jurisdiction_id=data.jurisdiction_id,
            target_kind=kind.value,
            enterprise_id=data.enterprise_id,
            institution_id=data.institution_id,
            inspection_id=inspection.id,
        )
    return inspection


def add_action(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    target_kind: TargetKind | str,
    enterprise_id: int | None,
    institution_id: int | None,
    action: ActionInput,
    inspection_id: int | None = None,
    today: dt.date | None = None,
) -> EnforcementAction:
    """An action taken later (立案, 罚款, 曝光, 黑名单, 责令整改), audited.

    The target must belong to the acting jurisdiction (the county may act on any), unless the action
    follows a (joint) inspection by that jurisdiction of that target, named by `inspection_id`.
    """
    require_write(principal, jurisdiction_id)
    owners = target_jurisdictions(session, enterprise_id=enterprise_id, institution_id=institution_id)
    try:
        kind = TargetKind(str(target_kind))
    except ValueError:
        raise InputError(f"处理对象类型“{target_kind}”无法识别") from None
    if (kind is TargetKind.ENTERPRISE) != (enterprise_id is not None):
        raise InputError(f"处理对象应为一家{kind.label}")
    actor = jurisdiction_by_id(session, jurisdiction_id)
    inspected_on: dt.date | None = None
    if inspection_id is not None:
        inspection = load_inspection(session, inspection_id)
        if (inspection.jurisdiction_id, inspection.enterprise_id, inspection.institution_id) != (
            jurisdiction_id,
            enterprise_id,
            institution_id,
        ):
            raise InputError(f"检查记录 {inspection_id} 不是{actor.name}对该对象的检查")
        inspected_on = inspection.inspected_on
    elif actor.kind != JurisdictionKind.COUNTY.value and jurisdiction_id not in owners:
        name = target_name(session, enterprise_id=enterprise_id, institution_id=institution_id)
        raise InputError(f"{name}不属于{actor.name}；联合检查后的处理请从该次检查记录登记")
    problems = _check_action(action, inspected_on)
    if action.action_date > (today or local_today()):
        problems.append(f"处理日期 {action.action_date} 晚于今天")
    if problems:
        raise InputError("；".join(problems))
    return _store_action(
        session,
        principal=principal,
        action=action,
        jurisdiction_id=jurisdiction_id,
        target_kind=kind.value,
        enterprise_id=enterprise_id,
        institution_id=institution_id,
        inspection_id=inspection_id,
    )


__all__ = ["ActionInput", "InspectionInput", "add_action", "check_inspection", "record_inspection"]
