"""Read services behind the leadership dashboard's 总览 and township pages (Streamlit-free).

Built on `db.reads.queries` (same definitions: see its module docstring) and adding what a leader's
page needs: the campaign and its timeline, KPI cards with the change from last month, the
jurisdiction × month grid of monthly tables as of a date, a ranking, trend series, and the rows
behind every number. Aggregation happens in SQL; Python only arranges grouped rows. Results are
frozen dataclasses or `Table`s (column labels in Chinese, plain values), never ORM rows.

Every function returning campaign data takes the acting `principal` (`db.rules.access`). County-wide
figures (KPIs, trends) need a role that reads every jurisdiction; the grid and rankings list only
readable jurisdictions; one jurisdiction's rows (detail, mix, checks, tables) raise AccessDenied for
another township's or unit's staff. Campaigns and jurisdiction codes are reference data.
"""

from __future__ import annotations

import calendar
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, and_, case, distinct, func, literal, not_, select, union_all
from sqlmodel import Session, SQLModel

from anpei import clock
from anpei.masking import mask_id, mask_ids_in
from db.codes import ActionKind, FindingStatus, JurisdictionKind, MonthlyStatus, RiskClass
from db.reads import queries
from db.rules.access import Principal, require_county_wide, require_read
from db.rules.metrics import (
    Problem,
    cert_problem,
    count_if,
    inspected_by_or_jointly,
    is_registered_to,
    rectified_by,
)

_CAMPAIGN = SQLModel.metadata.tables["campaign"]
_PHASE = SQLModel.metadata.tables["campaignphase"]
_J = SQLModel.metadata.tables["jurisdiction"]
_E = SQLModel.metadata.tables["enterprise"]
_TI = SQLModel.metadata.tables["traininginstitution"]
_I = SQLModel.metadata.tables["inspection"]
_F = SQLModel.metadata.tables["finding"]
_C = SQLModel.metadata.tables["certificatecheck"]
_A = SQLModel.metadata.tables["enforcementaction"]
_M = SQLModel.metadata.tables["monthlyreport"]
_P = SQLModel.metadata.tables["person"]

# A jurisdiction is "behind" in a month below this coverage of its high-risk and 工贸 enterprises,
# with its table missing or late, or with at least this many overdue findings.
BEHIND_COVERAGE = 0.6
BEHIND_OVERDUE = 10
DETAIL_LIMIT = 2000


# --- the campaign -------------------------------------------------------------------------------


@dataclass(frozen=True)
class PhaseRef:
    seq: int
    code: str
    name: str
    starts_on: dt.date
    ends_on: dt.date
    description: str


@dataclass(frozen=True)
class CampaignInfo:
    """A campaign with its phases; months and quarters are derived from the dates."""

    id: int
    code: str
    name: str
    notice_ref: str
    issuer: str
    starts_on: dt.date
    ends_on: dt.date
    summary_due_on: dt.date
    monthly_due_day: int
    active: bool
    phases: tuple[PhaseRef, ...] = ()

    @property
    def months(self) -> list[str]:
        """Every `YYYY-MM` from the campaign's start to its end."""
        return months_between(self.starts_on, self.ends_on)

    @property
    def enforcement_months(self) -> list[str]:
        """Months of the 执法检查 phase (the ones with monthly tables)."""
        out: list[str] = []
        for phase in self.phases:
            if phase.code == "enforcement":
                out += [m for m in months_between(phase.starts_on, phase.ends_on) if m not in out]
        return out

    @property
    def quarters(self) -> list[str]:
        """`YYYYQn` of every quarter with an enforcement month, in order."""
        out: list[str] = []
        for month in self.enforcement_months:
            label = quarter_of(month)
            if label not in out:
                out.append(label)
        return out

    def due_date(self, month: str) -> dt.date:
        """The day a month's 汇总表 is due: `monthly_due_day` of the following month."""
        last = queries.parse_month(month).last
        nxt = last + dt.timedelta(days=1)
        day = min(self.monthly_due_day, calendar.monthrange(nxt.year, nxt.month)[1])
        return nxt.replace(day=max(1, day))


def months_between(first: dt.date, last: dt.date) -> list[str]:
    out: list[str] = []
    year, month = first.year, first.month
    while (year, month) <= (last.year, last.month):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


def previous_month(month: str) -> str:
    first = queries.parse_month(month).first
    return f"{(first - dt.timedelta(days=1)):%Y-%m}"


def quarter_of(month: str) -> str:
    m = queries.parse_month(month)
    return f"{m.first.year}Q{(m.first.month - 1) // 3 + 1}"


QUARTER_NAMES = {1: "第一季度", 2: "第二季度", 3: "第三季度", 4: "第四季度"}


def quarter_label(quarter: str) -> str:
    """`2023Q2` → `2023年第二季度`."""
    return f"{quarter[:4]}年{QUARTER_NAMES[int(quarter[-1])]}"


def month_label(month: str) -> str:
    """`2023-05` → `2023年5月`."""
    m = queries.parse_month(month)
    return f"{m.first.year}年{m.first.month}月"


def list_campaigns(session: Session) -> list[CampaignInfo]:
    """Every campaign, active ones first, newest first, each with its phases."""
    rows = session.execute(
        select(_CAMPAIGN).order_by(
            _CAMPAIGN.c.active.desc(), _CAMPAIGN.c.starts_on.desc(), _CAMPAIGN.c.id.desc()
        )
    ).mappings()
    campaigns = list(rows)
    phases: dict[int, list[PhaseRef]] = {}
    for p in session.execute(select(_PHASE).order_by(_PHASE.c.campaign_id, _PHASE.c.seq)).mappings():
        phases.setdefault(p["campaign_id"], []).append(
            PhaseRef(p["seq"], p["code"], p["name"], p["starts_on"], p["ends_on"], p["description"] or "")
        )
    return [
        CampaignInfo(
            id=c["id"],
            code=c["code"],
            name=c["name"],
            notice_ref=c["notice_ref"] or "",
            issuer=c["issuer"] or "",
            starts_on=c["starts_on"],
            ends_on=c["ends_on"],
            summary_due_on=c["summary_due_on"],
            monthly_due_day=int(c["monthly_due_day"]),
            active=bool(c["active"]),
            phases=tuple(phases.get(c["id"], [])),
        )
        for c in campaigns
    ]


def get_campaign(session: Session, *, campaign_id: int | None = None) -> CampaignInfo | None:
    """The campaign with `campaign_id`, or the first active one; None when there is none."""
    campaigns = list_campaigns(session)
    if campaign_id is not None:
        return next((c for c in campaigns if c.id == campaign_id), None)
    return campaigns[0] if campaigns else None


def default_as_of(campaign: CampaignInfo, *, today: dt.date) -> dt.date:
    """截至日期 by default: today, but never after the campaign's end (so old data looks live)."""
    return max(campaign.starts_on, min(today, campaign.ends_on))


def default_month(campaign: CampaignInfo, *, as_of: dt.date) -> str:
    """The latest enforcement month begun by `as_of`; else the latest campaign month by then."""
    started = [m for m in campaign.enforcement_months if queries.parse_month(m).first <= as_of]
    if started:
        return started[-1]
    if campaign.enforcement_months and as_of < queries.parse_month(campaign.enforcement_months[0]).first:
        months = [m for m in campaign.months if queries.parse_month(m).first <= as_of]
        return months[-1] if months else campaign.months[0]
    return campaign.enforcement_months[-1] if campaign.enforcement_months else campaign.months[-1]


def default_quarter(campaign: CampaignInfo, *, as_of: dt.date) -> str | None:
    quarters = campaign.quarters
    if not quarters:
        return None
    begun = [x for x in quarters if quarter_bounds(x)[0] <= as_of]
    return begun[-1] if begun else quarters[0]


def quarter_bounds(quarter: str) -> tuple[dt.date, dt.date]:
    year, n = int(quarter[:4]), int(quarter[-1])
    first = dt.date(year, 3 * n - 2, 1)
    last_month = 3 * n
    return first, dt.date(year, last_month, calendar.monthrange(year, last_month)[1])


# --- timeline -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Deadline:
    on: dt.date
    label: str
    kind: str  # monthly / summary


@dataclass(frozen=True)
class PhaseState:
    phase: PhaseRef
    state: str  # done / current / upcoming

    @property
    def state_label(self) -> str:
        return {"done": "已结束", "current": "进行中", "upcoming": "未开始"}[self.state]


@dataclass(frozen=True)
class Timeline:
    today: dt.date
    phases: tuple[PhaseState, ...]
    deadlines: tuple[Deadline, ...]
    next_deadline: Deadline | None

    @property
    def current(self) -> PhaseRef | None:
        return next((p.phase for p in self.phases if p.state == "current"), None)

    @property
    def days_to_next(self) -> int | None:
        return (self.next_deadline.on - self.today).days if self.next_deadline else None


def campaign_deadlines(campaign: CampaignInfo) -> list[Deadline]:
    """Each enforcement month's 汇总表 due date and the summary report's, in date order."""
    out = [
        Deadline(campaign.due_date(m), f"{month_label(m)}汇总表报送截止", "monthly")
        for m in campaign.enforcement_months
    ]
    out.append(Deadline(campaign.summary_due_on, "总结报告报送截止", "summary"))
    return sorted(out, key=lambda d: d.on)


def timeline(campaign: CampaignInfo, *, today: dt.date) -> Timeline:
    """Phases marked done / current / upcoming on `today`, and the next deadline on or after it."""
    states = tuple(
        PhaseState(p, "done" if p.ends_on < today else "upcoming" if p.starts_on > today else "current")
        for p in campaign.phases
    )
    deadlines = tuple(campaign_deadlines(campaign))
    upcoming = [d for d in deadlines if d.on >= today]
    return Timeline(today, states, deadlines, upcoming[0] if upcoming else None)


# --- KPI cards ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Kpi:
    """One card: `value` this month, `previous` last month; `unit` is `%` for rates (0..1)."""

    code: str
    group: str
    label: str
    value: float
    previous: float | None
    unit: str = ""
    lower_is_better: bool = False
    note: str = ""

    @property
    def delta(self) -> float | None:
        return None if self.previous is None else self.value - self.previous


KPI_GROUPS = ("检查覆盖", "问题整改", "持证核查", "执法处罚")


def _rate(num: int, den: int) -> float:
    return num / den if den else 0.0


def _kpis_of(t: queries.CountyTotals | MonthTrend) -> dict[str, tuple[float, str]]:
    return {
        "enterprises_inspected": (t.enterprises_inspected, f"在册 {t.enterprises_registered} 家"),
        "high_risk_coverage": (
            _rate(t.high_risk_inspected, t.high_risk_registered),
            f"{t.high_risk_inspected} / {t.high_risk_registered} 家",
        ),
        "industry_trade_coverage": (
            _rate(t.industry_trade_inspected, t.industry_trade_registered),
            f"{t.industry_trade_inspected} / {t.industry_trade_registered} 家",
        ),
        "findings_open": (t.findings_open, "截至月末"),
        "findings_rectified": (t.findings_rectified, "截至月末累计"),
        "findings_overdue": (t.findings_overdue, "超过整改期限仍未整改"),
        "workers_checked": (t.workers_checked, "本月核查人次"),
        "unlicensed": (t.unlicensed, "特种作业人员"),
        "suspected_fake": (t.suspected_fake, "特种作业人员"),
        "managers_overdue": (t.managers_overdue, "任职满6个月未考核合格"),
        "cases": (t.cases, "本月"),
        "fines": (float(t.fines_yuan) / 10000, "本月，万元"),
        "exposures": (t.exposures, "互联网+执法平台"),
        "blacklisted": (t.blacklisted, "纳入信用黑名单"),
    }


# code → (group, label, unit, lower_is_better)
KPI_DEFS: dict[str, tuple[str, str, str, bool]] = {
    "enterprises_inspected": ("检查覆盖", "检查生产经营单位", "家", False),
    "high_risk_coverage": ("检查覆盖", "高危行业检查覆盖率", "%", False),
    "industry_trade_coverage": ("检查覆盖", "工贸行业检查覆盖率", "%", False),
    "findings_open": ("问题整改", "问题整改中", "条", True),
    "findings_rectified": ("问题整改", "问题已整改", "条", False),
    "findings_overdue": ("问题整改", "逾期未整改", "条", True),
    "workers_checked": ("持证核查", "核查特种作业人员", "人次", False),
    "unlicensed": ("持证核查", "无证上岗", "人", True),
    "suspected_fake": ("持证核查", "疑似持假证", "人", True),
    "managers_overdue": ("持证核查", "负责人逾期未考核", "人", True),
    "cases": ("执法处罚", "立案", "起", False),
    "fines": ("执法处罚", "罚款", "万元", False),
    "exposures": ("执法处罚", "曝光", "起", False),
    "blacklisted": ("执法处罚", "黑名单", "家", False),
}


def month_as_of(month: str, as_of: dt.date | None) -> dt.date:
    """The date a month is read at: its last day, or `as_of` when that is earlier."""
    last = queries.parse_month(month).last
    return min(last, as_of) if as_of else last


def county_kpis(
    session: Session, *, principal: Principal, month: str, as_of: dt.date | None = None
) -> list[Kpi]:
    """The KPI cards of the county for `month`, each with last month's value for the change.

    Same numbers as `queries.county_totals` (the tests hold them equal), read in one grouped pass
    over both months by `county_trends`.
    """
    return kpis_from_trends(
        county_trends(session, principal=principal, months=[previous_month(month), month], as_of=as_of),
        month=month,
    )


def trend_months(campaign: CampaignInfo, *, month: str, as_of: dt.date) -> list[str]:
    """The months the overview reads in one pass: enforcement months begun by `as_of`, plus the
    chosen month and the one before (for the KPI cards' change)."""
    begun = [m for m in campaign.enforcement_months if queries.parse_month(m).first <= as_of]
    return sorted({*begun, month, previous_month(month)})


def kpis_from_trends(trends: Sequence[MonthTrend], *, month: str) -> list[Kpi]:
    """KPI cards from already-read month rows (they must include `month` and the month before)."""
    by_month = {t.month: t for t in trends}
    now, before = by_month[month], by_month.get(previous_month(month))
    cur = _kpis_of(now)
    old = _kpis_of(before) if before is not None else None
    return [
        Kpi(
            code,
            group,
            label,
            float(cur[code][0]),
            float(old[code][0]) if old else None,
            unit,
            lower,
            cur[code][1],
        )
        for code, (group, label, unit, lower) in KPI_DEFS.items()
    ]


# --- the grid of monthly tables -----------------------------------------------------------------

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
    months: Sequence[str] | None = None,
    kinds: Sequence[str] | None = queries.DEFAULT_KINDS,
) -> list[GridCell]:
    """Every readable jurisdiction × enforcement month with the table's state on `as_of`."""
    labels = list(months) if months is not None else campaign.enforcement_months
    cells = queries.monthly_status_grid(session, principal=principal, months=labels, kinds=kinds)
    out: list[GridCell] = []
    for c in cells:
        submitted = clock.local_date(c.submitted_at) if c.submitted_at else None
        state = grid_status(
            stored=c.status, submitted_on=submitted, due=campaign.due_date(c.month), as_of=as_of
        )
        out.append(
            GridCell(c.jurisdiction_id, c.jurisdiction, c.kind, c.sort_order, c.month, state, submitted)
        )
    return out


# --- ranking ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RankRow:
    """One jurisdiction in the month's ranking (by coverage of high-risk and 工贸 enterprises)."""

    rank: int | None
    jurisdiction_id: int
    code: str
    name: str
    kind: str
    targets_registered: int
    targets_inspected: int
    coverage: float | None
    enterprises_inspected: int
    findings_open: int
    findings_rectified: int
    findings_overdue: int
    rectify_rate: float | None
    unlicensed: int
    suspected_fake: int
    managers_overdue: int
    cases: int
    exposures: int
    monthly_status: str
    behind_reasons: tuple[str, ...] = ()

    @property
    def behind(self) -> bool:
        return bool(self.behind_reasons)


def rank_rows(
    rows: Sequence[queries.JurisdictionMonthRow],
    *,
    codes: dict[int, str] | None = None,
    grid: dict[int, str] | None = None,
) -> list[RankRow]:
    """Ranked by coverage (ties share a rank; no target enterprises → unranked, listed last).

    `grid` maps jurisdiction id to the table's state (GRID_LABELS key) used for the status column.
    """
    out: list[RankRow] = []
    for r in rows:
        done = r.findings_rectified + r.findings_open
        status = (grid or {}).get(r.jurisdiction_id, "on_time")
        reasons: list[str] = []
        if r.target_coverage is not None and r.target_coverage < BEHIND_COVERAGE:
            reasons.append(f"覆盖率低于{BEHIND_COVERAGE:.0%}")
        if status in ("missing", "late"):
            reasons.append(f"月报{GRID_LABELS[status]}")
        if r.findings_overdue >= BEHIND_OVERDUE:
            reasons.append(f"逾期未整改{r.findings_overdue}条")
        out.append(
            RankRow(
                rank=None,
                jurisdiction_id=r.jurisdiction_id,
                code=(codes or {}).get(r.jurisdiction_id, ""),
                name=r.jurisdiction,
                kind=r.kind,
                targets_registered=r.targets_registered,
                targets_inspected=r.targets_inspected,
                coverage=r.target_coverage,
                enterprises_inspected=r.enterprises_inspected,
                findings_open=r.findings_open,
                findings_rectified=r.findings_rectified,
                findings_overdue=r.findings_overdue,
                rectify_rate=r.findings_rectified / done if done else None,
                unlicensed=r.unlicensed,
                suspected_fake=r.suspected_fake,
                managers_overdue=r.managers_overdue,
                cases=r.cases,
                exposures=r.exposures,
                monthly_status=status,
                behind_reasons=tuple(reasons),
            )
        )
    ranked = sorted(
        out,
        key=lambda x: (
            x.coverage is None,
            -(round(x.coverage, 6) if x.coverage is not None else 0),
            x.findings_overdue,
        ),
    )
    result: list[RankRow] = []
    previous: tuple[float, int] | None = None
    rank = 0
    for position, row in enumerate(ranked, start=1):
        if row.coverage is None:
            result.append(row)
            continue
        key = (round(row.coverage, 6), row.findings_overdue)
        if key != previous:
            rank, previous = position, key
        result.append(_with_rank(row, rank))
    return result


def _with_rank(row: RankRow, rank: int) -> RankRow:
    return replace(row, rank=rank)


def jurisdiction_codes(session: Session) -> dict[int, str]:
    return {r.id: r.code for r in queries.list_jurisdictions(session, kinds=None, active_only=False)}


def month_ranking(
    session: Session,
    *,
    principal: Principal,
    campaign: CampaignInfo,
    month: str,
    as_of: dt.date,
    kind: str = JurisdictionKind.TOWNSHIP.value,
) -> list[RankRow]:
    """The month's ranking of one kind of jurisdiction, with the table state on `as_of`.

    County-wide: AccessDenied for township and unit staff (a ranking of one row says nothing).
    """
    require_county_wide(principal)
    day = month_as_of(month, as_of)
    rows = queries.township_month_summary(session, principal=principal, month=month, as_of=day, kinds=[kind])
    cells = status_grid(
        session, principal=principal, campaign=campaign, as_of=as_of, months=[month], kinds=[kind]
    )
    return ranking_of(rows, kind=kind, month=month, codes=jurisdiction_codes(session), cells=cells)


def ranking_of(
    rows: Sequence[queries.JurisdictionMonthRow],
    *,
    kind: str,
    month: str,
    codes: dict[int, str],
    cells: Sequence[GridCell],
) -> list[RankRow]:
    """`rank_rows` for one kind out of an all-kinds summary and grid already read (no queries)."""
    grid = {c.jurisdiction_id: c.status for c in cells if c.month == month}
    return rank_rows([r for r in rows if r.kind == kind], codes=codes, grid=grid)


# --- trends -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MonthTrend:
    """The county in one month (same definitions as `queries.county_totals`)."""

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
        return _rate(self.high_risk_inspected, self.high_risk_registered)

    @property
    def industry_trade_coverage(self) -> float:
        return _rate(self.industry_trade_inspected, self.industry_trade_registered)


def month_bucket(column: Any, months: Sequence[str]) -> ColumnElement[Any]:
    """A CASE mapping a date column to its `YYYY-MM` among `months` (NULL outside)."""
    whens = []
    for label in months:
        m = queries.parse_month(label)
        whens.append((column.between(m.first, m.last), literal(m.label)))
    return case(*whens, else_=None)


def _jurisdictions_of(kinds: Sequence[str] | None) -> Any:
    stmt = select(_J.c.id).where(_J.c.active)
    if kinds is not None:
        stmt = stmt.where(_J.c.kind.in_(list(kinds)))
    return stmt


def county_trends(
    session: Session,
    *,
    principal: Principal,
    months: Sequence[str],
    as_of: dt.date | None = None,
    kinds: Sequence[str] | None = queries.DEFAULT_KINDS,
) -> list[MonthTrend]:
    """One row per month: coverage, findings (stock at month end), checks and actions.

    A handful of grouped queries whatever the number of months. AccessDenied for township and
    unit staff (county-wide figures).
    """
    require_county_wide(principal)
    labels = [queries.parse_month(m).label for m in months]
    if not labels:
        return []
    first, last = queries.parse_month(labels[0]).first, queries.parse_month(labels[-1]).last
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
    for label in labels:
        m = queries.parse_month(label)
        per_month.append(
            select(literal(label).label("month"), _I.c.enterprise_id.label("eid"))
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
    owners = _jurisdictions_of(kinds)
    # findings: found in the month, and the stock at each month's end (one column per month)
    stock_cols = []
    for label in labels:
        day = month_as_of(label, as_of)
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
    month_f = month_bucket(_F.c.found_on, labels).label("month")
    merge(
        select(month_f, func.count().label("findings_found"))
        .where(_F.c.jurisdiction_id.in_(owners), _F.c.found_on.between(first, last))
        .group_by(month_f)
    )
    month_c = month_bucket(_C.c.as_of, labels).label("month")
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
    month_a = month_bucket(_A.c.action_date, labels).label("month")
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


# --- the rows behind a number -------------------------------------------------------------------


@dataclass(frozen=True)
class Table:
    """Rows for a screen or a CSV: Chinese column labels, plain values; `total` before the limit."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    total: int = 0

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


# KPI code → detail kind
DETAIL_OF: dict[str, str] = {
    "enterprises_inspected": "inspected",
    "high_risk_coverage": "inspected_high_risk",
    "industry_trade_coverage": "inspected_industry_trade",
    "findings_open": "findings_open",
    "findings_rectified": "findings_rectified",
    "findings_overdue": "findings_overdue",
    "workers_checked": "workers_checked",
    "unlicensed": "unlicensed",
    "suspected_fake": "suspected_fake",
    "managers_overdue": "managers_overdue",
    "cases": "cases",
    "fines": "fines",
    "exposures": "exposures",
    "blacklisted": "blacklisted",
}


def detail_rows(
    session: Session,
    *,
    principal: Principal,
    kind: str,
    month: str,
    as_of: dt.date | None = None,
    jurisdiction_id: int | None = None,
    kinds: Sequence[str] | None = queries.DEFAULT_KINDS,
    limit: int = DETAIL_LIMIT,
) -> Table:
    """The records a KPI counts (`kind`: a value of `DETAIL_OF`), newest first, at most `limit`.

    County-wide (`jurisdiction_id` None) the rows match `county_kpis`; for one jurisdiction they
    match its row of `queries.township_month_summary`. ID numbers are masked. Township and unit
    staff get their own jurisdiction's rows (also when asking county-wide); another's: AccessDenied.
    """
    if jurisdiction_id is None and not principal.sees_all:
        jurisdiction_id = principal.jurisdiction_id
    if jurisdiction_id is not None:
        require_read(principal, jurisdiction_id)
    m = queries.parse_month(month)
    day = month_as_of(month, as_of)
    if kind.startswith("inspected"):
        return _inspected_rows(session, kind=kind, m=m, jurisdiction_id=jurisdiction_id, limit=limit)
    if kind.startswith("findings"):
        return _finding_rows(
            session, kind=kind, day=day, jurisdiction_id=jurisdiction_id, kinds=kinds, limit=limit
        )
    if kind in ("workers_checked", "unlicensed", "suspected_fake", "managers_overdue"):
        return _check_rows(session, kind=kind, m=m, jurisdiction_id=jurisdiction_id, kinds=kinds, limit=limit)
    if kind in ("cases", "fines", "exposures", "blacklisted", "orders"):
        return _action_rows(
            session, kind=kind, m=m, jurisdiction_id=jurisdiction_id, kinds=kinds, limit=limit
        )
    raise ValueError(f"未知的明细类型：{kind}")


def _table(
    session: Session, stmt: Any, count_stmt: Any, columns: tuple[str, ...], limit: int, convert: Any = None
) -> Table:
    total = int(session.execute(count_stmt).scalar_one())
    rows = [tuple(r) for r in session.execute(stmt.limit(limit))]
    if convert is not None:
        rows = [convert(r) for r in rows]
    return Table(columns, rows, total)


def _inspected_rows(
    session: Session, *, kind: str, m: queries.Month, jurisdiction_id: int | None, limit: int
) -> Table:
    conds: list[ColumnElement[bool]] = [_E.c.active, _I.c.inspected_on.between(m.first, m.last)]
    if kind == "inspected_high_risk":
        conds.append(_E.c.risk_class == RiskClass.HIGH_RISK.value)
    elif kind == "inspected_industry_trade":
        conds.append(_E.c.risk_class == RiskClass.INDUSTRY_TRADE.value)
    if jurisdiction_id is not None:
        # registered with the jurisdiction, inspected by it or jointly (queries' definition)
        conds.append(is_registered_to(jurisdiction_id))
        conds.append(inspected_by_or_jointly(jurisdiction_id))
    src = _E.join(_I, _I.c.enterprise_id == _E.c.id).join(_J, _J.c.id == _E.c.jurisdiction_id)
    stmt = (
        select(
            _E.c.name,
            _E.c.risk_class,
            _J.c.name,
            func.count(_I.c.id),
            func.max(_I.c.inspected_on),
            func.max(case((_I.c.joint, 1), else_=0)),
        )
        .select_from(src)
        .where(*conds)
        .group_by(_E.c.id, _E.c.name, _E.c.risk_class, _J.c.name)
        .order_by(func.max(_I.c.inspected_on).desc(), _E.c.name)
    )
    count = select(func.count(distinct(_E.c.id))).select_from(src).where(*conds)

    def convert(r: tuple[Any, ...]) -> tuple[Any, ...]:
        return (r[0], RiskClass(r[1]).label, r[2], int(r[3]), r[4], "是" if r[5] else "否")

    columns = (
        "生产经营单位",
        "行业类别",
        "所在乡镇（街道）",
        "本月检查次数",
        "最近检查日期",
        "含联合执法检查",
    )
    return _table(session, stmt, count, columns, limit, convert)


def _finding_rows(
    session: Session,
    *,
    kind: str,
    day: dt.date,
    jurisdiction_id: int | None,
    kinds: Sequence[str] | None,
    limit: int,
) -> Table:
    rect = rectified_by(day)
    conds: list[ColumnElement[bool]] = [_F.c.found_on <= day]
    conds.append(
        _F.c.jurisdiction_id == jurisdiction_id
        if jurisdiction_id is not None
        else _F.c.jurisdiction_id.in_(_jurisdictions_of(kinds))
    )
    if kind == "findings_open":
        conds.append(not_(rect))
    elif kind == "findings_overdue":
        conds += [not_(rect), _F.c.deadline < day]
    else:
        conds.append(rect)
    src = (
        _F.join(_J, _J.c.id == _F.c.jurisdiction_id)
        .outerjoin(_E, _E.c.id == _F.c.enterprise_id)
        .outerjoin(_TI, _TI.c.id == _F.c.institution_id)
    )
    stmt = (
        select(
            _J.c.name,
            func.coalesce(_E.c.name, _TI.c.name, ""),
            _F.c.description,
            _F.c.found_on,
            _F.c.deadline,
            _F.c.responsible_person,
            _F.c.status,
            _F.c.rectified_on,
        )
        .select_from(src)
        .where(*conds)
        .order_by(_F.c.deadline.asc(), _F.c.id)
    )
    count = select(func.count()).select_from(_F).where(*conds)

    def convert(r: tuple[Any, ...]) -> tuple[Any, ...]:
        deadline = r[4]
        open_ = kind != "findings_rectified"
        late = (day - deadline).days if open_ and deadline is not None and deadline < day else 0
        status = "整改中" if open_ else FindingStatus(r[6]).label if r[6] != "open" else "已整改"
        return (r[0], r[1], r[2], r[3], deadline, r[5], status, r[7], late)

    columns = (
        "责任单位",
        "检查对象",
        "问题",
        "发现日期",
        "整改期限",
        "整改责任人",
        "状态",
        "整改完成日期",
        "逾期天数",
    )
    return _table(session, stmt, count, columns, limit, convert)


_CHECK_CONDITION: dict[str, Any] = {
    "workers_checked": lambda: _C.c.family == "special",
    "unlicensed": lambda: cert_problem(Problem.UNLICENSED),
    "suspected_fake": lambda: cert_problem(Problem.FAKE),
    "managers_overdue": lambda: cert_problem(Problem.MANAGER_OVERDUE),
}


def _check_rows(
    session: Session,
    *,
    kind: str,
    m: queries.Month,
    jurisdiction_id: int | None,
    kinds: Sequence[str] | None,
    limit: int,
) -> Table:
    conds: list[ColumnElement[bool]] = [_C.c.as_of.between(m.first, m.last), _CHECK_CONDITION[kind]()]
    conds.append(
        _C.c.jurisdiction_id == jurisdiction_id
        if jurisdiction_id is not None
        else _C.c.jurisdiction_id.in_(_jurisdictions_of(kinds))
    )
    src = (
        _C.outerjoin(_P, _P.c.id == _C.c.person_id)
        .outerjoin(_E, _E.c.id == _C.c.enterprise_id)
        .outerjoin(_J, _J.c.id == _C.c.jurisdiction_id)
    )
    stmt = (
        select(
            _C.c.as_of,
            _J.c.name,
            _E.c.name,
            _P.c.name,
            _P.c.id_number,
            _C.c.item,
            _C.c.problem,
            _C.c.explanation,
        )
        .select_from(src)
        .where(*conds)
        .order_by(_C.c.as_of.desc(), _C.c.id)
    )
    count = select(func.count()).select_from(_C).where(*conds)

    def convert(r: tuple[Any, ...]) -> tuple[Any, ...]:
        return (
            r[0],
            r[1],
            r[2],
            r[3],
            mask_id(r[4]),
            r[5] or "",
            r[6] or "无",
            mask_ids_in(r[7] or ""),
        )

    columns = ("核查日期", "核查单位", "生产经营单位", "姓名", "身份证号", "操作项目", "问题", "核查结论")
    return _table(session, stmt, count, columns, limit, convert)


_ACTION_KIND = {
    "cases": ActionKind.CASE,
    "fines": ActionKind.FINE,
    "exposures": ActionKind.EXPOSURE,
    "blacklisted": ActionKind.BLACKLIST,
    "orders": ActionKind.ORDER_RECTIFY,
}


def _action_rows(
    session: Session,
    *,
    kind: str,
    m: queries.Month,
    jurisdiction_id: int | None,
    kinds: Sequence[str] | None,
    limit: int,
) -> Table:
    conds: list[ColumnElement[bool]] = [
        _A.c.action_date.between(m.first, m.last),
        _A.c.kind == _ACTION_KIND[kind].value,
        _A.c.jurisdiction_id == jurisdiction_id
        if jurisdiction_id is not None
        else _A.c.jurisdiction_id.in_(_jurisdictions_of(kinds)),
    ]
    src = (
        _A.join(_J, _J.c.id == _A.c.jurisdiction_id)
        .outerjoin(_E, _E.c.id == _A.c.enterprise_id)
        .outerjoin(_TI, _TI.c.id == _A.c.institution_id)
    )
    stmt = (
        select(
            _A.c.action_date,
            _J.c.name,
            func.coalesce(_E.c.name, _TI.c.name, ""),
            _A.c.kind,
            _A.c.fine_amount,
            _A.c.case_ref,
        )
        .select_from(src)
        .where(*conds)
        .order_by(_A.c.action_date.desc(), _A.c.id)
    )
    count = select(func.count()).select_from(_A).where(*conds)

    def convert(r: tuple[Any, ...]) -> tuple[Any, ...]:
        amount = float(r[4]) if r[4] is not None else None
        return (r[0], r[1], r[2], ActionKind(r[3]).label, amount, r[5])

    columns = ("日期", "执法单位", "对象", "类别", "罚款金额（元）", "文号")
    return _table(session, stmt, count, columns, limit, convert)


# --- one jurisdiction ---------------------------------------------------------------------------


@dataclass(frozen=True)
class EnterpriseMix:
    """A jurisdiction's registered enterprises by class and how many the campaign reached."""

    risk_class: str
    registered: int
    inspected_in_month: int
    inspected_in_campaign: int

    @property
    def label(self) -> str:
        return RiskClass(self.risk_class).label


def enterprise_mix(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    month: str,
    campaign_months: Sequence[str],
) -> list[EnterpriseMix]:
    """Registered enterprises of a jurisdiction by risk class; inspected in the month and campaign."""
    require_read(principal, jurisdiction_id)
    m = queries.parse_month(month)
    first = queries.parse_month(campaign_months[0]).first if campaign_months else m.first
    last = queries.parse_month(campaign_months[-1]).last if campaign_months else m.last
    mine = is_registered_to(jurisdiction_id)
    by_us = inspected_by_or_jointly(jurisdiction_id)
    registered = {
        r[0]: int(r[1])
        for r in session.execute(
            select(_E.c.risk_class, func.count()).where(_E.c.active, mine).group_by(_E.c.risk_class)
        )
    }
    src = _E.join(_I, _I.c.enterprise_id == _E.c.id)
    inspected = {
        r[0]: (int(r[1]), int(r[2]))
        for r in session.execute(
            select(
                _E.c.risk_class,
                func.count(distinct(case((_I.c.inspected_on.between(m.first, m.last), _E.c.id)))),
                func.count(distinct(_E.c.id)),
            )
            .select_from(src)
            .where(_E.c.active, mine, by_us, _I.c.inspected_on.between(first, last))
            .group_by(_E.c.risk_class)
        )
    }
    return [
        EnterpriseMix(rc.value, int(registered.get(rc.value, 0)), *inspected.get(rc.value, (0, 0)))
        for rc in RiskClass
    ]


def jurisdiction_months(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    months: Sequence[str],
    as_of: dt.date | None = None,
) -> list[queries.JurisdictionMonthRow]:
    """The jurisdiction's row of `township_month_summary` for each month (any kind)."""
    require_read(principal, jurisdiction_id)
    out: list[queries.JurisdictionMonthRow] = []
    for month in months:
        rows = queries.township_month_summary(
            session,
            principal=principal,
            month=month,
            jurisdiction_ids=[jurisdiction_id],
            as_of=month_as_of(month, as_of),
            kinds=None,
        )
        out += rows
    return out


def certificate_outcomes(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    first: dt.date,
    last: dt.date,
) -> Table:
    """Certificate checks by the jurisdiction in [first, last], counted by family and problem."""
    require_read(principal, jurisdiction_id)
    problem = func.coalesce(func.nullif(_C.c.problem, ""), "无问题")
    stmt = (
        select(_C.c.family, problem.label("problem"), func.count(), func.count(distinct(_C.c.person_id)))
        .where(_C.c.jurisdiction_id == jurisdiction_id, _C.c.as_of.between(first, last))
        .group_by(_C.c.family, problem)
        .order_by(_C.c.family.desc(), func.count().desc())
    )
    family = {"special": "特种作业人员", "safety": "主要负责人和安全生产管理人员"}
    rows = [(family.get(r[0], r[0]), r[1], int(r[2]), int(r[3])) for r in session.execute(stmt)]
    return Table(("人员类别", "核查结果", "核查人次", "涉及人数"), rows, len(rows))


def problem_checks(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    first: dt.date,
    last: dt.date,
    limit: int = DETAIL_LIMIT,
) -> Table:
    """Checks by the jurisdiction with a problem (无证上岗, 疑似持假证, …), newest first, IDs masked."""
    require_read(principal, jurisdiction_id)
    conds = [_C.c.jurisdiction_id == jurisdiction_id, _C.c.as_of.between(first, last), _C.c.problem != ""]
    src = _C.outerjoin(_P, _P.c.id == _C.c.person_id).outerjoin(_E, _E.c.id == _C.c.enterprise_id)
    stmt = (
        select(_C.c.as_of, _E.c.name, _P.c.name, _P.c.id_number, _C.c.item, _C.c.problem, _C.c.explanation)
        .select_from(src)
        .where(*conds)
        .order_by(_C.c.as_of.desc(), _C.c.id)
    )
    count = select(func.count()).select_from(_C).where(*conds)

    def convert(r: tuple[Any, ...]) -> tuple[Any, ...]:
        return (r[0], r[1], r[2], mask_id(r[3]), r[4] or "", r[5], mask_ids_in(r[6] or ""))

    columns = ("核查日期", "生产经营单位", "姓名", "身份证号", "操作项目", "问题", "核查结论")
    return _table(session, stmt, count, columns, limit, convert)


def monthly_reports(
    session: Session, *, principal: Principal, jurisdiction_id: int, months: Sequence[str]
) -> Table:
    """The jurisdiction's 汇总表 rows for `months` (未报 where none)."""
    require_read(principal, jurisdiction_id)
    stored = {
        r["month"]: r
        for r in session.execute(
            select(_M).where(_M.c.jurisdiction_id == jurisdiction_id, _M.c.month.in_(list(months)))
        ).mappings()
    }
    rows: list[tuple[Any, ...]] = []
    for month in months:
        r = stored.get(month)
        if r is None:
            rows.append(
                (month, MonthlyStatus.UNREPORTED.label, None, None, None, None, None, None, None, None, "")
            )
            continue
        submitted = clock.local_date(r["submitted_at"]) if r["submitted_at"] else None
        rows.append(
            (
                month,
                MonthlyStatus(r["status"]).label,
                submitted,
                r["enterprises_inspected"],
                r["high_risk_inspected"] + r["industry_trade_inspected"],
                r["problems_found"],
                r["rectified"],
                r["unlicensed"],
                r["suspected_fake"],
                float(r["fines_wan"]),
                r["filled_by"],
            )
        )
    columns = (
        "月份",
        "状态",
        "报送日期",
        "检查生产经营单位数",
        "其中高危、工贸",
        "发现问题数",
        "已整改数",
        "无证上岗人数",
        "疑似持假证人数",
        "罚款金额（万元）",
        "填报人",
    )
    return Table(columns, rows, len(rows))
