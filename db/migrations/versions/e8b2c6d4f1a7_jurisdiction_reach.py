"""jurisdiction reach: the generation of the last write that reached each jurisdiction

Issue 16 (deadline day): the data generation is one number for the county, so one township's save
made every township's own tables stale in every dashboard process and in the stored figures — 45
jurisdictions' tables computed again for one changed row. The triggers of `d7e3f1a9b2c4` now also
write, into `jurisdictionchange`, the generation of the last write that reached each jurisdiction
through the written rows' columns (`db.reads.data_generation.REACH`); any other write reaches the
whole county (`jurisdiction_id` 0). `storedfigure.jurisdiction_id` says whose table a stored figure is.

The generation is raised before the reach is written, so the reach holds the write's own generation:
on PostgreSQL the triggers of one event fire in the order of their names (`…_bumps_generation` before
`…_touches_…`); SQLite gives no order, so its per-row triggers are replaced by ones doing both, in turn.
The columns of the reach are written out here, as they were when this revision was made; the tables
watched are those of `d7e3f1a9b2c4`.

Revision ID: e8b2c6d4f1a7
Revises: d7e3f1a9b2c4
Create Date: 2026-12-06 04:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

# the tables watched and the raise of the generation, as revision d7e3f1a9b2c4 wrote them
from db.migrations.versions.d7e3f1a9b2c4_data_generation import BUMP, WATCHED

revision: str = "e8b2c6d4f1a7"
down_revision: str | None = "d7e3f1a9b2c4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

REACH = {
    "certificatecheck": ("jurisdiction_id", "enterprise_id"),
    "enforcementaction": ("jurisdiction_id", "enterprise_id", "institution_id"),
    "enterprise": ("jurisdiction_id", "member_unit_id"),
    "finding": ("jurisdiction_id", "enterprise_id", "institution_id"),
    "inspection": ("jurisdiction_id", "enterprise_id", "institution_id"),
    "inspectionitemresult": ("inspection_id",),
    "monthlyreport": ("jurisdiction_id",),
    "person": ("enterprise_id",),
    "selfinspectionreport": ("jurisdiction_id", "enterprise_id", "institution_id"),
    "summaryreport": ("jurisdiction_id",),
    "tip": ("jurisdiction_id", "enterprise_id", "institution_id"),
}
INSERTS_ONLY = ("enterprise", "person")
EVENTS = ("insert", "update", "delete")
NOW = "(SELECT value FROM datageneration WHERE id = 1)"


def _reached(column: str, rows: str, where: str) -> list[str]:
    """SELECTs of the jurisdiction ids one column of the written rows reaches. `rows`/`where`: the
    FROM item and condition naming the written row (PostgreSQL: a transition table `r`; SQLite: none
    and `NEW.`/`OLD.` in the condition)."""
    r = "r." if rows else where
    source = f" FROM {rows}" if rows else ""
    if column in ("jurisdiction_id", "member_unit_id"):
        return [f"SELECT {r}{column} AS j{source}"]
    joins = {
        "enterprise_id": [("enterprise x", "x.id = {r}enterprise_id", c) for c in ("jurisdiction_id", "member_unit_id")],
        "institution_id": [("traininginstitution x", "x.id = {r}institution_id", "jurisdiction_id")],
        "inspection_id": [
            ("inspection x", "x.id = {r}inspection_id", "jurisdiction_id"),
            (
                "inspection x JOIN enterprise y ON y.id = x.enterprise_id",
                "x.id = {r}inspection_id",
                "y.jurisdiction_id",
            ),
            (
                "inspection x JOIN enterprise y ON y.id = x.enterprise_id",
                "x.id = {r}inspection_id",
                "y.member_unit_id",
            ),
        ],
    }[column]
    out = []
    for table, on, picked in joins:
        picked = picked if "." in picked else f"x.{picked}"
        if rows:
            out.append(f"SELECT {picked} AS j FROM {rows} JOIN {table} ON {on.format(r=r)}")
        else:
            out.append(f"SELECT {picked} AS j FROM {table} WHERE {on.format(r=r)}")
    return out


def _touch(selects: list[str], *, upsert: str) -> str:
    union = " UNION ".join(selects)
    return (
        f"INSERT INTO jurisdictionchange (jurisdiction_id, generation) SELECT DISTINCT j, {NOW}"
        f" FROM ({union}) AS reach WHERE j IS NOT NULL {upsert}"
    )


PG_UPSERT = (
    "ON CONFLICT (jurisdiction_id) DO UPDATE"
    " SET generation = GREATEST(jurisdictionchange.generation, EXCLUDED.generation)"
)
PG_COUNTY = (
    f"INSERT INTO jurisdictionchange (jurisdiction_id, generation) VALUES (0, {NOW}) {PG_UPSERT}"
)
SQLITE_COUNTY = f"INSERT OR REPLACE INTO jurisdictionchange (jurisdiction_id, generation) VALUES (0, {NOW})"


def _pg_reach(table: str, event: str) -> str:
    sides = {"insert": ["new_rows"], "update": ["old_rows", "new_rows"], "delete": ["old_rows"]}[event]
    selects = [s for side in sides for c in REACH[table] for s in _reached(c, f"{side} r", "")]
    return _touch(selects, upsert=PG_UPSERT)


def _sqlite_reach(table: str, event: str) -> str:
    sides = {"insert": ["NEW."], "update": ["OLD.", "NEW."], "delete": ["OLD."]}[event]
    selects = [s for side in sides for c in REACH[table] for s in _reached(c, "", side)]
    # INSERT OR REPLACE: the generation only grows, and the one written here is the newest
    return _touch(selects, upsert="").replace("INSERT INTO", "INSERT OR REPLACE INTO", 1)


def _scoped(table: str, event: str) -> bool:
    return table in REACH and (event == "insert" or table not in INSERTS_ONLY)


def upgrade() -> None:
    op.create_table(
        "jurisdictionchange",
        sa.Column("jurisdiction_id", sa.BigInteger(), primary_key=True, autoincrement=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
    )
    with op.batch_alter_table("storedfigure") as batch:
        batch.add_column(sa.Column("jurisdiction_id", sa.BigInteger(), nullable=True))
    # what was kept before this revision is older than any reach written from now on
    op.execute(f"INSERT INTO jurisdictionchange (jurisdiction_id, generation) VALUES (0, {NOW})")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION jurisdictionchange_county() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {PG_COUNTY}; RETURN NULL; END $$"
        )
        for table in WATCHED:
            if table not in REACH:
                op.execute(
                    f'CREATE TRIGGER "{table}_touches_county" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE'
                    f' ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION jurisdictionchange_county()'
                )
                continue
            op.execute(
                f'CREATE TRIGGER "{table}_touches_truncate" AFTER TRUNCATE ON "{table}"'
                " FOR EACH STATEMENT EXECUTE FUNCTION jurisdictionchange_county()"
            )
            for event in EVENTS:
                if not _scoped(table, event):
                    op.execute(
                        f'CREATE TRIGGER "{table}_touches_{event}" AFTER {event.upper()} ON "{table}"'
                        " FOR EACH STATEMENT EXECUTE FUNCTION jurisdictionchange_county()"
                    )
                    continue
                function = f"{table}_touches_{event}"
                op.execute(
                    f'CREATE FUNCTION "{function}"() RETURNS trigger LANGUAGE plpgsql AS $$'
                    f" BEGIN {_pg_reach(table, event)}; RETURN NULL; END $$"
                )
                referencing = {
                    "insert": "NEW TABLE AS new_rows",
                    "update": "OLD TABLE AS old_rows NEW TABLE AS new_rows",
                    "delete": "OLD TABLE AS old_rows",
                }[event]
                op.execute(
                    f'CREATE TRIGGER "{table}_touches_{event}" AFTER {event.upper()} ON "{table}"'
                    f' REFERENCING {referencing} FOR EACH STATEMENT EXECUTE FUNCTION "{function}"()'
                )
        return
    for table in WATCHED:
        for event in EVENTS:
            touch = _sqlite_reach(table, event) if _scoped(table, event) else SQLITE_COUNTY
            op.execute(f'DROP TRIGGER IF EXISTS "{table}_bumps_generation_{event}"')
            op.execute(
                f'CREATE TRIGGER "{table}_bumps_generation_{event}" AFTER {event.upper()} ON "{table}"'
                f" BEGIN {BUMP}; {touch}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            for suffix in ("county", "truncate", *EVENTS):
                op.execute(f'DROP TRIGGER IF EXISTS "{table}_touches_{suffix}" ON "{table}"')
            for event in EVENTS:
                op.execute(f'DROP FUNCTION IF EXISTS "{table}_touches_{event}"()')
        op.execute("DROP FUNCTION IF EXISTS jurisdictionchange_county()")
    else:
        for table in WATCHED:
            for event in EVENTS:
                op.execute(f'DROP TRIGGER IF EXISTS "{table}_bumps_generation_{event}"')
                op.execute(
                    f'CREATE TRIGGER "{table}_bumps_generation_{event}" AFTER {event.upper()} ON "{table}"'
                    f" BEGIN {BUMP}; END"
                )
    with op.batch_alter_table("storedfigure") as batch:
        batch.drop_column("jurisdiction_id")
    op.drop_table("jurisdictionchange")
