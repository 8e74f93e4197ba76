"""The read API: known answers on hand-made data, and a plain Python recount of the sample county."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from anpei.periods import Month, PeriodFormatError
from db.codes import FindingStatus, JurisdictionKind, MonthlyStatus, Sector
from db.models import (
    CertificateCheck,
    EnforcementAction,
    Enterprise,
    Finding,
    Inspection,
    Jurisdiction,
    MonthlyReport,
)
from db.reads import drill_downs, jurisdiction_list, month_figures, status_grid
from db.rules.access import SYSTEM
from db.sample.state import workday

D = dt.date


@pytest.fixture
def tiny_county(tiny):  # type: ignore[no-untyped-def]
    """甲镇 (3 enterprises), 乙镇 (1), member unit 经信委 supervising A, B and D."""
    t = tiny
    t.jurisdiction("甲镇", order=1)
    t.jurisdiction("乙镇", order=2)
    t.jurisdiction("经信委", kind=JurisdictionKind.MEMBER_UNIT, order=101)
    t.enterprise("A", township="甲镇", sector=Sector.HAZCHEM, unit="经信委")
    t.enterprise("B", township="甲镇", sector=Sector.INDUSTRY_TRADE, unit="经信委")
    t.enterprise("C", township="甲镇", sector=Sector.OTHER)
    t.enterprise("D", township="乙镇", sector=Sector.INDUSTRY_TRADE, unit="经信委")
    t.inspection("a1", enterprise="A", by="甲镇", on=D(2023, 5, 3))
    t.inspection("a2", enterprise="A", by="甲镇", on=D(2023, 5, 20))  # the same enterprise again
    t.inspection("b1", enterprise="B", by="甲镇", on=D(2023, 5, 10), joint=True)  # counts for 经信委 too
    t.inspection("d1", enterprise="D", by="经信委", on=D(2023, 5, 15))  # not 乙镇's own inspection
    t.inspection("c1", enterprise="C", by="甲镇", on=D(2023, 4, 28))  # April
    t.inspection("a3", enterprise="A", by="甲镇", on=D(2023, 6, 1))  # June
    t.finding("f1", by="甲镇", enterprise="A", found=D(2023, 5, 3), deadline=D(2023, 5, 20))
    t.finding("f2", by="甲镇", enterprise="A", found=D(2023, 5, 3), deadline=D(2023, 6, 15))
    t.finding(
        "f3",
        by="甲镇",
        enterprise="B",
        found=D(2023, 4, 10),
        deadline=D(2023, 4, 30),
        status=FindingStatus.CLOSED,
        rectified=D(2023, 5, 5),
    )
    t.finding("f4", by="甲镇", enterprise="A", found=D(2023, 6, 2), deadline=D(2023, 6, 10))
    t.finding(
        "f5", by="甲镇", enterprise="B", found=D(2023, 5, 1), deadline=None, status=FindingStatus.RECTIFIED
    )
    t.report(jurisdiction="甲镇", month="2023-05", status=MonthlyStatus.SUBMITTED)
    t.report(jurisdiction="经信委", month="2023-05", status=MonthlyStatus.ZERO)
    t.session.commit()
    return t


def _by_name(rows: list[month_figures.JurisdictionMonthRow]) -> dict[str, month_figures.JurisdictionMonthRow]:
    return {r.jurisdiction: r for r in rows}


def test_coverage_counts_each_enterprise_once_and_joint_for_both(tiny_county) -> None:  # type: ignore[no-untyped-def]
    rows = month_figures.township_month_summary(tiny_county.session, principal=SYSTEM, month=Month(2023, 5))
    assert [r.jurisdiction for r in rows] == ["甲镇", "乙镇", "经信委"]
    jia, yi, unit = rows
    assert (jia.enterprises_registered, jia.high_risk_registered, jia.industry_trade_registered) == (3, 1, 1)
    assert (jia.enterprises_inspected, jia.high_risk_inspected, jia.industry_trade_inspected) == (2, 1, 1)
    assert jia.inspections == 3
    assert jia.target_coverage == 1.0
    assert (yi.enterprises_registered, yi.enterprises_inspected, yi.inspections) == (1, 0, 0)
    assert yi.target_coverage == 0.0
    assert (unit.enterprises_registered, unit.enterprises_inspected) == (3, 2)  # B jointly, D itself
    assert (unit.high_risk_inspected, unit.industry_trade_inspected, unit.inspections) == (0, 2, 1)


def test_findings_open_rectified_overdue_at_month_end(tiny_county) -> None:  # type: ignore[no-untyped-def]
    jia = _by_name(
        month_figures.township_month_summary(tiny_county.session, principal=SYSTEM, month=Month(2023, 5))
    )["甲镇"]
    assert jia.as_of == D(2023, 5, 31)
    assert jia.findings_found == 3  # f1, f2, f5
    assert jia.findings_open == 2  # f1, f2 (f4 comes later)
    assert jia.findings_rectified == 2  # f3 on 5 May, f5 without a date
    assert jia.findings_overdue == 1  # f1: deadline 20 May passed


@pytest.mark.parametrize(
    ("as_of", "found", "open_", "rectified", "overdue"),
    [
        (D(2023, 4, 30), 0, 1, 0, 0),  # f3 due today: not yet overdue
        (D(2023, 5, 4), 3, 3, 1, 1),  # f3 overdue, f5 rectified without a date
        (D(2023, 6, 30), 3, 3, 2, 3),  # f1, f2, f4 open and past their deadlines
    ],
)
def test_findings_as_of_a_given_date(tiny_county, as_of, found, open_, rectified, overdue) -> None:  # type: ignore[no-untyped-def]
    month = Month(2023, 4) if as_of.month == 4 else Month(2023, 5)
    jia = _by_name(
        month_figures.township_month_summary(tiny_county.session, principal=SYSTEM, month=month, as_of=as_of)
    )["甲镇"]
    assert (jia.findings_open, jia.findings_rectified, jia.findings_overdue) == (open_, rectified, overdue)
    if month == Month(2023, 5):
        assert jia.findings_found == found


def test_monthly_status_and_grid(tiny_county) -> None:  # type: ignore[no-untyped-def]
    rows = _by_name(
        month_figures.township_month_summary(tiny_county.session, principal=SYSTEM, month=Month(2023, 5))
    )
    assert rows["甲镇"].monthly_status == "submitted" and rows["甲镇"].monthly_status_label == "已报"
    assert rows["乙镇"].monthly_status == "unreported" and rows["乙镇"].monthly_status_label == "未报"
    assert rows["经信委"].monthly_status == "zero"
    grid = status_grid.monthly_status_grid(
        tiny_county.session, principal=SYSTEM, months=[Month(2023, 4), Month(2023, 5)]
    )
    assert [(c.jurisdiction, c.month, c.status) for c in grid] == [
        ("甲镇", "2023-04", "unreported"),
        ("甲镇", "2023-05", "submitted"),
        ("乙镇", "2023-04", "unreported"),
        ("乙镇", "2023-05", "unreported"),
        ("经信委", "2023-04", "unreported"),
        ("经信委", "2023-05", "zero"),
    ]


def test_county_totals_count_enterprises_once(tiny_county) -> None:  # type: ignore[no-untyped-def]
    totals = month_figures.county_totals(tiny_county.session, principal=SYSTEM, month=Month(2023, 5))
    assert (totals.enterprises_registered, totals.high_risk_registered, totals.industry_trade_registered) == (
        4,
        1,
        2,
    )
    assert (totals.enterprises_inspected, totals.high_risk_inspected, totals.industry_trade_inspected) == (
        3,
        1,
        2,
    )
    assert totals.inspections == 4
    assert totals.findings_overdue == 1
    assert totals.status_counts == {"unreported": 1, "submitted": 1, "late": 0, "zero": 1}


def test_filter_by_jurisdiction_and_to_dict(tiny_county) -> None:  # type: ignore[no-untyped-def]
    yi = tiny_county.ids["乙镇"]
    rows = month_figures.township_month_summary(
        tiny_county.session, principal=SYSTEM, month=Month.parse("2023-5"), jurisdiction_ids=[yi]
    )
    assert [r.jurisdiction for r in rows] == ["乙镇"]
    data = rows[0].to_dict()
    assert data["month"] == "2023-05" and data["monthly_status_label"] == "未报" and data["fines_yuan"] == 0.0


@pytest.mark.parametrize("text", ["2023/05", "2023-13", "23-05", "", "2023-05-01", "五月"])
def test_bad_month_is_refused_in_chinese(text: str) -> None:
    with pytest.raises(PeriodFormatError, match="YYYY-MM"):
        Month.parse(text)


def test_empty_database(engine: Engine) -> None:
    with Session(engine) as session:
        assert jurisdiction_list.is_empty(session)
        assert month_figures.township_month_summary(session, principal=SYSTEM, month=Month(2023, 5)) == []


def test_workdays_stay_in_their_month() -> None:
    rng = random.Random(1)
    for month in [Month(2023, m) for m in range(1, 13)]:
        first, last = month.first, month.last
        for _ in range(200):
            day = workday(rng, month)
            assert first <= day <= last and day.weekday() < 5


# --- the sample county, recounted in plain Python ---------------------------------------------


@pytest.mark.parametrize("month", [Month(2023, 6)])
def test_summary_equals_a_python_recount_of_the_sample(seeded: Engine, month: Month) -> None:
    first, last = month.first, month.last
    with Session(seeded) as session:
        rows = month_figures.township_month_summary(session, principal=SYSTEM, month=month)
        jurisdictions = session.exec(select(Jurisdiction)).all()
        enterprises = session.exec(select(Enterprise)).all()
        inspections = session.exec(select(Inspection)).all()
        findings = session.exec(select(Finding)).all()
        checks = session.exec(select(CertificateCheck)).all()
        actions = session.exec(select(EnforcementAction)).all()
        reports = session.exec(select(MonthlyReport).where(MonthlyReport.month == str(month))).all()

    owned: dict[int, list[Enterprise]] = defaultdict(list)
    for e in enterprises:
        if e.active:
            owned[e.jurisdiction_id].append(e)
            if e.member_unit_id:
                owned[e.member_unit_id].append(e)
    visits: dict[int, list[Inspection]] = defaultdict(list)
    for i in inspections:
        if i.enterprise_id and first <= i.inspected_on <= last:
            visits[i.enterprise_id].append(i)
    status = {r.jurisdiction_id: r.status for r in reports}

    expected_order = sorted(
        (j for j in jurisdictions if j.kind != "county"), key=lambda j: (j.sort_order, j.id)
    )
    assert [r.jurisdiction_id for r in rows] == [j.id for j in expected_order]
    for row in rows:
        jid = row.jurisdiction_id
        mine = owned[jid]
        seen = [e for e in mine if any(i.jurisdiction_id == jid or i.joint for i in visits[e.id])]
        assert row.enterprises_registered == len(mine)
        assert row.high_risk_registered == sum(e.risk_class == "high_risk" for e in mine)
        assert row.enterprises_inspected == len(seen)
        assert row.high_risk_inspected == sum(e.risk_class == "high_risk" for e in seen)
        assert row.industry_trade_inspected == sum(e.risk_class == "industry_trade" for e in seen)
        assert row.inspections == sum(
            1 for i in inspections if i.jurisdiction_id == jid and first <= i.inspected_on <= last
        )
        fs = [f for f in findings if f.jurisdiction_id == jid and f.found_on <= last]
        done = [
            f
            for f in fs
            if (f.rectified_on and f.rectified_on <= last) or (not f.rectified_on and f.status != "open")
        ]
        pending = [f for f in fs if f not in done]
        assert row.findings_found == sum(first <= f.found_on for f in fs)
        assert row.findings_rectified == len(done)
        assert row.findings_open == len(pending)
        assert row.findings_overdue == sum(1 for f in pending if f.deadline and f.deadline < last)
        cs = [c for c in checks if c.jurisdiction_id == jid and first <= c.as_of <= last]
        assert row.workers_checked == sum(c.family == "special" for c in cs)
        assert row.unlicensed == sum(c.problem == "无证上岗" for c in cs)
        assert row.managers_overdue == sum(c.problem == "逾期未考核合格" for c in cs)
        acts = [a for a in actions if a.jurisdiction_id == jid and first <= a.action_date <= last]
        assert row.cases == sum(a.kind == "case" for a in acts)
        assert row.fines_yuan == sum(
            (a.fine_amount or Decimal(0) for a in acts if a.kind == "fine"), Decimal(0)
        )
        assert row.monthly_status == status.get(jid, "unreported")
    assert any(r.enterprises_inspected for r in rows) and any(r.findings_overdue for r in rows)


def test_overdue_findings_list(tiny_county) -> None:  # type: ignore[no-untyped-def]
    items = drill_downs.overdue_findings(tiny_county.session, principal=SYSTEM, as_of=D(2023, 6, 30))
    assert [(i.description, i.target_name, i.days_overdue) for i in items] == [
        ("f1", "A", 41),
        ("f4", "A", 20),
        ("f2", "A", 15),
    ]
    assert (
        drill_downs.overdue_findings(tiny_county.session, principal=SYSTEM, as_of=D(2023, 5, 4))[
            0
        ].description
        == "f3"
    )
    assert (
        drill_downs.overdue_findings(
            tiny_county.session, principal=SYSTEM, as_of=D(2023, 6, 30), jurisdiction_ids=[999]
        )
        == []
    )


def test_uninspected_targets(tiny_county) -> None:  # type: ignore[no-untyped-def]
    ids = tiny_county.ids
    jia = drill_downs.uninspected_targets(
        tiny_county.session, principal=SYSTEM, month=Month(2023, 5), jurisdiction_id=ids["甲镇"]
    )
    assert jia == []  # A and B were inspected, C is not a target
    yi = drill_downs.uninspected_targets(
        tiny_county.session, principal=SYSTEM, month=Month(2023, 5), jurisdiction_id=ids["乙镇"]
    )
    assert [e.name for e in yi] == ["D"]  # inspected by the member unit alone, not by 乙镇
    unit = drill_downs.uninspected_targets(
        tiny_county.session, principal=SYSTEM, month=Month(2023, 5), jurisdiction_id=ids["经信委"]
    )
    assert [e.name for e in unit] == ["A"]
    june = drill_downs.uninspected_targets(
        tiny_county.session, principal=SYSTEM, month=Month(2023, 6), jurisdiction_id=ids["甲镇"]
    )
    assert [e.name for e in june] == ["B"]
