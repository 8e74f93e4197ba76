"""finding → training lead (属实 leads, linked as data)

Adds `finding.training_lead_id` (nullable, indexed, foreign key to `traininglead.id`): the
培训档案线索 a 问题清单 finding was raised from; the lead already points back by
`traininglead.finding_id` (issue 14). Backfill: a finding whose description starts with the
prefix `【培训档案线索 #n】` written before this revision is linked to lead n (when it exists; the
lead points back when it pointed nowhere) and loses the prefix; a finding a lead points at by `finding_id` is linked to that lead. Downgrade
writes the prefix back into the linked findings' descriptions, then drops the column.

Revision ID: c4a81e2f5d07
Revises: 3de5f0abf9c9
Create Date: 2026-12-05 23:50:00.000000
"""

import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = 'c4a81e2f5d07'
down_revision: str | None = '3de5f0abf9c9'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

PREFIX = re.compile(r'^【培训档案线索 #(\d+)】')
FK = 'fk_finding_training_lead_id'

finding = sa.table(
    'finding',
    sa.column('id', sa.Integer),
    sa.column('description', sa.Text),
    sa.column('version', sa.Integer),
    sa.column('training_lead_id', sa.Integer),
)
lead = sa.table('traininglead', sa.column('id', sa.Integer), sa.column('finding_id', sa.Integer))


def _unhook_leads() -> dict[int, int]:
    """Lead → finding links, cleared for the rebuild of `finding`: SQLite rebuilds the table (copy,
    drop, rename) and the drop would break `traininglead.finding_id` (foreign keys are on and cannot
    be switched off inside the transaction). `_hook_leads` puts them back."""
    conn = op.get_bind()
    links = {
        int(i): int(f)
        for i, f in conn.execute(sa.select(lead.c.id, lead.c.finding_id).where(lead.c.finding_id.is_not(None)))
    }
    if links:
        conn.execute(lead.update().values(finding_id=None))
    return links


def _hook_leads(links: dict[int, int]) -> None:
    conn = op.get_bind()
    for lead_id, finding_id in links.items():
        conn.execute(lead.update().where(lead.c.id == lead_id).values(finding_id=finding_id))


def upgrade() -> None:
    links = _unhook_leads()
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.add_column(sa.Column('training_lead_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_finding_training_lead_id'), ['training_lead_id'], unique=False)
        batch_op.create_foreign_key(FK, 'traininglead', ['training_lead_id'], ['id'], use_alter=True)
    _hook_leads(links)
    conn = op.get_bind()
    leads = {int(i): f for i, f in conn.execute(sa.select(lead.c.id, lead.c.finding_id))}
    linked: set[int] = set()
    rows = conn.execute(
        sa.select(finding.c.id, finding.c.description).where(finding.c.description.like('【培训档案线索 #%'))
    ).all()
    for fid, description in rows:
        match = PREFIX.match(description or '')
        if match is None or int(match.group(1)) not in leads:
            continue  # a prefix naming no stored lead stays as written
        conn.execute(
            finding.update()
            .where(finding.c.id == fid)
            .values(
                training_lead_id=int(match.group(1)),
                description=description[match.end():].lstrip() or description,
                version=finding.c.version + 1,
            )
        )
        linked.add(int(fid))
        if leads[int(match.group(1))] is None:  # and the lead points back
            conn.execute(lead.update().where(lead.c.id == int(match.group(1))).values(finding_id=fid))
            leads[int(match.group(1))] = fid
    for lead_id, fid in leads.items():
        if fid is not None and int(fid) not in linked:
            conn.execute(
                finding.update()
                .where(finding.c.id == fid, finding.c.training_lead_id.is_(None))
                .values(training_lead_id=lead_id)
            )


def downgrade() -> None:
    conn = op.get_bind()
    rows = conn.execute(
        sa.select(finding.c.id, finding.c.description, finding.c.training_lead_id).where(
            finding.c.training_lead_id.is_not(None)
        )
    ).all()
    for fid, description, lead_id in rows:
        if not PREFIX.match(description or ''):
            conn.execute(
                finding.update()
                .where(finding.c.id == fid)
                .values(description=f'【培训档案线索 #{lead_id}】{description}', version=finding.c.version + 1)
            )
    links = _unhook_leads()
    with op.batch_alter_table('finding', schema=None) as batch_op:
        batch_op.drop_constraint(FK, type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_finding_training_lead_id'))
        batch_op.drop_column('training_lead_id')
    _hook_leads(links)
