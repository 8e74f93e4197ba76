"""certificate checks with a problem, per jurisdiction and day: a township's problem list

Issue 16: a township page lists its checks that found a problem (`one_jurisdiction.problem_checks`,
`kpi_details` for one jurisdiction). At province size the jurisdiction's index yielded every check of
the period (18,000 for one township over four months) to keep the 2,000 with a problem; with a
hundred first pages at once that list was the largest single cost. This partial index holds only
the checks with a problem.

Revision ID: a9d4e6b8c2f0
Revises: e8b2c6d4f1a7
Create Date: 2026-12-06 06:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "a9d4e6b8c2f0"
down_revision: str | None = "e8b2c6d4f1a7"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

WITH_PROBLEM = "problem <> ''"


def upgrade() -> None:
    op.create_index(
        "ix_certificatecheck_problem_jurisdiction_as_of",
        "certificatecheck",
        ["jurisdiction_id", "as_of"],
        postgresql_where=sa.text(WITH_PROBLEM),
        sqlite_where=sa.text(WITH_PROBLEM),
    )


def downgrade() -> None:
    op.drop_index("ix_certificatecheck_problem_jurisdiction_as_of", table_name="certificatecheck")
