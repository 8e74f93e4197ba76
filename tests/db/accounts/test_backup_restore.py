"""The backup procedure of docs/deployment.md, tested: seed a small county in its own PostgreSQL
database, `pg_dump -Fc`, restore into a fresh database with `pg_restore`, compare every table's
row count (and that the audit log's append-only triggers came back)."""

from __future__ import annotations

import shutil
import subprocess
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import inspect, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session

from db.audit import trail
from db.codes import AuditAction
from db.engine import make_engine
from db.rules.access import SYSTEM_ADMIN

pytestmark = [
    pytest.mark.postgres,
    pytest.mark.skipif(
        not (shutil.which("pg_dump") and shutil.which("pg_restore")), reason="需要 pg_dump 和 pg_restore"
    ),
]


def _admin(base: str) -> Engine:
    return make_engine(base).execution_options(isolation_level="AUTOCOMMIT")  # type: ignore[return-value]


@pytest.fixture
def databases(pg_url: str) -> Iterator[tuple[str, str]]:
    """Two empty databases on the test server (source and restore target), dropped afterwards."""
    names = [f"anpei_bk_{uuid.uuid4().hex[:10]}", f"anpei_rs_{uuid.uuid4().hex[:10]}"]
    admin = _admin(pg_url)
    with admin.connect() as conn:
        for name in names:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    base = make_url(pg_url)
    urls = [base.set(database=name).render_as_string(hide_password=False) for name in names]
    try:
        yield urls[0], urls[1]
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _libpq(url: str) -> list[str]:
    """pg_dump / pg_restore connection options for a SQLAlchemy URL."""
    u = make_url(url)
    return [
        "-h",
        u.host or "127.0.0.1",
        "-p",
        str(u.port or 5432),
        "-U",
        u.username or "postgres",
        "-d",
        u.database or "",
    ]


def _counts(url: str) -> dict[str, int]:
    engine = make_engine(url)
    try:
        with engine.connect() as conn:
            tables = sorted(inspect(conn).get_table_names())
            return {t: int(conn.execute(text(f'SELECT count(*) FROM "{t}"')).scalar_one()) for t in tables}
    finally:
        engine.dispose()


def test_pg_dump_and_pg_restore_give_back_every_row(databases: tuple[str, str], tmp_path: Path) -> None:
    from db.sample.seed import seed_sample

    source, target = databases
    engine = make_engine(source)
    seed_sample(engine, scale=0.02, demo_accounts=True)
    with Session(engine) as s:
        trail.record(s, principal=SYSTEM_ADMIN, action=AuditAction.EXPORT, detail="备份前的一条日志")
        s.commit()
    engine.dispose()
    before = _counts(source)
    assert before["enterprise"] > 0 and before["user"] == 5 and before["certificatecheck"] > 0
    assert before["auditlog"] == 1

    dump = tmp_path / "anpei.dump"
    subprocess.run(
        ["pg_dump", "-Fc", "--no-owner", "-f", str(dump), *_libpq(source)],
        check=True,
        capture_output=True,
        timeout=120,
    )
    assert dump.stat().st_size > 1000
    subprocess.run(
        ["pg_restore", "--no-owner", "--exit-on-error", *_libpq(target), str(dump)],
        check=True,
        capture_output=True,
        timeout=120,
    )

    after = _counts(target)
    assert after == before
    engine = make_engine(target)
    try:
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).scalar_one()
        for statement in ("DELETE FROM auditlog", "UPDATE auditlog SET detail = ''", "TRUNCATE auditlog"):
            with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
                conn.execute(text(statement))
    finally:
        engine.dispose()
