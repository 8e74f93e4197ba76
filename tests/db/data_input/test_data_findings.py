"""问题清单: filters, overdue, revisit to close, recurring across quarters, export."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook

from db.codes import FindingStatus, RevisitResult, TargetKind
from db.records import finding_list, findings
from db.records.common import InputError
from db.rules.access import AccessDenied
from tests.kits.countykit import County


def add(
    county: County,
    *,
    town: str = "三合街道",
    enterprise: str = "三合化工有限公司",
    found: dt.date,
    deadline: dt.date | None,
    item: int = 1,
) -> int:
    with county.session() as s:
        f = findings.add_finding(
            s,
            principal=county.county_staff,
            jurisdiction_id=county.ids[town],
            target_kind=TargetKind.ENTERPRISE,
            enterprise_id=county.ids[enterprise],
            institution_id=None,
            found_on=found,
            finding=findings.FindingInput(
                f"问题{item}", check_item_number=item, deadline=deadline, responsible_person="王五"
            ),
        )
        s.commit()
        return int(f.id or 0)


def test_filters_and_overdue(county: County) -> None:
    a = add(county, found=dt.date(2023, 5, 1), deadline=dt.date(2023, 5, 31))
    b = add(county, found=dt.date(2023, 5, 2), deadline=dt.date(2023, 7, 31), item=2)
    c = add(
        county,
        town="名山街道",
        enterprise="名山采石场",
        found=dt.date(2023, 5, 3),
        deadline=dt.date(2023, 6, 1),
    )
    as_of = dt.date(2023, 6, 15)
    with county.session() as s:
        rows = finding_list.list_findings(s, principal=county.county_staff, as_of=as_of)
        assert [r.id for r in rows] == [a, c, b]  # longest overdue first
        assert [r.overdue for r in rows] == [True, True, False] and rows[0].days_overdue == 15
        assert [
            r.id
            for r in finding_list.list_findings(
                s, principal=county.county_staff, as_of=as_of, overdue_only=True
            )
        ] == [a, c]
        assert [
            r.id for r in finding_list.list_findings(s, principal=county.township("名山街道"), as_of=as_of)
        ] == [c]
        assert [
            r.id
            for r in finding_list.list_findings(
                s,
                principal=county.county_staff,
                jurisdiction_id=county.ids["三合街道"],
                due_from=dt.date(2023, 7, 1),
                as_of=as_of,
            )
        ] == [b]
        assert [
            r.id
            for r in finding_list.list_findings(
                s, principal=county.county_staff, enterprise_id=county.ids["名山采石场"]
            )
        ] == [c]
        assert finding_list.list_findings(s, principal=county.county_staff, status="closed") == []
        with pytest.raises(AccessDenied):
            finding_list.list_findings(
                s, principal=county.township("名山街道"), jurisdiction_id=county.ids["三合街道"]
            )


def test_close_requires_revisit(county: County) -> None:
    fid = add(county, found=dt.date(2023, 5, 1), deadline=dt.date(2023, 5, 31))
    p = county.township("三合街道")
    with county.session() as s:
        with pytest.raises(InputError, match="销号须填写复查日期、复查结果、复查人"):
            findings.close_finding(
                s, principal=p, finding_id=fid, revisit_date=None, revisit_result=None, revisit_by=""
            )
        findings.update_finding(
            s, principal=p, finding_id=fid, rectified_on=dt.date(2023, 5, 20), measure="补签培训记录"
        )
        failed = findings.close_finding(
            s,
            principal=p,
            finding_id=fid,
            revisit_date=dt.date(2023, 5, 25),
            revisit_result="复查不合格",
            revisit_by="赵六",
        )
        assert failed.status == FindingStatus.OPEN.value and failed.rectified_on is None
        closed = findings.close_finding(
            s,
            principal=p,
            finding_id=fid,
            revisit_date=dt.date(2023, 6, 2),
            revisit_result=RevisitResult.PASSED,
            revisit_by="赵六",
        )
        s.commit()
        assert closed.status == FindingStatus.CLOSED.value
        with pytest.raises(InputError, match="已复查销号"):
            findings.update_finding(s, principal=p, finding_id=fid, measure="x")
    with county.session() as s, pytest.raises(AccessDenied):
        findings.update_finding(s, principal=county.township("名山街道"), finding_id=fid, measure="x")
    with county.session() as s, pytest.raises(AccessDenied):
        findings.update_finding(s, principal=county.leader, finding_id=fid, measure="x")
    assert len(county.audit_entries(action="update", entity="finding")) == 3


def test_recurring_in_a_later_quarter(county: County) -> None:
    add(county, found=dt.date(2023, 2, 10), deadline=None, item=3)
    same_quarter = add(county, found=dt.date(2023, 3, 20), deadline=None, item=3)
    later = add(county, found=dt.date(2023, 5, 10), deadline=None, item=3)
    other_item = add(county, found=dt.date(2023, 5, 11), deadline=None, item=2)
    with county.session() as s:
        flags = {r.id: r.recurring for r in finding_list.list_findings(s, principal=county.county_staff)}
    assert flags[same_quarter] is False and flags[later] is True and flags[other_item] is False


def test_export(county: County) -> None:
    add(county, found=dt.date(2023, 5, 1), deadline=dt.date(2023, 5, 31))
    with county.session() as s:
        data = finding_list.export_findings(
            s, principal=county.county_staff, as_of=dt.date(2023, 6, 15), overdue_only=True
        )
        s.commit()
    ws = load_workbook(io.BytesIO(data)).active
    assert ws is not None
    assert "问题清单" in ws["A1"].value and ws["B2"].value == "单位"
    assert ws["B3"].value == "三合街道" and ws["K3"].value == "是" and ws["L3"].value == 15
    assert county.audit_entries(action="export", entity="finding")


def test_formula_text_is_neutralised(county: County) -> None:
    with county.session() as s:
        findings.add_finding(
            s,
            principal=county.county_staff,
            jurisdiction_id=county.ids["三合街道"],
            target_kind="enterprise",
            enterprise_id=county.ids["三合机械厂"],
            institution_id=None,
            found_on=dt.date(2023, 5, 1),
            finding=findings.FindingInput('=HYPERLINK("http://x","点我")'),
        )
        data = finding_list.export_findings(s, principal=county.county_staff)
    ws = load_workbook(io.BytesIO(data)).active
    assert ws is not None
    assert ws["F3"].value.startswith("'=") and ws["F3"].data_type == "s"


def test_add_finding_refuses_a_target_of_another_unit(county: County) -> None:
    """No UI path today, but the service refuses like `check_inspection` does (issue 11 item 8)."""
    day = dt.date(2023, 5, 10)
    finding = findings.FindingInput("别人的企业", check_item_number=1)
    with county.session() as s, pytest.raises(InputError, match="名山采石场不属于三合街道"):
        findings.add_finding(
            s,
            principal=county.township("三合街道"),
            jurisdiction_id=county.ids["三合街道"],
            target_kind=TargetKind.ENTERPRISE,
            enterprise_id=county.ids["名山采石场"],
            institution_id=None,
            found_on=day,
            finding=finding,
        )
    from db.records import inspections

    with county.session() as s:
        own = inspections.record_inspection(
            s,
            principal=county.township("名山街道"),
            today=dt.date(2023, 8, 1),
            data=inspections.InspectionInput(
                inspected_on=day,
                jurisdiction_id=county.ids["名山街道"],
                target_kind=TargetKind.ENTERPRISE,
                enterprise_id=county.ids["名山采石场"],
                results={n: "pass" for n in range(1, 6)},
            ),
        )
        s.commit()
        inspection_id = own.id
    with (
        county.session() as s,
        pytest.raises(InputError, match=f"检查记录 {inspection_id} 不是三合街道对该对象的检查"),
    ):
        findings.add_finding(
            s,
            principal=county.township("三合街道"),
            jurisdiction_id=county.ids["三合街道"],
            target_kind=TargetKind.ENTERPRISE,
            enterprise_id=county.ids["名山采石场"],
            institution_id=None,
            found_on=day,
            finding=finding,
            inspection_id=inspection_id,
        )
    with county.session() as s:  # the owner may, and so may the county
        for who, town in ((county.township("名山街道"), "名山街道"), (county.county_staff, "名山街道")):
            findings.add_finding(
                s,
                principal=who,
                jurisdiction_id=county.ids[town],
                target_kind=TargetKind.ENTERPRISE,
                enterprise_id=county.ids["名山采石场"],
                institution_id=None,
                found_on=day,
                finding=finding,
            )
