"""Streamlit's own English kept off the screen where a widget parameter can do it (issue 15 item 3);
the rest is CSS, checked in the browser by tests/dashboard/test_browser.py."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from dashboard import ui

ROOT = Path(__file__).resolve().parents[2]
SOURCES = sorted((ROOT / "dashboard").rglob("*.py"))


def _calls(name: str) -> list[tuple[str, ast.Call]]:
    found = []
    for path in SOURCES:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == name:
                found.append((f"{path.relative_to(ROOT)}:{node.lineno}", node))
    return found


@pytest.mark.parametrize("widget", ["selectbox", "multiselect"])
def test_every_dropdown_has_a_chinese_placeholder(widget: str) -> None:
    """An emptied dropdown shows its placeholder; Streamlit's default is "Choose an option"."""
    calls = _calls(widget)
    assert calls
    missing = [where for where, call in calls if not any(k.arg == "placeholder" for k in call.keywords)]
    assert not missing, missing


def test_upload_labels_do_not_spell_out_file_kinds_by_hand() -> None:
    """A label that lists the file kinds itself drifts from `type=` (the roster said .xlsx/.csv/.xls
    and took .xlsm too): the kinds come from `ui.file_types_text` of the same tuple."""
    literal = [
        where
        for where, call in _calls("file_uploader")
        if call.args and isinstance(call.args[0], ast.Constant) and ".xls" in str(call.args[0].value)
    ]
    assert not literal, literal


@pytest.mark.parametrize(
    ("types", "text"),
    [
        (("xlsx", "xlsm", "csv", "xls"), ".xlsx、.xlsm、.csv 或 .xls"),
        (("xlsx", "csv"), ".xlsx 或 .csv"),
        (("html",), ".html"),
    ],
)
def test_file_kinds_as_the_label_says_them(types: tuple[str, ...], text: str) -> None:
    assert ui.file_types_text(types) == text


def test_the_css_replaces_streamlits_english_with_chinese() -> None:
    for testid, chinese in [
        ("stStatusWidget", "停止"),
        ("stFileUploaderDropzone", "选择文件"),
        ("stFileUploaderDropzoneInstructions", "单个文件不超过"),
        ("InputInstructions", "按回车键提交"),
        ("stDateInput", "年"),
        ("stSkipToContent", "跳到主要内容"),
    ]:
        assert testid in ui.CHINESE_CSS and chinese in ui.CHINESE_CSS, testid


def test_an_unchanged_value_says_chi_ping_in_grey_without_an_arrow() -> None:
    """A lone grey "0" under a card read as a number; 持平 says it (issue 15 item 6)."""
    assert ui.delta_args(0.0, "", lower_is_better=False) == {
        "delta": "持平",
        "delta_color": "off",
        "delta_arrow": "off",
    }
    assert ui.delta_args(0.0004, "%", lower_is_better=True)["delta"] == "持平"  # 0.0 个百分点 as shown
    assert ui.delta_args(3.0, "", lower_is_better=True) == {"delta": "+3 较上月", "delta_color": "inverse"}
    assert ui.delta_args(None, "", lower_is_better=False)["delta"] is None


def test_the_overview_grid_says_reported_like_the_monthly_pages() -> None:
    """One word for a table reported in time: 已报 (the grid said 按时)."""
    from db.codes import MonthlyStatus
    from db.reads import status_grid

    assert status_grid.GRID_LABELS["on_time"] == MonthlyStatus.SUBMITTED.label == "已报"
