"""The overview services (db.reads: campaign_calendar, kpi_cards, month_trends, rankings, status_grid, kpi_details, one_jurisdiction) on SQLite and PostgreSQL, and their pure helpers."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session

from anpei.periods import Month, Quarter
from db.codes import JurisdictionKind, MonthlyStatus
from db.reads import (
    campaign_calendar,
    jurisdiction_list,
    kpi_cards,
    kpi_details,
    month_figures,
    month_trends,
    one_jurisdiction,
    rankings,
    status_grid,
)
from db.rules.access import SYSTEM

AS_OF = dt.date(2023, 10, 31)
FULL_ID = re.compile(r"\b\d{17}[\dX]\b")


def _campaign(session: Session) -> campaign_calendar.CampaignInfo:
    campaign = campaign_calendar.get_campaign(session)
    assert campaign is not None
    return campaign


# --- campaign, timeline -------------------------------------------------------------------------


def test_campaign_months_quarters_and_due_dates(campaign_engine: Engine) -> None:
    with Session(campaign_engine) as s:
        c = _campaign(s)
    assert c.enforcement_months == [Month(2023, 4), Month(2023, 5), Month(2023, 6), Month(2023, 7)]
    assert c.months[0] == Month(2022, 9) and c.months[-1] == Month(2023, 10) and len(c.months) == 14
    assert c.quarters == [Quarter(2023, 2), Quarter(2023, 3)]
    assert c.due_date(Month(2023, 4)) == dt.date(2023, 5, 5)
    assert c.due_date(Month(2023, 12)) == dt.date(2024, 1, 5)


@pytest.mark.parametrize(
    ("today", "as_of", "month", "quarter"),
    [
        (dt.date(2026, 1, 1), dt.date(2023, 10, 31), "2023-07", "2023Q3"),  # after the campaign: its end
        (dt.date(2023, 5, 20), dt.date(2023, 5, 20), "2023-05", "2023Q2"),
        (dt.date(2022, 11, 3), dt.date(2022, 11, 3), "2022-11", "2023Q2"),  # before enforcement
        (dt.date(2020, 1, 1), dt.date(2022, 9, 1), "2022-09", "2023Q2"),  # before the campaign: its start
    ],
)
def test_defaults_follow_the_chosen_day(
    campaign_engine: Engine, today: dt.date, as_of: dt.date, month: str, quarter: str
) -> None:
    with Session(campaign_engine) as s:
        c = _campaign(s)
    day = campaign_calendar.default_as_of(c, today=today)
    assert day == as_of
    assert campaign_calendar.default_month(c, as_of=day) == Month.parse(month)
    assert campaign_calendar.default_quarter(c, as_of=day) == Quarter.parse(quarter)


@pytest.mark.parametrize(
    ("today", "current", "deadline", "days"),
    [
        (dt.date(2023, 1, 10), "自查自改", "2023年4月汇总表报送截止", 115),
        (dt.date(2023, 6, 5), "执法检查", "2023年5月汇总表报送截止", 0),
        (dt.date(2023, 6, 6), "执法检查", "2023年6月汇总表报送截止", 29),
        (dt.date(2023, 8, 15), None, "总结报告报送截止", 77),
        (dt.date(2023, 10, 31), "总结提升", "总结报告报送截止", 0),
        (dt.date(2023, 11, 1), None, None, None),
    ],
)
def test_timeline_marks_today_and_the_next_deadline(
    campaign_engine: Engine, today: dt.date, current: str | None, deadline: str | None, days: int | None
) -> None:
    with Session(campaign_engine) as s:
        line = campaign_calendar.timeline(_campaign(s), today=today)
    assert (line.current.name if line.current else None) == current
    assert (line.next_deadline.label if line.next_deadline else None) == deadline
    assert line.days_to_next == days
    assert [p.state for p in line.phases].count("current") == (1 if current else 0)


def test_begun_months_keeps_the_months_begun_by_a_day_in_order() -> None:
    months = [Month(2023, 4), Month(2023, 5), Month(2023, 6)]
    assert campaign_calendar.begun_months(months, dt.date(2023, 5, 1)) == [Month(2023, 4), Month(2023, 5)]
    assert campaign_calendar.begun_months(months, dt.date(2023, 3, 31)) == []


# --- grid -----------------------------------------------------------------------------------------

DUE = dt.date(2023, 5, 5)


@pytest.mark.parametrize(
    ("stored", "submitted", "as_of", "expected"),
    [
        ("submitted", dt.date(2023, 5, 3), dt.date(2023, 6, 1), "on_time"),
        (
            "submitted",
            dt.date(2023, 5, 9),
            dt.date(2023, 6, 1),
            "late",
        ),  # stored status trusted less than dates
        ("late", dt.date(2023, 5, 9), dt.date(2023, 6, 1), "late"),
        ("zero", dt.date(2023, 5, 2), dt.date(2023, 6, 1), "zero"),
        ("unreported", None, dt.date(2023, 6, 1), "missing"),
        ("unreported", None, dt.date(2023, 5, 4), "not_due"),
        ("submitted", dt.date(2023, 5, 3), dt.date(2023, 5, 2), "not_due"),  # not there yet on that day
        ("late", dt.date(2023, 5, 20), dt.date(2023, 5, 10), "missing"),  # due, and not in yet on that day
    ],
)
def test_grid_status_as_of_a_day(
    stored: str, submitted: dt.date | None, as_of: dt.date, expected: str
) -> None:
    assert status_grid.grid_status(stored=stored, submitted_on=submitted, due=DUE, as_of=as_of) == expected


def test_status_grid_covers_every_jurisdiction_and_month(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as s:
        c = _campaign(s)
        cells = status_grid.status_grid(s, principal=SYSTEM, campaign=c, as_of=AS_OF)
        stored = status_grid.monthly_status_grid(s, principal=SYSTEM, months=c.enforcement_months)
        early = status_grid.status_grid(s, principal=SYSTEM, campaign=c, as_of=dt.date(2023, 4, 20))
    assert len(cells) == 45 * 4
    assert {c.status for c in cells} <= set(status_grid.GRID_LABELS)
    # on the campaign's end every stored 未报 is missing, every zero report stays a zero report
    for cell, raw in zip(cells, stored, strict=True):
        assert (cell.jurisdiction_id, cell.month) == (raw.jurisdiction_id, raw.month)
        if raw.status == MonthlyStatus.UNREPORTED.value:
            assert cell.status == "missing"
        if raw.status == MonthlyStatus.ZERO.value:
            assert cell.status == "zero"
    assert {c.status for c in early} == {"not_due"}  # in April no table is due yet


# --- KPIs, trends and the rows behind them ---------------------------------------------------------


def test_kpis_equal_the_read_api_for_the_month_and_the_one_before(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as s:
        kpis = {
            k.code: k for k in kpi_cards.county_kpis(s, principal=SYSTEM, month=Month(2023, 6), as_of=AS_OF)
        }
        now = month_figures.county_totals(s, principal=SYSTEM, month=Month(2023, 6))
        before = month_figures.county_totals(s, principal=SYSTEM, month=Month(2023, 5))
    assert list(kpis) == list(kpi_cards.KPI_DEFS)
    assert kpis["enterprises_inspected"].value == now.enterprises_inspected
    assert kpis["enterprises_inspected"].previous == before.enterprises_inspected
    assert kpis["high_risk_coverage"].value == pytest.approx(
        now.high_risk_inspected / now.high_risk_registered
    )
    assert kpis["findings_overdue"].value == now.findings_overdue
    assert kpis["findings_overdue"].delta == now.findings_overdue - before.findings_overdue
    assert kpis["unlicensed"].value == now.unlicensed and kpis["suspected_fake"].value == now.suspected_fake
    assert kpis["fines"].value == pytest.approx(float(now.fines_yuan) / 10000)
    assert kpis["findings_overdue"].lower_is_better and not kpis["cases"].lower_is_better


def test_kpis_as_of_a_day_inside_the_month(seeded_engine: Engine) -> None:
    day = dt.date(2023, 6, 10)
    with Session(seeded_engine) as s:
        kpis = {
            k.code: k for k in kpi_cards.county_kpis(s, principal=SYSTEM, month=Month(2023, 6), as_of=day)
        }
        partial = month_figures.county_totals(s, principal=SYSTEM, month=Month(2023, 6), as_of=day)
    assert kpis["findings_open"].value == partial.findings_open


def test_trends_agree_with_county_totals_month_by_month(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as s:
        months = _campaign(s).enforcement_months
        trends = month_trends.county_trends(s, principal=SYSTEM, months=months, as_of=AS_OF)
        totals = [month_figures.county_totals(s, principal=SYSTEM, month=m) for m in months]
    assert [t.month for t in trends] == [str(m) for m in months]
    fields = (
        "enterprises_inspected",
        "high_risk_inspected",
        "industry_trade_inspected",
        "findings_found",
        "findings_open",
        "findings_overdue",
        "findings_rectified",
        "workers_checked",
        "unlicensed",
        "suspected_fake",
        "managers_overdue",
        "cases",
        "fines_yuan",
        "exposures",
        "blacklisted",
    )
    for trend, total in zip(trends, totals, strict=True):
        for name in fields:
            assert getattr(trend, name) == getattr(total, name), (trend.month, name)
        assert trend.high_risk_registered == total.high_risk_registered


@pytest.mark.parametrize("code", list(kpi_details.DETAIL_OF))
def test_rows_behind_each_kpi_add_up_to_it(seeded_engine: Engine, code: str) -> None:
    with Session(seeded_engine) as s:
        kpi = next(
            k
            for k in kpi_cards.county_kpis(s, principal=SYSTEM, month=Month(2023, 5), as_of=AS_OF)
            if k.code == code
        )
        table = kpi_details.detail_rows(
            s, principal=SYSTEM, kind=kpi_details.DETAIL_OF[code], month=Month(2023, 5), as_of=AS_OF
        )
    assert len(table.rows) == table.total  # small county: nothing cut
    if code == "fines":
        assert sum(r[4] for r in table.rows) / 10000 == pytest.approx(kpi.value)
    elif code.endswith("_coverage"):
        assert table.total == int(kpi.note.split(" / ")[0])
    else:
        assert table.total == kpi.value
    text = repr(table.rows)
    assert not FULL_ID.search(text), "an unmasked ID number is shown"


def test_rows_behind_one_jurisdiction_match_its_summary_row(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as s:
        rows = month_figures.township_month_summary(s, principal=SYSTEM, month=Month(2023, 5))
        row = max(rows, key=lambda r: r.enterprises_inspected + r.findings_open)
        jid = row.jurisdiction_id
        inspected = kpi_details.detail_rows(
            s, principal=SYSTEM, kind="inspected", month=Month(2023, 5), jurisdiction_id=jid
        )
        open_ = kpi_details.detail_rows(
            s, principal=SYSTEM, kind="findings_open", month=Month(2023, 5), jurisdiction_id=jid
        )
        checked = kpi_details.detail_rows(
            s, principal=SYSTEM, kind="workers_checked", month=Month(2023, 5), jurisdiction_id=jid
        )
    assert inspected.total == row.enterprises_inspected > 0
    assert open_.total == row.findings_open
    assert checked.total == row.workers_checked


def test_detail_rows_limit_and_unknown_kind(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as s:
        table = kpi_details.detail_rows(
            s, principal=SYSTEM, kind="findings_rectified", month=Month(2023, 7), limit=3
        )
        assert len(table.rows) == 3 and table.total > 3 and table.truncated
        assert table.records()[0].keys() == set(table.columns)
        with pytest.raises(ValueError, match="未知的明细类型"):
            kpi_details.detail_rows(s, principal=SYSTEM, kind="nonsense", month=Month(2023, 7))


# --- ranking --------------------------------------------------------------------------------------


def _row(
    jid: int, name: str, *, hr: int, hr_done: int, overdue: int = 0
) -> month_figures.JurisdictionMonthRow:
    return month_figures.JurisdictionMonthRow(
        jurisdiction_id=jid,
        jurisdiction=name,
        kind=JurisdictionKind.TOWNSHIP.value,
        sort_order=jid,
        month="2023-05",
        as_of=dt.date(2023, 5, 31),
        high_risk_registered=hr,
        high_risk_inspected=hr_done,
        findings_overdue=overdue,
    )


def test_rank_rows_ties_share_a_rank_and_no_targets_come_last() -> None:
    rows = [
        _row(1, "甲镇", hr=4, hr_done=2),
        _row(2, "乙镇", hr=10, hr_done=10, overdue=12),
        _row(3, "丙镇", hr=5, hr_done=5, overdue=12),
        _row(4, "丁镇", hr=0, hr_done=0),
        _row(5, "戊镇", hr=3, hr_done=3),
    ]
    ranked = rankings.rank_rows(rows, grid={1: "missing", 5: "on_time"})
    assert [(r.name, r.rank) for r in ranked] == [
        ("戊镇", 1),
        ("乙镇", 2),
        ("丙镇", 2),
        ("甲镇", 4),
        ("丁镇", None),
    ]
    by_name = {r.name: r for r in ranked}
    assert by_name["甲镇"].behind_reasons == ("覆盖率低于60%", "月报未报")
    assert by_name["乙镇"].behind_reasons == ("逾期未整改12条",)
    assert not by_name["戊镇"].behind


def test_month_ranking_lists_every_township(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as s:
        c = _campaign(s)
        towns = rankings.month_ranking(s, principal=SYSTEM, campaign=c, month=Month(2023, 7), as_of=AS_OF)
        units = rankings.month_ranking(
            s,
            principal=SYSTEM,
            campaign=c,
            month=Month(2023, 7),
            as_of=AS_OF,
            kind=JurisdictionKind.MEMBER_UNIT.value,
        )
    assert len(towns) == 30 and len(units) == 15
    assert all(r.code for r in towns)
    ranks = [r.rank for r in towns if r.rank is not None]
    assert ranks == sorted(ranks) and ranks[0] == 1
    coverages = [r.coverage for r in towns if r.coverage is not None]
    assert coverages == sorted(coverages, reverse=True)


# --- one jurisdiction -------------------------------------------------------------------------------


def test_one_jurisdiction_in_depth(seeded_engine: Engine) -> None:
    with Session(seeded_engine) as s:
        c = _campaign(s)
        sanhe = next(r for r in jurisdiction_list.list_jurisdictions(s) if r.name == "三合街道")
        months = one_jurisdiction.jurisdiction_months(
            s, principal=SYSTEM, jurisdiction_id=sanhe.id, months=c.enforcement_months, as_of=AS_OF
        )
        mix = one_jurisdiction.enterprise_mix(
            s,
            principal=SYSTEM,
            jurisdiction_id=sanhe.id,
            month=Month(2023, 5),
            campaign_months=c.enforcement_months,
        )
        summary = month_figures.township_month_summary(
            s, principal=SYSTEM, month=Month(2023, 5), jurisdiction_ids=[sanhe.id]
        )[0]
        reports = one_jurisdiction.monthly_reports(
            s, principal=SYSTEM, jurisdiction_id=sanhe.id, months=c.enforcement_months
        )
        outcomes = one_jurisdiction.certificate_outcomes(
            s,
            principal=SYSTEM,
            jurisdiction_id=sanhe.id,
            first=dt.date(2023, 4, 1),
            last=dt.date(2023, 7, 31),
        )
        problems = one_jurisdiction.problem_checks(
            s,
            principal=SYSTEM,
            jurisdiction_id=sanhe.id,
            first=dt.date(2023, 4, 1),
            last=dt.date(2023, 7, 31),
        )
    assert [r.month for r in months] == [str(m) for m in c.enforcement_months]
    assert months[1] == summary
    assert sum(m.registered for m in mix) == summary.enterprises_registered
    assert sum(m.inspected_in_month for m in mix) == summary.enterprises_inspected
    assert all(m.inspected_in_campaign >= m.inspected_in_month for m in mix)
    assert [r[0] for r in reports.rows] == [str(m) for m in c.enforcement_months]
    assert sum(r[2] for r in outcomes.rows) >= problems.total
    assert problems.total == sum(r[2] for r in outcomes.rows if r[1] != "无问题")
    assert not FULL_ID.search(repr(problems.rows))
