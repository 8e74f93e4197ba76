"""data generation and stored figures: what every dashboard process keys its kept results by

Issue 16 (many users at once, several dashboard processes): a process dropped its cached reads after
its own writes only, so another process served figures up to five minutes old, and every process
computed the same county-wide figures again. `datageneration` holds one number that a trigger on
each campaign table raises in the writing transaction (PostgreSQL: once per statement; SQLite: once
per row, the only kind it has); `storedfigure` keeps county-wide results against the number they
were computed at (`db.reads.stored_figures`).

The tables watched are written out here, as they were when this revision was made; a later table
gets its trigger in its own revision (a test holds every table either watched or named as unwatched).

Revision ID: d7e3f1a9b2c4
Revises: c4a9d2e7f031
Create Date: 2026-12-06 02:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "d7e3f1a9b2c4"
down_revision: str | None = "c4a9d2e7f031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WATCHED = (
    "campaign",
    "campaignphase",
    "certificatecheck",
    "checkitem",
    "enforcementaction",
    "enterprise",
    "finding",
    "inspection",
    "inspectionitemresult",
    "jurisdiction",
    "monthlyreport",
    "person",
    "selfinspectionreport",
    "summaryreport",
    "tip",
    "trainingarchive",
    "trainingarchivesheet",
    "traininginstitution",
    "traininglead",
)
BUMP = "UPDATE datageneration SET value = value + 1 WHERE id = 1"


def upgrade() -> None:
    op.create_table(
        "datageneration",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("value", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.execute("INSERT INTO datageneration (id, value) VALUES (1, 0)")
    op.create_table(
        "storedfigure",
        sa.Column("key", sa.String(200), primary_key=True),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column("payload", sa.Text(), nullable=False),
        sa.Column("computed_at", sa.DateTime(timezone=True), nullable=False),
    )
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION datageneration_bump() RETURNS trigger LANGUAGE plpgsql AS $$"
            f" BEGIN {BUMP}; RETURN NULL; END $$"
        )
        for table in WATCHED:
            op.execute(
                f'CREATE TRIGGER "{table}_bumps_generation" AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE'
                f' ON "{table}" FOR EACH STATEMENT EXECUTE FUNCTION datageneration_bump()'
            )
    else:
        for table in WATCHED:
            for event in ("INSERT", "UPDATE", "DELETE"):
                op.execute(
                    f'CREATE TRIGGER "{table}_bumps_generation_{event.lower()}" AFTER {event} ON "{table}"'
                    f" BEGIN {BUMP}; END"
                )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in WATCHED:
            op.execute(f'DROP TRIGGER IF EXISTS "{table}_bumps_generation" ON "{table}"')
        op.execute("DROP FUNCTION IF EXISTS datageneration_bump()")
    else:
        for table in WATCHED:
            for event in ("insert", "update", "delete"):
                op.execute(f'DROP TRIGGER IF EXISTS "{table}_bumps_generation_{event}"')
    op.drop_table("storedfigure")
    op.drop_table("datageneration")
