"""one key scheme for per-item problem counts; verifier job targets

1. `monthlyreport.problems_by_item` was written under two key schemes: the application's
   `enterprise-3` / `institution-1` and the sample generator's bare `"3"` (which did not even say
   whether an enterprise or a training-institution item was meant). Bare keys are rewritten to the
   application's scheme: a bare `n` goes to `institution-n` as far as the jurisdiction recorded
   institution findings of item n that month, the rest to `enterprise-n`.
2. `verifierjobtarget`: the save target (unit, enterprise) and submitter of each verifier job, keyed
   by the verifier's job id and creation time.

Downgrade drops the table; the rewritten keys stay (the older code reads them already).

Revision ID: 5c1e7a90b3d4
Revises: b7e41c09d2a3
Create Date: 2026-12-05 21:00:00
"""

import calendar
import datetime as dt
from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "5c1e7a90b3d4"
down_revision: str | None = "b7e41c09d2a3"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_report = sa.table(
    "monthlyreport",
    sa.column("id", sa.Integer),
    sa.column("jurisdiction_id", sa.Integer),
    sa.column("month", sa.String),
    sa.column("problems_by_item", sa.JSON),
)
_finding = sa.table(
    "finding",
    sa.column("jurisdiction_id", sa.Integer),
    sa.column("target_kind", sa.String),
    sa.column("check_item_number", sa.Integer),
    sa.column("found_on", sa.Date),
)


def _month_bounds(label: str) -> tuple[dt.date, dt.date]:
    year, month = int(label[:4]), int(label[5:7])
    return dt.date(year, month, 1), dt.date(year, month, calendar.monthrange(year, month)[1])


def convert_keys(by_item: dict[str, int], institution_found: dict[int, int]) -> dict[str, int]:
    """The counts under `enterprise-n` / `institution-n` keys (see the module text)."""
    out: dict[str, int] = {}
    for key, value in by_item.items():
        n = int(value or 0)
        if not str(key).isdigit():
            out[str(key)] = out.get(str(key), 0) + n
            continue
        number = int(key)
        institution = min(n, institution_found.get(number, 0))
        for kind, part in (("institution", institution), ("enterprise", n - institution)):
            if part:
                out[f"{kind}-{number}"] = out.get(f"{kind}-{number}", 0) + part
    return dict(sorted(out.items()))


def upgrade() -> None:
    conn = op.get_bind()
    for rid, jid, month, by_item in conn.execute(
        sa.select(_report.c.id, _report.c.jurisdiction_id, _report.c.month, _report.c.problems_by_item)
    ).all():
        if not by_item or not any(str(k).isdigit() for k in by_item):
            continue
        first, last = _month_bounds(month)
        found = conn.execute(
            sa.select(_finding.c.check_item_number, sa.func.count())
            .where(
                _finding.c.jurisdiction_id == jid,
                _finding.c.target_kind == "institution",
                _finding.c.found_on.between(first, last),
                _finding.c.check_item_number.is_not(None),
            )
            .group_by(_finding.c.check_item_number)
        ).all()
        new = convert_keys(dict(by_item), {int(n): int(c) for n, c in found})
        conn.execute(sa.update(_report).where(_report.c.id == rid).values(problems_by_item=new))

    op.create_table(
        "verifierjobtarget",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("job_id", sa.Integer(), nullable=False),
        sa.Column("job_created_at", sa.String(length=40), nullable=False),
        sa.Column("owner_jurisdiction_id", sa.Integer(), nullable=True),
        sa.Column("jurisdiction_id", sa.Integer(), nullable=True),
        sa.Column("enterprise_id", sa.Integer(), nullable=True),
        sa.Column("target_label", sa.String(length=200), nullable=False),
        sa.Column("submitted_by", sa.Integer(), nullable=True),
        sa.Column("submitted_username", sa.String(length=50), nullable=False),
        sa.Column("submitted_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.Column("saved_rows", sa.Integer(), nullable=True),
        sa.Column("saved_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
        sa.Column("saved_summary", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.ForeignKeyConstraint(["owner_jurisdiction_id"], ["jurisdiction.id"]),
        sa.ForeignKeyConstraint(["jurisdiction_id"], ["jurisdiction.id"]),
        sa.ForeignKeyConstraint(["enterprise_id"], ["enterprise.id"]),
        sa.ForeignKeyConstraint(["submitted_by"], ["user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("job_id", "job_created_at", name="uq_verifierjobtarget_job"),
    )
    with op.batch_alter_table("verifierjobtarget", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_verifierjobtarget_job_id"), ["job_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_verifierjobtarget_owner_jurisdiction_id"), ["owner_jurisdiction_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("verifierjobtarget", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_verifierjobtarget_owner_jurisdiction_id"))
        batch_op.drop_index(batch_op.f("ix_verifierjobtarget_job_id"))
    op.drop_table("verifierjobtarget")
