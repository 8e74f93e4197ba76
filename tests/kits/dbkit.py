"""Test databases: throw-away PostgreSQL schemas, and templates built once per test session.

Migrating with Alembic (and seeding the sample county) for every test was most of the cost of a
database test. A session (each pytest-xdist worker has its own) now builds each template once:

- SQLite: a migrated file (`migrated`) and a seeded one (`sample`), copied per test.
- PostgreSQL: a schema migrated once while its SQL is recorded; a test's schema replays that SQL
  (the very statements of the migrations, without Alembic's overhead) and, for `sample`, copies the
  rows and sequence positions of a seeded template schema.

A copy per PostgreSQL database (`CREATE DATABASE … TEMPLATE`) was measured and refused: creating is
quick, but `DROP DATABASE` forces a checkpoint (1–3 s per test on a busy server, more than migrating).
Replaying the migration's DDL and dropping the schema again still cost 0.5–1 s per test, so a test's
schema goes back to a pool of its session when the test is done (`Templates.pg_take` / `pg_give_back`):
the next test of the same kind gets it with its rows and sequence positions reset to the template's
(`PgTemplate.reset`, a few milliseconds). A schema whose structure the test changed (tables, columns,
constraints, indexes, triggers, functions, types, sequences: `structure_fingerprint`) is dropped instead.

Schemas carry their creation time (`t_<epoch>_<hex>`, `anpei_tpl_<epoch>_<hex>`), so a later session
drops the ones a killed run left behind (`drop_stale_schemas`, older than a day).
"""

from __future__ import annotations

import functools
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
VACUUM_EVERY = 20  # resets of a pooled schema between two VACUUMs of its tables
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
        self.engine = self.new_engine()
        self.fingerprint = ""  # of the structure when the schema was filled (see Templates.pg_take)
        self.resets = 0  # times PgTemplate.reset refilled it

    def new_engine(self) -> Engine:
        return create_engine(
            make_url(normalise_url(self.base_url)),
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
        with _admin(self.base_url).begin() as conn:
            self._end_connections(conn)
            conn.execute(text(f'DROP SCHEMA IF EXISTS "{self.schema}" CASCADE'))

    def end_connections_and_fingerprint(self) -> str:
        """Close this engine's connections and end any other connection to the schema (a subprocess's,
        a session a failed test left open), so that nothing holds a lock on its tables; return the
        schema's `structure_fingerprint`."""
        self.engine.dispose()
        with _admin(self.base_url).begin() as conn:
            self._end_connections(conn)
            return self._fingerprint(conn)

    def structure_fingerprint(self) -> str:
        """A digest of everything the schema holds but rows and sequence positions: its objects with
        their identities (oids), so that an object dropped and made again also counts as a change."""
        with _admin(self.base_url).connect() as conn:
            return self._fingerprint(conn)

    def _fingerprint(self, conn: Any) -> str:
        with conn.begin_nested() if conn.in_transaction() else conn.begin():
            conn.execute(text("SET LOCAL enable_seqscan = off"))  # see _FINGERPRINT
            return str(conn.execute(text(_FINGERPRINT), {"schema": self.schema}).scalar_one())

    def _end_connections(self, conn: Any) -> None:
        conn.execute(
            text(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                " WHERE application_name = :name AND pid <> pg_backend_pid()"
            ),
            {"name": self.schema},
        )


@functools.cache
def _admin(base_url: str) -> Engine:
    """One engine per server for creating, checking and dropping schemas (its connections stay open:
    a new connection's first catalog queries are slow)."""
    return make_engine(base_url)


# the schema's objects as lines of text, read from the catalogs as they are (no pg_get_* rendering)
# and digested. The objects are found from the schema through pg_depend and then by oid, all by index:
# the test server runs without autovacuum, so its catalogs are full of dead rows and a sequential scan
# of pg_class or pg_attribute takes a few hundred milliseconds.
_FINGERPRINT = """
WITH ns AS (SELECT oid FROM pg_namespace WHERE nspname = :schema),
owned AS (
    SELECT d.classid, d.objid FROM pg_depend d
     WHERE d.refclassid = 'pg_namespace'::regclass AND d.refobjid = (SELECT oid FROM ns)
),
rels AS (SELECT objid AS oid FROM owned WHERE classid = 'pg_class'::regclass)
SELECT md5(coalesce(string_agg(line, E'\n' ORDER BY line), '')) FROM (
    SELECT concat_ws(' ', 'dep', o.classid, o.objid) FROM owned o
    UNION ALL
    SELECT concat_ws(' ', 'rel', c.oid, c.relname, c.relkind, c.relrowsecurity, c.reloptions::text)
      FROM pg_class c WHERE c.oid IN (SELECT oid FROM rels)
    UNION ALL
    SELECT concat_ws(' ', 'col', a.attrelid, a.attnum, a.attname, a.atttypid, a.atttypmod, a.attnotnull,
                     a.attidentity, a.attgenerated, d.oid, d.adbin::text)
      FROM pg_attribute a
      LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
     WHERE a.attrelid IN (SELECT oid FROM rels) AND a.attnum > 0 AND NOT a.attisdropped
    UNION ALL
    SELECT concat_ws(' ', 'con', c.oid, c.conname, c.contype, c.conrelid, c.conindid, c.confrelid,
                     c.conkey::text, c.confkey::text, c.confupdtype, c.confdeltype, c.convalidated,
                     c.condeferrable, c.condeferred, c.conbin::text)
      FROM pg_constraint c WHERE c.conrelid IN (SELECT oid FROM rels)
    UNION ALL
    SELECT concat_ws(' ', 'idx', i.indexrelid, i.indrelid, i.indkey::text, i.indisunique, i.indisvalid,
                     i.indexprs::text, i.indpred::text)
      FROM pg_index i WHERE i.indrelid IN (SELECT oid FROM rels)
    UNION ALL
    SELECT concat_ws(' ', 'trg', t.oid, t.tgname, t.tgrelid, t.tgfoid, t.tgtype, t.tgenabled)
      FROM pg_trigger t WHERE t.tgrelid IN (SELECT oid FROM rels) AND NOT t.tgisinternal
    UNION ALL
    SELECT concat_ws(' ', 'fn', p.oid, p.proname, md5(p.prosrc))
      FROM pg_proc p WHERE p.oid IN (SELECT objid FROM owned WHERE classid = 'pg_proc'::regclass)
    UNION ALL
    SELECT concat_ws(' ', 'type', t.oid, t.typname, t.typtype,
                     (SELECT string_agg(e.enumlabel, ',' ORDER BY e.enumsortorder)
                        FROM pg_enum e WHERE e.enumtypid = t.oid))
      FROM pg_type t WHERE t.oid IN (SELECT objid FROM owned WHERE classid = 'pg_type'::regclass)
    UNION ALL
    SELECT concat_ws(' ', 'seq', s.seqrelid, s.seqtypid, s.seqstart, s.seqincrement, s.seqmax,
                     s.seqmin, s.seqcache, s.seqcycle)
      FROM pg_sequence s WHERE s.seqrelid IN (SELECT oid FROM rels)
) AS objects(line)
"""


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
    _reset_script: str | None = None
    _tables: list[str] = field(default_factory=list)

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

    def reset(self, target: PgSchema) -> None:
        """Give a schema filled from this template (whose structure is unchanged) the template's rows
        and sequence positions again: every table emptied, the template's rows copied back, in one
        script. Triggers (the foreign keys', the audit log's append-only guard) are off for this
        transaction (`session_replication_role`, which needs the superuser the test server gives)."""
        if self._reset_script is None:
            self._reset_script = self._make_reset_script()
        with target.engine.begin() as conn:
            conn.exec_driver_sql(self._reset_script)
        target.resets += 1
        if target.resets % VACUUM_EVERY == 0:  # the server runs without autovacuum
            tables = ", ".join(f'"{target.schema}"."{name}"' for name in self._tables)
            with target.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
                conn.exec_driver_sql(f"VACUUM {tables}")  # the dead rows of the resets

    def _make_reset_script(self) -> str:
        src = self.source.schema
        with self.source.engine.connect() as conn:
            tables = list(
                conn.execute(
                    text(
                        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                        " WHERE n.nspname = :s AND c.relkind IN ('r', 'p') ORDER BY c.relname"
                    ),
                    {"s": src},
                ).scalars()
            )
            sequences = [
                (name, *conn.execute(text(f'SELECT last_value, is_called FROM "{src}"."{name}"')).one())
                for name in conn.execute(
                    text("SELECT sequencename FROM pg_sequences WHERE schemaname = :s"), {"s": src}
                ).scalars()
            ]
        self._tables = tables
        lines = ["SET LOCAL session_replication_role = replica;"]
        for name in tables:
            if name == "datageneration":  # never back to an old number: raised below instead
                continue
            lines.append(f'DELETE FROM "{name}";')
            lines.append(f'INSERT INTO "{name}" SELECT * FROM "{src}"."{name}";')
        # the rows changed under every reader that kept results: as a write would (its triggers are off)
        lines.append('UPDATE "datageneration" SET value = value + 1 WHERE id = 1;')
        lines.append(  # … and reached every jurisdiction
            'INSERT INTO "jurisdictionchange" (jurisdiction_id, generation)'
            ' SELECT 0, value FROM "datageneration" WHERE id = 1'
            " ON CONFLICT (jurisdiction_id) DO UPDATE SET generation = EXCLUDED.generation;"
        )
        for name, value, called in sequences:
            lines.append(f"SELECT setval('\"{name}\"', {int(value)}, {'true' if called else 'false'});")
        return "\n".join(lines)

    def _copy_rows(self, conn: Any) -> None:
        from sqlmodel import SQLModel

        src = self.source.schema
        for table in SQLModel.metadata.sorted_tables:  # parents before children
            if table.name in (
                "datageneration",
                "jurisdictionchange",
            ):  # the migration wrote a row: the template's replace it
                conn.execute(text(f'DELETE FROM "{table.name}"'))
            conn.execute(text(f'INSERT INTO "{table.name}" SELECT * FROM "{src}"."{table.name}"'))
        self._copy_sequences(conn)

    def _copy_sequences(self, conn: Any) -> None:
        src = self.source.schema
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
    _pool: dict[tuple[str, Kind], list[PgSchema]] = field(default_factory=dict)

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
        self._template(target.base_url, kind).fill(target)

    def _template(self, base_url: str, kind: Kind) -> PgTemplate:
        key = (base_url, kind)
        if key not in self._pg:
            if base_url not in self._cleaned:
                drop_stale_schemas(base_url)
                self._cleaned.add(base_url)
            self._pg[key] = PgTemplate.build(base_url, kind)
        return self._pg[key]

    def pg_take(self, base_url: str, kind: Kind) -> PgSchema:
        """A schema holding the template `kind`: one a previous test gave back, reset, or a new one."""
        pool = self._pool.setdefault((base_url, kind), [])
        template = self._template(base_url, kind)
        while pool:
            schema = pool.pop()
            schema.engine = schema.new_engine()  # a fresh engine: no listener a test attached
            try:
                template.reset(schema)
            except Exception:  # e.g. a server without superuser rights: a new schema each time
                schema.drop()
                continue
            return schema
        schema = PgSchema(base_url)
        try:
            template.fill(schema)
            schema.fingerprint = schema.structure_fingerprint()
        except BaseException:
            schema.drop()
            raise
        return schema

    def pg_give_back(self, base_url: str, kind: Kind, schema: PgSchema) -> None:
        """After the test: into the pool if its structure is what it was filled with, else dropped."""
        try:
            unchanged = schema.end_connections_and_fingerprint() == schema.fingerprint
        except Exception:
            unchanged = False
        if unchanged:
            self._pool.setdefault((base_url, kind), []).append(schema)
        else:
            schema.drop()

    def close(self) -> None:
        for pool in self._pool.values():
            for schema in pool:
                schema.drop()
        self._pool.clear()
        for template in self._pg.values():
            template.source.drop()
        self._pg.clear()
