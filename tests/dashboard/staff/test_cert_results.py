"""`db.cert_results` on SQLite and PostgreSQL: verdicts saved against people and the enterprise,
idempotent per job, scoped and audited; the overview's certificate numbers follow."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import select

from db import queries
from db.access import SYSTEM, AccessDenied
from db.cert_results import (
    enterprise_choices,
    job_ref_for,
    parse_result_row,
    save_job_results,
    saved_job_refs,
)
from db.codes import PersonRole
from db.input_common import InputError
from db.models import CertificateCheck, Person
from tests.dashboard.staff.conftest import County
from tests.kits.staffkit import people

AS_OF = dt.date(2023, 5, 20)
CROWD = people(6)


def row(
    n: int, outcome: str, *, problem: str = "", family: str = "特种作业操作证", **original: Any
) -> dict[str, Any]:
    person = CROWD[n]
    values: dict[str, Any] = {
        "行号": n + 2,
        "姓名": person.name,
        "身份证号": person.id_number,
        "证书类型": family,
        "outcome": outcome,
        "结论": "",
        "问题": problem,
        "warnings": "",
        "说明": "说明",
        "证号": "T" + person.id_number,
        "作业类别": "电工作业",
        "操作项目": "低压电工作业",
        "初领日期": "2021-03-01",
        "有效期开始": "2021-03-01",
        "有效期结束": "2027-02-28",
        "应复审日期": "2024-02-28",
        "实际复审日期": "",
        "签发机关": "重庆市应急管理局",
        "核验时间": "2023-05-20 10:11:12",
    }
    if original:
        values["_original"] = original
    return values


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
        summary = queries.township_month_summary(
            s, principal=SYSTEM, month="2023-05", jurisdiction_ids=[county.ids["三合街道"]]
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
            family="安全生产知识和管理能力考核合格证",
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
    parsed = parse_result_row(row(0, "VALID_WITH_WARNINGS"))
    assert parsed.family.value == "special" and parsed.checked_at is not None
    assert parsed.checked_at.tzinfo is not None
    assert job_ref_for(12, "2026-11-26T12:31:08.123Z") == "verifier:12:20261126123108"
