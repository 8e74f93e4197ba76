"""The audit trail: who did what, when, with before/after. Append-only.

The application only ever inserts into `auditlog`; database triggers (PostgreSQL and SQLite) refuse
UPDATE and DELETE. Call `record` inside the same transaction as the change it describes, so a
change and its audit entry are committed together or not at all.
"""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from sqlmodel import Session, SQLModel

from anpei.masking import mask_id
from db.codes import AuditAction
from db.models import AuditLog
from db.rules.access import Principal

SENSITIVE_FIELDS = frozenset({"id_number", "password_hash"})


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    return value


def snapshot(obj: SQLModel | dict[str, Any] | None) -> dict[str, Any] | None:
    """A JSON-safe copy of a row for before/after; full ID numbers and password hashes are masked."""
    if obj is None:
        return None
    data = dict(obj) if isinstance(obj, dict) else obj.model_dump()
    for key in SENSITIVE_FIELDS & data.keys():
        data[key] = mask_id(data[key]) if key == "id_number" else "***"
    return {k: _jsonable(v) for k, v in data.items()}


def record(
    session: Session,
    *,
    principal: Principal,
    action: AuditAction,
    entity: str = "",
    entity_id: object = "",
    before: SQLModel | dict[str, Any] | None = None,
    after: SQLModel | dict[str, Any] | None = None,
    detail: str = "",
    at: dt.datetime | None = None,
) -> AuditLog:
    """Add one audit entry to the session (committed with the caller's transaction).

    `at` defaults to now; it must be timezone-aware (the column stores UTC).
    """
    entry = AuditLog(
        at=at or dt.datetime.now(dt.UTC),
        user_id=principal.user_id,
        username=principal.username[:50],
        action=action.value,
        entity=entity[:50],
        entity_id="" if entity_id is None else str(entity_id)[:50],
        before=snapshot(before),
        after=snapshot(after),
        detail=detail,
    )
    session.add(entry)
    return entry
