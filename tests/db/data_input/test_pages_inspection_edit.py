"""The 检查记录 page's 更正或删除 tab through AppTest: correct a result, a refused and a done delete,
and no form for a leader."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import select

from db.codes import ItemResult, TargetKind
from db.models import Finding, Inspection, InspectionItemResult
from db.records import inspections
from tests.kits.countykit import County
from tests.kits.inputkit import open_page, texts

E = "data_inspections.edit"
ALL_PASS = {n: ItemResult.PASS for n in range(1, 6)}


def inspect(county: County, **over: Any) -> int:
    """One stored inspection of 三合化工有限公司 by 三合街道; its id."""
    base: dict[str, Any] = dict(
        inspected_on=dt.date(2023, 5, 10),
        jurisdiction_id=county.ids["三合街道"],
        target_kind=TargetKind.ENTERPRISE,
        enterprise_id=county.ids["三合化工有限公司"],
        results=ALL_PASS,
    )
    base.update(over)
    with county.session() as s:
        row = inspections.record_inspection(
            s,
            principal=county.county_staff,
            data=inspections.InspectionInput(**base),
            today=dt.date(2023, 8, 1),
        )
        s.commit()
        return int(row.id or 0)


def stored_result(county: County, inspection_id: int, number: int) -> str:
    with county.session() as s:
        return s.exec(
            select(InspectionItemResult.result).where(
                InspectionItemResult.inspection_id == inspection_id,
                InspectionItemResult.item_number == number,
            )
        ).one()


def exists(county: County, inspection_id: int) -> bool:
    with county.session() as s:
        return s.get(Inspection, inspection_id) is not None


def test_county_staff_corrects_a_result(page_county: County, monkeypatch: pytest.MonkeyPatch) -> None:
    iid = inspect(page_county)
    at = open_page("data_inspections.py", page_county.county_staff, monkeypatch)
    assert at.selectbox(key=f"{E}.pick").value == iid
    assert at.radio(key=f"{E}.{iid}.item3").value == ItemResult.PASS.value
    at.radio(key=f"{E}.{iid}.item3").set_value(ItemResult.FAIL.value)
    at.text_area(key=f"{E}.{iid}.notes").input("复核后更正第 3 项")
    at.button(key=f"FormSubmitter:{E}.{iid}.form-保存更正").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "已更正检查记录" in texts(at), texts(at)
    assert stored_result(page_county, iid, 3) == ItemResult.FAIL.value
    with page_county.session() as s:
        row = s.get(Inspection, iid)
        assert row is not None and row.notes == "复核后更正第 3 项"
        assert [f.check_item_number for f in s.exec(select(Finding).where(Finding.inspection_id == iid))] == [
            3
        ]
    assert at.radio(key=f"{E}.{iid}.item3").value == ItemResult.FAIL.value  # the form shows the stored row


def test_turning_an_item_with_a_finding_back_is_refused(
    page_county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    iid = inspect(page_county, results={**ALL_PASS, 2: ItemResult.FAIL})
    at = open_page("data_inspections.py", page_county.county_staff, monkeypatch)
    at.radio(key=f"{E}.{iid}.item2").set_value(ItemResult.PASS.value)
    at.button(key=f"FormSubmitter:{E}.{iid}.form-保存更正").click()
    at.run()
    assert any("未保存" in e.value and "已登记问题" in e.value for e in at.error), texts(at)
    assert stored_result(page_county, iid, 2) == ItemResult.FAIL.value


def test_deleting_an_inspection_with_findings_is_refused(
    page_county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    iid = inspect(page_county, results={**ALL_PASS, 4: ItemResult.FAIL})
    at = open_page("data_inspections.py", page_county.county_staff, monkeypatch)
    assert at.button(key=f"{E}.{iid}.delete").disabled  # not confirmed yet
    at.checkbox(key=f"{E}.{iid}.confirm").check()
    at.run()
    at.button(key=f"{E}.{iid}.delete").click()
    at.run()
    assert any("未保存" in e.value and "不能删除" in e.value for e in at.error), texts(at)
    assert exists(page_county, iid)


def test_township_deletes_its_own_mistaken_inspection(
    page_county: County, monkeypatch: pytest.MonkeyPatch
) -> None:
    iid = inspect(page_county)
    at = open_page("data_inspections.py", page_county.township("三合街道"), monkeypatch)
    at.checkbox(key=f"{E}.{iid}.confirm").check()
    at.run()
    at.button(key=f"{E}.{iid}.delete").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    assert "已删除检查记录" in texts(at), texts(at)
    assert not exists(page_county, iid)
    assert "还没有可以更正的检查记录" in texts(at)


def test_other_township_sees_none_of_it(page_county: County, monkeypatch: pytest.MonkeyPatch) -> None:
    inspect(page_county)
    at = open_page("data_inspections.py", page_county.township("名山街道"), monkeypatch)
    assert not [w for w in at.selectbox if w.key == f"{E}.pick"]
    assert "还没有可以更正的检查记录" in texts(at)


def test_leader_sees_no_form(page_county: County, monkeypatch: pytest.MonkeyPatch) -> None:
    iid = inspect(page_county)
    at = open_page("data_inspections.py", page_county.leader, monkeypatch)
    assert "只读，不能更正或删除检查记录" in texts(at), texts(at)
    assert not [w for w in at.selectbox if w.key == f"{E}.pick"]
    assert not [w for w in at.radio if str(w.key).startswith(f"{E}.{iid}.")]
    assert not [w for w in at.button if str(w.key).startswith(f"{E}.")]
