"""Shared fixtures: a database of its own per test, on SQLite (temp file) and on PostgreSQL.

PostgreSQL: every test gets its own schema in the `test` database (dropped afterwards), so runs
never see each other's rows, also under pytest-xdist. Set ANPEI_TEST_PG_URL to use another server.
Migrating and seeding happen once per session into templates that each test copies (tests/kits/dbkit.py);
a PostgreSQL test's schema is reused by a later test of the session, reset to the template's rows.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from anpei.settings import get_settings
from db.engine import make_engine
from tests.kits.dbkit import SAMPLE_SCALE, PgSchema, Templates

__all__ = ["SAMPLE_SCALE", "PgSchema"]  # PgSchema: also used by the benchmarks

ROOT = Path(__file__).resolve().parent.parent
PG_URL = os.environ.get("ANPEI_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _pg_available() -> str | None:
    try:
        engine = make_engine(PG_URL)
        with engine.connect() as conn:
            conn.execute(text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:  # pragma: no cover - reported, not hidden
        return str(exc).splitlines()[0]


class SettingsMonkeyPatch(pytest.MonkeyPatch):
    """pytest's monkeypatch that forgets the settings (`get_settings`, built once per process) whenever
    it changes the environment, so the code under test reads the variables the test has just set."""

    def setenv(self, name: str, value: str, prepend: str | None = None) -> None:
        super().setenv(name, value, prepend)
        get_settings.cache_clear()

    def delenv(self, name: str, raising: bool = True) -> None:
        super().delenv(name, raising)
        get_settings.cache_clear()

    def undo(self) -> None:
        super().undo()
        get_settings.cache_clear()


@pytest.fixture
def monkeypatch() -> Iterator[pytest.MonkeyPatch]:
    """Overrides pytest's own fixture: see SettingsMonkeyPatch."""
    patch = SettingsMonkeyPatch()
    yield patch
    patch.undo()


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """The tests marked `slow` first, the order otherwise kept: pytest-xdist hands the tests out in this
    order, so a test of 10 to 20 seconds no longer starts last and keeps one worker busy after the other
    has run out of work."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def pg_url() -> str:
    problem = _pg_available()
    if problem:
        # In CI PostgreSQL is required: a missing server is a failure, not a skip.
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but unreachable: {problem}")
        pytest.skip(f"PostgreSQL unreachable: {problem}")
    return PG_URL


@pytest.fixture(scope="session")
def db_templates(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Templates]:
    """The migrated and seeded templates of this session (per xdist worker), built on first use."""
    templates = Templates(tmp_path_factory.mktemp("templates"))
    yield templates
    templates.close()


_DB_KIND = pytest.StashKey[str | None]()


def _template_for(request: pytest.FixtureRequest) -> str | None:
    """What the test asks for: `seeded` → the sample county, `engine` → migrated, else an empty database."""
    names = request.fixturenames
    if "seeded" in names:
        return "sample"
    if "engine" in names:
        return "migrated"
    return None


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url_engine(
    request: pytest.FixtureRequest, tmp_path: Path, db_templates: Templates
) -> Iterator[tuple[str, Engine]]:
    """The test's own database as (url usable by a subprocess, engine): a copy of the template the test
    asks for (see `_template_for`), or empty (no tables) when it asks only for this or `empty_engine`."""
    kind = _template_for(request)
    request.node.stash[_DB_KIND] = kind
    if request.param == "sqlite":
        path = tmp_path / "test.db"
        url = db_templates.sqlite_copy(kind, path) if kind else f"sqlite:///{path}"
        engine = make_engine(url)
        yield url, engine
        engine.dispose()
    else:
        base = request.getfixturevalue("pg_url")
        if kind is None:
            pg = PgSchema(base)
            try:
                yield pg.url_with_schema, pg.engine
            finally:
                pg.drop()
        else:  # a schema of the session's pool (tests/kits/dbkit.py), reset to the template
            pg = db_templates.pg_take(base, kind)
            try:
                yield pg.url_with_schema, pg.engine
            finally:
                db_templates.pg_give_back(base, kind, pg)


@pytest.fixture
def empty_engine(db_url_engine: tuple[str, Engine]) -> Engine:
    return db_url_engine[1]


@pytest.fixture
def engine(request: pytest.FixtureRequest, empty_engine: Engine) -> Engine:
    """A database migrated to the latest schema, with no rows (call ensure_default_campaign for one)."""
    if request.node.stash.get(_DB_KIND, None) is None:  # asked for late (getfixturevalue): migrate here
        from db import migrate

        migrate.upgrade(empty_engine)
    return empty_engine


@pytest.fixture
def seeded(request: pytest.FixtureRequest, engine: Engine) -> Engine:
    """The sample county at a small scale (about 125 enterprises), on the test's backend."""
    if request.node.stash.get(_DB_KIND, None) != "sample":
        from db.sample.seed import seed_sample

        seed_sample(engine, scale=SAMPLE_SCALE, demo_accounts=True)
    return engine


# --- Streamlit AppTests ------------------------------------------------------------------------


@pytest.fixture(scope="module")
def sample_url(db_templates: Templates, tmp_path_factory: pytest.TempPathFactory) -> str:
    """The seeded sample county (small scale) in a SQLite file, one copy per test module."""
    return db_templates.sqlite_copy("sample", tmp_path_factory.mktemp("sample") / "sample.db")


@pytest.fixture
def migrated_sqlite_url(db_templates: Templates, tmp_path: Path) -> str:
    """A migrated, empty SQLite file of the test's own (for pages that read DATABASE_URL)."""
    return db_templates.sqlite_copy("migrated", tmp_path / "migrated.db")


@pytest.fixture
def clean_streamlit_caches() -> Iterator[None]:
    """Empty Streamlit's caches before and after: the cached engine would leak the previous test's database."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
