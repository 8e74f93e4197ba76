"""培训档案线索: their status, the check item a confirmed one goes under, the list and its filters.

Status: 待核实 → 属实 (a 问题清单 finding under the matching check item, linked both ways) or
已排除 (with a reason), changed by county staff or the unit owning the lead's archive, audited.
A township reads the archives and leads of its units. Services flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from anpei.masking import mask_id, mask_ids_in
from db.codes import AuditAction, FindingStatus, LabelledEnum, TargetKind
from db.models import Finding, Jurisdiction, TrainingArchive, TrainingLead
from db.records.common import InputError, audit, local_today
from db.records.findings import FindingInput, add_finding
from db.rules.access import Principal, readable_jurisdiction_ids, require_read, require_write
from training_audit import RowRef
from training_audit.leads import RULE_NAMES, evidence_text

ENTITY_LEAD = "training_lead"


class LeadStatus(LabelledEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"

    @property
    def label(self) -> str:
        return {"pending": "待核实", "confirmed": "属实", "dismissed": "已排除"}[self.value]


# Institution item 2 (教学实施: compressed hours, teaching) or 3 (培训档案: records that do not tell
# the truth); an enterprise's leads all go under item 5 (未如实记录安全生产教育和培训情况).
INSTITUTION_ITEM: dict[str, int] = {
    "CLASS_DAY_OVER_CAP": 2,
    "HOURS_INFLATED": 3,
    "CLASS_BELOW_MINIMUM": 2,
    "ROOM_OVER_CAPACITY": 2,
    "EXAM_BEFORE_TRAINING_END": 2,
    "UNIFORM_SCORES": 3,
    "IDENTICAL_SIGNIN": 3,
    "NO_ATTENDANCE_RECORDS": 3,
    "PASSED_WITHOUT_HOURS": 2,
    "EXAM_WITHOUT_ATTENDANCE": 3,
    "PERSON_OVERLAP": 3,
    "PERSON_DAY_OVER_CAP": 2,
    "TEACHER_OVERLAP": 3,
}
ENTERPRISE_ITEM = 5


def check_item_for(code: str, target_kind: str) -> int:
    return ENTERPRISE_ITEM if target_kind == TargetKind.ENTERPRISE.value else INSTITUTION_ITEM[code]


@dataclass(frozen=True)
class LeadRow:
    """A lead as listed: IDs masked (`id_masked`); `evidence` is the §5 text."""

    id: int
    code: str
    rule: str
    basis: str
    unit: str
    class_code: str
    other_unit: str
    other_code: str
    name: str
    id_masked: str
    teacher: str
    date: dt.date | None
    text: str
    evidence: str
    status: str
    reason: str
    status_by: str
    status_at: dt.datetime | None
    finding_id: int | None
    archive_id: int
    jurisdiction_id: int
    jurisdiction: str
    active: bool

    @property
    def status_label(self) -> str:
        return LeadStatus(self.status).label


def _lead_scope(principal: Principal) -> Any:
    allowed = readable_jurisdiction_ids(principal)
    if allowed is None:
        return None
    return or_(
        col(TrainingLead.jurisdiction_id).in_(sorted(allowed)),
        col(TrainingLead.other_jurisdiction_id).in_(sorted(allowed)),
    )


def archive_names(session: Session) -> dict[int, str]:
    """Stored archive id → its file name."""
    return {
        int(i or 0): n for i, n in session.exec(select(TrainingArchive.id, TrainingArchive.file_name)).all()
    }


def _evidence_text(evidence: Sequence[Sequence[Any]], names: dict[int, str]) -> str:
    order = list(dict.fromkeys(int(part[0]) for part in evidence))
    refs = [RowRef(order.index(int(aid)), str(sheet), int(r)) for aid, sheet, rows in evidence for r in rows]
    return evidence_text(refs, [names.get(aid, f"档案{aid}") for aid in order]) if refs else ""


def list_leads(
    session: Session,
    *,
    principal: Principal,
    code: str | None = None,
    status: str | None = None,
    jurisdiction_id: int | None = None,
    unit: str | None = None,
    include_inactive: bool = False,
    limit: int = 20000,
) -> list[LeadRow]:
    """The leads the principal may read, filtered, sorted as the lead file (§5)."""
    if jurisdiction_id is not None:
        require_read(principal, jurisdiction_id)
    stmt: Any = select(TrainingLead, Jurisdiction.name).join(
        Jurisdiction, col(Jurisdiction.id) == TrainingLead.jurisdiction_id
    )
    if (scope := _lead_scope(principal)) is not None:
        stmt = stmt.where(scope)
    if not include_inactive:
        stmt = stmt.where(col(TrainingLead.active))
    if code:
        stmt = stmt.where(TrainingLead.code == code)
    if status:
        stmt = stmt.where(TrainingLead.status == status)
    if jurisdiction_id is not None:
        stmt = stmt.where(TrainingLead.jurisdiction_id == jurisdiction_id)
    if unit:
        stmt = stmt.where(or_(col(TrainingLead.unit) == unit, col(TrainingLead.other_unit) == unit))
    names = archive_names(session)
    rows = [_lead_row(lead, jname, names) for lead, jname in session.exec(stmt.limit(limit)).all()]
    rows.sort(key=lambda r: (r.code, r.unit, r.class_code, r.name, r.date or dt.date.min, r.id))
    return rows


def _lead_row(lead: TrainingLead, jurisdiction: str, names: dict[int, str]) -> LeadRow:
    return LeadRow(
        id=int(lead.id or 0),
        code=lead.code,
        rule=RULE_NAMES.get(lead.code, lead.code),
        basis=lead.basis,
        unit=lead.unit,
        class_code=lead.class_code,
        other_unit=lead.other_unit,
        other_code=lead.other_code,
        name=lead.name,
        id_masked=mask_id(lead.id_number) if lead.id_number else "",
        teacher=lead.teacher,
        date=lead.lead_date,
        text=mask_ids_in(lead.text),
        evidence=_evidence_text(lead.evidence, names),
        status=lead.status,
        reason=lead.reason,
        status_by=lead.status_by,
        status_at=lead.status_at,
        finding_id=lead.finding_id,
        archive_id=lead.archive_id,
        jurisdiction_id=lead.jurisdiction_id,
        jurisdiction=jurisdiction,
        active=lead.active,
    )


def lead_status_counts(session: Session, *, principal: Principal) -> dict[str, int]:
    """Active leads by status (待核实 / 属实 / 已排除) for the overview."""
    stmt: Any = (
        select(TrainingLead.status, func.count())
        .where(col(TrainingLead.active))
        .group_by(TrainingLead.status)
    )
    if (scope := _lead_scope(principal)) is not None:
        stmt = stmt.where(scope)
    counts = {status.value: 0 for status in LeadStatus}
    counts.update({str(s): int(n) for s, n in session.exec(stmt).all()})
    return counts


def readable_lead(session: Session, principal: Principal, lead_id: int) -> TrainingLead:
    """The lead, if the principal reads its jurisdiction or the other one its evidence reaches into."""
    lead = session.get(TrainingLead, lead_id)
    if lead is None:
        raise InputError(f"找不到编号为 {lead_id} 的线索")
    allowed = readable_jurisdiction_ids(principal)
    if (
        allowed is not None
        and lead.jurisdiction_id not in allowed
        and lead.other_jurisdiction_id not in allowed
    ):
        require_read(principal, lead.jurisdiction_id)
    return lead


@dataclass(frozen=True)
class LeadFinding:
    """The 问题清单 finding a 属实 lead became."""

    id: int
    status_label: str
    description: str
    deadline: dt.date | None


def lead_finding(session: Session, *, principal: Principal, lead_id: int) -> LeadFinding | None:
    lead = readable_lead(session, principal, lead_id)
    finding = session.get(Finding, lead.finding_id) if lead.finding_id is not None else None
    if finding is None:
        return None
    return LeadFinding(
        id=int(finding.id or 0),
        status_label=FindingStatus(finding.status).label,
        description=finding.description,
        deadline=finding.deadline,
    )


# --- changing ----------------------------------------------------------------------------------


def set_lead_status(
    session: Session,
    *,
    principal: Principal,
    lead_id: int,
    status: LeadStatus | str,
    reason: str = "",
    found_on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> TrainingLead:
    """Change a lead's status (audited). 已排除 needs a reason; 属实 adds a 问题清单 finding once."""
    lead = session.get(TrainingLead, lead_id)
    if lead is None:
        raise InputError(f"找不到编号为 {lead_id} 的线索")
    require_write(principal, lead.jurisdiction_id)
    try:
        wanted = status if isinstance(status, LeadStatus) else LeadStatus(status)
    except ValueError:
        raise InputError(f"未知的线索状态：{status}") from None
    reason = reason.strip()
    if wanted is LeadStatus.DISMISSED and not reason:
        raise InputError("排除线索须填写理由")
    before = lead.model_copy()
    lead.status, lead.reason = wanted.value, reason
    lead.status_by, lead.status_at = principal.username[:50], now or dt.datetime.now(dt.UTC)
    if wanted is LeadStatus.CONFIRMED and lead.finding_id is None:
        archive = session.get(TrainingArchive, lead.archive_id)
        assert archive is not None
        rule = RULE_NAMES.get(lead.code, lead.code)
        who = f"（{lead.name}，{mask_id(lead.id_number)}）" if lead.id_number else ""
        finding = add_finding(
            session,
            principal=principal,
            jurisdiction_id=lead.jurisdiction_id,
            target_kind=archive.target_kind,
            enterprise_id=archive.enterprise_id,
            institution_id=archive.institution_id,
            found_on=found_on or local_today(),
            finding=FindingInput(
                description=f"{rule}{who}：{mask_ids_in(lead.text)}"
                + (f" 核实情况：{reason}" if reason else ""),
                check_item_number=check_item_for(lead.code, archive.target_kind),
            ),
            training_lead_id=lead.id,
        )
        lead.finding_id = finding.id
    session.add(lead)
    session.flush()
    audit(
        session,
        principal=principal,
        action=AuditAction.UPDATE,
        entity=ENTITY_LEAD,
        entity_id=lead.id,
        before=before,
        after=lead,
        detail=f"线索状态：{LeadStatus(before.status).label} → {wanted.label}",
    )
    return lead


__all__ = [
    "LeadFinding",
    "LeadRow",
    "LeadStatus",
    "archive_names",
    "check_item_for",
    "lead_finding",
    "lead_status_counts",
    "list_leads",
    "readable_lead",
    "set_lead_status",
]
