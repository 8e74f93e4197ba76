"""Shared fixtures: a fresh database per test, on SQLite (temp file) and on PostgreSQL.

PostgreSQL: every test gets its own schema in the `test` database (dropped afterwards), so runs
never see each other's rows, also under pytest-xdist. Set ANPEI_TEST_PG_URL to use another server.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from sqlalchemy.engine import Engine

from db.engine import make_engine, normalise_url

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


@pytest.fixture(scope="session")
def pg_url() -> str:
    problem = _pg_available()
    if problem:
        # In CI PostgreSQL is required: a missing server is a failure, not a skip.
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL is required in CI but unreachable: {problem}")
        pytest.skip(f"PostgreSQL unreachable: {problem}")
    return PG_URL


class PgSchema:
    """A throw-away schema on the test server and an engine whose search_path points at it."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.schema = "t_" + uuid.uuid4().hex[:12]
        admin = make_engine(base_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        admin.dispose()
        from sqlalchemy import create_engine
        from sqlalchemy.engine import make_url

        self.engine = create_engine(
            make_url(normalise_url(base_url)),
            connect_args={"options": f"-csearch_path={self.schema}"},
            pool_pre_ping=True,
        )

    @property
    def url_with_schema(self) -> str:
        """A URL that carries the search_path, for subprocesses (CLI tests)."""
        sep = "&" if "?" in self.base_url else "?"
        return f"{self.base_url}{sep}options=-csearch_path%3D{self.schema}"

    def drop(self) -> None:
        self.engine.dispose()
        admin = make_engine(self.base_url)
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
        admin.dispose()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, Engine]]:
    """An empty database (no tables) as (url usable by a subprocess, engine)."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path / 'test.db'}"
        engine = make_engine(url)
        yield url, engine
        engine.dispose()
    else:
        base = request.getfixturevalue("pg_url")
        pg = PgSchema(base)
        try:
            yield pg.url_with_schema, pg.engine
        finally:
            pg.drop()


@pytest.fixture
def empty_engine(db_url_engine: tuple[str, Engine]) -> Engine:
    return db_url_engine[1]


@pytest.fixture
def engine(empty_engine: Engine) -> Engine:
    """A database migrated to the latest schema, with no rows (call ensure_default_campaign for one)."""
    from db import migrate

    migrate.upgrade(empty_engine)
    return empty_engine


# --- Streamlit AppTests ------------------------------------------------------------------------

SAMPLE_SCALE = 0.05  # about 125 enterprises: every page has something to show, seeding takes < 1 s


@pytest.fixture(scope="module")
def sample_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The seeded sample county (small scale) in a SQLite file, seeded once per test module."""
    from db.sample.seed import seed_sample

    url = f"sqlite:///{tmp_path_factory.mktemp('sample') / 'sample.db'}"
    engine = make_engine(url)
    seed_sample(engine, scale=SAMPLE_SCALE, demo_accounts=True)
    engine.dispose()
    yield url


@pytest.fixture
def clean_streamlit_caches() -> Iterator[None]:
    """Empty Streamlit's caches before and after: the cached engine would leak the previous test's database."""
    import streamlit as st

    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
