"""Per jurisdiction and month, what was inspected, found and reported; and the county's month totals.

Everything is computed in SQL (GROUP BY with conditional aggregation); Python only lays the few
dozen grouped rows side by side. Results are frozen dataclasses (read models), never ORM rows, in
the jurisdictions' `sort_order`.

Definitions used throughout (documented here once):

- A jurisdiction's **registered** enterprises: active enterprises located in it (乡镇（街道）) or
  supervised by it (安委会成员单位, `Enterprise.member_unit_id`).
- **Inspected** in a month: registered enterprises with at least one inspection dated in the month
  carried out by the jurisdiction itself or jointly (`Inspection.joint`: a joint inspection counts
  for every party, the enterprise's township and its member unit). An enterprise inspected several
  times counts once.
- **Findings** (问题清单) belong to the jurisdiction that recorded them. As of a date D (by default
  the month's last day), counting findings found on or before D: *rectified* = rectified on or
  before D (a rectified/closed status without a date counts as rectified); *open* = not rectified;
  *overdue* = open with a deadline before D.
- **Monthly table status**: the stored `MonthlyReport.status`, or 未报 (`unreported`) when the
  jurisdiction has no row for the month.

Every function returning campaign data takes the acting `principal` (`db.rules.access`): township and
unit staff get their own jurisdiction's rows only (asking for another's yields nothing, or
AccessDenied where one jurisdiction is named); county-wide totals need a role that reads everything.
The list of jurisdictions itself (`db.reads.jurisdiction_list`) is reference data, readable by everyone.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import and_, case, distinct, func, not_, select
from sqlmodel import Session, SQLModel

import db.models  # noqa: F401  (registers every table on SQLModel.metadata)
from anpei.periods import Month
from db.codes import ActionKind, JurisdictionKind, MonthlyStatus, RiskClass
from db.reads.jurisdiction_list import DEFAULT_KINDS, list_jurisdictions
from db.rules.access import Principal, narrow, require_county_wide
from db.rules.metrics import (
    Problem,
    cert_problem,
    count_if,
    inspected_by_or_jointly,
    rectified_by,
    registered_to,
)

_E = SQLModel.metadata.tables["enterprise"]
_I = SQLModel.metadata.tables["inspection"]
_F = SQLModel.metadata.tables["finding"]
_C = SQLModel.metadata.tables["certificatecheck"]
_A = SQLModel.metadata.tables["enforcementaction"]
_M = SQLModel.metadata.tables["monthlyreport"]


def month_as_of(month: Month, as_of: dt.date | None) -> dt.date:
    """The date a month is read at: its last day, or `as_of` when that is earlier."""
    last = month.last
    return min(last, as_of) if as_of else last


@dataclass(frozen=True)
class JurisdictionMonthRow:
    """One jurisdiction in one month (see the module docstring for the definitions)."""

    jurisdiction_id: int
    jurisdiction: str
    kind: str
    sort_order: int
    month: str
    as_of: dt.date
    enterprises_registered: int = 0
    high_risk_registered: int = 0
    industry_trade_registered: int = 0
    enterprises_inspected: int = 0
    high_risk_inspected: int = 0
    industry_trade_inspected: int = 0
    inspections: int = 0  # inspection records by this jurisdiction in the month
    institutions_inspected: int = 0
    findings_found: int = 0  # found in the month
    findings_open: int = 0  # as of `as_of`
    findings_rectified: int = 0
    findings_overdue: int = 0
    workers_checked: int = 0  # special-operation certificate checks in the month
    unlicensed: int = 0  # 无证上岗
    suspected_fake: int = 0  # 疑似持假证
    managers_checked: int = 0  # safety certificate checks in the month
    managers_overdue: int = 0  # 逾期未考核合格
    orders: int = 0  # 责令整改
    cases: int = 0  # 立案
    fines_yuan: Decimal = Decimal("0")
    exposures: int = 0
    blacklisted: int = 0
    monthly_status: str = MonthlyStatus.UNREPORTED.value
    submitted_at: dt.datetime | None = None

    @property
    def monthly_status_label(self) -> str:
        return MonthlyStatus(self.monthly_status).label

    @property
    def targets_registered(self) -> int:
        """High-risk plus 工贸 enterprises: the ones the notice requires inspecting every month."""
        return self.high_risk_registered + self.industry_trade_registered

    @property
    def targets_inspected(self) -> int:
        return self.high_risk_inspected + self.industry_trade_inspected

    @property
    def target_coverage(self) -> float | None:
        """Share of high-risk and 工贸 enterprises inspected in the month; None without any."""
        return self.targets_inspected / self.targets_registered if self.targets_registered else None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready: dates as ISO text, money as a number, labels next to codes."""
        out = asdict(self)
        out["as_of"] = self.as_of.isoformat()
        out["submitted_at"] = self.submitted_at.isoformat() if self.submitted_at else None
        out["fines_yuan"] = float(self.fines_yuan)
        out["kind_label"] = JurisdictionKind(self.kind).label
        out["monthly_status_label"] = self.monthly_status_label
        coverage = self.target_coverage
        out["target_coverage"] = round(coverage, 4) if coverage is not None else None
        return out


@dataclass(frozen=True)
class CountyTotals:
    """The county in one month: distinct enterprises (each counted once, whoever inspected it)."""

    month: str
    as_of: dt.date
    enterprises_registered: int
    high_risk_registered: int
    industry_trade_registered: int
    enterprises_inspected: int
    high_risk_inspected: int
    industry_trade_inspected: int
    inspections: int
    findings_found: int
    findings_open: int
    findings_rectified: int
    findings_overdue: int
    workers_checked: int
    unlicensed: int
    suspected_fake: int
    managers_checked: int
    managers_overdue: int
    cases: int
    fines_yuan: Decimal
    exposures: int
    blacklisted: int
    status_counts: dict[str, int]  # MonthlyStatus code → jurisdictions

    def to_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["as_of"] = self.as_of.isoformat()
        out["fines_yuan"] = float(self.fines_yuan)
        return out


def township_month_summary(
    session: Session,
    *,
    principal: Principal,
    month: Month,
    jurisdiction_ids: Iterable[int] | None = None,
    as_of: dt.date | None = None,
    kinds: Sequence[str] | None = DEFAULT_KINDS,
) -> list[JurisdictionMonthRow]:
    """Per jurisdiction, the month's coverage, findings, checks, actions and table status.

    `as_of` (default: the month's last day) fixes the date for open / rectified / overdue findings.
    `jurisdiction_ids` narrows the rows; by default every active township and member unit is listed, also those with nothing to show.
    Only jurisdictions the principal may read are listed.
    """
    m = month
    day = as_of or m.last
    refs = list_jurisdictions(session, kinds=kinds, ids=narrow(principal, jurisdiction_ids))
    if not refs:
        return []
    wanted = [r.id for r in refs]
    values: dict[int, dict[str, Any]] = {r.id: {} for r in refs}

    def merge(stmt: Any, key: str = "jid") -> None:
        for row in session.execute(stmt).mappings():
            target = values.get(row[key])
            if target is not None:
                target.update({k: v for k, v in row.items() if k != key})

    own = registered_to()
    hr = own.c.risk == RiskClass.HIGH_RISK.value
    it = own.c.risk == RiskClass.INDUSTRY_TRADE.value
    merge(
        select(
            own.c.owner.label("jid"),
            func.count().label("enterprises_registered"),
            count_if(hr).label("high_risk_registered"),
            count_if(it).label("industry_trade_registered"),
        )
        .where(own.c.owner.in_(wanted))
        .group_by(own.c.owner)
    )
    # each (owner, enterprise) pair once first, then counted: one de-duplication instead of a
    # COUNT(DISTINCT) per column (the same numbers; a third of the work at province size)
    visited = (
        select(own.c.owner, own.c.eid, own.c.risk)
        .select_from(own.join(_I, _I.c.enterprise_id == own.c.eid))
        .where(
            own.c.owner.in_(wanted),
            _I.c.inspected_on.between(m.first, m.last),
            inspected_by_or_jointly(own.c.owner),
        )
        .distinct()
        .subquery("visited")
    )
    merge(
        select(
            visited.c.owner.label("jid"),
            func.count().label("enterprises_inspected"),
            count_if(visited.c.risk == RiskClass.HIGH_RISK.value).label("high_risk_inspected"),
            count_if(visited.c.risk == RiskClass.INDUSTRY_TRADE.value).label("industry_trade_inspected"),
        ).group_by(visited.c.owner)
    )
    # the inspections from the inspection date index alone; the few institution inspections from their
    # own partial index (COUNT(DISTINCT) ignores the enterprises' NULL institution anyway)
    merge(
        select(_I.c.jurisdiction_id.label("jid"), func.count().label("inspections"))
        .where(_I.c.jurisdiction_id.in_(wanted), _I.c.inspected_on.between(m.first, m.last))
        .group_by(_I.c.jurisdiction_id)
    )
    merge(
        select(
            _I.c.jurisdiction_id.label("jid"),
            func.count(distinct(_I.c.institution_id)).label("institutions_inspected"),
        )
        .where(
            _I.c.jurisdiction_id.in_(wanted),
            _I.c.inspected_on.between(m.first, m.last),
            _I.c.institution_id.is_not(None),
        )
        .group_by(_I.c.jurisdiction_id)
    )
    merge(_findings_as_of(wanted, m, day))
    merge(
        select(
            _C.c.jurisdiction_id.label("jid"),
            count_if(_C.c.family == "special").label("workers_checked"),
            count_if(cert_problem(Problem.UNLICENSED)).label("unlicensed"),
            count_if(cert_problem(Problem.FAKE)).label("suspected_fake"),
            count_if(_C.c.family == "safety").label("managers_checked"),
            count_if(cert_problem(Problem.MANAGER_OVERDUE)).label("managers_overdue"),
        )
        .where(_C.c.jurisdiction_id.in_(wanted), _C.c.as_of.between(m.first, m.last))
        .group_by(_C.c.jurisdiction_id)
    )
    merge(
        select(
            _A.c.jurisdiction_id.label("jid"),
            count_if(_A.c.kind == ActionKind.ORDER_RECTIFY.value).label("orders"),
            count_if(_A.c.kind == ActionKind.CASE.value).label("cases"),
            func.coalesce(func.sum(case((_A.c.kind == ActionKind.FINE.value, _A.c.fine_amount))), 0).label(
                "fines_yuan"
            ),
            count_if(_A.c.kind == ActionKind.EXPOSURE.value).label("exposures"),
            count_if(_A.c.kind == ActionKind.BLACKLIST.value).label("blacklisted"),
        )
        .where(_A.c.jurisdiction_id.in_(wanted), _A.c.action_date.between(m.first, m.last))
        .group_by(_A.c.jurisdiction_id)
    )
    merge(
        select(
            _M.c.jurisdiction_id.label("jid"),
            _M.c.status.label("monthly_status"),
            _M.c.submitted_at.label("submitted_at"),
        ).where(_M.c.jurisdiction_id.in_(wanted), _M.c.month == str(m))
    )
    rows: list[JurisdictionMonthRow] = []
    for ref in refs:
        v = values[ref.id]
        v["fines_yuan"] = Decimal(str(v.get("fines_yuan") or 0)).quantize(Decimal("0.01"))
        v = {k: (int(x) if isinstance(x, (int, Decimal)) and k != "fines_yuan" else x) for k, x in v.items()}
        rows.append(
            JurisdictionMonthRow(
                jurisdiction_id=ref.id,
                jurisdiction=ref.name,
                kind=ref.kind,
                sort_order=ref.sort_order,
                month=str(m),
                as_of=day,
                **v,
            )
        )
    return rows


def _findings_as_of(wanted: list[int], m: Month, day: dt.date) -> Any:
    """Found in the month, and open / rectified / overdue as of `day` (findings found by then)."""
    rectified = rectified_by(day)
    return (
        select(
            _F.c.jurisdiction_id.label("jid"),
            count_if(_F.c.found_on.between(m.first, m.last)).label("findings_found"),
            count_if(not_(rectified)).label("findings_open"),
            count_if(rectified).label("findings_rectified"),
            count_if(and_(not_(rectified), _F.c.deadline < day)).label("findings_overdue"),
        )
        .where(_F.c.jurisdiction_id.in_(wanted), _F.c.found_on <= day)
        .group_by(_F.c.jurisdiction_id)
    )


def county_totals(
    session: Session,
    *,
    principal: Principal,
    month: Month,
    as_of: dt.date | None = None,
    rows: Sequence[JurisdictionMonthRow] | None = None,
) -> CountyTotals:
    """The whole county in one month; an enterprise inspected by several units counts once.

    Additive figures (findings, checks, actions, statuses) are summed over the townships and member
    units; pass `rows` (the unfiltered `township_month_summary` of the same month and `as_of`) to
    avoid computing them twice. AccessDenied for township and unit staff.
    """
    require_county_wide(principal)
    m = month
    if rows is None:
        rows = township_month_summary(session, principal=principal, month=month, as_of=as_of)
    e_hr = _E.c.risk_class == RiskClass.HIGH_RISK.value
    e_it = _E.c.risk_class == RiskClass.INDUSTRY_TRADE.value
    registered = session.execute(
        select(func.count(), count_if(e_hr), count_if(e_it)).select_from(_E).where(_E.c.active)
    ).one()
    visited = (
        select(_I.c.enterprise_id.label("eid"))
        .where(_I.c.inspected_on.between(m.first, m.last), _I.c.enterprise_id.is_not(None))
        .distinct()
        .subquery("visited")
    )
    inspected = session.execute(
        select(func.count(), count_if(e_hr), count_if(e_it))
        .select_from(visited.join(_E, _E.c.id == visited.c.eid))
        .where(_E.c.active)
    ).one()
    inspections = session.execute(
        select(func.count()).select_from(_I).where(_I.c.inspected_on.between(m.first, m.last))
    ).scalar_one()
    status_counts = {s.value: 0 for s in MonthlyStatus}
    for row in rows:
        status_counts[row.monthly_status] += 1

    def total(name: str) -> int:
        return sum(int(getattr(r, name)) for r in rows)

    return CountyTotals(
        month=str(m),
        as_of=as_of or m.last,
        enterprises_registered=int(registered[0]),
        high_risk_registered=int(registered[1]),
        industry_trade_registered=int(registered[2]),
        enterprises_inspected=int(inspected[0]),
        high_risk_inspected=int(inspected[1]),
        industry_trade_inspected=int(inspected[2]),
        inspections=int(inspections),
        findings_found=total("findings_found"),
        findings_open=total("findings_open"),
        findings_rectified=total("findings_rectified"),
        findings_overdue=total("findings_overdue"),
        workers_checked=total("workers_checked"),
        unlicensed=total("unlicensed"),
        suspected_fake=total("suspected_fake"),
        managers_checked=total("managers_checked"),
        managers_overdue=total("managers_overdue"),
        cases=total("cases"),
        fines_yuan=sum((r.fines_yuan for r in rows), Decimal("0")),
        exposures=total("exposures"),
        blacklisted=total("blacklisted"),
        status_counts=status_counts,
    )
