"""Saved result pages: the current and legacy layouts, and refusing anything else."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from anpei_cli.cli import app
from verifier.pages import PageLayoutError, parse_saved_page

PAGES = Path(__file__).resolve().parent / "saved_pages"


def _read(name: str) -> bytes:
    return (PAGES / name).read_bytes()


def test_current_valid() -> None:
    page = parse_saved_page(_read("current-valid.html"))
    assert page.layout == "current" and not page.not_found
    (record,) = page.records
    assert record.name == "刘洋"
    assert record.sex == "男"
    assert record.cert_number == "T500230198806143136"
    assert record.category == "电工作业"
    assert record.item == "低压电工作业"
    assert record.first_issue_date == dt.date(2020, 5, 18)
    assert record.valid_from == dt.date(2020, 5, 18)
    assert record.valid_until == dt.date(2026, 5, 17)
    assert record.review_due == dt.date(2023, 5, 17)
    assert record.review_done == dt.date(2023, 4, 27)
    assert record.issuer == "重庆市应急管理局"
    assert record.is_history is False
    assert record.raw["证号"] == "T500230198806143136"


def test_current_history_divider_marks_later_certificates() -> None:
    page = parse_saved_page(_read("current-history.html"))
    assert page.layout == "current" and not page.not_found
    assert [r.is_history for r in page.records] == [False, True, True]
    current, old, older = page.records
    assert current.item == "熔化焊接与热切割作业"
    assert current.review_done is None  # "—" is a missing value
    assert old.valid_until == dt.date(2018, 3, 14)  # YYYY/MM/DD accepted
    assert older.item == "登高架设作业"  # labels with a trailing colon
    assert older.raw["备注"] == "已换发新证"  # unknown labels kept as evidence


def test_current_not_found() -> None:
    page = parse_saved_page(_read("current-not-found.html"))
    assert page.layout == "current" and page.not_found and page.records == ()


def test_legacy_found_gbk_bytes() -> None:
    page = parse_saved_page(_read("legacy-found-gbk.html"))
    assert page.layout == "legacy" and not page.not_found
    assert [(r.name, r.item, r.category) for r in page.records] == [
        ("黄 丽", "熔化焊接与热切割作业", "焊接与热切割作业"),
        ("黄丽", "低压电工作业", "电工作业"),
    ]
    first, second = page.records
    assert first.first_issue_date == dt.date(2015, 6, 29)
    assert first.review_due == dt.date(2018, 6, 28)
    assert first.valid_until == dt.date(2021, 6, 28)
    assert second.review_due is None
    assert not any(r.is_history for r in page.records)


def test_legacy_not_found() -> None:
    page = parse_saved_page(_read("legacy-not-found.html"))
    assert page.layout == "legacy" and page.not_found and page.records == ()


def test_text_input_works_like_bytes() -> None:
    text = _read("current-valid.html").decode("utf-8")
    assert parse_saved_page(text) == parse_saved_page(_read("current-valid.html"))


_ROW = '<tr class="el-descriptions-row"><th>{}</th><td>{}</td></tr>'


def _current(*rows: tuple[str, str], extra: str = "") -> str:
    body = "".join(_ROW.format(label, value) for label, value in rows)
    return f'<html><body>{extra}<table class="el-descriptions__table"><tbody>{body}</tbody></table></body></html>'


@pytest.mark.parametrize(
    "html",
    [
        pytest.param(_read("unrelated-app-shell.html"), id="app-shell"),
        pytest.param("<html><body><h1>登录</h1><form><input name=user></form></body></html>", id="login"),
        pytest.param("", id="empty"),
        pytest.param("没有查询到相关证件信息", id="bare-current-not-found-text"),
        pytest.param(_current(("性别", "男"), ("证号", "T500230198806143136")), id="no-name"),
        pytest.param(_current(("姓名", "刘洋"), ("有效期结束日期", "2026年5月17日")), id="bad-date"),
        pytest.param(
            _current(("姓名", "刘洋"), extra='<div class="nocert-content">没有查询到相关证件信息</div>'),
            id="records-and-not-found",
        ),
        pytest.param(
            '<html><body><div class="nocert-content" style="display:none">没有查询到相关证件信息</div></body></html>',
            id="hidden-not-found-only",
        ),
        pytest.param(
            '<table class="datalist"><tr><th>姓名</th><th>性别</th></tr></table>', id="legacy-empty-table"
        ),
    ],
)
def test_unknown_or_unreadable_pages_raise(html: str | bytes) -> None:
    with pytest.raises(PageLayoutError) as info:
        parse_saved_page(html)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in str(info.value))


# --- the `anpei verify-page` command --------------------------------------------------------


def test_cli_verify_page_prints_records_and_a_decision() -> None:
    args = ["verify-page", str(PAGES / "current-history.html"), "--as-of", "2023-06-30"]
    result = CliRunner().invoke(app, [*args, "--name", "陈静", "--id-number", "500102198503224122"])
    assert result.exit_code == 0, result.output
    assert "现行查询平台" in result.output and "证书 2（历史数据）" in result.output
    assert "有效期结束：2027-09-05" in result.output
    assert "核验结论" in result.output and "500102********4122" in result.output
    assert "500102198503224122" not in result.output.replace("T500102198503224122", "")


def test_cli_verify_page_json() -> None:
    result = CliRunner().invoke(app, ["verify-page", str(PAGES / "legacy-not-found.html"), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data == {"layout": "legacy", "not_found": True, "records": []}
    result = CliRunner().invoke(
        app, ["verify-page", str(PAGES / "current-not-found.html"), "--json", "--name", "刘洋"]
    )
    assert json.loads(result.output)["decision"]["outcome"] == "NOT_FOUND"


def test_cli_verify_page_refuses_an_unknown_page() -> None:
    result = CliRunner().invoke(app, ["verify-page", str(PAGES / "unrelated-app-shell.html")])
    assert result.exit_code == 1
    assert "无法识别" in result.output and "查无此证" not in result.output
