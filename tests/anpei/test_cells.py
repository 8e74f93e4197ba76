"""One formula-safe cell function for every CSV and xlsx writer (issue 11 item 3)."""

from __future__ import annotations

import csv
import io

import pandas as pd
import pytest
from openpyxl import load_workbook

from anpei.cells import FORMULA_START, safe_cell
from dashboard.ui import csv_bytes
from db.audit import search
from db.xlsx import styles
from training_audit import output as training_output
from verifier import results

ATTACKS = [start + 'HYPERLINK("http://127.0.0.1/x","点此")' for start in FORMULA_START]


@pytest.mark.parametrize("attack", ATTACKS)
def test_safe_cell_quotes_every_formula_start(attack: str) -> None:
    assert safe_cell(attack) == "'" + attack
    assert safe_cell("甲镇化工厂") == "甲镇化工厂" and safe_cell(-5) == -5 and safe_cell(None) is None


@pytest.mark.parametrize("attack", ATTACKS)
def test_dashboard_csv_download_is_formula_safe(attack: str) -> None:
    """An imported 问题描述 `=HYPERLINK(…)` reaches the leader's CSV with an apostrophe in front."""
    frame = pd.DataFrame({"问题描述": [attack, "正常文字"], "数量": [-3, 4]})
    rows = list(csv.reader(io.StringIO(csv_bytes(frame).decode("utf-8-sig"))))
    assert rows == [["问题描述", "数量"], ["'" + attack, "-3"], ["正常文字", "4"]]


@pytest.mark.parametrize("attack", ATTACKS)
def test_every_writer_uses_the_same_character_set(attack: str) -> None:
    assert styles.safe_cell(attack) == "'" + attack
    assert search.safe_cell(attack) == "'" + attack
    assert results.safe_text(attack) == "'" + attack


def test_verifier_result_files_are_formula_safe() -> None:
    row = {column: "" for column in results.ALL_COLUMNS} | {"姓名": "＝1+1", "说明": "\n=cmd|' /C calc'!A0"}
    buffer = io.StringIO()
    results.write_csv([row], buffer)
    assert "'＝1+1" in buffer.getvalue() and "'\n=cmd" in buffer.getvalue()
    xlsx = io.BytesIO()
    results.write_xlsx([row], xlsx)
    sheet = load_workbook(io.BytesIO(xlsx.getvalue())).active
    assert sheet is not None
    cells = [
        cell for line in sheet.iter_rows() for cell in line if cell.value in ("＝1+1", "\n=cmd|' /C calc'!A0")
    ]
    assert len(cells) == 2 and all(cell.data_type == "s" and cell.quotePrefix for cell in cells)


@pytest.mark.parametrize("attack", ATTACKS)
def test_training_audit_lead_files_use_the_same_character_set(attack: str) -> None:
    """The lead files had their own shorter list: `＝1+1` and a leading line break went out as formulas."""
    data = training_output.csv_bytes(["单位", "数量"], [[attack, -3]]).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(data, newline=""))) == [["单位", "数量"], ["'" + attack, "-3"]]
    book = load_workbook(io.BytesIO(training_output.xlsx_bytes([("线索", ["单位"], [[attack]])])))
    cell = book["线索"]["A2"]
    # (XML reads a carriage return back as a line feed)
    assert str(cell.value).strip() == attack.strip() and cell.data_type == "s" and cell.quotePrefix
