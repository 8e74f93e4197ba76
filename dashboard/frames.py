"""Read models → small DataFrames with Chinese column names (pure; the pages only draw them)."""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from anpei.periods import Month
from dashboard.ui import township_link
from db.codes import MonthlyStatus
from db.reads import month_figures, month_trends, one_jurisdiction, rankings, status_grid
from db.rules import scoring, scoring_ranking


def percent(share: float | None) -> float | None:
    """0..1 → 0..100 (one decimal) for progress bars; None stays None."""
    return None if share is None else round(share * 100, 1)


def short_month(month: str) -> str:
    return f"{Month.parse(month).month}月"


def ranking_frame(rows: Sequence[rankings.RankRow], *, links: bool = True) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "排名": r.rank,
                "单位": township_link(r.code, r.name) if links else r.name,
                "需关注": "；".join(r.behind_reasons),
                "高危工贸覆盖率": percent(r.coverage),
                "已检/应检": f"{r.targets_inspected}/{r.targets_registered}",
                "问题整改率": percent(r.rectify_rate),
                "逾期未整改": r.findings_overdue,
                "无证上岗": r.unlicensed,
                "疑似持假证": r.suspected_fake,
                "负责人逾期未考核": r.managers_overdue,
                "立案": r.cases,
                "月报": status_grid.GRID_LABELS[r.monthly_status],
            }
            for r in rows
        ]
    )


def grid_frame(cells: Sequence[status_grid.GridCell], *, kind: str) -> pd.DataFrame:
    """Long form: one row per jurisdiction and month (单位, 月份, 状态, 报送日期)."""
    return pd.DataFrame(
        [
            {
                "单位": c.jurisdiction,
                "月份": short_month(c.month),
                "状态": c.label,
                "报送日期": c.submitted_on.isoformat() if c.submitted_on else "",
            }
            for c in cells
            if c.kind == kind
        ],
        columns=["单位", "月份", "状态", "报送日期"],
    )


def grid_wide(cells: Sequence[status_grid.GridCell], *, kind: str) -> pd.DataFrame:
    """Wide form for the detail table and CSV: a column per month, `状态（报送日期）` in cells."""
    long = grid_frame(cells, kind=kind)
    if long.empty:
        return long
    long["内容"] = long["状态"] + long["报送日期"].map(lambda d: f"（{d[5:]}）" if d else "")
    wide = long.pivot(index="单位", columns="月份", values="内容")
    order = long["单位"].drop_duplicates().tolist()
    months = long["月份"].drop_duplicates().tolist()
    return wide.loc[order, months].reset_index()


def trend_table(trends: Sequence[month_trends.MonthTrend]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "月份": t.month,
                "检查生产经营单位": t.enterprises_inspected,
                "高危行业在册": t.high_risk_registered,
                "高危行业已检": t.high_risk_inspected,
                "高危行业覆盖率": round(t.high_risk_coverage, 4),
                "工贸行业在册": t.industry_trade_registered,
                "工贸行业已检": t.industry_trade_inspected,
                "工贸行业覆盖率": round(t.industry_trade_coverage, 4),
                "本月发现问题": t.findings_found,
                "月末整改中": t.findings_open,
                "月末逾期未整改": t.findings_overdue,
                "累计已整改": t.findings_rectified,
                "核查特种作业人员": t.workers_checked,
                "无证上岗": t.unlicensed,
                "疑似持假证": t.suspected_fake,
                "负责人逾期未考核": t.managers_overdue,
                "立案": t.cases,
                "罚款（万元）": float(t.fines_yuan) / 10000,
                "曝光": t.exposures,
                "黑名单": t.blacklisted,
            }
            for t in trends
        ]
    )


def trend_long(table: pd.DataFrame, columns: Sequence[str], *, series: str, value: str) -> pd.DataFrame:
    """Selected columns of `trend_table` melted for a chart; months as `4月`."""
    months = [short_month(m) for m in table["月份"]]
    records = [
        (month, column, number)
        for column in columns
        for month, number in zip(months, table[column].tolist(), strict=True)
    ]  # what `melt` gives, built directly: melting cost more than the rest of a chart (issue 16)
    return pd.DataFrame(records, columns=["月份", series, value])


def cluster_frame(rows: Sequence[month_figures.JurisdictionMonthRow], *, top: int = 12) -> pd.DataFrame:
    """无证上岗 / 疑似持假证 / 负责人逾期未考核 per jurisdiction (the `top` with most)."""
    records = []
    ranked = sorted(rows, key=lambda r: -(r.unlicensed + r.suspected_fake + r.managers_overdue))[:top]
    for r in ranked:
        if r.unlicensed + r.suspected_fake + r.managers_overdue == 0:
            continue
        for label, value in (
            ("无证上岗", r.unlicensed),
            ("疑似持假证", r.suspected_fake),
            ("负责人逾期未考核", r.managers_overdue),
        ):
            records.append({"单位": r.jurisdiction, "问题": label, "人数": value})
    return pd.DataFrame(records, columns=["单位", "问题", "人数"])


def enterprise_mix_frame(mix: Sequence[one_jurisdiction.EnterpriseMix]) -> pd.DataFrame:
    """A jurisdiction's registered enterprises by class and how many were inspected (township page)."""
    return pd.DataFrame(
        [
            {
                "类别": m.label,
                "在册": m.registered,
                "本月已检": m.inspected_in_month,
                "本月覆盖率": percent(m.inspected_in_month / m.registered) if m.registered else None,
                "执法检查阶段累计已检": m.inspected_in_campaign,
            }
            for m in mix
        ]
    )


def month_rows_frame(rows: Sequence[month_figures.JurisdictionMonthRow]) -> pd.DataFrame:
    """A jurisdiction's months side by side (township page)."""
    return pd.DataFrame(
        [
            {
                "月份": r.month,
                "检查记录数": r.inspections,
                "检查生产经营单位": r.enterprises_inspected,
                "高危工贸已检": r.targets_inspected,
                "高危工贸在册": r.targets_registered,
                "覆盖率": percent(r.target_coverage),
                "本月发现问题": r.findings_found,
                "月末整改中": r.findings_open,
                "月末逾期未整改": r.findings_overdue,
                "核查特种作业人员": r.workers_checked,
                "无证上岗": r.unlicensed,
                "疑似持假证": r.suspected_fake,
                "立案": r.cases,
                "罚款（万元）": float(r.fines_yuan) / 10000,
                "月报": MonthlyStatus(r.monthly_status).label,
            }
            for r in rows
        ]
    )


def rank_change_label(change: int | None, previous: int | None) -> str:
    if previous is None:
        return "—"
    if change is None:
        return "—"
    if change > 0:
        return f"↑{change}"
    if change < 0:
        return f"↓{-change}"
    return "持平"


def assessment_frame(
    scores: Sequence[scoring_ranking.JurisdictionScore], rules: scoring.ScoringRules, *, links: bool = True
) -> pd.DataFrame:
    records = []
    for s in scores:
        row: dict[str, object] = {
            "排名": s.rank,
            "单位": township_link(s.member.code, s.member.name) if links else s.member.name,
            "总分": round(s.score, 1) if s.score is not None else None,
            "等次": s.grade or ("不参与排名" if s.not_ranked else "无考核数据"),
            "排名变化": rank_change_label(s.rank_change, s.previous_rank),
            "上季度排名": s.previous_rank,
        }
        for ind in s.indicators:
            heading = rules.indicator_by_code(ind.code).heading
            row[f"{heading}（{ind.max_points:g}）"] = round(ind.points, 1) if ind.points is not None else None
        row["扣分"] = round(sum(i.deduction for i in s.indicators), 1)
        row["备注"] = s.not_ranked
        records.append(row)
    return pd.DataFrame(records)


STATUS_LABELS = {
    "scored": "按实际计分",
    "adjusted": "小分母保护（收缩）",
    "county_average": "小分母，按平均计",
    "neutral": "小分母，按一半计",
    "excluded": "小分母，不计入",
    "empty_average": "无应完成事项，按平均计",
    "not_applicable": "不适用",
    "idle_zero": "有企业却未检查，按实际计（无保护）",
    "not_ranked": "不参与排名",
}


def breakdown_frame(score: scoring_ranking.JurisdictionScore) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "指标": i.label,
                "满分": i.max_points,
                "完成数": round(i.numerator, 2),
                "应完成数": round(i.denominator, 2),
                "实际比率": percent(i.raw_rate),
                "计分比率": percent(i.rate),
                "得分": round(i.points, 2) if i.points is not None else None,
                "扣分": round(i.deduction, 2),
                "计分方式": STATUS_LABELS.get(i.status, i.status),
                "说明": i.note,
            }
            for i in score.indicators
        ]
    )


def measures_frame(measures: dict[str, float]) -> pd.DataFrame:
    return pd.DataFrame([{"统计量": scoring.MEASURES.get(k, k), "数值": v} for k, v in measures.items()])
