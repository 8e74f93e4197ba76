"""`db.records.cert_results` on SQLite and PostgreSQL: verdicts saved against people and the enterprise,
idempotent per job, scoped and audited; the overview's certificate numbers follow."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import select

from anpei.periods import Month
from dashboard.verify_service import check_row
from db.codes import PersonRole
from db.models import CertificateCheck, Person
from db.reads import month_figures
from db.records.cert_results import (
    CheckRow,
    enterprise_choices,
    job_ref_for,
    save_job_results,
    saved_job_refs,
)
from db.records.common import InputError
from db.rules.access import SYSTEM, AccessDenied
from tests.dashboard.staff.conftest import County
from tests.kits.staffkit import people
from verifier.contract import Certificate, ResultRecord, RosterFields
from verifier.types import Family, Outcome

AS_OF = dt.date(2023, 5, 20)
CROWD = people(6)


ROSTER_KEYS = {
    "单位名称": "enterprise",
    "所在单位": "enterprise",
    "统一社会信用代码": "uscc",
    "人员类型": "person_type",
}


def record(
    n: int, outcome: str, *, problem: str = "", family: str = "special", **roster: Any
) -> ResultRecord:
    """A row as the service's typed records give it (full ID number); roster fields by their header."""
    person = CROWD[n]
    code = Outcome(outcome)
    return ResultRecord(
        row_number=n + 2,
        name=person.name,
        id_number=person.id_number,
        family=Family(family),
        outcome=code,
        is_verdict=code.is_verdict,
        problem=problem,
        explanation="说明",
        certificate=Certificate(
            cert_number="T" + person.id_number,
            category="电工作业",
            item="低压电工作业",
            first_issue_date=dt.date(2021, 3, 1),
            valid_from=dt.date(2021, 3, 1),
            valid_until=dt.date(2027, 2, 28),
            review_due=dt.date(2024, 2, 28),
            issuer="重庆市应急管理局",
        ),
        checked_at=dt.datetime(2023, 5, 20, 2, 11, 12, tzinfo=dt.UTC),
        roster=RosterFields(**{ROSTER_KEYS[k]: v for k, v in roster.items()}),
    )


def row(n: int, outcome: str, *, problem: str = "", family: str = "special", **roster: Any) -> CheckRow:
    return check_row(record(n, outcome, problem=problem, family=family, **roster))


ROWS = [
    row(0, "VALID"),
    row(1, "NOT_FOUND", problem="无证上岗"),
    row(2, "CERT_NUMBER_MISMATCH", problem="疑似持假证"),
    row(3, "PLATFORM_ERROR"),  # not a verdict: not saved
    row(4, "INPUT_INVALID"),  # not a verdict: not saved
    row(0, "VALID"),  # the same person again
]


def test_verdicts_saved_against_people_and_enterprise(county: County) -> None:
    eid = county.ids["三合化工有限公司"]
    with county.session() as s:
        report = save_job_results(
            s,
            principal=county.county_staff,
            job_ref="verifier:1:20230520",
            as_of=AS_OF,
            rows=ROWS,
            enterprise_id=eid,
        )
        s.commit()
    assert (report.saved, report.skipped_non_verdict, report.skipped_duplicates, report.people_created) == (
        3,
        2,
        1,
        3,
    )
    assert "已保存 3 条" in report.summary
    with county.session() as s:
        checks = s.exec(select(CertificateCheck).order_by(CertificateCheck.id)).all()
        assert [c.outcome for c in checks] == ["VALID", "NOT_FOUND", "CERT_NUMBER_MISMATCH"]
        assert {c.enterprise_id for c in checks} == {eid}
        assert {c.jurisdiction_id for c in checks} == {county.ids["三合街道"]}
        assert checks[0].valid_until == dt.date(2027, 2, 28) and checks[0].as_of == AS_OF
        assert checks[0].checked_at is not None
        persons = s.exec(select(Person)).all()
        assert {p.id_number for p in persons} == {p.id_number for p in CROWD[:3]}
        assert {p.role for p in persons} == {PersonRole.SPECIAL_WORKER.value}
        summary = month_figures.township_month_summary(
            s, principal=SYSTEM, month=Month(2023, 5), jurisdiction_ids=[county.ids["三合街道"]]
        )[0]
        assert (summary.workers_checked, summary.unlicensed, summary.suspected_fake) == (3, 1, 1)
    entries = county.audit_entries(action="import", entity="certificatecheck")
    assert len(entries) == 1 and "三合化工有限公司" in entries[0].detail


def test_saving_a_job_again_replaces_its_checks(county: County) -> None:
    eid = county.ids["三合机械厂"]
    for _ in range(2):
        with county.session() as s:
            report = save_job_results(
                s,
                principal=county.county_staff,
                job_ref="verifier:7:1",
                as_of=AS_OF,
                rows=ROWS[:2],
                enterprise_id=eid,
            )
            s.commit()
    assert report.replaced == 2 and report.people_created == 0
    with county.session() as s:
        assert len(s.exec(select(CertificateCheck)).all()) == 2
        assert len(s.exec(select(Person)).all()) == 2
        assert saved_job_refs(s, refs=["verifier:7:1", "verifier:8:1"]) == {"verifier:7:1": 2}


def test_a_township_roster_finds_each_rows_enterprise(county: County) -> None:
    rows = [
        row(0, "VALID", 单位名称="三合化工有限公司"),
        row(1, "EXPIRED", problem="证书失效或不符", 统一社会信用代码="91500230MA0000001X"),
        row(2, "NOT_FOUND", problem="无证上岗", 单位名称="不存在的公司"),
        row(
            3,
            "VALID",
            family="safety",
            人员类型="主要负责人",
            所在单位="三合化工有限公司",
        ),
    ]
    with county.session() as s:
        report = save_job_results(
            s,
            principal=county.township("三合街道"),
            job_ref="verifier:2:1",
            as_of=AS_OF,
            rows=rows,
            jurisdiction_id=county.ids["三合街道"],
        )
        s.commit()
        assert report.without_enterprise == 1
        checks = {c.outcome + c.family: c for c in s.exec(select(CertificateCheck)).all()}
        assert checks["VALIDspecial"].enterprise_id == county.ids["三合化工有限公司"]
        assert checks["EXPIREDspecial"].enterprise_id == county.ids["三合机械厂"]
        assert (
            checks["NOT_FOUNDspecial"].person_id is None and checks["NOT_FOUNDspecial"].enterprise_id is None
        )
        manager = s.get(Person, checks["VALIDsafety"].person_id)
        assert manager is not None and manager.role == PersonRole.PRINCIPAL.value


@pytest.mark.parametrize("who", ["leader", "other_township"])
def test_scoping_refuses_what_the_principal_may_not_change(county: County, who: str) -> None:
    principal = county.leader if who == "leader" else county.township("名山街道")
    with county.session() as s, pytest.raises(AccessDenied):
        save_job_results(
            s,
            principal=principal,
            job_ref="verifier:3:1",
            as_of=AS_OF,
            rows=ROWS[:1],
            enterprise_id=county.ids["三合化工有限公司"],
        )


def test_target_must_be_exactly_one(county: County) -> None:
    with county.session() as s, pytest.raises(InputError):
        save_job_results(s, principal=county.county_staff, job_ref="x", as_of=AS_OF, rows=ROWS[:1])


def test_enterprise_choices_and_parsing(county: County) -> None:
    with county.session() as s:
        names = [
            e.name
            for e in enterprise_choices(
                s, principal=county.county_staff, jurisdiction_id=county.ids["县经信委"]
            )
        ]
        assert names == ["三合化工有限公司"]
        with pytest.raises(AccessDenied):
            enterprise_choices(
                s, principal=county.township("名山街道"), jurisdiction_id=county.ids["三合街道"]
            )
    parsed = row(0, "VALID_WITH_WARNINGS")
    assert parsed.family is Family.SPECIAL and parsed.checked_at is not None
    assert parsed.checked_at.tzinfo is not None
    assert job_ref_for(12, "2026-11-26T12:31:08.123Z") == "verifier:12:20261126123108"
