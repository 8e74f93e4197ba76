"""The 检查记录 page through AppTest: one inspection by form, bulk import (XLSX, GBK CSV, broken)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlmodel import select

from db.models import EnforcementAction, Finding, Inspection
from db.records import inspection_sheet
from tests.kits.countykit import County
from tests.kits.inputkit import open_page, texts, xlsx

P = "data_inspections"
HEADER = [c.header for c in inspection_sheet.COLUMNS]


def irow(**values: Any) -> list[Any]:
    base = {
        "inspected_on": "2023-05-10",
        "jurisdiction": "三合街道",
        "target_kind": "生产经营单位",
        "target": "三合机械厂",
        "item1": "合格",
        "item2": "合格",
        "item3": "合格",
        "item4": "合格",
        "item5": "合格",
    }
    base.update(values)
    return [base.get(c.key) for c in inspection_sheet.COLUMNS]


def count(county: County, model: Any) -> int:
    with county.session() as s:
        return len(s.exec(select(model)).all())


def test_enter_one_inspection(page_county: County, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page("data_inspections.py", page_county.township("三合街道"), monkeypatch)
    assert at.title[0].value == "检查记录"
    F = f"{P}.new.{page_county.ids['三合街道']}.enterprise"  # the form's keys carry the unit and the kind
    assert set(at.selectbox(key=f"{F}.target").options) == {
        "三合化工有限公司",
        "三合烟花爆竹经营部",
        "三合机械厂",
        "三合商贸公司",
    }
    at.radio(key=f"{F}.item3").set_value("fail")
    at.text_area(key=f"{F}.description").input("电工无证上岗")
    at.checkbox(key=f"{F}.order").check()
    at.button(key=f"FormSubmitter:{F}.form-保存检查记录").click()
    at.run()
    assert any("责令整改须填写" in e.value for e in at.error)  # no deadline yet
    assert count(page_county, Inspection) == 0
    at.date_input(key=f"{F}.deadline").set_value(dt.date(2023, 11, 30))
    at.date_input(key=f"{F}.date").set_value(dt.date(2023, 10, 20))
    at.button(key=f"FormSubmitter:{F}.form-保存检查记录").click()
    at.run()
    assert "已保存对" in texts(at), texts(at)
    assert (
        count(page_county, Inspection),
        count(page_county, Finding),
        count(page_county, EnforcementAction),
    ) == (1, 1, 1)


@pytest.mark.parametrize(
    "name,content,mime,expected",
    [
        (
            "检查.xlsx",
            xlsx(
                [HEADER, irow(), irow(inspected_on="2023/5/11"), irow(inspected_on="2023年5月12日")],
                sheet="检查记录",
            ),
            "application/octet-stream",
            "检查 3 次",
        ),
        (
            "检查.csv",
            (",".join(HEADER) + "\n" + ",".join("" if v is None else str(v) for v in irow())).encode("gbk"),
            "text/csv",
            "检查 1 次",
        ),
    ],
    ids=["xlsx-three-date-formats", "gbk-csv"],
)
def test_bulk_import(
    page_county: County, monkeypatch: pytest.MonkeyPatch, name: str, content: bytes, mime: str, expected: str
) -> None:
    at = open_page("data_inspections.py", page_county.county_staff, monkeypatch)
    at.file_uploader(key=f"{P}.upload").set_value((name, content, mime))
    at.run()
    at.button(key=f"{P}.import").click()
    at.run()
    assert expected in texts(at), texts(at)


@pytest.mark.parametrize(
    "content,fragment",
    [
        (xlsx([["x"]], sheet="Sheet1"), "找不到检查记录表"),
        (
            xlsx([HEADER, irow(), irow(inspected_on="2023-05-11")], sheet="检查记录", merge="A2:B2"),
            "合并单元格",
        ),
        (xlsx([HEADER, irow(fine="五百")], sheet="检查记录"), "金额列填写了文字"),
        (xlsx([HEADER, irow(fine=-100)], sheet="检查记录"), "金额不能为负数"),
        (b"", "是空的"),
        (b"PK" + b"\0" * (20 * 1024 * 1024 + 1), "超过上传上限"),
    ],
    ids=["wrong-sheet", "merged", "text", "negative", "empty", "20MB"],
)
def test_bulk_import_refused(
    page_county: County, monkeypatch: pytest.MonkeyPatch, content: bytes, fragment: str
) -> None:
    at = open_page("data_inspections.py", page_county.county_staff, monkeypatch)
    at.file_uploader(key=f"{P}.upload").set_value(("坏.xlsx", content, "application/octet-stream"))
    at.run()
    at.button(key=f"{P}.import").click()
    at.run()
    assert any("未保存" in e.value for e in at.error)
    assert any(fragment in str(v) for v in at.dataframe[0].value.to_numpy().ravel())
    assert count(page_county, Inspection) == 0
