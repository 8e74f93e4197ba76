"""province indexes: registrations, findings and enforcement actions read from the indexes alone

Issue 16 item 3 (province-sized single-user figures at ×40 on PostgreSQL): every figure that counts
a unit's registered enterprises (`db.rules.metrics.registered_to`) read the whole enterprise table twice
(once by township, once by member unit); the findings' stock as of a day, the findings due in a
quarter, a month's enforcement actions and its few training-institution inspections read their
tables' rows. These indexes hold exactly the
columns those reads need (partial indexes for the active enterprises; INCLUDE columns on PostgreSQL,
SQLite gets the plain index).

Revision ID: c4a9d2e7f031
Revises: c4a81e2f5d07
Create Date: 2026-12-05 23:55:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c4a9d2e7f031"
down_revision: str | None = "c4a81e2f5d07"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ACTIVE = "active"
ACTIVE_WITH_UNIT = "active AND member_unit_id IS NOT NULL"
WITH_INSTITUTION = "institution_id IS NOT NULL"


def upgrade() -> None:
    op.create_index(
        "ix_enterprise_active_place",
        "enterprise",
        ["jurisdiction_id", "risk_class", "id"],
        postgresql_where=sa.text(ACTIVE),
        sqlite_where=sa.text(ACTIVE),
    )
    op.create_index(
        "ix_enterprise_active_unit",
        "enterprise",
        ["member_unit_id", "risk_class", "id"],
        postgresql_where=sa.text(ACTIVE_WITH_UNIT),
        sqlite_where=sa.text(ACTIVE_WITH_UNIT),
    )
    op.create_index(
        "ix_finding_found_on_cover",
        "finding",
        ["found_on"],
        postgresql_include=["jurisdiction_id", "rectified_on", "status", "deadline"],
    )
    op.create_index(
        "ix_finding_deadline_cover",
        "finding",
        ["deadline"],
        postgresql_include=["jurisdiction_id", "rectified_on", "status"],
    )
    op.create_index(
        "ix_inspection_institution_inspected_on",
        "inspection",
        ["inspected_on", "jurisdiction_id", "institution_id"],
        postgresql_where=sa.text(WITH_INSTITUTION),
        sqlite_where=sa.text(WITH_INSTITUTION),
    )
    op.create_index(
        "ix_enforcementaction_action_date_cover",
        "enforcementaction",
        ["action_date"],
        postgresql_include=["jurisdiction_id", "kind", "fine_amount"],
    )


def downgrade() -> None:
    op.drop_index("ix_enforcementaction_action_date_cover", table_name="enforcementaction")
    op.drop_index("ix_inspection_institution_inspected_on", table_name="inspection")
    op.drop_index("ix_finding_deadline_cover", table_name="finding")
    op.drop_index("ix_finding_found_on_cover", table_name="finding")
    op.drop_index("ix_enterprise_active_unit", table_name="enterprise")
    op.drop_index("ix_enterprise_active_place", table_name="enterprise")
