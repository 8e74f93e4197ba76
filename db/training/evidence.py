"""What stands behind a 培训档案线索: the sheet rows (IDs masked), the teaching sessions for the
charts, and the audited reveal of full ID numbers (county staff only).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from anpei.masking import mask_id, mask_ids_in
from db.codes import AuditAction
from db.models import TrainingArchive, TrainingArchiveSheet, TrainingLead
from db.records.common import InputError, audit
from db.rules.access import AccessDenied, Principal, require_read
from db.training.leads import ENTITY_LEAD, archive_names, readable_lead
from db.training.sheets import decode_sheet
from training_audit.columns import SESSIONS, SHEET_ORDER, sheet_fields
from training_audit.values import key_text, parse_date, parse_number, parse_time, plain_text, split_teachers


@dataclass
class EvidenceBlock:
    """Rows of one sheet of one archive behind a lead: header and values as text (IDs masked)."""

    archive: str
    sheet: str
    columns: list[str]
    rows: list[list[str]]


def _cell_text(value: Any, *, full: bool = False) -> str:
    if value is None:
        return ""
    if hasattr(value, "seconds") and hasattr(value, "shows_seconds"):
        s = int(value.seconds)
        return f"{s // 3600:02d}:{s % 3600 // 60:02d}" + (f":{s % 60:02d}" if value.shows_seconds else "")
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return plain_text(value) if full else mask_ids_in(plain_text(value))


def lead_evidence(session: Session, *, principal: Principal, lead_id: int) -> list[EvidenceBlock]:
    """The sheet rows behind a lead, per archive and sheet (IDs masked; `reveal_lead` for full ones)."""
    return _lead_evidence(session, readable_lead(session, principal, lead_id), full=False)


def _lead_evidence(session: Session, lead: TrainingLead, *, full: bool) -> list[EvidenceBlock]:
    names = archive_names(session)
    blocks: list[EvidenceBlock] = []
    for archive_id, sheet_name, wanted in lead.evidence:
        sheet = _sheet(session, int(archive_id), str(sheet_name))
        if sheet is None:
            continue
        known = sheet_fields(str(sheet_name)) if sheet_name in SHEET_ORDER else ()
        fields = [f for f in known if f in sheet.columns] + [f for f in sheet.columns if f not in known]
        position = {int(r): i for i, r in enumerate(sheet.rows)}
        rows = [
            [str(r)] + [_cell_text(sheet.columns[f].value(position[int(r)]), full=full) for f in fields]
            for r in wanted
            if int(r) in position
        ]
        blocks.append(
            EvidenceBlock(
                archive=names.get(int(archive_id), ""),
                sheet=str(sheet_name),
                columns=["行号", *fields],
                rows=rows,
            )
        )
    return blocks


def _sheet(session: Session, archive_id: int, sheet: str) -> Any:
    data = session.exec(
        select(TrainingArchiveSheet.data).where(
            TrainingArchiveSheet.archive_id == archive_id, TrainingArchiveSheet.sheet == sheet
        )
    ).first()
    return None if data is None else decode_sheet(data)


@dataclass(frozen=True)
class SessionBar:
    """One teaching session for the charts: class, day, start and end (minutes since midnight)."""

    unit: str
    class_code: str
    day: dt.date
    start_minutes: int
    end_minutes: int
    teacher: str
    hours: str
    row: int


def _session_bars(sheet: Any, unit: str, rows: set[int] | None, class_code: str | None) -> list[SessionBar]:
    bars: list[SessionBar] = []
    codes, days, starts, ends = (sheet.column(f) for f in ("班次编号", "日期", "开始时间", "结束时间"))
    teachers, hours = sheet.column("授课教师"), sheet.column("学时")
    for index, row in enumerate(sheet.rows):
        code = key_text(codes.value(index))
        if (rows is not None and int(row) not in rows) or (class_code is not None and code != class_code):
            continue
        day, start, end = (
            parse_date(days.value(index)),
            parse_time(starts.value(index)),
            parse_time(ends.value(index)),
        )
        if day is None or start is None or end is None:
            continue
        number = parse_number(hours.value(index))
        bars.append(
            SessionBar(
                unit=unit,
                class_code=code,
                day=day,
                start_minutes=start.seconds // 60,
                end_minutes=end.seconds // 60,
                teacher="、".join(split_teachers(teachers.value(index))),
                hours="" if number is None else str(number),
                row=int(row),
            )
        )
    return bars


def class_sessions(
    session: Session, *, principal: Principal, archive_id: int, class_code: str
) -> list[SessionBar]:
    """Every session of one class (the per-class timeline)."""
    archive = session.get(TrainingArchive, archive_id)
    if archive is None:
        raise InputError(f"找不到编号为 {archive_id} 的档案")
    require_read(principal, archive.jurisdiction_id)
    sheet = _sheet(session, archive_id, SESSIONS)
    return [] if sheet is None else _session_bars(sheet, archive.unit_name, None, key_text(class_code))


def lead_sessions(session: Session, *, principal: Principal, lead_id: int) -> list[SessionBar]:
    """The sessions among a lead's evidence (the per-person day-hours view of the time rules)."""
    lead = readable_lead(session, principal, lead_id)
    bars: list[SessionBar] = []
    for archive_id, sheet_name, rows in lead.evidence:
        if sheet_name != SESSIONS:
            continue
        archive = session.get(TrainingArchive, int(archive_id))
        sheet = _sheet(session, int(archive_id), SESSIONS)
        if archive is not None and sheet is not None:
            bars.extend(_session_bars(sheet, archive.unit_name, {int(r) for r in rows}, None))
    return sorted(bars, key=lambda b: (b.day, b.start_minutes, b.unit, b.class_code))


# --- full ID numbers, audited ----------------------------------------------------------------


def may_reveal_lead_ids(principal: Principal) -> bool:
    """Full ID numbers of leads: county staff only. A lead's evidence joins archives of several
    townships (a person at two institutions at once), so a township account, which may reveal the
    people of its own jurisdiction elsewhere, sees leads masked; leaders see masks everywhere."""
    return principal.may_reveal_ids and principal.sees_all


def require_lead_reveal(principal: Principal) -> None:
    """AccessDenied unless the principal may see leads' full ID numbers (`may_reveal_lead_ids`)."""
    if not may_reveal_lead_ids(principal):
        raise AccessDenied(f"{principal.role.label}账号不能查看培训档案线索的完整身份证号")


@dataclass(frozen=True)
class RevealedLead:
    """A lead with full ID numbers: the person's number, the 说明 and the evidence rows."""

    lead_id: int
    id_number: str
    text: str
    evidence: list[EvidenceBlock]


def reveal_lead(session: Session, *, principal: Principal, lead_id: int) -> RevealedLead:
    """A lead's full ID numbers. The audit row is committed before anything is read out (commits)."""
    require_lead_reveal(principal)
    lead = readable_lead(session, principal, lead_id)
    audit(
        session,
        principal=principal,
        action=AuditAction.REVEAL,
        entity=ENTITY_LEAD,
        entity_id=lead.id,
        detail=f"查看培训档案线索 #{lead.id} 的完整身份证号"
        + (f"（{lead.name}，{mask_id(lead.id_number)}）" if lead.id_number else "（证据行）"),
    )
    session.commit()  # the log entry stays whatever happens next
    lead = readable_lead(session, principal, lead_id)
    return RevealedLead(
        lead_id=int(lead.id or 0),
        id_number=lead.id_number,
        text=lead.text,
        evidence=_lead_evidence(session, lead, full=True),
    )


__all__ = [
    "EvidenceBlock",
    "RevealedLead",
    "SessionBar",
    "class_sessions",
    "lead_evidence",
    "lead_sessions",
    "may_reveal_lead_ids",
    "require_lead_reveal",
    "reveal_lead",
]
