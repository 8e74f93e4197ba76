"""Migrations build the schema of the models on both databases, and go back down to nothing.

These tests start from an empty database (`empty_engine`), not from the per-session template."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect
from sqlalchemy.engine import Engine
from sqlmodel import SQLModel

import db.models  # noqa: F401
from db import migrate


def _diff(engine: Engine) -> list[object]:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return list(compare_metadata(context, SQLModel.metadata))


def test_upgrade_matches_models(empty_engine: Engine) -> None:
    assert inspect(empty_engine).get_table_names() == []
    migrate.upgrade(empty_engine)
    assert _diff(empty_engine) == []
    tables = set(inspect(empty_engine).get_table_names())
    assert set(SQLModel.metadata.tables) <= tables


def test_downgrade_to_base_and_up_again(empty_engine: Engine) -> None:
    engine = empty_engine
    migrate.upgrade(engine)
    migrate.downgrade(engine, "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    migrate.upgrade(engine)
    assert _diff(engine) == []


def test_upgrade_is_idempotent(empty_engine: Engine) -> None:
    engine = empty_engine
    migrate.upgrade(engine)
    migrate.upgrade(engine)
    assert _diff(engine) == []
