"""Searching and exporting the audit trail (administrators only). Read only: there is no update
or delete here or anywhere else in the application, and triggers refuse them in the database.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.utils import get_column_letter
from sqlalchemy import String, cast, func, or_
from sqlalchemy.sql.elements import ColumnElement
from sqlmodel import Session, col, select

from anpei import clock
from anpei.cells import safe_cell
from anpei.settings import get_settings
from db.audit import labels as labels
from db.audit import trail
from db.codes import AuditAction
from db.models import AuditLog
from db.rules.access import Principal, require_admin

MAX_ROWS = 10_000


@dataclass(frozen=True)
class AuditFilter:
    """What to look for; every field is optional and they combine with AND."""

    username: str | None = None
    user_id: int | None = None
    actions: tuple[AuditAction, ...] = ()
    entity: str | None = None
    entity_id: str | None = None
    since: dt.datetime | None = None  # inclusive, timezone-aware
    until: dt.datetime | None = None  # exclusive, timezone-aware
    text: str | None = None  # in detail, username, entity id, before and after (case-insensitive)


@dataclass(frozen=True)
class AuditEntry:
    id: int
    at: dt.datetime
    user_id: int | None
    username: str
    action: AuditAction
    entity: str
    entity_id: str
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    detail: str
    changes: dict[str, tuple[Any, Any]] = field(default_factory=dict)

    @property
    def action_label(self) -> str:
        return self.action.label

    @property
    def entity_label(self) -> str:
        return labels.entity_label(self.entity)

    @property
    def entity_id_label(self) -> str:
        return labels.entity_id_label(self.entity_id)

    @property
    def changes_text(self) -> str:
        return labels.changes_text(self.changes)


def _like(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def _conditions(flt: AuditFilter) -> list[ColumnElement[bool]]:
    conds: list[ColumnElement[bool]] = []
    if flt.username:
        conds.append(col(AuditLog.username) == flt.username.strip().casefold())
    if flt.user_id is not None:
        conds.append(col(AuditLog.user_id) == flt.user_id)
    if flt.actions:
        conds.append(col(AuditLog.action).in_([a.value for a in flt.actions]))
    if flt.entity:
        conds.append(col(AuditLog.entity) == flt.entity)
    if flt.entity_id:
        conds.append(col(AuditLog.entity_id) == str(flt.entity_id))
    for moment in (flt.since, flt.until):
        if moment is not None and moment.tzinfo is None:
            raise ValueError("since/until must be timezone-aware")
    if flt.since is not None:
        conds.append(col(AuditLog.at) >= flt.since)
    if flt.until is not None:
        conds.append(col(AuditLog.at) < flt.until)
    if flt.text and flt.text.strip():
        needle = flt.text.strip()
        pattern = _like(needle)
        plain = [col(AuditLog.detail), col(AuditLog.username), col(AuditLog.entity_id), col(AuditLog.entity)]
        # before/after are stored as JSON text with non-ASCII characters escaped (\uXXXX)
        json_text = [cast(col(AuditLog.before), String), cast(col(AuditLog.after), String)]
        json_patterns = {pattern, _like(json.dumps(needle)[1:-1])}
        matches = [func.lower(column).like(pattern, escape="\\") for column in plain]
        matches += [
            func.lower(column).like(p, escape="\\") for column in json_text for p in sorted(json_patterns)
        ]
        conds.append(or_(*matches))
    return conds


def changes_of(before: dict[str, Any] | None, after: dict[str, Any] | None) -> dict[str, tuple[Any, Any]]:
    """The fields whose value differs between before and after, as (old, new)."""
    before, after = before or {}, after or {}
    keys = [k for k in {**before, **after} if before.get(k) != after.get(k)]
    return {k: (before.get(k), after.get(k)) for k in keys}


def _entry(row: AuditLog) -> AuditEntry:
    assert row.id is not None
    try:
        action = AuditAction(row.action)
    except ValueError:  # an action code written by a newer version
        action = AuditAction.UPDATE
    return AuditEntry(
        id=row.id,
        at=row.at,
        user_id=row.user_id,
        username=row.username,
        action=action,
        entity=row.entity,
        entity_id=row.entity_id,
        before=row.before,
        after=row.after,
        detail=row.detail,
        changes=changes_of(row.before, row.after) if row.before is not None and row.after is not None else {},
    )


def search_audit(
    session: Session,
    *,
    principal: Principal,
    where: AuditFilter | None = None,
    limit: int = 200,
    offset: int = 0,
) -> list[AuditEntry]:
    """Entries matching `where`, newest first."""
    require_admin(principal)
    stmt = select(AuditLog).where(*_conditions(where or AuditFilter()))
    stmt = stmt.order_by(col(AuditLog.at).desc(), col(AuditLog.id).desc()).offset(max(0, offset))
    stmt = stmt.limit(max(1, min(limit, MAX_ROWS)))
    return [_entry(row) for row in session.exec(stmt)]


def count_audit(session: Session, *, principal: Principal, where: AuditFilter | None = None) -> int:
    require_admin(principal)
    stmt = select(func.count()).select_from(AuditLog).where(*_conditions(where or AuditFilter()))
    return int(session.exec(stmt).one())


# --- export ---------------------------------------------------------------------------------------

EXPORT_HEADER = ("编号", "时间", "用户", "操作", "对象", "对象编号", "修改前", "修改后", "说明")


def export_audit_xlsx(
    session: Session,
    *,
    principal: Principal,
    where: AuditFilter | None = None,
    timezone: str | None = None,
    now: dt.datetime | None = None,
) -> bytes:
    """The matching entries (up to MAX_ROWS, newest first) as an .xlsx file; the export is audited.

    Times are shown in `timezone` (default Settings.timezone). ID numbers in before/after are
    masked already (see `db.audit.trail.snapshot`). Flushes the export's own audit entry; caller commits.
    """
    require_admin(principal)
    if timezone is None:
        timezone = get_settings().timezone
    zone = ZoneInfo(timezone)
    entries = search_audit(session, principal=principal, where=where, limit=MAX_ROWS)
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "操作日志"
    sheet.append(list(EXPORT_HEADER))
    for e in entries:
        sheet.append(
            [
                safe_cell(v)
                for v in (
                    e.id,
                    clock.to_local(e.at, zone).strftime("%Y-%m-%d %H:%M:%S"),
                    e.username,
                    e.action_label,
                    e.entity_label,
                    e.entity_id_label,
                    labels.snapshot_text(e.before),
                    labels.snapshot_text(e.after),
                    e.detail,
                )
            ]
        )
    for index, width in enumerate((8, 20, 16, 14, 14, 10, 50, 50, 40), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    trail.record(
        session,
        principal=principal,
        action=AuditAction.EXPORT,
        entity="auditlog",
        detail=f"导出操作日志 {len(entries)} 条",
        after=_filter_dict(where),
        at=now,
    )
    session.flush()
    return out.getvalue()


def _filter_dict(where: AuditFilter | None) -> dict[str, Any]:
    flt = where or AuditFilter()
    return {
        "username": flt.username,
        "user_id": flt.user_id,
        "actions": [a.value for a in flt.actions],
        "entity": flt.entity,
        "entity_id": flt.entity_id,
        "since": flt.since,
        "until": flt.until,
        "text": flt.text,
    }
