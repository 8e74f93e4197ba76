"""Inspection records: on-screen entry, bulk import (all-or-nothing), joint inspections, scoping."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlmodel import select

from db.codes import ActionKind, ItemResult, TargetKind
from db.models import EnforcementAction, Finding, Inspection, InspectionItemResult
from db.records import inspection_edits, inspection_import, inspection_sheet, inspections
from db.records.common import InputError
from db.records.findings import FindingInput
from db.rules.access import AccessDenied
from db.xlsx.tables import ImportRefused
from tests.kits.countykit import County
from tests.kits.inputkit import xlsx

TODAY = dt.date(2023, 8, 1)
ALL_PASS = {n: ItemResult.PASS for n in range(1, 6)}


def entry(county: County, **over: Any) -> inspections.InspectionInput:
    base: dict[str, Any] = dict(
        inspected_on=dt.date(2023, 5, 10),
        jurisdiction_id=county.ids["三合街道"],
        target_kind=TargetKind.ENTERPRISE,
        enterprise_id=county.ids["三合化工有限公司"],
        results=ALL_PASS,
    )
    base.update(over)
    return inspections.InspectionInput(**base)


def test_record_inspection_with_findings_and_actions(county: County) -> None:
    results = {**ALL_PASS, 3: ItemResult.FAIL, 4: "不合格", 5: "不适用"}
    data = entry(
        county,
        results=results,
        findings=[
            FindingInput(
                "两名焊工无证上岗",
                check_item_number=3,
                measure="停岗培训取证",
                deadline=dt.date(2023, 6, 10),
                responsible_person="王五",
            )
        ],
        actions=[
            inspections.ActionInput(
                ActionKind.ORDER_RECTIFY, dt.date(2023, 5, 10), deadline=dt.date(2023, 6, 10)
            ),
            inspections.ActionInput(
                ActionKind.FINE,
                dt.date(2023, 5, 20),
                fine_amount=Decimal("20000"),
                case_ref="丰应急罚〔2023〕1号",
            ),
        ],
    )
    with county.session() as s:
        inspection = inspections.record_inspection(
            s, principal=county.township("三合街道"), data=data, today=TODAY
        )
        s.commit()
        iid = inspection.id
    with county.session() as s:
        stored = {r.item_number: r.result for r in s.exec(select(InspectionItemResult)).all()}
        assert stored == {1: "pass", 2: "pass", 3: "fail", 4: "fail", 5: "na"}
        findings = s.exec(select(Finding).order_by(Finding.id)).all()
        assert [(f.check_item_number, f.inspection_id) for f in findings] == [(3, iid), (4, iid)]
        assert findings[1].deadline == dt.date(2023, 6, 10)  # automatic finding takes the order's deadline
        assert "考核合格" in findings[1].description
        kinds = sorted(a.kind for a in s.exec(select(EnforcementAction)).all())
        assert kinds == ["fine", "order_rectify"]
    assert {e.entity for e in county.audit_entries(action="create")} == {
        "inspection",
        "finding",
        "enforcementaction",
    }


@pytest.mark.parametrize(
    "over,fragment",
    [
        ({"results": {1: "pass"}}, "第 2、3、4、5 项未填写检查结果"),
        ({"results": {**ALL_PASS, 6: "pass"}}, "没有第 6 项"),
        ({"results": {**ALL_PASS, 1: "maybe"}}, "无法识别"),
        ({"inspected_on": dt.date(2023, 9, 1)}, "晚于今天"),
        ({"enterprise_id": None}, "检查对象应为一家生产经营单位"),
        ({"findings": [FindingInput("x", check_item_number=1)]}, "第 1 项结果为“合格”，却登记了问题"),
        (
            {"actions": [inspections.ActionInput(ActionKind.ORDER_RECTIFY, dt.date(2023, 5, 10))]},
            "责令整改须填写",
        ),
        (
            {"actions": [inspections.ActionInput(ActionKind.FINE, dt.date(2023, 5, 10))]},
            "罚款须填写大于 0 的金额",
        ),
        ({"enterprise_id": "名山"}, "不属于三合街道"),
    ],
)
def test_record_inspection_refused(county: County, over: dict[str, Any], fragment: str) -> None:
    if over.get("enterprise_id") == "名山":
        over["enterprise_id"] = county.ids["名山采石场"]
    with county.session() as s, pytest.raises(InputError, match=fragment):
        inspections.record_inspection(
            s, principal=county.county_staff, data=entry(county, **over), today=TODAY
        )


def test_joint_inspection_of_another_townships_enterprise(county: County) -> None:
    data = entry(county, enterprise_id=county.ids["名山采石场"], joint=True, joint_units="名山街道、县应急局")
    with county.session() as s:
        inspections.record_inspection(s, principal=county.township("三合街道"), data=data, today=TODAY)
        s.commit()
    with county.session() as s, pytest.raises(InputError, match="已登记过"):
        inspections.record_inspection(s, principal=county.township("三合街道"), data=data, today=TODAY)


@pytest.mark.parametrize("units", ["", "县应急局", "名山", "县应急局、公安局"])
def test_joint_inspection_must_name_a_unit_that_owns_the_target(county: County, units: str) -> None:
    """A township cannot put another's enterprise on the county's exposure list alone (issue 11 item 6)."""
    exposure = inspections.ActionInput(ActionKind.EXPOSURE, dt.date(2023, 5, 10), notes="曝光")
    data = entry(
        county, enterprise_id=county.ids["名山采石场"], joint=True, joint_units=units, actions=[exposure]
    )
    with county.session() as s, pytest.raises(InputError, match="在“联合单位”中填写名山街道"):
        inspections.record_inspection(s, principal=county.township("三合街道"), data=data, today=TODAY)
    with county.session() as s:
        assert s.exec(select(EnforcementAction)).all() == []


def test_joint_inspection_naming_the_owner_is_kept_and_cannot_drop_it_later(county: County) -> None:
    exposure = inspections.ActionInput(ActionKind.EXPOSURE, dt.date(2023, 5, 10), notes="曝光")
    data = entry(
        county,
        enterprise_id=county.ids["名山采石场"],
        joint=True,
        joint_units="县应急局，名山街道",
        actions=[exposure],
    )
    with county.session() as s:
        iid = inspections.record_inspection(
            s, principal=county.township("三合街道"), data=data, today=TODAY
        ).id
        s.commit()
    with county.session() as s, pytest.raises(InputError, match="在“联合单位”中填写名山街道"):
        inspection_edits.update_inspection(
            s, principal=county.township("三合街道"), inspection_id=iid, joint_units="县应急局", today=TODAY
        )


def test_scoping(county: County) -> None:
    with county.session() as s, pytest.raises(AccessDenied):
        inspections.record_inspection(
            s, principal=county.township("名山街道"), data=entry(county), today=TODAY
        )
    with county.session() as s, pytest.raises(AccessDenied):
        inspections.record_inspection(s, principal=county.leader, data=entry(county), today=TODAY)


# --- bulk import -----------------------------------------------------------------------------

HEADER = [c.header for c in inspection_sheet.COLUMNS]


def irow(**values: Any) -> list[Any]:
    base: dict[str, Any] = {
        "inspected_on": "2023-05-10",
        "jurisdiction": "三合街道",
        "target_kind": "生产经营单位",
        "target": "三合化工有限公司",
        "item1": "合格",
        "item2": "合格",
        "item3": "合格",
        "item4": "合格",
        "item5": "合格",
    }
    base.update(values)
    return [base.get(c.key) for c in inspection_sheet.COLUMNS]


def sheet(*rows: list[Any]) -> bytes:
    return xlsx([["检查记录"], HEADER, *rows], sheet="检查记录")


def test_template_downloads_and_round_trips(county: County) -> None:
    with county.session() as s:
        data = inspection_sheet.inspections_template(s)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["检查记录", "填写说明"]
    ws = wb["检查记录"]
    assert [c.value for c in ws[2]] == HEADER
    assert any("包过班" in str(r[1]) for r in wb["填写说明"].iter_rows(values_only=True))
    ws.append(irow(item3="不合格", description="焊工无证", deadline="2023/6/10", order="是"))
    ws.append(
        irow(
            target_kind="安全培训机构",
            target="三合安全培训学校",
            item5=None,
            item2="不合格",
            inspected_on=dt.date(2023, 5, 11),
        )
    )
    buf = io.BytesIO()
    wb.save(buf)
    with county.session() as s:
        report = inspection_import.import_inspections(
            s, principal=county.township("三合街道"), data=buf.getvalue(), filename="检查.xlsx", today=TODAY
        )
        s.commit()
    assert (report.inspections, report.findings, report.actions) == (2, 2, 1)
    with county.session() as s:
        assert len(s.exec(select(Inspection)).all()) == 2
        (order,) = s.exec(select(EnforcementAction)).all()
        assert order.deadline == dt.date(2023, 6, 10)


def test_same_file_twice_is_not_counted_twice(county: County) -> None:
    data = sheet(irow(), irow(inspected_on="2023年5月12日"))
    for expected in (False, True):
        with county.session() as s:
            report = inspection_import.import_inspections(
                s, principal=county.county_staff, data=data, filename="a.xlsx", today=TODAY
            )
            s.commit()
        assert report.duplicate_file is expected
    with county.session() as s:
        assert len(s.exec(select(Inspection)).all()) == 2
    assert len(county.audit_entries(action="import", entity="inspection")) == 1


def _refused(county: County, data: bytes, filename: str = "a.xlsx") -> list[str]:
    with county.session() as s, pytest.raises(ImportRefused) as info:
        inspection_import.import_inspections(
            s, principal=county.county_staff, data=data, filename=filename, today=TODAY
        )
    with county.session() as s:
        assert s.exec(select(Inspection)).all() == []
    return [str(p) for p in info.value.problems]


@pytest.mark.parametrize(
    "values,fragment",
    [
        ({"inspected_on": "五月十日"}, "第 3 行 A（检查日期） 列：日期无法识别"),
        ({"jurisdiction": "火星镇"}, "找不到检查单位"),
        ({"target": "不存在公司"}, "找不到这家生产经营单位"),
        ({"item2": "还行"}, "J（检查项2） 列：无法识别（读到“还行”，应为合格、不合格、不适用）"),
        ({"target_kind": "安全培训机构", "target": "三合安全培训学校"}, "安全培训机构只有 4 项检查内容"),
        ({"description": "x"}, "没有不合格的检查项"),
        ({"item1": "不合格", "order": "是"}, "责令整改须填写整改期限"),
        ({"fine": -5}, "金额不能为负数"),
        ({"fine": "五百"}, "金额列填写了文字"),
    ],
)
def test_import_refused_with_row_numbers(county: County, values: dict[str, Any], fragment: str) -> None:
    messages = _refused(county, sheet(irow(**values)))
    assert any(fragment in m for m in messages), messages
    assert all("第 3 行" in m for m in messages)


def test_import_reports_every_problem_of_a_row_at_once(county: County) -> None:
    """An unreadable cell does not hide the row's other problems (issue 10 item 9)."""
    messages = _refused(
        county,
        sheet(
            irow(
                fine="五百",
                jurisdiction="名山街道",
                item3="不合格",
                description="焊工无证",
                deadline="2023-05-01",
            )
        ),
    )
    assert any("金额列填写了文字" in m for m in messages), messages
    assert any("不属于名山街道" in m for m in messages), messages  # the joint-inspection rule says so (#11.6)
    assert any("整改期限早于检查日期" in m for m in messages), messages
    assert all("第 3 行" in m for m in messages)


def test_import_does_not_repeat_a_cell_problem_as_a_row_problem(county: County) -> None:
    messages = _refused(
        county, sheet(irow(item2="还行", inspected_on="2099-01-01", item1="不合格", order="是"))
    )
    assert len([m for m in messages if "检查项2" in m or "第 2 项" in m]) == 1, messages
    assert len([m for m in messages if "晚于今天" in m or "检查日期还没到" in m]) == 1, messages
    assert len([m for m in messages if "责令整改须填写" in m]) == 1, messages


def test_import_all_or_nothing(county: County) -> None:
    messages = _refused(county, sheet(irow(), irow(inspected_on="2023-05-11", jurisdiction="火星镇")))
    assert len(messages) == 1 and "第 4 行" in messages[0]


def test_import_duplicate_rows(county: County) -> None:
    assert any("与第 3 行重复" in m for m in _refused(county, sheet(irow(), irow())))


def test_import_broken_files(county: County) -> None:
    assert "找不到检查记录表" in _refused(county, xlsx([["a", "b"]], sheet="Sheet1"))[0]
    assert "合并单元格" in _refused(county, xlsx([["x"], HEADER, irow()], sheet="检查记录", merge="A3:B3"))[0]
    assert "是空的" in _refused(county, b"")[0]
    assert "超过上传上限" in _refused(county, b"x" * (20 * 1024 * 1024 + 1))[0]


def test_import_gbk_csv(county: County) -> None:
    text = (
        ",".join(HEADER)
        + "\n"
        + ",".join("" if v is None else str(v) for v in irow(inspected_on="2023.5.10"))
    )
    with county.session() as s:
        report = inspection_import.import_inspections(
            s, principal=county.county_staff, data=text.encode("gbk"), filename="检查.csv", today=TODAY
        )
        s.commit()
    assert report.inspections == 1


def test_import_scoping(county: County) -> None:
    with county.session() as s, pytest.raises(AccessDenied, match="第 3 行"):
        inspection_import.import_inspections(
            s, principal=county.township("名山街道"), data=sheet(irow()), filename="a.xlsx", today=TODAY
        )
    with county.session() as s, pytest.raises(AccessDenied):
        inspection_import.import_inspections(
            s, principal=county.leader, data=sheet(irow()), filename="a.xlsx", today=TODAY
        )
