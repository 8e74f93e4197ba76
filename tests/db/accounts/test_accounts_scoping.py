"""Jurisdiction scoping in the services, role by role, on the sample county (SQLite and PostgreSQL).

A township user asking for another township's rows gets nothing or AccessDenied — through every read
service the dashboard uses — and every write for another township (or by a leader) is refused.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from anpei.periods import Month, Quarter
from db.accounts import users
from db.accounts.auth import principal_for
from db.audit import personal_data
from db.audit.search import search_audit
from db.codes import Role, TargetKind
from db.models import CertificateCheck, Enterprise, Finding, User
from db.reads import (
    campaign_calendar,
    drill_downs,
    jurisdiction_list,
    kpi_cards,
    kpi_details,
    month_figures,
    month_trends,
    one_jurisdiction,
    rankings,
    status_grid,
)
from db.records import finding_list, findings, monthly_saving
from db.rules import scoring, scoring_assessment, scoring_measures
from db.rules.access import SYSTEM, AccessDenied, Principal
from db.xlsx import circular, findings_export, summary_figures, township_summary, verification_export

MONTH = Month(2023, 7)
AS_OF = dt.date(2023, 10, 31)
FIRST, LAST = dt.date(2023, 4, 1), dt.date(2023, 10, 31)


@dataclass
class County:
    session: Session
    people: dict[str, Principal]
    sanhe: int  # 三合街道
    other: int  # 名山街道
    campaign: campaign_calendar.CampaignInfo

    def __getitem__(self, username: str) -> Principal:
        return self.people[username]


@pytest.fixture
def county(seeded: Engine) -> Any:
    with Session(seeded) as s:
        people = {u.username: principal_for(u) for u in s.exec(select(User))}
        refs = {r.name: r.id for r in jurisdiction_list.list_jurisdictions(s)}
        campaign = campaign_calendar.get_campaign(s)
        assert campaign is not None
        yield County(s, people, refs["三合街道"], refs["名山街道"], campaign)


def _denied(call: Callable[[], object]) -> None:
    with pytest.raises(AccessDenied):
        call()


# --- reads ----------------------------------------------------------------------------------------


def test_township_user_reads_only_its_own_rows(county: County) -> None:
    s, me, other = county.session, county["sanhe"], county.other
    rows = month_figures.township_month_summary(s, principal=me, month=MONTH)
    assert [r.jurisdiction_id for r in rows] == [county.sanhe]
    assert month_figures.township_month_summary(s, principal=me, month=MONTH, jurisdiction_ids=[other]) == []
    assert {c.jurisdiction_id for c in status_grid.monthly_status_grid(s, principal=me, months=[MONTH])} == {
        county.sanhe
    }
    assert {
        c.jurisdiction_id
        for c in status_grid.status_grid(s, principal=me, campaign=county.campaign, as_of=AS_OF)
    } == {county.sanhe}
    overdue = drill_downs.overdue_findings(s, principal=me, as_of=AS_OF)
    assert overdue and {f.jurisdiction_id for f in overdue} == {county.sanhe}
    assert drill_downs.overdue_findings(s, principal=me, as_of=AS_OF, jurisdiction_ids=[other]) == []
    # county-wide asked for, own rows given
    rows_all = kpi_details.detail_rows(s, principal=me, kind="findings_open", month=MONTH, as_of=AS_OF)
    assert rows_all.total > 0 and {r["责任单位"] for r in rows_all.records()} == {"三合街道"}
    assert finding_list.list_findings(s, principal=me, as_of=AS_OF)
    assert {f.jurisdiction for f in finding_list.list_findings(s, principal=me, as_of=AS_OF)} == {"三合街道"}


@pytest.mark.parametrize(
    "call",
    [
        lambda s, me, j, c: month_figures.county_totals(s, principal=me, month=MONTH),
        lambda s, me, j, c: kpi_cards.county_kpis(s, principal=me, month=MONTH),
        lambda s, me, j, c: month_trends.county_trends(s, principal=me, months=[MONTH]),
        lambda s, me, j, c: rankings.month_ranking(s, principal=me, campaign=c, month=MONTH, as_of=AS_OF),
        lambda s, me, j, c: drill_downs.uninspected_targets(s, principal=me, month=MONTH, jurisdiction_id=j),
        lambda s, me, j, c: kpi_details.detail_rows(
            s, principal=me, kind="inspected", month=MONTH, jurisdiction_id=j
        ),
        lambda s, me, j, c: one_jurisdiction.enterprise_mix(
            s, principal=me, jurisdiction_id=j, month=MONTH, campaign_months=[MONTH]
        ),
        lambda s, me, j, c: one_jurisdiction.jurisdiction_months(
            s, principal=me, jurisdiction_id=j, months=[MONTH]
        ),
        lambda s, me, j, c: one_jurisdiction.certificate_outcomes(
            s, principal=me, jurisdiction_id=j, first=FIRST, last=LAST
        ),
        lambda s, me, j, c: one_jurisdiction.problem_checks(
            s, principal=me, jurisdiction_id=j, first=FIRST, last=LAST
        ),
        lambda s, me, j, c: one_jurisdiction.monthly_reports(
            s, principal=me, jurisdiction_id=j, months=[MONTH]
        ),
        lambda s, me, j, c: scoring_assessment.score_history(
            s, principal=me, campaign=c, jurisdiction_id=j, as_of=AS_OF, rules=scoring.load_rules()
        ),
        lambda s, me, j, c: verification_export.verification_rows(
            s, principal=me, jurisdiction_id=j, first=FIRST, last=LAST
        ),
        lambda s, me, j, c: township_summary.township_summary_xlsx(
            s, principal=me, month=MONTH, jurisdiction_id=j
        ),
        lambda s, me, j, c: findings_export.findings_xlsx(s, principal=me, jurisdiction_id=j),
        lambda s, me, j, c: circular.circular_workbook(
            s, principal=me, quarter=Quarter(2023, 3), as_of=AS_OF
        ),
        lambda s, me, j, c: finding_list.list_findings(s, principal=me, jurisdiction_id=j),
        lambda s, me, j, c: personal_data.problem_people(
            s, principal=me, jurisdiction_id=j, first=FIRST, last=LAST
        ),
        lambda s, me, j, c: monthly_saving.get_monthly(s, principal=me, jurisdiction_id=j, month=MONTH),
    ],
)
def test_township_user_is_refused_another_townships_data(county: County, call: Any) -> None:
    _denied(lambda: call(county.session, county["sanhe"], county.other, county.campaign))
    call(county.session, county["county"], county.other, county.campaign)  # county staff may


def test_the_ranking_is_public_but_the_drill_down_is_not(county: County) -> None:
    s = county.session
    mine = scoring_assessment.assess_quarter(
        s,
        principal=county["sanhe"],
        campaign=county.campaign,
        quarter=Quarter(2023, 3),
        as_of=AS_OF,
        rules=scoring.load_rules(),
    )
    everything = scoring_assessment.assess_quarter(
        s,
        principal=county["leader"],
        campaign=county.campaign,
        quarter=Quarter(2023, 3),
        as_of=AS_OF,
        rules=scoring.load_rules(),
    )
    assert [(x.member.name, x.score, x.rank) for x in mine.townships] == [
        (x.member.name, x.score, x.rank) for x in everything.townships
    ]
    assert len(mine.townships) == 30
    assert set(mine.measures) == {county.sanhe}
    assert len(everything.measures) == 45
    assert (
        scoring_measures.quarter_measures(
            s,
            principal=county["sanhe"],
            campaign=county.campaign,
            window=mine.window,
            jurisdiction_ids=[county.other],
        )
        == {}
    )
    assert scoring_measures.quarter_measures(
        s,
        principal=county["sanhe"],
        campaign=county.campaign,
        window=mine.window,
        jurisdiction_ids=[county.other, county.sanhe],
    ).keys() == {county.sanhe}


def test_exports_of_a_township_user_hold_only_its_own_rows(county: County) -> None:
    s, me = county.session, county["sanhe"]
    sheets = summary_figures.summary_sheets(s, principal=me, month=MONTH)
    assert [x.jurisdiction for x in sheets] == ["三合街道"]
    rows = verification_export.verification_rows(
        s, principal=me, jurisdiction_id=county.sanhe, first=FIRST, last=LAST
    )
    assert rows


@pytest.mark.parametrize("username", ["leader", "county", "admin"])
def test_county_wide_roles_read_everything(county: County, username: str) -> None:
    s, who = county.session, county[username]
    assert len(month_figures.township_month_summary(s, principal=who, month=MONTH)) == 45
    assert month_figures.county_totals(s, principal=who, month=MONTH).enterprises_registered > 0
    assert (
        len(rankings.month_ranking(s, principal=who, campaign=county.campaign, month=MONTH, as_of=AS_OF))
        == 30
    )
    table = kpi_details.detail_rows(s, principal=who, kind="findings_open", month=MONTH, as_of=AS_OF)
    assert len({r["责任单位"] for r in table.records()}) > 1


# --- writes ---------------------------------------------------------------------------------------


def _other_enterprise(county: County) -> int:
    found = county.session.exec(
        select(Enterprise.id).where(Enterprise.jurisdiction_id == county.other)
    ).first()
    assert found is not None
    return int(found)


def test_writes_are_refused_outside_the_own_jurisdiction_and_for_leaders(county: County) -> None:
    s = county.session
    enterprise = _other_enterprise(county)

    def add(who: Principal, jid: int) -> object:
        return findings.add_finding(
            s,
            principal=who,
            jurisdiction_id=jid,
            target_kind=TargetKind.ENTERPRISE,
            enterprise_id=enterprise,
            institution_id=None,
            found_on=dt.date(2023, 7, 3),
            finding=findings.FindingInput("测试问题"),
        )

    _denied(lambda: add(county["sanhe"], county.other))
    _denied(lambda: add(county["leader"], county.other))
    _denied(lambda: add(county["admin"], county.other))
    _denied(
        lambda: monthly_saving.submit_zero_report(
            s, principal=county["sanhe"], jurisdiction_id=county.other, month=Month(2023, 8)
        )
    )
    # another township's finding id typed into a form
    foreign = s.exec(select(Finding.id).where(Finding.jurisdiction_id == county.other)).first()
    assert foreign is not None
    _denied(
        lambda: findings.update_finding(s, principal=county["sanhe"], finding_id=int(foreign), measure="改")
    )
    _denied(
        lambda: findings.update_finding(s, principal=county["leader"], finding_id=int(foreign), measure="改")
    )
    s.rollback()
    # county staff and the township itself may
    add(county["county"], county.other)
    mine = s.exec(select(Enterprise.id).where(Enterprise.jurisdiction_id == county.sanhe)).first()
    assert mine is not None
    findings.add_finding(
        s,
        principal=county["sanhe"],
        jurisdiction_id=county.sanhe,
        target_kind=TargetKind.ENTERPRISE,
        enterprise_id=int(mine),
        institution_id=None,
        found_on=dt.date(2023, 7, 3),
        finding=findings.FindingInput("本镇问题"),
    )
    s.rollback()


def test_id_numbers_revealed_only_to_roles_that_may_and_only_for_readable_people(county: County) -> None:
    s = county.session
    check = s.exec(
        select(CertificateCheck).where(
            CertificateCheck.jurisdiction_id == county.other,
            CertificateCheck.person_id.is_not(None),  # type: ignore[union-attr]
        )
    ).first()
    assert check is not None and check.person_id is not None
    with pytest.raises(personal_data.PersonNotFound):
        personal_data.reveal_id_number(s, principal=county["sanhe"], person_id=check.person_id)
    _denied(lambda: personal_data.reveal_id_number(s, principal=county["leader"], person_id=check.person_id))
    full = personal_data.reveal_id_number(s, principal=county["county"], person_id=check.person_id)
    assert len(full) == 18 and "*" not in full
    _denied(
        lambda: verification_export.verification_xlsx(
            s, principal=county["leader"], jurisdiction_id=county.other, first=FIRST, last=LAST, full_ids=True
        )
    )


def test_only_administrators_manage_accounts_and_read_the_audit_trail(county: County) -> None:
    s = county.session
    assert len(users.list_users(s, principal=county["admin"])) == 5
    for name in ("leader", "county", "sanhe"):
        _denied(lambda who=county[name]: users.list_users(s, principal=who))
        _denied(lambda who=county[name]: search_audit(s, principal=who))
        _denied(
            lambda who=county[name]: users.add_user(
                s, principal=who, username="x1", password="Abcdefgh-12", role=Role.ADMIN
            )
        )
    _denied(lambda: users.list_users(s, principal=SYSTEM))  # the CLI's county-staff identity is no admin
