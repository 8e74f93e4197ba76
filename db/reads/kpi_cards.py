"""The county's KPI cards for a month, each with last month's value for the change.

Same numbers as `db.reads.month_figures.county_totals` (the tests hold them equal), read in one
grouped pass by `db.reads.month_trends.county_trends`. County-wide: AccessDenied for township and
unit staff.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlmodel import Session

from anpei.periods import Month
from db.reads.campaign_calendar import CampaignInfo, begun_months
from db.reads.month_figures import CountyTotals
from db.reads.month_trends import MonthTrend, county_trends, rate
from db.rules.access import Principal


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


def _kpis_of(t: CountyTotals | MonthTrend) -> dict[str, tuple[float, str]]:
    return {
        "enterprises_inspected": (t.enterprises_inspected, f"在册 {t.enterprises_registered} 家"),
        "high_risk_coverage": (
            rate(t.high_risk_inspected, t.high_risk_registered),
            f"{t.high_risk_inspected} / {t.high_risk_registered} 家",
        ),
        "industry_trade_coverage": (
            rate(t.industry_trade_inspected, t.industry_trade_registered),
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


def county_kpis(
    session: Session, *, principal: Principal, month: Month, as_of: dt.date | None = None
) -> list[Kpi]:
    """The KPI cards of the county for `month`, each with last month's value for the change.

    Same numbers as `county_totals` (the tests hold them equal), read in one grouped pass
    over both months by `county_trends`.
    """
    return kpis_from_trends(
        county_trends(session, principal=principal, months=[month.previous(), month], as_of=as_of),
        month=month,
    )


def trend_months(campaign: CampaignInfo, *, month: Month, as_of: dt.date) -> list[Month]:
    """The months the overview reads in one pass: enforcement months begun by `as_of`, plus the
    chosen month and the one before (for the KPI cards' change)."""
    begun = begun_months(campaign.enforcement_months, as_of)
    return sorted({*begun, month, month.previous()})


def kpis_from_trends(trends: Sequence[MonthTrend], *, month: Month) -> list[Kpi]:
    """KPI cards from already-read month rows (they must include `month` and the month before)."""
    by_month = {t.month: t for t in trends}
    now, before = by_month[str(month)], by_month.get(str(month.previous()))
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
