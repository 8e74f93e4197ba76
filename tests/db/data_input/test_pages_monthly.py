"""The 月度汇总表 page through AppTest: upload (XLSX, GBK CSV, broken), form, zero report, scan, scoping."""

from __future__ import annotations

from typing import Any

import pytest
from sqlmodel import select

from db.models import MonthlyReport
from db.records import monthly_table
from tests.kits.countykit import County
from tests.kits.inputkit import open_page, texts, xlsx

P = "data_monthly"
MONTH = "2023-07"  # the sidebar's default month for the 2023 campaign
HEADERS = [c.header for c in monthly_table.DEFAULT_LAYOUT]


def data_row(**values: Any) -> list[Any]:
    base = {"jurisdiction": "三合街道", "month": MONTH, "enterprises_inspected": 2, "high_risk_inspected": 1}
    base.update(values)
    return [base.get(c.key) for c in monthly_table.DEFAULT_LAYOUT]


def upload(at: Any, name: str, content: bytes, mime: str) -> Any:
    at.file_uploader(key=f"{P}.upload").set_value((name, content, mime))
    at.run()
    at.button(key=f"{P}.import").click()
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def stored(county: County) -> list[MonthlyReport]:
    with county.session() as s:
        return list(s.exec(select(MonthlyReport)).all())


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_page_shows_status_and_template(page_county: County, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page("data_monthly.py", page_county.township("三合街道"), monkeypatch)
    assert at.title[0].value == "月度汇总表"
    assert "状态：未报" in texts(at) and "已过报送截止日" in texts(at)
    assert at.selectbox(key=f"{P}.jurisdiction").options == ["三合街道"]  # township staff see only their own


def test_upload_xlsx_then_same_file_again(page_county: County, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page("data_monthly.py", page_county.township("三合街道"), monkeypatch)
    data = xlsx([HEADERS, data_row()])
    upload(at, "7月.xlsx", data, XLSX)
    assert "新增 1 份（三合街道 2023-07）" in texts(at)
    upload(at, "7月.xlsx", data, XLSX)
    assert "未重复计入" in texts(at)
    assert len(stored(page_county)) == 1


def test_upload_gbk_csv(page_county: County, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page("data_monthly.py", page_county.county_staff, monkeypatch)
    text = ",".join(HEADERS) + "\n" + ",".join("" if v is None else str(v) for v in data_row(month="2023/7"))
    upload(at, "汇总表.csv", text.encode("gbk"), "text/csv")
    assert "新增 1 份" in texts(at)


@pytest.mark.parametrize(
    "content,fragment",
    [
        (xlsx([["姓名"], ["张三"]], sheet="Sheet1"), "找不到汇总表"),
        (xlsx([HEADERS, data_row(enterprises_inspected="两家")]), "数量列填写了文字"),
        (xlsx([HEADERS, data_row(rectified=-1)]), "数量不能为负数"),
        (xlsx([HEADERS, data_row(), data_row(jurisdiction="名山街道")], merge="A2:B2"), "合并单元格"),
        (xlsx([HEADERS, data_row(filled_on="下周")]), "日期无法识别"),
        (b"", "是空的"),
        (b"PK" + b"\0" * (20 * 1024 * 1024 + 1), "超过上传上限 20 MB"),
    ],
    ids=["wrong-sheet", "text", "negative", "merged", "date", "empty", "20MB"],
)
def test_broken_uploads_are_refused(
    page_county: County, monkeypatch: pytest.MonkeyPatch, content: bytes, fragment: str
) -> None:
    at = open_page("data_monthly.py", page_county.county_staff, monkeypatch)
    upload(at, "坏文件.xlsx", content, XLSX)
    assert any("未保存" in e.value for e in at.error)
    problems = at.dataframe[0].value
    assert any(fragment in str(m) for m in problems["问题"]) or any(
        fragment in str(m) for m in problems.to_numpy().ravel()
    )
    assert stored(page_county) == []


def test_a_missing_sheet_is_said_in_full(page_county: County, monkeypatch: pytest.MonkeyPatch) -> None:
    """A whole-file problem is a long sentence: it is in the error box, not cut off in a table cell."""
    at = open_page("data_monthly.py", page_county.county_staff, monkeypatch)
    upload(at, "坏文件.xlsx", xlsx([["姓名"], ["张三"]], sheet="Sheet1"), XLSX)
    (error,) = [e.value for e in at.error if "未保存" in e.value]
    assert (
        "找不到汇总表：文件中的工作表为 “Sheet1”，但没有一张含有汇总表的表头（请使用系统下载的模板）" in error
    )


@pytest.mark.parametrize("value", ["2023-08-02", "2023/8/2", "2023年8月2日"])
def test_dates_in_three_formats(page_county: County, monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    at = open_page("data_monthly.py", page_county.county_staff, monkeypatch)
    upload(at, "7月.xlsx", xlsx([HEADERS, data_row(filled_on=value)]), XLSX)
    assert "新增 1 份" in texts(at)
    assert str(stored(page_county)[0].filled_on) == "2023-08-02"


def test_form_zero_report_and_scan(page_county: County, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page("data_monthly.py", page_county.township("名山街道"), monkeypatch)
    F = f"{P}.{page_county.ids['名山街道']}.{MONTH}"  # the form's keys carry the unit and the month
    at.text_input(key=f"{F}.zero_by").input("李四")
    at.button(key=f"{P}.zero").click()
    at.run()
    assert "已提交 名山街道 2023-07 零报告" in texts(at)
    assert stored(page_county)[0].status == "zero"
    at.file_uploader(key=f"{F}.scan").set_value(("盖章.pdf", b"%PDF-1.4 stamped", "application/pdf"))
    at.run()
    at.button(key=f"{P}.scan_save").click()
    at.run()
    assert "扫描件已保存" in texts(at)
    at.number_input(key=f"{F}.f.enterprises_inspected").set_value(1)
    at.number_input(key=f"{F}.f.high_risk_inspected").set_value(1)
    at.button(key=f"FormSubmitter:{F}.form-保存汇总表").click()
    at.run()
    assert "已保存 名山街道 2023-07 汇总表" in texts(at), texts(at)
    (row,) = stored(page_county)
    assert row.enterprises_inspected == 1 and row.scan_path


def test_form_refuses_impossible_numbers(page_county: County, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page("data_monthly.py", page_county.county_staff, monkeypatch)
    F = f"{P}.{at.selectbox(key=f'{P}.jurisdiction').value}.{MONTH}"
    at.number_input(key=f"{F}.f.high_risk_inspected").set_value(3)
    at.button(key=f"FormSubmitter:{F}.form-保存汇总表").click()
    at.run()
    assert any("未保存" in e.value for e in at.error) and stored(page_county) == []


def test_leader_is_read_only_and_login_required(page_county: County, monkeypatch: pytest.MonkeyPatch) -> None:
    at = open_page("data_monthly.py", page_county.leader, monkeypatch)
    assert "只读" in texts(at)
    assert at.button(key=f"{P}.zero").disabled and at.file_uploader(key=f"{P}.upload").disabled
    nobody = open_page("data_monthly.py", None, monkeypatch)
    assert "请先登录" in texts(nobody)
