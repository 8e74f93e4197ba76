"""The first read API: per jurisdiction and month, what was inspected, found and reported.

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
The list of jurisdictions itself (names and codes) is reference data, readable by everyone.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from decimal import Decimal
from typing import Any

from sqlalchemy import Table, and_, case, distinct, func, not_, select
from sqlmodel import Session, SQLModel

import db.models  # noqa: F401  (registers every table on SQLModel.metadata)
from db.codes import ActionKind, JurisdictionKind, MonthlyStatus, RiskClass
from db.rules.access import Principal, narrow, require_county_wide, require_read
from db.rules.metrics import (
    Problem,
    cert_problem,
    count_if,
    inspected_by_or_jointly,
    is_registered_to,
    rectified_by,
    registered_to,
)

DEFAULT_KINDS: tuple[str, ...] = (JurisdictionKind.TOWNSHIP.value, JurisdictionKind.MEMBER_UNIT.value)

_J: Table = SQLModel.metadata.tables["jurisdiction"]
_E = SQLModel.metadata.tables["enterprise"]
_I = SQLModel.metadata.tables["inspection"]
_F = SQLModel.metadata.tables["finding"]
_C = SQLModel.metadata.tables["certificatecheck"]
_A = SQLModel.metadata.tables["enforcementaction"]
_M = SQLModel.metadata.tables["monthlyreport"]
_P = SQLModel.metadata.tables["campaignphase"]

_MONTH_RE = re.compile(r"^(\d{4})-(\d{1,2})$")


class MonthFormatError(ValueError):
    """A month that is not `YYYY-MM`; the message is Chinese, for the user."""


@dataclass(frozen=True)
class Month:
    """A calendar month: `label` is `YYYY-MM`, `first` and `last` its first and last day."""

    label: str
    first: dt.date
    last: dt.date


def parse_month(text: str) -> Month:
    """`2023-05` (or `2023-5`) → Month; anything else raises MonthFormatError."""
    match = _MONTH_RE.match(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise MonthFormatError(f"月份格式不正确：{text!r}，应为 YYYY-MM，例如 2023-05")
    year, month = int(match.group(1)), int(match.group(2))
    return Month(
        f"{year:04d}-{month:02d}",
        dt.date(year, month, 1),
        dt.date(year, month, calendar.monthrange(year, month)[1]),
    )


# --- read models ------------------------------------------------------------------------------


@dataclass(frozen=True)
class JurisdictionRef:
    id: int
    code: str
    name: str
    kind: str  # JurisdictionKind
    sort_order: int

    @property
    def kind_label(self) -> str:
        return JurisdictionKind(self.kind).label


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


# --- helpers ----------------------------------------------------------------------------------


def list_jurisdictions(
    session: Session,
    *,
    kinds: Sequence[str] | None = DEFAULT_KINDS,
    ids: Iterable[int] | None = None,
    active_only: bool = True,
) -> list[JurisdictionRef]:
    """Jurisdictions in `sort_order` (townships, then member units by default)."""
    stmt = select(_J.c.id, _J.c.code, _J.c.name, _J.c.kind, _J.c.sort_order).order_by(
        _J.c.sort_order, _J.c.id
    )
    if kinds is not None:
        stmt = stmt.where(_J.c.kind.in_(list(kinds)))
    if ids is not None:
        stmt = stmt.where(_J.c.id.in_(list(ids)))
    if active_only:
        stmt = stmt.where(_J.c.active)
    return [JurisdictionRef(r.id, r.code, r.name, r.kind, r.sort_order) for r in session.execute(stmt)]


def is_empty(session: Session) -> bool:
    """True when no jurisdiction exists yet (nothing seeded or imported)."""
    return session.execute(select(_J.c.id).limit(1)).first() is None


def campaign_months(session: Session) -> list[str]:
    """`YYYY-MM` of the active campaign's enforcement phase (the months that have tables)."""
    row = session.execute(
        select(_P.c.starts_on, _P.c.ends_on)
        .where(_P.c.code == "enforcement")
        .order_by(_P.c.campaign_id.desc())
    ).first()
    if row is None:
        return []
    months: list[str] = []
    year, month = row.starts_on.year, row.starts_on.month
    while (year, month) <= (row.ends_on.year, row.ends_on.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


# --- the summary ------------------------------------------------------------------------------


def township_month_summary(
    session: Session,
    *,
    principal: Principal,
    month: str,
    jurisdiction_ids: Iterable[int] | None = None,
    as_of: dt.date | None = None,
    kinds: Sequence[str] | None = DEFAULT_KINDS,
) -> list[JurisdictionMonthRow]:
    """Per jurisdiction, the month's coverage, findings, checks, actions and table status.

    `month` is `YYYY-MM` (MonthFormatError otherwise); `as_of` (default: the month's last day)
    fixes the date for open / rectified / overdue findings. `jurisdiction_ids` narrows the rows;
    by default every active township and member unit is listed, also those with nothing to show.
    Only jurisdictions the principal may read are listed.
    """
    m = parse_month(month)
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
        ).where(_M.c.jurisdiction_id.in_(wanted), _M.c.month == m.label)
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
                month=m.label,
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
    month: str,
    as_of: dt.date | None = None,
    rows: Sequence[JurisdictionMonthRow] | None = None,
) -> CountyTotals:
    """The whole county in one month; an enterprise inspected by several units counts once.

    Additive figures (findings, checks, actions, statuses) are summed over the townships and member
    units; pass `rows` (the unfiltered `township_month_summary` of the same month and `as_of`) to
    avoid computing them twice. AccessDenied for township and unit staff.
    """
    require_county_wide(principal)
    m = parse_month(month)
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
        month=m.label,
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


def monthly_status_grid(
    session: Session,
    *,
    principal: Principal,
    months: Sequence[str],
    jurisdiction_ids: Iterable[int] | None = None,
    kinds: Sequence[str] | None = DEFAULT_KINDS,
) -> list[StatusCell]:
    """Every readable (jurisdiction, month) with its table status, 未报 where no row exists.

    Ordered by jurisdiction `sort_order`, then month as given.
    """
    labels = [parse_month(m).label for m in months]
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


# --- drill-down lists -------------------------------------------------------------------------

_TI = SQLModel.metadata.tables["traininginstitution"]


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
    session: Session, *, principal: Principal, month: str, jurisdiction_id: int, limit: int = 1000
) -> list[EnterpriseRef]:
    """High-risk and 工贸 enterprises registered to the jurisdiction and not inspected in the month.

    "Inspected" as in `township_month_summary`: by the jurisdiction itself or jointly.
    AccessDenied for another township's or unit's list.
    """
    require_read(principal, jurisdiction_id)
    m = parse_month(month)
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


# --- county figures that are not the sum of the units ----------------------------------------

# 检查生产经营单位 and its 其中 columns: the county counts each enterprise once (全县（去重）); the units'
# tables count an enterprise for every unit it belongs to, and a joint inspection for every party
# (各单位合计). Wherever a county total of these is shown, both figures are named.
NOT_ADDITIVE: tuple[tuple[str, str], ...] = (
    ("enterprises_inspected", "检查生产经营单位"),
    ("high_risk_inspected", "其中高危行业"),
    ("industry_trade_inspected", "其中工贸行业"),
)
UNITS_SUM_EXPLAINED = "各单位合计中，同一企业归属乡镇和行业部门时两处都计，联合检查各方都计"


@dataclass(frozen=True)
class CountyVsUnits:
    """One county figure that is not the sum of the units: both numbers, each named."""

    key: str
    label: str
    county: int  # 全县（去重）: distinct enterprises
    units: int  # 各单位合计: the sum over the units' rows

    @property
    def text(self) -> str:
        return f"全县（去重）{self.county}；各单位合计 {self.units}"

    @property
    def line(self) -> str:
        return f"{self.label}：{self.text}"


def county_vs_units(*, county: Any, units_sum: dict[str, int]) -> list[CountyVsUnits]:
    """`county` has the distinct counts as attributes (CountyTotals, overview.MonthTrend);
    `units_sum` the same keys summed over the units (rows or exported sheets)."""
    return [
        CountyVsUnits(key, label, int(getattr(county, key)), int(units_sum.get(key, 0)))
        for key, label in NOT_ADDITIVE
    ]


def units_sum(rows: Iterable[Any]) -> dict[str, int]:
    """The NOT_ADDITIVE figures summed over per-unit rows (JurisdictionMonthRow)."""
    listed = list(rows)
    return {key: sum(int(getattr(r, key)) for r in listed) for key, _ in NOT_ADDITIVE}


def county_vs_units_text(figures: Sequence[CountyVsUnits]) -> str:
    """One sentence for a caption, a note cell or a CLI line."""
    return "。".join(f.line for f in figures) + f"。{UNITS_SUM_EXPLAINED}。"
