"""Inspection records: one inspection with check-item results, findings and enforcement actions,
entered on screen (`record_inspection`) or imported in bulk from a spreadsheet (`import_inspections`).

Every check item of the target kind gets a result (合格 / 不合格 / 不适用); a failed item without an
explicit finding gets one (the item's text), so the 问题清单 is complete. A joint inspection
(联合执法检查) is one record with the other units named; the read API counts an enterprise once per
month whoever inspected it. All services flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from openpyxl import Workbook
from openpyxl.worksheet.datavalidation import DataValidation
from sqlmodel import Session, col, select

from db.access import AccessDenied, Principal, require_read, require_write, scope_filter
from db.codes import ActionKind, AuditAction, ItemResult, JurisdictionKind, TargetKind
from db.findings import FindingInput, add_finding, is_recurring
from db.input_common import (
    InputError,
    audit,
    aware_now,
    check_items,
    jurisdiction_by_id,
    local_today,
    select_with_names,
    sha256_hex,
    target_jurisdictions,
    target_name,
)
from db.models import (
    EnforcementAction,
    Enterprise,
    Finding,
    Inspection,
    InspectionItemResult,
    Jurisdiction,
    TrainingInstitution,
)
from db.row_versions import check_version, flush_checked, touch
from db.xlsx_io import (
    ImportProblem,
    ImportRefused,
    column_ref,
    find_header_row,
    header_columns,
    merged_problems,
    normalise_header,
    parse_choice,
    parse_date,
    parse_money,
    parse_text,
    parse_yes_no,
    print_setup,
    read_tables,
    workbook_bytes,
    write_table,
)


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


def _result(value: ItemResult | str) -> ItemResult:
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
            results[number] = _result(value)
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
    results = {n: _result(v) for n, v in data.results.items()}
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
        inspection = _load_inspection(session, inspection_id)
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


# --- corrections -----------------------------------------------------------------------------


def _load_inspection(session: Session, inspection_id: int) -> Inspection:
    inspection = session.get(Inspection, inspection_id)
    if inspection is None:
        raise InputError(f"找不到编号为 {inspection_id} 的检查记录")
    return inspection


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
    inspection = _load_inspection(session, inspection_id)
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
            merged[number] = _result(value).value
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
    inspection = _load_inspection(session, inspection_id)
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


# --- spreadsheet import ----------------------------------------------------------------------

SHEET = "检查记录"
MAX_ITEMS = 5
RESULT_CHOICES: dict[str, str] = {
    **{m.label: m.value for m in ItemResult},
    **{m.value: m.value for m in ItemResult},
    "√": ItemResult.PASS.value,
    "×": ItemResult.FAIL.value,
    "/": ItemResult.NOT_APPLICABLE.value,
}
KIND_CHOICES: dict[str, str] = {
    **{m.label: m.value for m in TargetKind},
    "企业": TargetKind.ENTERPRISE.value,
    "培训机构": TargetKind.INSTITUTION.value,
}


@dataclass(frozen=True)
class ImportColumn:
    key: str
    header: str
    required: bool = False
    width: float = 12


COLUMNS: tuple[ImportColumn, ...] = (
    ImportColumn("inspected_on", "检查日期", True, 12),
    ImportColumn("jurisdiction", "检查单位", True, 12),
    ImportColumn("target_kind", "对象类型", True, 13),
    ImportColumn("target", "对象名称", True, 28),
    ImportColumn("uscc", "统一社会信用代码", False, 21),
    ImportColumn("joint", "联合检查", False, 8),
    ImportColumn("joint_units", "联合单位", False, 16),
    ImportColumn("inspectors", "检查人员", False, 14),
    *(ImportColumn(f"item{n}", f"检查项{n}", n <= 4, 8) for n in range(1, MAX_ITEMS + 1)),
    ImportColumn("description", "问题描述", False, 30),
    ImportColumn("measure", "整改措施", False, 24),
    ImportColumn("deadline", "整改期限", False, 12),
    ImportColumn("responsible", "责任人", False, 10),
    ImportColumn("order", "责令整改", False, 8),
    ImportColumn("case_ref", "立案案号", False, 16),
    ImportColumn("fine", "罚款金额（元）", False, 12),
    ImportColumn("exposure", "曝光", False, 6),
    ImportColumn("blacklist", "纳入黑名单", False, 8),
    ImportColumn("action_date", "处理日期", False, 12),
    ImportColumn("notes", "备注", False, 20),
)


def inspections_template(session: Session | None = None) -> bytes:
    """The bulk-import template: one row per inspection, and a sheet explaining the check items."""
    workbook = Workbook()
    ws = workbook.active
    assert ws is not None
    ws.title = SHEET
    header_row = write_table(
        ws,
        header=[c.header for c in COLUMNS],
        rows=[],
        widths=[c.width for c in COLUMNS],
        title="安全生产培训“走过场”执法检查记录（批量导入）",
    )
    last = header_row + 1000
    letters = {c.key: column_ref(i) for i, c in enumerate(COLUMNS, start=1)}

    def listed(key: str, options: str) -> None:
        validation = DataValidation(type="list", formula1=f'"{options}"', allow_blank=True)
        validation.add(f"{letters[key]}{header_row + 1}:{letters[key]}{last}")
        ws.add_data_validation(validation)

    listed("target_kind", "生产经营单位,安全培训机构")
    for key in ("joint", "order", "exposure", "blacklist"):
        listed(key, "是,否")
    for n in range(1, MAX_ITEMS + 1):
        listed(f"item{n}", "合格,不合格,不适用")
    print_setup(ws, title_rows=f"{header_row}:{header_row}")
    guide = workbook.create_sheet("填写说明")
    lines: list[list[Any]] = [
        ["列", "说明"],
        ["检查日期", "如 2023-05-06、2023/5/6 或 2023年5月6日"],
        ["检查单位", "乡镇（街道）或成员单位全称，例如 三合街道"],
        ["对象类型", "生产经营单位 或 安全培训机构"],
        ["对象名称 / 统一社会信用代码", "与系统中登记的一致；同名单位请填写统一社会信用代码"],
        ["联合检查 / 联合单位", "多个单位联合检查的填“是”，并写明参加单位；同一企业同一月只计一次"],
        ["检查项1–5", "合格 / 不合格 / 不适用；安全培训机构只有 4 项，检查项5留空"],
        ["问题描述 … 责任人", "有“不合格”项时填写；每个不合格项生成一条问题清单"],
        ["责令整改 / 立案案号 / 罚款金额（元） / 曝光 / 纳入黑名单", "采取了哪些措施；责令整改须填整改期限"],
        ["处理日期", "措施的日期，不填则为检查日期"],
    ]
    items: dict[str, dict[int, str]] = {}
    if session is not None:
        for kind in TargetKind:
            items[kind.label] = {n: i.text for n, i in check_items(session, target_kind=kind).items()}
    else:
        from db.campaign_defaults import CHECK_ITEMS

        for default in CHECK_ITEMS:
            items.setdefault(default.target_kind.label, {})[default.number] = default.text
    for label, numbered in items.items():
        for number, text in numbered.items():
            lines.append([f"{label} 检查项{number}", text])
    write_table(guide, header=lines[0], rows=lines[1:], widths=[34, 90], title="填写说明与检查项")
    return workbook_bytes(workbook)


@dataclass(frozen=True)
class InspectionImportReport:
    filename: str
    sha256: str
    inspections: int = 0
    findings: int = 0
    actions: int = 0
    duplicate_file: bool = False

    @property
    def summary(self) -> str:
        if self.duplicate_file:
            return f"文件“{self.filename}”此前已导入，未重复计入"
        return f"文件“{self.filename}”已导入：检查 {self.inspections} 次，问题 {self.findings} 条，处理措施 {self.actions} 项"


class _Lookup:
    """Names → ids, loaded once per import."""

    def __init__(self, session: Session) -> None:
        self.jurisdictions = {j.name: j.id for j in session.exec(select(Jurisdiction)).all()}
        self.enterprises: dict[str, list[int]] = defaultdict(list)
        self.institutions: dict[str, list[int]] = defaultdict(list)
        self.by_uscc: dict[tuple[str, str], int] = {}
        for eid, name, uscc in session.exec(select(Enterprise.id, Enterprise.name, Enterprise.uscc)).all():
            self.enterprises[name.strip()].append(int(eid or 0))
            if uscc:
                self.by_uscc[(TargetKind.ENTERPRISE.value, uscc.upper())] = int(eid or 0)
        for iid, name, uscc in session.exec(
            select(TrainingInstitution.id, TrainingInstitution.name, TrainingInstitution.uscc)
        ).all():
            self.institutions[name.strip()].append(int(iid or 0))
            if uscc:
                self.by_uscc[(TargetKind.INSTITUTION.value, uscc.upper())] = int(iid or 0)


def _parse_rows(
    session: Session, data: bytes, *, filename: str, max_mb: int | None, today: dt.date
) -> tuple[list[tuple[int, InspectionInput]], list[ImportProblem]]:
    tables = read_tables(data, filename=filename, max_mb=max_mb)
    required = [c.header for c in COLUMNS if c.required]
    found = next(
        (
            (t, r)
            for t in sorted(tables, key=lambda t: t.name != SHEET)
            if (r := find_header_row(t, required)) is not None
        ),
        None,
    )
    if found is None:
        names = "、".join(f"“{t.name}”" for t in tables)
        raise ImportRefused(
            [
                ImportProblem(
                    SHEET,
                    0,
                    "",
                    names,
                    "系统下载的检查记录模板",
                    f"找不到检查记录表：文件中的工作表为 {names}，没有一张含有“检查日期”“检查单位”“对象名称”等表头",
                )
            ]
        )
    table, header_row = found
    present = header_columns(table, header_row)
    positions = {
        c.key: present[normalise_header(c.header)] for c in COLUMNS if normalise_header(c.header) in present
    }
    headers = {c.key: c.header for c in COLUMNS}
    lookup = _Lookup(session)
    problems: list[ImportProblem] = []
    rows: list[tuple[int, InspectionInput]] = []
    last_data = header_row
    for r in range(header_row + 1, len(table.rows) + 1):
        if not table.row_is_blank(r):
            last_data = r
    problems += merged_problems(table, from_row=header_row)
    for r in range(header_row + 1, last_data + 1):
        if table.row_is_blank(r):
            continue
        row_problems: list[ImportProblem] = []

        def where(key: str, r: int = r) -> tuple[str, int, str]:
            return (
                table.name,
                r,
                column_ref(positions[key], headers[key]) if key in positions else headers[key],
            )

        def cell(key: str, r: int = r) -> Any:
            return table.cell(r, positions[key]) if key in positions else None

        def take(value: Any, problems: list[ImportProblem] = row_problems) -> Any:
            if isinstance(value, ImportProblem):
                problems.append(value)
                return None
            return value

        inspected_on = take(parse_date(cell("inspected_on"), where=where("inspected_on"), required=True))
        if inspected_on is not None and inspected_on > today:
            row_problems.append(
                ImportProblem(
                    *where("inspected_on"), inspected_on.isoformat(), "不晚于今天", "检查日期还没到"
                )
            )
        j_name = parse_text(cell("jurisdiction"))
        jid = lookup.jurisdictions.get(j_name)
        if jid is None:
            row_problems.append(
                ImportProblem(
                    *where("jurisdiction"),
                    j_name,
                    "系统中的乡镇（街道）或成员单位全称",
                    "找不到检查单位" if j_name else "检查单位不能为空",
                )
            )
        kind = take(
            parse_choice(
                cell("target_kind"),
                choices=KIND_CHOICES,
                where=where("target_kind"),
                expected="生产经营单位 或 安全培训机构",
            )
        )
        enterprise_id = institution_id = None
        if kind is not None:
            name, uscc = parse_text(cell("target")), parse_text(cell("uscc")).upper()
            pool = lookup.enterprises if kind == TargetKind.ENTERPRISE.value else lookup.institutions
            target_id: int | None = lookup.by_uscc.get((kind, uscc)) if uscc else None
            if uscc and target_id is None:
                row_problems.append(
                    ImportProblem(
                        *where("uscc"), uscc, "系统中登记的统一社会信用代码", "找不到这个统一社会信用代码"
                    )
                )
            elif target_id is None:
                matches = pool.get(name, [])
                if len(matches) == 1:
                    target_id = matches[0]
                else:
                    row_problems.append(
                        ImportProblem(
                            *where("target"),
                            name,
                            f"系统中登记的{TargetKind(kind).label}名称",
                            "有多家同名单位，请填写统一社会信用代码"
                            if matches
                            else ("对象名称不能为空" if not name else f"找不到这家{TargetKind(kind).label}"),
                        )
                    )
            if kind == TargetKind.ENTERPRISE.value:
                enterprise_id = target_id
            else:
                institution_id = target_id
        joint = bool(take(parse_yes_no(cell("joint"), where=where("joint"))))
        results: dict[int, str] = {}
        n_items = 4 if kind == TargetKind.INSTITUTION.value else MAX_ITEMS
        for n in range(1, MAX_ITEMS + 1):
            value = take(
                parse_choice(
                    cell(f"item{n}"),
                    choices=RESULT_CHOICES,
                    where=where(f"item{n}"),
                    required=n <= n_items,
                    expected="合格、不合格、不适用",
                )
            )
            if n > n_items and value not in (None, ItemResult.NOT_APPLICABLE.value):
                row_problems.append(
                    ImportProblem(
                        *where(f"item{n}"),
                        parse_text(cell(f"item{n}")),
                        "留空",
                        "安全培训机构只有 4 项检查内容",
                    )
                )
            elif value is not None and n <= n_items:
                results[n] = value
        deadline = take(parse_date(cell("deadline"), where=where("deadline")))
        action_date = take(parse_date(cell("action_date"), where=where("action_date"))) or inspected_on
        fine = take(parse_money(cell("fine"), where=where("fine"), places=2))
        failed = [n for n, v in results.items() if v == ItemResult.FAIL.value]
        description = parse_text(cell("description"), max_len=2000)
        if description and not failed:
            row_problems.append(
                ImportProblem(
                    *where("description"),
                    description[:20],
                    "有“不合格”检查项时才填写",
                    "填写了问题描述，但没有不合格的检查项",
                )
            )
        actions: list[ActionInput] = []
        if action_date is not None:
            if take(parse_yes_no(cell("order"), where=where("order"))):
                if deadline is None:
                    row_problems.append(
                        ImportProblem(*where("deadline"), "", "日期", "责令整改须填写整改期限")
                    )
                actions.append(ActionInput(ActionKind.ORDER_RECTIFY, action_date, deadline=deadline))
            case_ref = parse_text(cell("case_ref"), max_len=100)
            if case_ref:
                actions.append(ActionInput(ActionKind.CASE, action_date, case_ref=case_ref))
            if fine:
                actions.append(ActionInput(ActionKind.FINE, action_date, fine_amount=fine, case_ref=case_ref))
            for key, action_kind in (("exposure", ActionKind.EXPOSURE), ("blacklist", ActionKind.BLACKLIST)):
                if take(parse_yes_no(cell(key), where=where(key))):
                    actions.append(ActionInput(action_kind, action_date, case_ref=case_ref))
        if (
            inspected_on is None
            or jid is None
            or kind is None
            or (enterprise_id is None and institution_id is None)
        ):
            problems += row_problems
            continue
        items = {i: _item_short(session, kind, i) for i in failed}
        findings = [
            FindingInput(
                description=(f"【{items[n]}】{description}" if len(failed) > 1 else description)
                if description
                else _item_text(session, kind, n),
                check_item_number=n,
                measure=parse_text(cell("measure"), max_len=2000),
                deadline=deadline,
                responsible_person=parse_text(cell("responsible"), max_len=50),
            )
            for n in failed
        ]
        candidate = InspectionInput(
            inspected_on=inspected_on,
            jurisdiction_id=int(jid),
            target_kind=kind,
            enterprise_id=enterprise_id,
            institution_id=institution_id,
            results=results,
            findings=findings,
            actions=actions,
            joint=joint,
            joint_units=parse_text(cell("joint_units")),
            inspectors=parse_text(cell("inspectors")),
            notes=parse_text(cell("notes"), max_len=2000),
        )
        checks = check_inspection(session, candidate, today=today)
        if row_problems:
            # the row's other problems too, in the same report — not again what its cells already said
            problems += row_problems
            checks = [m for m in checks if not _said_by_cells(m, row_problems)]
        problems += [ImportProblem(table.name, r, "", "", "", message) for message in checks]
        if not row_problems:
            rows.append((r, candidate))
    seen: dict[tuple[Any, ...], int] = {}
    for r, item in rows:
        same = (item.jurisdiction_id, item.inspected_on, item.enterprise_id, item.institution_id)
        if same in seen:
            problems.append(
                ImportProblem(
                    table.name,
                    r,
                    "",
                    "",
                    "每次检查一行",
                    f"与第 {seen[same]} 行重复（同一单位、同一天、同一对象）",
                )
            )
        seen.setdefault(same, r)
    if not rows and not problems:
        problems.append(
            ImportProblem(table.name, header_row + 1, "", "", "至少一行检查记录", "表头下面没有数据行")
        )
    return rows, problems


def _said_by_cells(message: str, cell_problems: Sequence[ImportProblem]) -> bool:
    """A whole-row check repeating a problem already reported on one of the row's cells."""
    columns = " ".join(p.column for p in cell_problems)
    texts = " ".join(p.message for p in cell_problems)
    return (
        ("未填写检查结果" in message and "检查项" in columns)
        or ("晚于今天" in message and "检查日期还没到" in texts)
        or ("责令整改须填写" in message and ("责令整改须填写" in texts or "整改期限" in columns))
        or ("罚款" in message and "罚款" in columns)
    )


def _item_short(session: Session, kind: str, number: int) -> str:
    item = check_items(session, target_kind=kind).get(number)
    return item.short if item else f"第{number}项"


def _item_text(session: Session, kind: str, number: int) -> str:
    item = check_items(session, target_kind=kind).get(number)
    return item.text if item else f"第{number}项不合格"


def import_inspections(
    session: Session,
    *,
    principal: Principal,
    data: bytes,
    filename: str,
    max_mb: int | None = None,
    today: dt.date | None = None,
) -> InspectionImportReport:
    """Store every inspection of a spreadsheet, or none (ImportRefused with row-numbered reasons).

    The same file imported again changes nothing (`duplicate_file`).
    """
    if not principal.can_write:
        require_write(principal, principal.jurisdiction_id)
    sha = sha256_hex(data)
    marker = sha[:16]
    if (
        data
        and session.exec(
            select(Inspection.id).where(col(Inspection.source_ref).startswith(f"{marker}:"))
        ).first()
    ):
        return InspectionImportReport(filename, sha, duplicate_file=True)
    rows, problems = _parse_rows(
        session, data, filename=filename, max_mb=max_mb, today=today or local_today()
    )
    if problems:
        raise ImportRefused(problems)
    for r, item in rows:
        try:
            require_write(principal, item.jurisdiction_id)
        except AccessDenied as exc:
            raise AccessDenied(f"第 {r} 行：{exc}") from exc
    findings = actions = 0
    for r, item in rows:
        record_inspection(session, principal=principal, data=item, source_ref=f"{marker}:{r}", today=today)
        failed = sum(1 for v in item.results.values() if str(v) == ItemResult.FAIL.value)
        findings += max(failed, len(item.findings))
        actions += len(item.actions)
    audit(
        session,
        principal=principal,
        action=AuditAction.IMPORT,
        entity="inspection",
        detail=f"批量导入检查记录：文件“{filename}”，{len(rows)} 次检查，sha256={sha}",
    )
    return InspectionImportReport(filename, sha, len(rows), findings, actions)


__all__ = [
    "ActionInput",
    "InspectionImportReport",
    "InspectionInput",
    "InspectionRow",
    "add_action",
    "check_inspection",
    "delete_inspection",
    "import_inspections",
    "inspections_template",
    "list_inspections",
    "record_inspection",
    "update_inspection",
]
