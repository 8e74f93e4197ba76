"""indexes for province-sized reads

Issue 16: at 40 times the sample county the quarterly assessment, the overview and `anpei summary`
spent their time in sequential scans and in-memory sorts. These indexes let PostgreSQL answer the
month's and quarter's aggregates from the indexes alone (INCLUDE columns; SQLite gets the plain
index), count each enterprise's special workers from a partial index, and look up an enterprise's
enforcement actions by jurisdiction and date, and read one jurisdiction's checks in a period (the
township page).

Revision ID: b7e4c2a91d10
Revises: 5c1e7a90b3d4
Create Date: 2026-12-05 21:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "b7e4c2a91d10"
down_revision: str | None = "5c1e7a90b3d4"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SPECIAL_WORKERS = "active AND role = 'special_worker'"


def upgrade() -> None:
    op.create_index(
        "ix_person_special_worker_enterprise", "person", ["enterprise_id"],
        postgresql_where=sa.text(SPECIAL_WORKERS), sqlite_where=sa.text(SPECIAL_WORKERS),
    )
    op.create_index(
        "ix_certificatecheck_as_of_cover", "certificatecheck", ["as_of"],
        postgresql_include=["jurisdiction_id", "family", "problem", "person_id", "enterprise_id"],
    )
    op.create_index(
        "ix_certificatecheck_jurisdiction_as_of", "certificatecheck", ["jurisdiction_id", "as_of"],
        postgresql_include=["family", "problem", "person_id"],
    )
    op.create_index(
        "ix_inspection_inspected_on_cover", "inspection", ["inspected_on"],
        postgresql_include=["enterprise_id", "jurisdiction_id", "joint"],
    )
    op.create_index(
        "ix_enforcementaction_enterprise_jurisdiction_date", "enforcementaction",
        ["enterprise_id", "jurisdiction_id", "action_date"], postgresql_include=["kind"],
    )


def downgrade() -> None:
    op.drop_index("ix_enforcementaction_enterprise_jurisdiction_date", table_name="enforcementaction")
    op.drop_index("ix_inspection_inspected_on_cover", table_name="inspection")
    op.drop_index("ix_certificatecheck_jurisdiction_as_of", table_name="certificatecheck")
    op.drop_index("ix_certificatecheck_as_of_cover", table_name="certificatecheck")
    op.drop_index("ix_person_special_worker_enterprise", table_name="person")
