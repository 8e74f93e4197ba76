"""培训档案核查, storing: an archive stored for its unit, the county-wide re-check, stored archives listed.

Storing an archive runs the engine (`training_audit`) over every stored archive plus the new one,
so a person signed in at two institutions at once shows up when the second archive arrives. A
lead is matched across re-checks by its rule key (the code and the key fields of
training-audit.md §4), so its status survives; a lead a re-check no longer raises stays, marked
inactive. The same file twice (same SHA-256) is recognised and not stored again. Services flush;
the caller commits.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select

from db.codes import AuditAction, TargetKind
from db.models import Jurisdiction, TrainingArchive, TrainingArchiveSheet, TrainingLead
from db.records.common import InputError, audit, local_today
from db.rules.access import Principal, require_write, scope_filter
from db.training.sheets import decode_sheet, encode_sheet
from db.training.uploads import TrainingUnit, Upload
from training_audit import Archive, ArchiveError, Lead, RowRef, Rules, default_rules
from training_audit import audit as run_audit
from training_audit.columns import CLASSES, SHEET_ORDER
from training_audit.values import key_text

ENTITY_ARCHIVE = "training_archive"


@dataclass
class StoreResult:
    archive_id: int
    duplicate: bool
    problems: int = 0
    new_leads: int = 0
    active_leads: int = 0

    @property
    def summary(self) -> str:
        if self.duplicate:
            return f"该档案（同一文件）已于此前入库（档案编号 {self.archive_id}），未重复保存"
        return (
            f"已入库（档案编号 {self.archive_id}），输入问题 {self.problems} 行；全县重新核查后新增线索 "
            f"{self.new_leads} 条，现有线索 {self.active_leads} 条"
        )


def _stored_archives(session: Session) -> tuple[list[TrainingArchive], list[Archive]]:
    rows = list(session.exec(select(TrainingArchive).order_by(col(TrainingArchive.id))).all())
    sheets: dict[int, dict[str, Any]] = defaultdict(dict)
    stmt = select(TrainingArchiveSheet.archive_id, TrainingArchiveSheet.sheet, TrainingArchiveSheet.data)
    for archive_id, sheet, data in session.exec(stmt).all():
        sheets[archive_id][sheet] = decode_sheet(data)
    return rows, [Archive(name=row.file_name, sheets=sheets[int(row.id or 0)]) for row in rows]


def _class_archives(archives: Sequence[Archive]) -> dict[tuple[str, str], int]:
    """(培训单位, 班次编号) key → position of the archive that holds the class."""
    out: dict[tuple[str, str], int] = {}
    for position, archive in enumerate(archives):
        sheet = archive.sheets.get(CLASSES)
        if sheet is None:
            continue
        units, codes = sheet.column("培训单位"), sheet.column("班次编号")
        for index in range(len(sheet)):
            out.setdefault((key_text(units.value(index)), key_text(codes.value(index))), position)
    return out


def rule_key(lead: Lead) -> str:
    return hashlib.sha256("\x1f".join(lead.sort_key()).encode()).hexdigest()


def _evidence_json(refs: Sequence[RowRef], ids: Sequence[int]) -> list[list[Any]]:
    grouped: dict[tuple[int, str], set[int]] = defaultdict(set)
    for ref in refs:
        grouped[(ref.archive, ref.sheet)].add(ref.row)
    ordered = sorted(grouped, key=lambda key: (key[0], SHEET_ORDER.get(key[1], 9)))
    return [[ids[position], sheet, sorted(grouped[(position, sheet)])] for position, sheet in ordered]


def store_archive(
    session: Session,
    *,
    principal: Principal,
    upload: Upload,
    unit: TrainingUnit,
    now: dt.datetime | None = None,
    as_of: dt.date | None = None,
    rules: Rules | None = None,
    audited: bool = True,
) -> StoreResult:
    """Store the archive for `unit` (unless the same file is stored) and re-check everything stored.

    `audited=False` only for the sample county's bulk load (its other rows are not audited either).
    """
    require_write(principal, unit.jurisdiction_id)
    existing = session.exec(select(TrainingArchive).where(TrainingArchive.sha256 == upload.digest)).first()
    if existing is not None:
        return StoreResult(archive_id=int(existing.id or 0), duplicate=True)
    if CLASSES not in upload.archive.sheets:
        raise InputError(f"档案“{upload.name}”没有可用的“{CLASSES}”工作表，无法入库")
    stamp = now or dt.datetime.now(dt.UTC)
    day = as_of or local_today()
    rows, archives = _stored_archives(session)
    try:
        result = run_audit([*archives, upload.archive], rules=rules, as_of=day)
    except ArchiveError as exc:
        raise InputError(f"无法入库：{exc}") from exc
    position = len(archives)
    problems = sum(1 for p in result.problems if p.archive_index == position)
    row = TrainingArchive(
        file_name=upload.name[:200],
        sha256=upload.digest,
        target_kind=unit.target_kind,
        institution_id=unit.unit_id if unit.target_kind == TargetKind.INSTITUTION.value else None,
        enterprise_id=unit.unit_id if unit.target_kind == TargetKind.ENTERPRISE.value else None,
        unit_name=unit.name[:200],
        jurisdiction_id=unit.jurisdiction_id,
        uploaded_by=principal.username[:50],
        uploaded_at=stamp,
        row_count=sum(len(s) for s in upload.archive.sheets.values()),
        class_count=len(upload.archive.sheets[CLASSES]),
        problem_count=problems,
    )
    session.add(row)
    session.flush()
    for name, sheet in upload.archive.sheets.items():
        session.add(
            TrainingArchiveSheet(
                archive_id=int(row.id or 0), sheet=name, row_count=len(sheet), data=encode_sheet(sheet)
            )
        )
    if audited:
        audit(
            session,
            principal=principal,
            action=AuditAction.IMPORT,
            entity=ENTITY_ARCHIVE,
            entity_id=row.id,
            after=row,
            detail=f"培训档案入库：{row.file_name}（{row.unit_name}），{row.row_count} 行"
            + (f"；表头对应 {upload.columns_note}" if upload.columns_note else ""),
        )
    new, active = _merge_leads(
        session, leads=result.leads, stored=[*rows, row], archives=[*archives, upload.archive], now=stamp
    )
    session.flush()
    return StoreResult(
        archive_id=int(row.id or 0), duplicate=False, problems=problems, new_leads=new, active_leads=active
    )


def recheck(
    session: Session,
    *,
    principal: Principal,
    now: dt.datetime | None = None,
    as_of: dt.date | None = None,
    rules: Rules | None = None,
) -> tuple[int, int]:
    """Re-run the rules over everything stored (e.g. after the county changed its rules): (new, active)."""
    require_write(principal, None)  # county staff only
    rows, archives = _stored_archives(session)
    if not rows:
        return 0, 0
    result = run_audit(archives, rules=rules or default_rules(), as_of=as_of or local_today())
    counts = _merge_leads(
        session, leads=result.leads, stored=rows, archives=archives, now=now or dt.datetime.now(dt.UTC)
    )
    session.flush()
    return counts


def _merge_leads(
    session: Session,
    *,
    leads: Sequence[Lead],
    stored: Sequence[TrainingArchive],
    archives: Sequence[Archive],
    now: dt.datetime,
) -> tuple[int, int]:
    ids = [int(row.id or 0) for row in stored]
    jurisdiction = [row.jurisdiction_id for row in stored]
    class_at = _class_archives(archives)
    existing = {lead.rule_key: lead for lead in session.exec(select(TrainingLead)).all()}
    seen: set[str] = set()
    new = 0
    for lead in leads:
        key = rule_key(lead)
        seen.add(key)
        positions = sorted({ref.archive for ref in lead.evidence})
        primary = class_at.get((lead.unit, lead.class_code), positions[0] if positions else 0)
        others = [p for p in positions if jurisdiction[p] != jurisdiction[primary]]
        if lead.other_unit:
            second = class_at.get((lead.other_unit, lead.other_code))
            if second is not None and jurisdiction[second] != jurisdiction[primary]:
                others = [second]
        fields: dict[str, Any] = {
            "code": lead.code,
            "unit": lead.unit[:200],
            "class_code": lead.class_code[:100],
            "other_unit": lead.other_unit[:200],
            "other_code": lead.other_code[:100],
            "name": lead.name[:50],
            "id_number": lead.id_number[:18],
            "teacher": lead.teacher[:50],
            "lead_date": lead.date,
            "basis": lead.basis[:200],
            "text": lead.text,
            "evidence": _evidence_json(lead.evidence, ids),
            "archive_id": ids[primary],
            "jurisdiction_id": jurisdiction[primary],
            "other_jurisdiction_id": jurisdiction[others[0]] if others else None,
            "active": True,
            "last_raised_at": now,
        }
        row = existing.get(key)
        if row is None:
            session.add(TrainingLead(rule_key=key, first_raised_at=now, **fields))
            new += 1
            continue
        for name, value in fields.items():
            setattr(row, name, value)
        session.add(row)
    for key, row in existing.items():
        if key not in seen and row.active:
            row.active = False
            session.add(row)
    return new, len(seen)


# --- stored archives, listed --------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveRow:
    id: int
    file_name: str
    unit_name: str
    target_kind: str
    jurisdiction: str
    uploaded_by: str
    uploaded_at: dt.datetime
    rows: int
    classes: int
    problems: int


def list_archives(session: Session, *, principal: Principal) -> list[ArchiveRow]:
    stmt: Any = select(TrainingArchive, Jurisdiction.name).join(
        Jurisdiction, col(Jurisdiction.id) == TrainingArchive.jurisdiction_id
    )
    if (scope := scope_filter(principal, TrainingArchive.jurisdiction_id)) is not None:
        stmt = stmt.where(scope)
    return [
        ArchiveRow(
            id=int(a.id),
            file_name=a.file_name,
            unit_name=a.unit_name,
            target_kind=a.target_kind,
            jurisdiction=jname,
            uploaded_by=a.uploaded_by,
            uploaded_at=a.uploaded_at,
            rows=a.row_count,
            classes=a.class_count,
            problems=a.problem_count,
        )
        for a, jname in session.exec(stmt.order_by(col(TrainingArchive.id).desc())).all()
    ]


__all__ = [
    "ArchiveRow",
    "StoreResult",
    "list_archives",
    "recheck",
    "rule_key",
    "store_archive",
]
