"""row versions for forms (optimistic locking)

Adds `version` (integer, starting at 1) to the tables edited through forms: `monthlyreport`,
`finding`, `inspection` and `tip`. The ORM bumps it on every change and refuses a change to a row
whose version moved in between; a form carries the version it was loaded with (issue 10 item 3).

Revision ID: b7e41c09d2a3
Revises: 0a2bcd6fd2af
Create Date: 2026-12-05 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'b7e41c09d2a3'
down_revision: str | None = '0a2bcd6fd2af'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ('monthlyreport', 'finding', 'inspection', 'tip')


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column('version', sa.Integer(), server_default='1', nullable=False))


def downgrade() -> None:
    for table in reversed(TABLES):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column('version')
