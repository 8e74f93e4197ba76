"""The deployment's two PostgreSQL roles: the owner migrates, the application role cannot drop or
disable the audit log's triggers nor truncate it (issue 11 item 13)."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError

from db import migrate
from db.accounts.roles import RoleError, grant_app_role
from db.engine import make_engine, normalise_url


def _as_role(base_url: str, *, schema: str, role: str) -> Engine:
    engine = create_engine(
        make_url(normalise_url(base_url)), connect_args={"options": f"-csearch_path={schema}"}
    )

    @event.listens_for(engine, "connect")
    def _set_role(dbapi_conn, _record) -> None:  # type: ignore[no-untyped-def]
        with dbapi_conn.cursor() as cur:
            cur.execute(f'SET ROLE "{role}"')
        dbapi_conn.commit()

    return engine


@pytest.fixture
def roles(pg_url: str) -> Iterator[tuple[Engine, Engine, str]]:
    tag = uuid.uuid4().hex[:10]
    schema, owner, app = f"t_roles_{tag}", f"t_owner_{tag}", f"t_app_{tag}"
    admin = make_engine(pg_url)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE ROLE "{owner}" NOLOGIN'))
        conn.execute(text(f'CREATE ROLE "{app}" NOLOGIN'))
        conn.execute(text(f'CREATE SCHEMA "{schema}" AUTHORIZATION "{owner}"'))
    owner_engine = _as_role(pg_url, schema=schema, role=owner)
    app_engine = _as_role(pg_url, schema=schema, role=app)
    try:
        yield owner_engine, app_engine, app
    finally:
        owner_engine.dispose()
        app_engine.dispose()
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            for role in (app, owner):
                conn.execute(text(f'DROP OWNED BY "{role}"'))
                conn.execute(text(f'DROP ROLE "{role}"'))
        admin.dispose()


def _refused(engine: Engine, statement: str) -> str:
    with pytest.raises(DBAPIError) as caught, engine.begin() as conn:
        conn.execute(text(statement))
    return str(caught.value.orig)


@pytest.mark.postgres
def test_the_app_role_cannot_drop_the_audit_triggers(roles: tuple[Engine, Engine, str]) -> None:
    owner, app, app_role = roles
    migrate.upgrade(owner)
    grant_app_role(owner, role=app_role)
    with app.begin() as conn:  # the application's own work still goes through
        conn.execute(
            text(
                "INSERT INTO auditlog (at, username, action, entity, entity_id, detail) VALUES (:at, 'x', 'login', '', '', '')"
            ),
            {"at": dt.datetime(2024, 3, 1, tzinfo=dt.UTC)},
        )
        conn.execute(
            text(
                "INSERT INTO jurisdiction (code, name, kind, sort_order, active) VALUES ('J9', '丙镇', 'township', 9, true)"
            )
        )
        assert conn.execute(text("SELECT count(*) FROM auditlog")).scalar_one() == 1
    assert "owner" in _refused(app, "DROP TRIGGER auditlog_append_only ON auditlog")
    assert "owner" in _refused(app, "ALTER TABLE auditlog DISABLE TRIGGER auditlog_append_only")
    assert "permission denied" in _refused(app, "TRUNCATE auditlog")
    assert "owner" in _refused(app, "DROP TABLE auditlog")
    _refused(app, "DELETE FROM auditlog")  # the trigger itself still refuses
    with app.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM auditlog")).scalar_one() == 1


@pytest.mark.postgres
def test_grant_app_role_refuses_the_owner_itself_and_odd_names(roles: tuple[Engine, Engine, str]) -> None:
    owner, _app, _role = roles
    with owner.connect() as conn:
        me = conn.execute(text("SELECT current_user")).scalar_one()
    with pytest.raises(RoleError, match="不能是表的属主本身"):
        grant_app_role(owner, role=me)
    with pytest.raises(RoleError, match="角色名不合规"):
        grant_app_role(owner, role='app"; DROP TABLE auditlog; --')


def test_sqlite_has_no_roles_to_grant(tmp_path: object) -> None:
    engine = make_engine(f"sqlite:///{tmp_path}/x.db")
    with pytest.raises(RoleError, match="只有 PostgreSQL"):
        grant_app_role(engine, role="anpei_app")
    engine.dispose()
