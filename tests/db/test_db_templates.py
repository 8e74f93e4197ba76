"""The test databases copied from the per-session templates (tests/kits/dbkit.py) are what migrating and
seeding would have made, each test's copy is its own, and stale template schemas get dropped."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import func, inspect, select, text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel

from db import migrate
from db.audit import trail
from db.codes import AuditAction, JurisdictionKind
from db.engine import make_engine
from db.models import Jurisdiction
from db.reads import data_generation
from db.rules.access import SYSTEM_ADMIN
from db.sample.seed import seed_sample, seeded_counts
from tests.db.test_db_seed import content_checksum
from tests.kits.dbkit import SAMPLE_SCALE, STALE_SECONDS, PgSchema, Templates, drop_stale_schemas


@pytest.fixture
def fresh_copy(request: pytest.FixtureRequest, engine: Engine, db_templates: Templates, tmp_path: Path):  # type: ignore[no-untyped-def]
    """A maker of further copies of a template on the backend of `engine`, cleaned up afterwards."""
    made: list[PgSchema] = []
    engines: list[Engine] = []

    def make(kind: str) -> Engine:
        if engine.dialect.name == "sqlite":
            url = db_templates.sqlite_copy(kind, tmp_path / f"copy{len(engines)}.db")
            engines.append(make_engine(url))
            return engines[-1]
        pg = PgSchema(request.getfixturevalue("pg_url"))
        made.append(pg)
        db_templates.pg_fill(kind, pg)
        return pg.engine

    yield make
    for e in engines:
        e.dispose()
    for pg in made:
        pg.drop()


def test_the_migrated_copy_matches_the_models_and_keeps_the_audit_guard(engine: Engine) -> None:
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        assert list(compare_metadata(context, SQLModel.metadata)) == []
        assert (
            context.get_current_revision()
            == ScriptDirectory.from_config(migrate.alembic_config(engine)).get_current_head()
        )
        assert conn.execute(select(func.count()).select_from(Jurisdiction)).scalar_one() == 0
    with Session(engine) as s:
        trail.record(s, principal=SYSTEM_ADMIN, action=AuditAction.EXPORT, detail="模板测试")
        s.commit()
    with pytest.raises(DBAPIError), engine.begin() as conn:  # the append-only triggers came along
        conn.execute(text("UPDATE auditlog SET detail = '改'"))


def test_the_seeded_copy_equals_a_fresh_seed(
    seeded: Engine, fresh_copy, tmp_path: Path, request: pytest.FixtureRequest
) -> None:  # type: ignore[no-untyped-def]
    if seeded.dialect.name == "sqlite":
        fresh = make_engine(f"sqlite:///{tmp_path / 'fresh.db'}")
        seed_sample(fresh, scale=SAMPLE_SCALE, demo_accounts=True)
    else:
        pg = PgSchema(request.getfixturevalue("pg_url"))
        request.addfinalizer(pg.drop)
        fresh = pg.engine
        seed_sample(fresh, scale=SAMPLE_SCALE, demo_accounts=True)
    assert seeded_counts(seeded) == seeded_counts(fresh)
    assert seeded_counts(seeded)["enterprise"] > 100
    assert content_checksum(seeded) == content_checksum(fresh)
    fresh.dispose()


def test_each_copy_is_its_own(engine: Engine, fresh_copy) -> None:  # type: ignore[no-untyped-def]
    with Session(engine) as s:
        s.add(Jurisdiction(code="X01", name="只在这一份", kind=JurisdictionKind.TOWNSHIP.value))
        s.commit()
    other = fresh_copy("migrated")
    with other.connect() as conn:
        assert conn.execute(select(func.count()).select_from(Jurisdiction)).scalar_one() == 0
    assert set(inspect(other).get_table_names()) == set(inspect(engine).get_table_names())


@pytest.fixture
def schemas(pg_url: str) -> Iterator[list[str]]:
    made: list[str] = []
    yield made
    admin = make_engine(pg_url)
    with admin.begin() as conn:
        for name in made:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
    admin.dispose()


@pytest.mark.postgres
def test_stale_template_and_test_schemas_are_dropped(pg_url: str, schemas: list[str]) -> None:
    old = int(time.time()) - STALE_SECONDS - 60
    young = int(time.time()) - 60
    hexes = [uuid.uuid4().hex[:8] for _ in range(4)]
    names = {
        "old_test": f"t_{old}_{hexes[0]}",
        "old_template": f"anpei_tpl_{old}_{hexes[1]}",
        "young_template": f"anpei_tpl_{young}_{hexes[2]}",
        "other_naming": f"t_{hexes[3]}abcd",  # a schema of another kind of run: never touched
    }
    schemas.extend(names.values())
    admin = make_engine(pg_url)
    with admin.begin() as conn:
        for name in names.values():
            conn.execute(text(f'CREATE SCHEMA "{name}"'))
    dropped = drop_stale_schemas(pg_url)
    with admin.connect() as conn:
        left = set(conn.execute(text("SELECT nspname FROM pg_namespace")).scalars())
    admin.dispose()
    assert {names["old_test"], names["old_template"]} <= set(dropped)
    assert names["old_test"] not in left and names["old_template"] not in left
    assert {names["young_template"], names["other_naming"]} <= left


def _sequences(engine: Engine) -> dict[str, tuple[int, bool]]:
    with engine.connect() as conn:
        names = conn.execute(
            text("SELECT sequencename FROM pg_sequences WHERE schemaname = current_schema()")
        )
        return {
            name: tuple(conn.execute(text(f'SELECT last_value, is_called FROM "{name}"')).one())
            for name in list(names.scalars())
        }


@pytest.mark.postgres
def test_a_schema_given_back_is_reset_to_the_template_or_dropped_when_its_structure_changed(
    pg_url: str, tmp_path: Path
) -> None:
    """The PostgreSQL pool (tests/kits/dbkit.py): a schema a test changed the rows, sequences and the
    append-only audit log of comes back as the template; one whose tables it altered is not reused."""
    templates = Templates(tmp_path)
    try:
        pristine = templates.pg_take(pg_url, "sample")
        counts, checksum, sequences = (
            seeded_counts(pristine.engine),
            content_checksum(pristine.engine),
            _sequences(pristine.engine),
        )
        with Session(pristine.engine) as s:
            s.add(Jurisdiction(code="X01", name="测试加的", kind=JurisdictionKind.TOWNSHIP.value))
            s.exec(text("DELETE FROM finding"))  # type: ignore[call-overload]
            trail.record(s, principal=SYSTEM_ADMIN, action=AuditAction.EXPORT, detail="池测试")
            s.commit()
        assert seeded_counts(pristine.engine) != counts
        with pristine.engine.connect() as conn:
            generation_before = data_generation.current(conn)
        held = Session(pristine.engine)  # a transaction a failed test would leave open
        held.exec(text("LOCK TABLE jurisdiction"))  # type: ignore[call-overload]
        templates.pg_give_back(pg_url, "sample", pristine)
        with contextlib.suppress(DBAPIError):  # its connection was ended by pg_give_back
            held.close()

        again = templates.pg_take(pg_url, "sample")
        assert again.schema == pristine.schema  # the same schema, reused
        assert seeded_counts(again.engine) == counts
        assert content_checksum(again.engine) == checksum
        assert _sequences(again.engine) == sequences
        with again.engine.connect() as conn:  # the rows changed under every reader: never an old number
            assert data_generation.current(conn) > generation_before
        with again.engine.begin() as conn:  # and the triggers raise it again
            before = data_generation.current(conn)
            conn.execute(
                text("UPDATE jurisdiction SET id = id WHERE id = (SELECT min(id) FROM jurisdiction)")
            )
            assert data_generation.current(conn) == before + 1
        with Session(again.engine) as s:  # the audit guard is on again
            trail.record(s, principal=SYSTEM_ADMIN, action=AuditAction.EXPORT, detail="池测试")
            s.commit()
        with pytest.raises(DBAPIError), again.engine.begin() as conn:
            conn.execute(text("UPDATE auditlog SET detail = '改'"))

        with again.engine.begin() as conn:  # a test that changes the structure
            conn.execute(text("ALTER TABLE enterprise ADD COLUMN extra integer"))
        templates.pg_give_back(pg_url, "sample", again)
        admin = make_engine(pg_url)
        with admin.connect() as conn:
            left = set(conn.execute(text("SELECT nspname FROM pg_namespace")).scalars())
        admin.dispose()
        assert again.schema not in left  # dropped, not pooled
        fresh = templates.pg_take(pg_url, "sample")
        assert fresh.schema != again.schema
        assert content_checksum(fresh.engine) == checksum
        templates.pg_give_back(pg_url, "sample", fresh)
    finally:
        templates.close()
