"""The county month by month (coverage, findings as stock at each month's end, checks, actions) in a
handful of grouped queries whatever the number of months. Same definitions as
`db.reads.month_figures`. County-wide: AccessDenied for township and unit staff.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, func, literal, not_, select, union_all
from sqlmodel import Session, SQLModel

import db.models  # noqa: F401  (registers every table on SQLModel.metadata)
from anpei.periods import Month
from db.codes import ActionKind, RiskClass
from db.reads.jurisdiction_list import DEFAULT_KINDS, active_jurisdictions
from db.reads.month_figures import month_as_of
from db.rules.access import Principal, require_county_wide
from db.rules.metrics import (
    Problem,
    cert_problem,
    count_if,
    rectified_by,
)

_E = SQLModel.metadata.tables["enterprise"]
_I = SQLModel.metadata.tables["inspection"]
_F = SQLModel.metadata.tables["finding"]
_C = SQLModel.metadata.tables["certificatecheck"]
_A = SQLModel.metadata.tables["enforcementaction"]


def rate(num: int, den: int) -> float:
    return num / den if den else 0.0


@dataclass(frozen=True)
class MonthTrend:
    """The county in one month (same definitions as `county_totals`)."""

    month: str
    high_risk_registered: int
    industry_trade_registered: int
    enterprises_registered: int = 0
    enterprises_inspected: int = 0
    high_risk_inspected: int = 0
    industry_trade_inspected: int = 0
    findings_found: int = 0
    findings_open: int = 0
    findings_overdue: int = 0
    findings_rectified: int = 0
    workers_checked: int = 0
    unlicensed: int = 0
    suspected_fake: int = 0
    managers_overdue: int = 0
    cases: int = 0
    fines_yuan: Decimal = Decimal("0")
    exposures: int = 0
    blacklisted: int = 0

    @property
    def high_risk_coverage(self) -> float:
        return rate(self.high_risk_inspected, self.high_risk_registered)

    @property
    def industry_trade_coverage(self) -> float:
        return rate(self.industry_trade_inspected, self.industry_trade_registered)


def month_bucket(column: Any, months: Sequence[Month]) -> ColumnElement[Any]:
    """A CASE mapping a date column to its `YYYY-MM` among `months` (NULL outside)."""
    whens = []
    for m in months:
        whens.append((column.between(m.first, m.last), literal(str(m))))
    return case(*whens, else_=None)


def county_trends(
    session: Session,
    *,
    principal: Principal,
    months: Sequence[Month],
    as_of: dt.date | None = None,
    kinds: Sequence[str] | None = DEFAULT_KINDS,
) -> list[MonthTrend]:
    """One row per month: coverage, findings (stock at month end), checks and actions.

    A handful of grouped queries whatever the number of months. AccessDenied for township and
    unit staff (county-wide figures).
    """
    require_county_wide(principal)
    if not months:
        return []
    labels = [str(m) for m in months]
    first, last = months[0].first, months[-1].last
    values: dict[str, dict[str, Any]] = {m: {} for m in labels}

    def merge(stmt: Any) -> None:
        for row in session.execute(stmt).mappings():
            if row["month"] in values:
                values[row["month"]].update({k: v for k, v in row.items() if k != "month"})

    hr = _E.c.risk_class == RiskClass.HIGH_RISK.value
    it = _E.c.risk_class == RiskClass.INDUSTRY_TRADE.value
    registered = session.execute(select(count_if(hr), count_if(it), func.count()).where(_E.c.active)).one()
    # each (month, enterprise) once first, then joined and counted (no COUNT(DISTINCT) per column);
    # one DISTINCT per month on the enterprise id alone (an index range each, integer keys) rather
    # than one over a CASE of every month
    per_month = []
    for m in months:
        per_month.append(
            select(literal(str(m)).label("month"), _I.c.enterprise_id.label("eid"))
            .where(_I.c.inspected_on.between(m.first, m.last), _I.c.enterprise_id.is_not(None))
            .distinct()
        )
    visited = (union_all(*per_month) if len(per_month) > 1 else per_month[0]).subquery("visited")
    merge(
        select(
            visited.c.month,
            func.count().label("enterprises_inspected"),
            count_if(hr).label("high_risk_inspected"),
            count_if(it).label("industry_trade_inspected"),
        )
        .select_from(visited.join(_E, _E.c.id == visited.c.eid))
        .where(_E.c.active)
        .group_by(visited.c.month)
    )
    owners = active_jurisdictions(kinds)
    # findings: found in the month, and the stock at each month's end (one column per month)
    stock_cols = []
    for m, label in zip(months, labels, strict=True):
        day = month_as_of(m, as_of)
        rect = rectified_by(day)
        seen = _F.c.found_on <= day
        stock_cols += [
            count_if(and_(seen, not_(rect))).label(f"open_{label}"),
            count_if(and_(seen, not_(rect), _F.c.deadline < day)).label(f"overdue_{label}"),
            count_if(and_(seen, rect)).label(f"rect_{label}"),
        ]
    stock = session.execute(select(*stock_cols).where(_F.c.jurisdiction_id.in_(owners))).mappings().one()
    for label in labels:
        values[label].update(
            findings_open=stock[f"open_{label}"],
            findings_overdue=stock[f"overdue_{label}"],
            findings_rectified=stock[f"rect_{label}"],
        )
    month_f = month_bucket(_F.c.found_on, months).label("month")
    merge(
        select(month_f, func.count().label("findings_found"))
        .where(_F.c.jurisdiction_id.in_(owners), _F.c.found_on.between(first, last))
        .group_by(month_f)
    )
    month_c = month_bucket(_C.c.as_of, months).label("month")
    merge(
        select(
            month_c,
            count_if(_C.c.family == "special").label("workers_checked"),
            count_if(cert_problem(Problem.UNLICENSED)).label("unlicensed"),
            count_if(cert_problem(Problem.FAKE)).label("suspected_fake"),
            count_if(cert_problem(Problem.MANAGER_OVERDUE)).label("managers_overdue"),
        )
        .where(_C.c.jurisdiction_id.in_(owners), _C.c.as_of.between(first, last))
        .group_by(month_c)
    )
    month_a = month_bucket(_A.c.action_date, months).label("month")
    merge(
        select(
            month_a,
            count_if(_A.c.kind == ActionKind.CASE.value).label("cases"),
            func.coalesce(func.sum(case((_A.c.kind == ActionKind.FINE.value, _A.c.fine_amount))), 0).label(
                "fines_yuan"
            ),
            count_if(_A.c.kind == ActionKind.EXPOSURE.value).label("exposures"),
            count_if(_A.c.kind == ActionKind.BLACKLIST.value).label("blacklisted"),
        )
        .where(_A.c.jurisdiction_id.in_(owners), _A.c.action_date.between(first, last))
        .group_by(month_a)
    )
    out: list[MonthTrend] = []
    for label in labels:
        v = values[label]
        fines = Decimal(str(v.pop("fines_yuan", 0) or 0)).quantize(Decimal("0.01"))
        ints = {k: int(x or 0) for k, x in v.items()}
        out.append(
            MonthTrend(
                month=label,
                high_risk_registered=int(registered[0]),
                industry_trade_registered=int(registered[1]),
                enterprises_registered=int(registered[2]),
                fines_yuan=fines,
                **ints,
            )
        )
    return out
