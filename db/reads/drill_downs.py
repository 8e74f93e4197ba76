"""Drill-down lists of a township or unit: findings past their deadline, and the high-risk and 工贸
enterprises not inspected in a month. Only jurisdictions the principal may read.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import func, not_, select
from sqlmodel import Session, SQLModel

import db.models  # noqa: F401  (registers every table on SQLModel.metadata)
from anpei.periods import Month
from db.codes import RiskClass
from db.rules.access import Principal, narrow, require_read
from db.rules.metrics import (
    inspected_by_or_jointly,
    is_registered_to,
    rectified_by,
)

_J = SQLModel.metadata.tables["jurisdiction"]
_E = SQLModel.metadata.tables["enterprise"]
_TI = SQLModel.metadata.tables["traininginstitution"]
_I = SQLModel.metadata.tables["inspection"]
_F = SQLModel.metadata.tables["finding"]


@dataclass(frozen=True)
class FindingItem:
    """One open finding past its deadline (for a township's drill-down)."""

    id: int
    jurisdiction_id: int
    jurisdiction: str
    target_name: str  # enterprise or training institution
    check_item_number: int | None
    description: str
    responsible_person: str
    found_on: dt.date
    deadline: dt.date
    days_overdue: int


@dataclass(frozen=True)
class EnterpriseRef:
    id: int
    name: str
    sector: str
    risk_class: str
    jurisdiction_id: int


def overdue_findings(
    session: Session,
    *,
    principal: Principal,
    as_of: dt.date,
    jurisdiction_ids: Iterable[int] | None = None,
    limit: int = 200,
) -> list[FindingItem]:
    """Findings open on `as_of` whose deadline has passed, longest overdue first (then by id);
    only those of jurisdictions the principal may read."""
    jurisdiction_ids = narrow(principal, jurisdiction_ids)
    target = func.coalesce(_E.c.name, _TI.c.name, "")
    stmt = (
        select(
            _F.c.id,
            _F.c.jurisdiction_id,
            _J.c.name.label("jurisdiction"),
            target.label("target_name"),
            _F.c.check_item_number,
            _F.c.description,
            _F.c.responsible_person,
            _F.c.found_on,
            _F.c.deadline,
        )
        .select_from(
            _F.join(_J, _J.c.id == _F.c.jurisdiction_id)
            .outerjoin(_E, _E.c.id == _F.c.enterprise_id)
            .outerjoin(_TI, _TI.c.id == _F.c.institution_id)
        )
        .where(_F.c.found_on <= as_of, not_(rectified_by(as_of)), _F.c.deadline < as_of)
        .order_by(_F.c.deadline, _F.c.id)
        .limit(limit)
    )
    if jurisdiction_ids is not None:
        stmt = stmt.where(_F.c.jurisdiction_id.in_(list(jurisdiction_ids)))
    return [
        FindingItem(
            id=r.id,
            jurisdiction_id=r.jurisdiction_id,
            jurisdiction=r.jurisdiction,
            target_name=r.target_name,
            check_item_number=r.check_item_number,
            description=r.description,
            responsible_person=r.responsible_person,
            found_on=r.found_on,
            deadline=r.deadline,
            days_overdue=(as_of - r.deadline).days,
        )
        for r in session.execute(stmt)
    ]


def uninspected_targets(
    session: Session, *, principal: Principal, month: Month, jurisdiction_id: int, limit: int = 1000
) -> list[EnterpriseRef]:
    """High-risk and 工贸 enterprises registered to the jurisdiction and not inspected in the month.

    "Inspected" as in `township_month_summary`: by the jurisdiction itself or jointly.
    AccessDenied for another township's or unit's list.
    """
    require_read(principal, jurisdiction_id)
    m = month
    visited = (
        select(_I.c.id)
        .where(
            _I.c.enterprise_id == _E.c.id,
            _I.c.inspected_on.between(m.first, m.last),
            inspected_by_or_jointly(jurisdiction_id),
        )
        .exists()
    )
    stmt = (
        select(_E.c.id, _E.c.name, _E.c.sector, _E.c.risk_class, _E.c.jurisdiction_id)
        .where(
            _E.c.active,
            is_registered_to(jurisdiction_id),
            _E.c.risk_class.in_([RiskClass.HIGH_RISK.value, RiskClass.INDUSTRY_TRADE.value]),
            not_(visited),
        )
        .order_by(_E.c.risk_class, _E.c.name, _E.c.id)
        .limit(limit)
    )
    return [
        EnterpriseRef(r.id, r.name, r.sector, r.risk_class, r.jurisdiction_id) for r in session.execute(stmt)
    ]
