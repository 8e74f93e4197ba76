"""The 自查、举报、曝光与总结 page through AppTest."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from sqlmodel import select

from db.codes import ActionKind
from db.models import SelfInspectionReport, SummaryReport, Tip
from db.records.inspections import ActionInput, add_action
from tests.kits.countykit import County
from tests.kits.inputkit import open_page, texts

P = "data_other"


def test_self_inspection_form(page_county: County, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page("data_other.py", page_county.township("三合街道"), monkeypatch)
    assert at.title[0].value == "自查、举报、曝光与总结"
    F = f"{P}.self.{page_county.ids['三合街道']}.enterprise"  # the form's keys carry the unit and the kind
    at.text_area(key=f"{F}.summary").input("已自查培训档案")
    at.text_input(key=f"{F}.problem").input("培训记录缺签字")
    at.button(key=f"FormSubmitter:{F}.form-保存自查报告").click()
    at.run()
    assert "的自查报告" in texts(at), texts(at)
    with page_county.session() as s:
        assert len(s.exec(select(SelfInspectionReport)).all()) == 1


def test_tips_record_and_flag(page_county: County, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page("data_other.py", page_county.county_staff, monkeypatch)
    at.date_input(key=f"{P}.tip_received").set_value(dt.date(2023, 9, 1))
    at.text_area(key=f"{P}.tip_content").input("某厂特种作业人员无证")
    at.button(key=f"FormSubmitter:{P}.tip_form-登记").click()
    at.run()
    assert "举报线索已登记" in texts(at)
    with page_county.session() as s:
        assert len(s.exec(select(Tip)).all()) == 1
    at.checkbox(key=f"{P}.tip_flagged").check()
    at.run()
    assert "超期未处理 1 条" in texts(at)  # received 2023-09-01, as of 2023-10-31


def test_exposure_list_and_summary_upload(page_county: County, monkeypatch: pytest.MonkeyPatch) -> None:
    with page_county.session() as s:
        add_action(
            s,
            principal=page_county.county_staff,
            jurisdiction_id=page_county.ids["三合街道"],
            target_kind="enterprise",
            enterprise_id=page_county.ids["三合化工有限公司"],
            institution_id=None,
            action=ActionInput(ActionKind.FINE, dt.date(2023, 6, 1), fine_amount=Decimal("10000")),
        )
        s.commit()
    at = open_page("data_other.py", page_county.township("三合街道"), monkeypatch)
    assert any("三合化工有限公司" in list(d.value.get("单位名称", [])) for d in at.dataframe)
    at.file_uploader(key=f"{P}.summary.{page_county.ids['三合街道']}.file").set_value(
        ("总结.pdf", b"%PDF-1.4 summary", "application/pdf")
    )
    at.run()
    at.button(key=f"{P}.summary_save").click()
    at.run()
    assert "已上传 三合街道 的总结报告" in texts(at), texts(at)
    with page_county.session() as s:
        assert len(s.exec(select(SummaryReport)).all()) == 1
    other = open_page("data_other.py", page_county.township("名山街道"), monkeypatch)
    assert not any("三合化工有限公司" in list(d.value.get("单位名称", [])) for d in other.dataframe)
