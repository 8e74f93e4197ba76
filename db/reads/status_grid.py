"""The jurisdiction × month grid of monthly tables (汇总表): the stored status of each cell, and its
state on a date against the campaign's due dates (已报, 逾期, 未报, 零报告, 未到期).

Only jurisdictions the principal may read are listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlmodel import Session, SQLModel

import db.models  # noqa: F401  (registers every table on SQLModel.metadata)
from anpei import clock
from anpei.periods import Month
from db.codes import MonthlyStatus
from db.reads.campaign_calendar import CampaignInfo
from db.reads.jurisdiction_list import DEFAULT_KINDS, list_jurisdictions
from db.rules.access import Principal, narrow

_M = SQLModel.metadata.tables["monthlyreport"]


@dataclass(frozen=True)
class StatusCell:
    """One cell of the jurisdiction × month grid of monthly tables."""

    jurisdiction_id: int
    jurisdiction: str
    kind: str
    sort_order: int
    month: str
    status: str  # MonthlyStatus code, `unreported` when no row
    submitted_at: dt.datetime | None

    @property
    def status_label(self) -> str:
        return MonthlyStatus(self.status).label


def monthly_status_grid(
    session: Session,
    *,
    principal: Principal,
    months: Sequence[Month],
    jurisdiction_ids: Iterable[int] | None = None,
    kinds: Sequence[str] | None = DEFAULT_KINDS,
) -> list[StatusCell]:
    """Every readable (jurisdiction, month) with its table status, 未报 where no row exists.

    Ordered by jurisdiction `sort_order`, then month as given.
    """
    labels = [str(m) for m in months]
    refs = list_jurisdictions(session, kinds=kinds, ids=narrow(principal, jurisdiction_ids))
    if not refs or not labels:
        return []
    stored = {
        (r.jurisdiction_id, r.month): (r.status, r.submitted_at)
        for r in session.execute(
            select(_M.c.jurisdiction_id, _M.c.month, _M.c.status, _M.c.submitted_at).where(
                _M.c.jurisdiction_id.in_([r.id for r in refs]), _M.c.month.in_(labels)
            )
        )
    }
    cells: list[StatusCell] = []
    for ref in refs:
        for label in labels:
            status, submitted = stored.get((ref.id, label), (MonthlyStatus.UNREPORTED.value, None))
            cells.append(StatusCell(ref.id, ref.name, ref.kind, ref.sort_order, label, status, submitted))
    return cells


GRID_LABELS = {"on_time": "已报", "late": "逾期", "missing": "未报", "zero": "零报告", "not_due": "未到期"}


@dataclass(frozen=True)
class GridCell:
    jurisdiction_id: int
    jurisdiction: str
    kind: str
    sort_order: int
    month: str
    status: str  # key of GRID_LABELS
    submitted_on: dt.date | None

    @property
    def label(self) -> str:
        return GRID_LABELS[self.status]


def grid_status(*, stored: str, submitted_on: dt.date | None, due: dt.date, as_of: dt.date) -> str:
    """A table's state on `as_of`: a table submitted after `as_of` is not there yet."""
    if stored != MonthlyStatus.UNREPORTED.value and (submitted_on is None or submitted_on <= as_of):
        if stored == MonthlyStatus.ZERO.value:
            return "zero"
        late = stored == MonthlyStatus.LATE.value or (submitted_on is not None and submitted_on > due)
        return "late" if late else "on_time"
    return "not_due" if as_of <= due else "missing"


def status_grid(
    session: Session,
    *,
    principal: Principal,
    campaign: CampaignInfo,
    as_of: dt.date,
    months: Sequence[Month] | None = None,
    kinds: Sequence[str] | None = DEFAULT_KINDS,
) -> list[GridCell]:
    """Every readable jurisdiction × enforcement month with the table's state on `as_of`."""
    wanted = list(months) if months is not None else campaign.enforcement_months
    due = {str(m): campaign.due_date(m) for m in wanted}
    cells = monthly_status_grid(session, principal=principal, months=wanted, kinds=kinds)
    out: list[GridCell] = []
    for c in cells:
        submitted = clock.local_date(c.submitted_at) if c.submitted_at else None
        state = grid_status(stored=c.status, submitted_on=submitted, due=due[c.month], as_of=as_of)
        out.append(
            GridCell(c.jurisdiction_id, c.jurisdiction, c.kind, c.sort_order, c.month, state, submitted)
        )
    return out
