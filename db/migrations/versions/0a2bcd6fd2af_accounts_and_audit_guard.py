"""accounts and audit guard

Adds `user.session_version` (bumped to invalidate login cookies) and `user.last_login_at`, and
makes `auditlog` append-only in the database itself: UPDATE and DELETE (and, on PostgreSQL,
TRUNCATE of a non-empty log) raise an error whatever the client.

Revision ID: 0a2bcd6fd2af
Revises: f2de6f853b9b
Create Date: 2026-11-26 12:20:30.435331
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = '0a2bcd6fd2af'
down_revision: str | None = 'f2de6f853b9b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MESSAGE = "auditlog is append-only"

PG_UP = [
    f"""
    CREATE FUNCTION auditlog_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        RAISE EXCEPTION '{MESSAGE}: % refused', TG_OP USING ERRCODE = 'insufficient_privilege';
    END
    $$
    """,
    f"""
    CREATE FUNCTION auditlog_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
    DECLARE
        has_rows boolean;
    BEGIN
        EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I.%I)', TG_TABLE_SCHEMA, TG_TABLE_NAME) INTO has_rows;
        IF has_rows THEN
            RAISE EXCEPTION '{MESSAGE}: TRUNCATE refused' USING ERRCODE = 'insufficient_privilege';
        END IF;
        RETURN NULL;
    END
    $$
    """,
    "CREATE TRIGGER auditlog_append_only BEFORE UPDATE OR DELETE ON auditlog"
    " FOR EACH ROW EXECUTE FUNCTION auditlog_refuse_change()",
    "CREATE TRIGGER auditlog_no_truncate BEFORE TRUNCATE ON auditlog"
    " FOR EACH STATEMENT EXECUTE FUNCTION auditlog_refuse_truncate()",
]
PG_DOWN = [
    "DROP TRIGGER IF EXISTS auditlog_no_truncate ON auditlog",
    "DROP TRIGGER IF EXISTS auditlog_append_only ON auditlog",
    "DROP FUNCTION IF EXISTS auditlog_refuse_truncate()",
    "DROP FUNCTION IF EXISTS auditlog_refuse_change()",
]
SQLITE_UP = [
    f"CREATE TRIGGER auditlog_no_update BEFORE UPDATE ON auditlog"
    f" BEGIN SELECT RAISE(ABORT, '{MESSAGE}: UPDATE refused'); END",
    f"CREATE TRIGGER auditlog_no_delete BEFORE DELETE ON auditlog"
    f" BEGIN SELECT RAISE(ABORT, '{MESSAGE}: DELETE refused'); END",
]
SQLITE_DOWN = [
    "DROP TRIGGER IF EXISTS auditlog_no_delete",
    "DROP TRIGGER IF EXISTS auditlog_no_update",
]


def _run(statements: list[str]) -> None:
    for statement in statements:
        op.execute(statement)


def upgrade() -> None:
    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_version', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_login_at', sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True))

    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        _run(PG_UP)
    elif dialect == 'sqlite':
        _run(SQLITE_UP)


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == 'postgresql':
        _run(PG_DOWN)
    elif dialect == 'sqlite':
        _run(SQLITE_DOWN)

    with op.batch_alter_table('user', schema=None) as batch_op:
        batch_op.drop_column('last_login_at')
        batch_op.drop_column('session_version')
