"""Correcting and deleting inspection records; later enforcement actions against a target."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from sqlmodel import select

from db.codes import ActionKind, ItemResult, TargetKind
from db.models import EnforcementAction, Finding, Inspection, InspectionItemResult
from db.records import inspection_edits, inspections
from db.records.common import InputError
from db.records.findings import FindingInput
from db.rules.access import AccessDenied, Principal
from tests.kits.countykit import County

TODAY = dt.date(2023, 8, 1)
ALL_PASS = {n: ItemResult.PASS for n in range(1, 6)}


def inspect(county: County, *, by: str = "三合街道", target: str = "三合化工有限公司", **over: Any) -> int:
    """Record one inspection as county staff; its id."""
    base: dict[str, Any] = dict(
        inspected_on=dt.date(2023, 5, 10),
        jurisdiction_id=county.ids[by],
        target_kind=TargetKind.ENTERPRISE,
        enterprise_id=county.ids[target],
        results=ALL_PASS,
    )
    base.update(over)
    with county.session() as s:
        row = inspections.record_inspection(
            s, principal=county.county_staff, data=inspections.InspectionInput(**base), today=TODAY
        )
        s.commit()
        return int(row.id or 0)


def results_of(county: County, inspection_id: int) -> dict[int, str]:
    with county.session() as s:
        rows = s.exec(
            select(InspectionItemResult).where(InspectionItemResult.inspection_id == inspection_id)
        ).all()
        return {r.item_number: r.result for r in rows}


def test_update_date_joint_notes_and_results(county: County) -> None:
    iid = inspect(
        county,
        results={**ALL_PASS, 2: ItemResult.FAIL},
        findings=[FindingInput("特种作业人员无证", check_item_number=2, deadline=dt.date(2023, 6, 30))],
    )
    with county.session() as s:
        inspection_edits.update_inspection(
            s,
            principal=county.township("三合街道"),
            inspection_id=iid,
            inspected_on=dt.date(2023, 5, 12),
            joint=True,
            joint_units="县经信委",
            results={4: "不合格", 5: ItemResult.NOT_APPLICABLE},
            notes="  补记：与经信委联合检查 ",
            today=TODAY,
        )
        s.commit()
    with county.session() as s:
        row = s.get(Inspection, iid)
        assert row is not None
        assert (row.inspected_on, row.joint, row.joint_units, row.notes) == (
            dt.date(2023, 5, 12),
            True,
            "县经信委",
            "补记：与经信委联合检查",
        )
        findings = s.exec(select(Finding).where(Finding.inspection_id == iid).order_by(Finding.id)).all()
        assert [(f.check_item_number, f.found_on) for f in findings] == [
            (2, dt.date(2023, 5, 12)),
            (4, dt.date(2023, 5, 12)),
        ]
        assert "考核合格" in findings[1].description  # the item's own text
    assert results_of(county, iid) == {1: "pass", 2: "fail", 3: "pass", 4: "fail", 5: "na"}
    (entry,) = [e for e in county.audit_entries(action="update", entity="inspection")]
    assert entry.username == "local_staff-三合街道"
    assert entry.before is not None and entry.after is not None
    assert (entry.before["inspected_on"], entry.after["inspected_on"]) == ("2023-05-10", "2023-05-12")
    assert (entry.before["results"]["4"], entry.after["results"]["4"]) == ("pass", "fail")
    assert county.audit_entries(action="update", entity="finding")  # the moved finding


def test_update_without_change_writes_no_audit(county: County) -> None:
    iid = inspect(county)
    with county.session() as s:
        inspection_edits.update_inspection(
            s, principal=county.county_staff, inspection_id=iid, results={1: "合格"}, today=TODAY
        )
        s.commit()
    assert county.audit_entries(action="update", entity="inspection") == []


@pytest.mark.parametrize(
    "change,fragment",
    [
        ({"inspected_on": dt.date(2023, 9, 1)}, "晚于今天"),
        ({"inspected_on": dt.date(2023, 7, 1)}, "早于新的检查日期"),  # the finding's deadline and the order
        ({"results": {2: "合格"}}, "第 2 项已登记问题，不能改为“合格”"),
        ({"results": {6: "合格"}}, "没有第 6 项"),
        ({"results": {1: "也许"}}, "无法识别"),
    ],
)
def test_update_refusals(county: County, change: dict[str, Any], fragment: str) -> None:
    iid = inspect(
        county,
        results={**ALL_PASS, 2: ItemResult.FAIL},
        actions=[
            inspections.ActionInput(
                ActionKind.ORDER_RECTIFY, dt.date(2023, 5, 10), deadline=dt.date(2023, 6, 10)
            )
        ],
    )
    with county.session() as s, pytest.raises(InputError, match=fragment):
        inspection_edits.update_inspection(
            s, principal=county.county_staff, inspection_id=iid, today=TODAY, **change
        )
    assert results_of(county, iid)[2] == "fail"
    assert county.audit_entries(action="update") == []


def test_update_refuses_a_duplicate_day_and_a_non_joint_foreign_target(county: County) -> None:
    first = inspect(county)
    second = inspect(county, inspected_on=dt.date(2023, 5, 20))
    joint = inspect(county, by="名山街道", joint=True, joint_units="三合街道")
    with county.session() as s:
        with pytest.raises(InputError, match=f"已登记过该单位对该对象的检查（编号 {first}）"):
            inspection_edits.update_inspection(
                s,
                principal=county.county_staff,
                inspection_id=second,
                inspected_on=dt.date(2023, 5, 10),
                today=TODAY,
            )
        with pytest.raises(InputError, match="只能作为联合检查登记"):
            inspection_edits.update_inspection(
                s, principal=county.township("名山街道"), inspection_id=joint, joint=False, today=TODAY
            )
        with pytest.raises(InputError, match="找不到编号为 999999 的检查记录"):
            inspection_edits.update_inspection(
                s, principal=county.county_staff, inspection_id=999999, notes="x"
            )


@pytest.mark.parametrize("who", ["other_township", "leader"])
def test_other_townships_and_leaders_cannot_correct_or_delete(county: County, who: str) -> None:
    iid = inspect(county)
    principal: Principal = county.township("名山街道") if who == "other_township" else county.leader
    with county.session() as s:
        with pytest.raises(AccessDenied):
            inspection_edits.update_inspection(
                s, principal=principal, inspection_id=iid, notes="改", today=TODAY
            )
        with pytest.raises(AccessDenied):
            inspection_edits.delete_inspection(s, principal=principal, inspection_id=iid)
    with county.session() as s:
        row = s.get(Inspection, iid)
        assert row is not None and row.notes == ""
    assert county.audit_entries(action="update") == county.audit_entries(action="delete") == []


def test_delete_only_without_findings_or_actions(county: County) -> None:
    clean = inspect(county)
    with_finding = inspect(
        county, inspected_on=dt.date(2023, 5, 11), results={**ALL_PASS, 3: ItemResult.FAIL}
    )
    with_action = inspect(
        county,
        inspected_on=dt.date(2023, 5, 12),
        actions=[
            inspections.ActionInput(ActionKind.CASE, dt.date(2023, 5, 12), case_ref="丰应急立〔2023〕3号")
        ],
    )
    with county.session() as s:
        with pytest.raises(InputError, match="已有 1 条问题、0 项处理措施，不能删除"):
            inspection_edits.delete_inspection(
                s, principal=county.township("三合街道"), inspection_id=with_finding
            )
        with pytest.raises(InputError, match="已有 0 条问题、1 项处理措施，不能删除"):
            inspection_edits.delete_inspection(
                s, principal=county.township("三合街道"), inspection_id=with_action
            )
        inspection_edits.delete_inspection(s, principal=county.township("三合街道"), inspection_id=clean)
        s.commit()
    with county.session() as s:
        assert s.get(Inspection, clean) is None
        assert sorted(int(i.id or 0) for i in s.exec(select(Inspection)).all()) == [with_finding, with_action]
    assert results_of(county, clean) == {}
    (entry,) = county.audit_entries(action="delete", entity="inspection")
    assert entry.entity_id == str(clean) and entry.after is None
    assert entry.before is not None and entry.before["results"]["1"] == "pass"
    with county.session() as s, pytest.raises(InputError, match="找不到编号"):
        inspection_edits.delete_inspection(s, principal=county.county_staff, inspection_id=clean)


def test_later_actions_are_scoped_to_the_acting_jurisdiction(county: County) -> None:
    sanhe, mingshan = county.ids["三合街道"], county.ids["名山街道"]
    chem = county.ids["三合化工有限公司"]
    fine = inspections.ActionInput(
        ActionKind.FINE, dt.date(2023, 6, 1), fine_amount=Decimal("5000"), case_ref="丰应急罚〔2023〕9号"
    )
    with county.session() as s:
        with pytest.raises(AccessDenied):
            inspections.add_action(
                s,
                principal=county.township("名山街道"),
                jurisdiction_id=sanhe,
                target_kind="enterprise",
                enterprise_id=chem,
                institution_id=None,
                action=fine,
                today=TODAY,
            )
        with pytest.raises(InputError, match="三合化工有限公司不属于名山街道"):
            inspections.add_action(
                s,
                principal=county.township("名山街道"),
                jurisdiction_id=mingshan,
                target_kind="enterprise",
                enterprise_id=chem,
                institution_id=None,
                action=fine,
                today=TODAY,
            )
        with pytest.raises(InputError, match="晚于今天"):
            inspections.add_action(
                s,
                principal=county.township("三合街道"),
                jurisdiction_id=sanhe,
                target_kind="enterprise",
                enterprise_id=chem,
                institution_id=None,
                today=TODAY,
                action=inspections.ActionInput(ActionKind.EXPOSURE, dt.date(2023, 9, 1)),
            )
        with pytest.raises(InputError, match="处理对象应为一家生产经营单位"):
            inspections.add_action(
                s,
                principal=county.county_staff,
                jurisdiction_id=sanhe,
                target_kind="enterprise",
                enterprise_id=None,
                institution_id=county.ids["三合安全培训学校"],
                action=fine,
                today=TODAY,
            )
    joint = inspect(county, by="名山街道", joint=True, joint_units="三合街道")
    with county.session() as s:
        with pytest.raises(InputError, match="早于检查日期"):
            inspections.add_action(
                s,
                principal=county.township("名山街道"),
                jurisdiction_id=mingshan,
                target_kind="enterprise",
                enterprise_id=chem,
                institution_id=None,
                inspection_id=joint,
                today=TODAY,
                action=inspections.ActionInput(ActionKind.BLACKLIST, dt.date(2023, 5, 1)),
            )
        inspections.add_action(
            s,
            principal=county.township("名山街道"),
            jurisdiction_id=mingshan,
            target_kind="enterprise",
            enterprise_id=chem,
            institution_id=None,
            inspection_id=joint,
            action=fine,
            today=TODAY,
        )
        inspections.add_action(
            s,
            principal=county.township("三合街道"),
            jurisdiction_id=sanhe,
            target_kind=TargetKind.ENTERPRISE,
            enterprise_id=chem,
            institution_id=None,
            today=TODAY,
            action=inspections.ActionInput(
                ActionKind.ORDER_RECTIFY, dt.date(2023, 6, 2), deadline=dt.date(2023, 7, 2)
            ),
        )
        s.commit()
    with county.session() as s:
        stored = s.exec(select(EnforcementAction).order_by(EnforcementAction.id)).all()
        assert [(a.kind, a.jurisdiction_id, a.inspection_id) for a in stored] == [
            ("fine", mingshan, joint),
            ("order_rectify", sanhe, None),
        ]
        assert stored[0].fine_amount == Decimal("5000") and stored[1].deadline == dt.date(2023, 7, 2)
    assert len(county.audit_entries(action="create", entity="enforcementaction")) == 2
