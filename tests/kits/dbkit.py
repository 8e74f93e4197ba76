"""Test databases: throw-away PostgreSQL schemas, and templates built once per test session.

Migrating with Alembic (and seeding the sample county) for every test was most of the cost of a
database test. A session (each pytest-xdist worker has its own) now builds each template once:

- SQLite: a migrated file (`migrated`) and a seeded one (`sample`), copied per test.
- PostgreSQL: a schema migrated once while its SQL is recorded; a test's schema replays that SQL
  (the very statements of the migrations, without Alembic's overhead) and, for `sample`, copies the
  rows and sequence positions of a seeded template schema.

A copy per PostgreSQL database (`CREATE DATABASE … TEMPLATE`) was measured and refused: creating is
quick, but `DROP DATABASE` forces a checkpoint (1–3 s per test on a busy server, more than migrating).

Schemas carry their creation time (`t_<epoch>_<hex>`, `anpei_tpl_<epoch>_<hex>`), so a later session
drops the ones a killed run left behind (`drop_stale_schemas`, older than a day).
"""

from __future__ import annotations

import re
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url

from db.engine import make_engine, normalise_url

SAMPLE_SCALE = 0.05  # about 125 enterprises: every page has something to show, seeding takes < 1 s
STALE_SECONDS = 24 * 3600
_STAMPED = re.compile(r"^(?:t|anpei_tpl)_(\d{10})_[0-9a-f]{8}$")
Kind = str  # "migrated" or "sample"
KINDS: tuple[Kind, ...] = ("migrated", "sample")


class PgSchema:
    """A throw-away schema on the test server and an engine whose search_path points at it."""

    def __init__(self, base_url: str, *, prefix: str = "t") -> None:
        self.base_url = base_url
        self.schema = f"{prefix}_{int(time.time())}_{uuid.uuid4().hex[:8]}"
        admin = make_engine(base_url)
        with admin.begin() as conn:
            conn.execute(text(f'CREATE SCHEMA "{self.schema}"'))
        admin.dispose()
        self.engine = create_engine(
            make_url(normalise_url(base_url)),
            # the application name marks every connection to this schema, so `drop` can end them
            connect_args={"options": f"-csearch_path={self.schema}", "application_name": self.schema},
            pool_pre_ping=True,
        )

    @property
    def url_with_schema(self) -> str:
        """A URL that carries the search_path, for subprocesses (CLI tests)."""
        sep = "&" if "?" in self.base_url else "?"
        return f"{self.base_url}{sep}options=-csearch_path%3D{self.schema}&application_name={self.schema}"

    def drop(self) -> None:
        """Drop the schema. A connection a failed test left inside a transaction (its session held by
        the traceback) would make DROP SCHEMA wait for ever: such connections are ended first."""
        self.engine.dispose()
        admin = make_engine(self.base_url)
        with admin.begin() as conn:
            conn.execute(
                text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                    " WHERE application_name = :name AND pid <> pg_backend_pid()"
                ),
                {"name": self.schema},
            )
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))
        admin.dispose()


def drop_stale_schemas(base_url: str, *, now: float | None = None) -> list[str]:
    """Drop the test and template schemas older than a day (left by killed runs); return their names."""
    limit = (time.time() if now is None else now) - STALE_SECONDS
    admin = make_engine(base_url)
    try:
        with admin.connect() as conn:
            names = [str(n) for n in conn.execute(text("SELECT nspname FROM pg_namespace")).scalars()]
        stale = [n for n in names if (m := _STAMPED.match(n)) and int(m.group(1)) < limit]
        for name in stale:
            with admin.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        return stale
    finally:
        admin.dispose()


def _build(engine: Engine, kind: Kind) -> None:
    from db import migrate
    from db.sample.seed import seed_sample

    if kind == "sample":
        seed_sample(engine, scale=SAMPLE_SCALE, demo_accounts=True)  # migrates first
    else:
        migrate.upgrade(engine)


Statement = tuple[str, Any, str]  # SQL, parameters, how it was sent: "many", "params", "plain"


@dataclass
class PgTemplate:
    """A schema built once; `fill` gives another (empty) schema the same tables and rows."""

    source: PgSchema
    migration: list[Statement]
    seeded: bool

    @classmethod
    def build(cls, base_url: str, kind: Kind) -> PgTemplate:
        source = PgSchema(base_url, prefix="anpei_tpl")
        recorded: list[Statement] = []

        def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, ctx: Any, many: bool) -> None:
            plain = ctx is not None and ctx.no_parameters
            recorded.append((statement, parameters, "many" if many else "plain" if plain else "params"))

        from db import migrate

        event.listen(source.engine, "before_cursor_execute", record)
        try:
            migrate.upgrade(source.engine)
        finally:
            event.remove(source.engine, "before_cursor_execute", record)
        if kind == "sample":
            _build(source.engine, kind)
        return cls(source=source, migration=recorded, seeded=kind == "sample")

    def fill(self, target: PgSchema) -> None:
        with target.engine.begin() as conn:
            cursor = conn.connection.cursor()  # the same transaction; sent as Alembic sent them
            for statement, parameters, how in self.migration:
                if how == "many":
                    cursor.executemany(statement, parameters)
                elif how == "plain":
                    cursor.execute(statement)
                else:
                    cursor.execute(statement, parameters)
            cursor.close()
            if self.seeded:
                self._copy_rows(conn)

    def _copy_rows(self, conn: Any) -> None:
        from sqlmodel import SQLModel

        src = self.source.schema
        for table in SQLModel.metadata.sorted_tables:  # parents before children
            if table.name == "datageneration":  # the migration wrote its one row: the template's replaces it
                conn.execute(text('DELETE FROM "datageneration"'))
            conn.execute(text(f'INSERT INTO "{table.name}" SELECT * FROM "{src}"."{table.name}"'))
        sequences = conn.execute(
            text("SELECT sequencename FROM pg_sequences WHERE schemaname = :s"), {"s": src}
        ).scalars()
        for name in list(sequences):  # the exact position, also "not called yet" (setval … false)
            value, called = conn.execute(text(f'SELECT last_value, is_called FROM "{src}"."{name}"')).one()
            conn.execute(
                text("SELECT setval(CAST(:name AS regclass), :value, :called)"),
                {"name": f'"{name}"', "value": value, "called": called},
            )


@dataclass
class Templates:
    """The templates of one test session (one pytest-xdist worker), built on first use."""

    folder: Path
    _files: dict[Kind, Path] = field(default_factory=dict)
    _pg: dict[tuple[str, Kind], PgTemplate] = field(default_factory=dict)
    _cleaned: set[str] = field(default_factory=set)

    def sqlite_file(self, kind: Kind) -> Path:
        if kind not in self._files:
            path = self.folder / f"{kind}.db"
            engine = make_engine(f"sqlite:///{path}")
            _build(engine, kind)
            with engine.connect() as conn:  # everything into the main file, so one file copy is whole
                conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            engine.dispose()
            self._files[kind] = path
        return self._files[kind]

    def sqlite_copy(self, kind: Kind, target: Path) -> str:
        """Copy the template file to `target`; return its URL."""
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(self.sqlite_file(kind), target)
        return f"sqlite:///{target}"

    def pg_fill(self, kind: Kind, target: PgSchema) -> None:
        key = (target.base_url, kind)
        if key not in self._pg:
            if target.base_url not in self._cleaned:
                drop_stale_schemas(target.base_url)
                self._cleaned.add(target.base_url)
            self._pg[key] = PgTemplate.build(target.base_url, kind)
        self._pg[key].fill(target)

    def close(self) -> None:
        for template in self._pg.values():
            template.source.drop()
        self._pg.clear()
