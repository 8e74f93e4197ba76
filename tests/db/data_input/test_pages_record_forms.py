"""Forms bound to what they edit (issue 10 items 1–3), through AppTest.

The inputs are found by their labels, not their keys, so these tests tell the bug from the fix on
any key scheme: switching the unit, the month or the problem must show the new record's stored
values, and saving must not write the previous record's values onto the new one. A record changed
behind an open form is refused with a Chinese message and the form shows the stored values again.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import select

from anpei.periods import Month
from db.codes import TargetKind
from db.models import Finding, MonthlyReport
from db.records import findings, monthly_saving
from tests.kits.countykit import County
from tests.kits.inputkit import open_page, texts

MONTH = Month(2023, 7)  # the sidebar's default month


def _number(at: Any, label: str) -> Any:
    return next(n for n in at.number_input if n.label == label)


def _text(at: Any, label: str) -> Any:
    return next(t for t in at.text_input if t.label == label)


def _submit(at: Any, label: str) -> Any:
    next(b for b in at.button if b.label == label).click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def _month(county: County, town: str, month: Month = MONTH) -> MonthlyReport | None:
    with county.session() as s:
        return s.exec(
            select(MonthlyReport).where(
                MonthlyReport.jurisdiction_id == county.ids[town], MonthlyReport.month == str(month)
            )
        ).first()


@pytest.fixture
def two_tables(page_county: County) -> County:
    """三合街道 and 名山街道 have each reported July, with different numbers and 填报人."""
    with page_county.session() as s:
        for town, inspected, high_risk, problems, by in (
            ("三合街道", 2, 1, 3, "张三"),
            ("名山街道", 1, 0, 1, "李四"),
        ):
            monthly_saving.save_monthly_numbers(
                s,
                principal=page_county.county_staff,
                jurisdiction_id=page_county.ids[town],
                month=MONTH,
                values={
                    "enterprises_inspected": inspected,
                    "high_risk_inspected": high_risk,
                    "problems_found": problems,
                    "item:enterprise-1": problems,
                    "filled_by": by,
                },
            )
        s.commit()
    return page_county


def test_monthly_form_follows_the_unit_and_saves_the_units_own_values(
    two_tables: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page("data_monthly.py", two_tables.county_staff, monkeypatch)
    at.selectbox(key="data_monthly.jurisdiction").set_value(two_tables.ids["三合街道"]).run()
    assert _number(at, "检查生产经营单位数").value == 2 and _text(at, "填报人").value == "张三"
    at.selectbox(key="data_monthly.jurisdiction").set_value(two_tables.ids["名山街道"]).run()
    assert _number(at, "检查生产经营单位数").value == 1, "the form kept 三合街道's numbers"
    assert _number(at, "发现问题数").value == 1 and _text(at, "填报人").value == "李四"
    _submit(at, "保存汇总表")
    assert "已保存 名山街道 2023-07 汇总表" in texts(at)
    stored = _month(two_tables, "名山街道")
    assert stored is not None and (stored.enterprises_inspected, stored.problems_found, stored.filled_by) == (
        1,
        1,
        "李四",
    )


def test_monthly_form_follows_the_month(two_tables: County, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page("data_monthly.py", two_tables.township("三合街道"), monkeypatch)
    assert _number(at, "检查生产经营单位数").value == 2
    at.selectbox(key="sidebar.month").set_value(Month(2023, 6)).run()
    assert _number(at, "检查生产经营单位数").value == 0, "the form kept July's numbers for June"
    assert _text(at, "填报人").value == ""
    at.selectbox(key="sidebar.month").set_value(MONTH).run()
    assert _number(at, "检查生产经营单位数").value == 2


def test_monthly_form_refuses_a_table_changed_behind_it(
    two_tables: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page("data_monthly.py", two_tables.township("三合街道"), monkeypatch)
    _number(at, "核查特种作业人员数").set_value(2)
    with two_tables.session() as s:  # someone else corrects the table meanwhile
        monthly_saving.save_monthly_numbers(
            s,
            principal=two_tables.county_staff,
            jurisdiction_id=two_tables.ids["三合街道"],
            month=MONTH,
            values={
                "enterprises_inspected": 2,
                "high_risk_inspected": 2,
                "problems_found": 3,
                "item:enterprise-1": 3,
                "filled_by": "王五",
            },
        )
        s.commit()
    _submit(at, "保存汇总表")
    assert any("未保存" in e.value and "在您打开表单之后已被修改" in e.value for e in at.error), texts(at)
    stored = _month(two_tables, "三合街道")
    assert stored is not None and (stored.problems_found, stored.filled_by) == (3, "王五")
    # the form shows what is stored now, and saves from there
    assert _number(at, "其中：高危行业").value == 2 and _text(at, "填报人").value == "王五"
    _number(at, "核查特种作业人员数").set_value(4)
    _submit(at, "保存汇总表")
    assert "已保存 三合街道 2023-07 汇总表" in texts(at)
    _number(at, "核查特种作业人员数").set_value(5)  # a second save from the same form is not refused
    _submit(at, "保存汇总表")
    stored = _month(two_tables, "三合街道")
    assert stored is not None and stored.workers_checked == 5


@pytest.fixture
def two_problems(page_county: County) -> County:
    with page_county.session() as s:
        for town, ent, measure in (
            ("三合街道", "三合化工有限公司", "补训全部特种作业人员"),
            ("名山街道", "名山采石场", "更换培训机构"),
        ):
            findings.add_finding(
                s,
                principal=page_county.county_staff,
                jurisdiction_id=page_county.ids[town],
                target_kind=TargetKind.ENTERPRISE,
                enterprise_id=page_county.ids[ent],
                institution_id=None,
                found_on=dt.date(2023, 5, 1),
                finding=findings.FindingInput(
                    f"{ent}培训记录不实", check_item_number=5, measure=measure, deadline=dt.date(2023, 12, 31)
                ),
            )
        s.commit()
    return page_county


def _measures(county: County) -> dict[str, str]:
    with county.session() as s:
        return {f.description: f.measure for f in s.exec(select(Finding)).all()}


def test_rectify_form_follows_the_chosen_problem(
    two_problems: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page("data_findings.py", two_problems.county_staff, monkeypatch)
    box = at.selectbox(key="data_findings.chosen")
    assert len(box.options) == 2
    first, second = box.options
    box.set_value(_id(first)).run()
    assert _text(at, "整改措施").value == "补训全部特种作业人员"
    at.selectbox(key="data_findings.chosen").set_value(_id(second)).run()
    assert _text(at, "整改措施").value == "更换培训机构", "the form kept the first problem's 整改措施"
    _submit(at, "报告已整改")
    assert f"问题 {_id(second)} 已标记为已整改" in texts(at)
    assert _measures(two_problems) == {
        "三合化工有限公司培训记录不实": "补训全部特种作业人员",
        "名山采石场培训记录不实": "更换培训机构",
    }


def test_rectify_form_refuses_a_problem_changed_behind_it(
    two_problems: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    at = open_page("data_findings.py", two_problems.township("三合街道"), monkeypatch)
    (fid,) = [_id(o) for o in at.selectbox(key="data_findings.chosen").options]
    _text(at, "整改措施").input("旧页面上的措施")
    with two_problems.session() as s:
        findings.update_finding(
            s, principal=two_problems.county_staff, finding_id=fid, measure="县局改过的措施"
        )
        s.commit()
    _submit(at, "报告已整改")
    assert any("未保存" in e.value and f"问题 {fid}" in e.value for e in at.error), texts(at)
    assert _measures(two_problems)["三合化工有限公司培训记录不实"] == "县局改过的措施"
    assert _text(at, "整改措施").value == "县局改过的措施"


def _id(option: Any) -> int:
    """A 选择问题 option as AppTest shows it ("12｜…") → the finding id."""
    return int(str(option).split("｜")[0])
