"""The audit log is append-only in the database itself: UPDATE and DELETE are refused."""

from __future__ import annotations

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, select

from db.audit import trail
from db.codes import AuditAction
from db.models import AuditLog
from db.rules.access import SYSTEM
from tests.kits.accountkit import NOW


def _one_entry(engine: Engine) -> int:
    with Session(engine) as session:
        entry = trail.record(
            session, principal=SYSTEM, action=AuditAction.CREATE, entity="x", detail="原始", at=NOW
        )
        session.commit()
        assert entry.id is not None
        return entry.id


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE auditlog SET detail = 'changed'",
        "UPDATE auditlog SET username = 'someone_else' WHERE id = :id",
        "DELETE FROM auditlog",
        "DELETE FROM auditlog WHERE id = :id",
    ],
)
def test_raw_update_and_delete_are_refused(engine: Engine, statement: str) -> None:
    entry_id = _one_entry(engine)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text(statement), {"id": entry_id})
    with Session(engine) as session:
        row = session.get(AuditLog, entry_id)
        assert row is not None and row.detail == "原始" and row.username == "system"


def test_orm_update_and_delete_are_refused(engine: Engine) -> None:
    entry_id = _one_entry(engine)
    with Session(engine) as session:
        row = session.get(AuditLog, entry_id)
        assert row is not None
        row.detail = "篡改"
        session.add(row)
        with pytest.raises(DBAPIError, match="append-only"):
            session.commit()
    with Session(engine) as session:
        row = session.get(AuditLog, entry_id)
        assert row is not None
        session.delete(row)
        with pytest.raises(DBAPIError, match="append-only"):
            session.commit()
    with Session(engine) as session:
        assert len(session.exec(select(AuditLog)).all()) == 1


def test_inserts_still_work(engine: Engine) -> None:
    _one_entry(engine)
    _one_entry(engine)
    with Session(engine) as session:
        assert len(session.exec(select(AuditLog)).all()) == 2


def test_truncate_of_a_non_empty_log_is_refused_on_postgresql(engine: Engine) -> None:
    if engine.dialect.name != "postgresql":
        pytest.skip("TRUNCATE exists on PostgreSQL only")
    with engine.begin() as conn:
        conn.execute(text("TRUNCATE auditlog"))  # empty: harmless, allowed
    _one_entry(engine)
    with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
        conn.execute(text("TRUNCATE auditlog"))
