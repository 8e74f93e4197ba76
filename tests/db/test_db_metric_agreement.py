"""One test per metric definition of `db.rules.metrics`: every reader of the definition — the month summary
(总览, `anpei summary`), the trends, the rows behind a number, the quarterly scoring and the 汇总表
export — gives the number a plain-Python reading of the definition gives on the raw rows of the
sample county (SQLite and PostgreSQL), and the readers that count the same set agree with each other.

Month 2023-07 is the third quarter's only enforcement month, so the quarter's scoring window and the
month cover the same inspections and checks.
"""

from __future__ import annotations

import datetime as dt
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlmodel import Session

from anpei.periods import Month, Quarter
from db.codes import FindingStatus, RiskClass
from db.reads import campaign_calendar, kpi_details, month_figures, month_trends, one_jurisdiction
from db.rules import scoring_measures
from db.rules.access import SYSTEM
from db.rules.metrics import CERT_CHECK, ENTERPRISE, FINDING, INSPECTION, Problem, is_rectified_by
from db.xlsx import summary_figures
from verifier.decide import problem_for
from verifier.types import Family, Outcome

MONTH = Month(2023, 7)
QUARTER = Quarter(2023, 3)
AS_OF = dt.date(2023, 10, 31)
FIRST, LAST = dt.date(2023, 7, 1), dt.date(2023, 7, 31)
TARGET_RISKS = (RiskClass.HIGH_RISK.value, RiskClass.INDUSTRY_TRADE.value)


class County:
    """The readers' figures for the month and quarter, and the raw rows to check them against."""

    def __init__(self, session: Session) -> None:
        campaign = campaign_calendar.get_campaign(session)
        assert campaign is not None
        self.session = session
        self.window = scoring_measures.quarter_window(campaign, quarter=QUARTER, as_of=AS_OF)
        assert self.window.months == (MONTH,)
        self.rows = {
            r.jurisdiction_id: r
            for r in month_figures.township_month_summary(session, principal=SYSTEM, month=MONTH)
        }
        self.owners = set(self.rows)
        self.trend = month_trends.county_trends(session, principal=SYSTEM, months=[MONTH], as_of=LAST)[0]
        self.measures = scoring_measures.quarter_measures(
            session,
            principal=SYSTEM,
            campaign=campaign,
            window=self.window,
            jurisdiction_ids=sorted(self.owners),
        )
        self.sheets = {
            s.jurisdiction_id: s.values
            for s in summary_figures.summary_sheets(session, principal=SYSTEM, month=MONTH, source="records")
        }
        self.enterprises = session.execute(select(ENTERPRISE)).mappings().all()
        self.inspections = session.execute(select(INSPECTION)).mappings().all()
        self.findings = session.execute(select(FINDING)).mappings().all()
        self.checks = session.execute(select(CERT_CHECK)).mappings().all()

    def detail_total(self, kind: str, jurisdiction_id: int | None = None) -> int:
        return kpi_details.detail_rows(
            self.session,
            principal=SYSTEM,
            kind=kind,
            month=MONTH,
            as_of=LAST,
            jurisdiction_id=jurisdiction_id,
        ).total

    def registered(self) -> dict[int, list[Any]]:
        """registered_to, read plainly: each active enterprise for its township and its member unit."""
        out: dict[int, list[Any]] = {j: [] for j in self.owners}
        for e in self.enterprises:
            if e["active"]:
                for owner in {e["jurisdiction_id"], e["member_unit_id"]} - {None}:
                    if owner in out:
                        out[owner].append(e)
        return out


@pytest.fixture
def county(seeded: Engine) -> Any:
    with Session(seeded) as session:
        yield County(session)
        session.rollback()  # the export's audit row


def _rectified_by(f: Any, day: dt.date) -> bool:
    return is_rectified_by(f["rectified_on"], f["status"], day)


def test_rectified_by_is_one_number_everywhere(county: County) -> None:
    mine = [f for f in county.findings if f["jurisdiction_id"] in county.owners]
    stock = Counter(f["jurisdiction_id"] for f in mine if f["found_on"] <= LAST and _rectified_by(f, LAST))
    found_and_rectified = Counter(
        f["jurisdiction_id"] for f in mine if FIRST <= f["found_on"] <= LAST and _rectified_by(f, LAST)
    )
    due = [
        f
        for f in mine
        if f["deadline"] is not None and county.window.first <= f["deadline"] <= county.window.last
    ]
    on_time = Counter(f["jurisdiction_id"] for f in due if _rectified_by(f, f["deadline"]))
    assert sum(stock.values()) > 0 and sum(found_and_rectified.values()) > 0 and sum(on_time.values()) > 0

    # the county: summary (sum of the units), trend, the rows behind the number
    total = sum(stock.values())
    assert sum(r.findings_rectified for r in county.rows.values()) == total
    assert county.trend.findings_rectified == total
    assert county.detail_total("findings_rectified") == total
    for jid, row in county.rows.items():
        assert row.findings_rectified == stock[jid], row.jurisdiction
        assert county.sheets[jid]["rectified"] == found_and_rectified[jid], row.jurisdiction  # the 汇总表
        assert county.measures[jid]["findings_on_time"] == on_time[jid], row.jurisdiction  # 季度考核
    busiest = max(stock, key=lambda j: stock[j])
    assert county.detail_total("findings_rectified", busiest) == stock[busiest]


def test_registered_to_is_one_number_everywhere(county: County) -> None:
    registered = county.registered()
    assert any(len(v) for v in registered.values())
    for jid, row in county.rows.items():
        mine = registered[jid]
        targets = sum(e["risk_class"] in TARGET_RISKS for e in mine)
        assert row.enterprises_registered == len(mine), row.jurisdiction
        assert row.high_risk_registered == sum(e["risk_class"] == RiskClass.HIGH_RISK.value for e in mine)
        assert county.measures[jid]["enterprises_registered"] == len(mine), row.jurisdiction
        assert county.measures[jid]["targets_due"] == targets * len(county.window.months), row.jurisdiction
        mix = one_jurisdiction.enterprise_mix(
            county.session, principal=SYSTEM, jurisdiction_id=jid, month=MONTH, campaign_months=[MONTH]
        )
        assert sum(m.registered for m in mix) == len(mine), row.jurisdiction  # 乡镇详情


def test_inspected_by_or_jointly_is_one_number_everywhere(county: County) -> None:
    registered = county.registered()
    in_month = [i for i in county.inspections if FIRST <= i["inspected_on"] <= LAST]
    for jid, row in county.rows.items():
        mine = {e["id"]: e for e in registered[jid]}
        # inspected_by_or_jointly, read plainly: by the owner itself, or a joint inspection
        visited = {
            i["enterprise_id"]
            for i in in_month
            if i["enterprise_id"] in mine and (i["jurisdiction_id"] == jid or i["joint"])
        }
        assert row.enterprises_inspected == len(visited), row.jurisdiction
        assert row.high_risk_inspected == sum(
            mine[e]["risk_class"] == RiskClass.HIGH_RISK.value for e in visited
        )
        assert county.measures[jid]["enterprises_inspected"] == len(visited), row.jurisdiction  # 季度考核
        assert county.measures[jid]["targets_inspected"] == sum(
            mine[e]["risk_class"] in TARGET_RISKS for e in visited
        )
        assert county.sheets[jid]["enterprises_inspected"] == len(visited), row.jurisdiction  # 汇总表
        assert county.detail_total("inspected", jid) == len(visited), row.jurisdiction  # rows behind it
        mix = one_jurisdiction.enterprise_mix(
            county.session, principal=SYSTEM, jurisdiction_id=jid, month=MONTH, campaign_months=[MONTH]
        )
        assert sum(m.inspected_in_month for m in mix) == len(visited), row.jurisdiction  # 乡镇详情
    assert any(r.enterprises_inspected for r in county.rows.values())
    # the county counts each enterprise once (全县（去重）): the trend and the rows behind the KPI
    everywhere = {i["enterprise_id"] for i in in_month if i["enterprise_id"] is not None} & {
        e["id"] for e in county.enterprises if e["active"]
    }
    assert county.trend.enterprises_inspected == len(everywhere) == county.detail_total("inspected")


@pytest.mark.parametrize("problem", [Problem.UNLICENSED, Problem.FAKE, Problem.MANAGER_OVERDUE])
def test_each_certificate_problem_is_one_number_everywhere(county: County, problem: Problem) -> None:
    field = {
        Problem.UNLICENSED: "unlicensed",
        Problem.FAKE: "suspected_fake",
        Problem.MANAGER_OVERDUE: "managers_overdue",
    }[problem]
    stored = {c["problem"] for c in county.checks}
    assert stored <= {p.value for p in Problem} | {""}  # the codes the verifier writes, nothing else
    months = [
        Month(2023, 4),
        Month(2023, 5),
        Month(2023, 6),
        MONTH,
    ]  # every enforcement month (疑似持假证 is rare)
    trends = month_trends.county_trends(county.session, principal=SYSTEM, months=months)
    seen = 0
    for month, trend in zip(months, trends, strict=True):
        m = month
        counted = Counter(
            c["jurisdiction_id"]
            for c in county.checks
            if c["problem"] == problem.value
            and m.first <= c["as_of"] <= m.last
            and c["jurisdiction_id"] in county.owners
        )
        seen += sum(counted.values())
        assert getattr(trend, field) == sum(counted.values()), month
        detail = kpi_details.detail_rows(county.session, principal=SYSTEM, kind=field, month=month)
        assert detail.total == sum(counted.values()), month
        sheets = {
            s.jurisdiction_id: s.values
            for s in summary_figures.summary_sheets(
                county.session, principal=SYSTEM, month=month, source="records"
            )
        }
        for row in month_figures.township_month_summary(county.session, principal=SYSTEM, month=month):
            assert getattr(row, field) == counted[row.jurisdiction_id], (month, row.jurisdiction)
            if field != "managers_overdue":  # the 汇总表 has no such column
                assert sheets[row.jurisdiction_id][field] == counted[row.jurisdiction_id], (
                    month,
                    row.jurisdiction,
                )
    assert seen > 0, problem
    # 季度考核 counts the enterprises where 无证上岗 or 疑似持假证 was found, from the same codes
    violations = Counter(
        jid
        for jid, _ in {
            (c["jurisdiction_id"], c["enterprise_id"])
            for c in county.checks
            if c["problem"] in (Problem.UNLICENSED.value, Problem.FAKE.value)
            and county.window.first <= c["as_of"] <= county.window.last
            and c["jurisdiction_id"] in county.owners
        }
    )
    for jid in county.owners:
        assert county.measures[jid]["violation_enterprises"] == violations[jid]


def test_the_verifier_decides_the_codes_db_counts() -> None:
    assert problem_for(
        family=Family.SPECIAL, outcome=Outcome.NOT_FOUND, warnings=(), number_presented=False
    ) == (Problem.UNLICENSED.value)
    assert problem_for(
        family=Family.SPECIAL, outcome=Outcome.NOT_FOUND, warnings=(), number_presented=True
    ) == (Problem.FAKE.value)
    assert problem_for(
        family=Family.SPECIAL, outcome=Outcome.EXPIRED, warnings=(), number_presented=True
    ) == (Problem.INVALID.value)
    assert problem_for(
        family=Family.SAFETY, outcome=Outcome.NOT_FOUND, warnings=(), number_presented=False
    ) == (Problem.MANAGER_OVERDUE.value)


def test_is_rectified_by_reads_like_the_sql() -> None:
    day = dt.date(2023, 7, 31)
    assert is_rectified_by(day, FindingStatus.OPEN.value, day)  # the date decides when there is one
    assert not is_rectified_by(day + dt.timedelta(days=1), FindingStatus.RECTIFIED.value, day)
    assert is_rectified_by(None, FindingStatus.RECTIFIED.value, day)  # closed without a date
    assert not is_rectified_by(None, FindingStatus.OPEN.value, day)


# copies of a definition that once lived outside db/rules/metrics.py (issue 13 item 1); none may come back
_COPIES = {
    r"def _count_if|_count_if\s*=": "count_if",
    r"func\.sum\(case\(\(.*, 1\), else_=0\)\)": "count_if",
    r"rectified_on\s*<=": "rectified_by / is_rectified_by",
    r"member_unit_id\s*==": "is_registered_to / registered_to",
    r"jurisdiction_id\s*==\s*\w+\)?,\s*_I\.c\.joint": "inspected_by_or_jointly",
    r"PROBLEM_(UNLICENSED|FAKE|INVALID|MANAGER_OVERDUE|NO_CERT|SAFETY_OVERDUE)\s*=": "Problem",
    r"problem\s*==?\s*\"(无证上岗|疑似持假证|证书失效或不符|逾期未考核合格)\"": "Problem",
}


def test_no_copy_of_a_metric_definition_remains() -> None:
    root = Path(__file__).resolve().parents[2]
    homes = {root / "db" / "rules" / "metrics.py", root / "verifier" / "types.py"}
    found = []
    for package in ("db", "dashboard", "verifier", "anpei"):
        for path in sorted((root / package).rglob("*.py")):
            if path in homes:
                continue
            for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
                for pattern, home in _COPIES.items():
                    if re.search(pattern, line):
                        found.append(
                            f"{path.relative_to(root)}:{number}: use db.rules.metrics {home}: {line.strip()}"
                        )
    assert not found, "\n".join(found)
