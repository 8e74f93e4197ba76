"""`anpei audit-training` and `anpei template training` (§1 usage, §5 files, exit codes)."""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import openpyxl
from typer.testing import CliRunner

from anpei_cli.cli import app
from tests.kits.archivekit import clean_class, person, write_folder, write_xlsx
from training_audit import audit, read_archive

runner = CliRunner()


def _read_csv(path: Path) -> list[list[str]]:
    data = path.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(data.decode("utf-8-sig").splitlines()))


def _inflated(unit: str = "甲培训学校") -> dict[str, list[list[object]]]:
    sheets = clean_class(unit=unit)
    sheets["课程安排"][0][5] = 6
    return sheets


def test_csv_output_masks_ids_and_writes_the_problem_file(tmp_path: Path) -> None:
    sheets = _inflated()
    name, id_number = person(9)
    sheets["考试"].append(["A1", name, id_number, "2023-05-08", 30, None])
    sheets["签到"].append(["A1", "2023-05-06", name, "123", None, None])
    archive = write_xlsx(tmp_path / "甲档案.xlsx", sheets)
    out = tmp_path / "结果" / "线索.csv"
    result = runner.invoke(app, ["audit-training", str(archive), "--out", str(out)])
    assert result.exit_code == 0, result.output
    rows = _read_csv(out)
    assert rows[0] == [
        "规则代码",
        "规则",
        "依据",
        "培训单位",
        "班次编号",
        "对方培训单位",
        "对方班次编号",
        "姓名",
        "身份证号",
        "教师",
        "日期",
        "说明",
        "证据",
    ]
    assert [row[0] for row in rows[1:]] == ["EXAM_WITHOUT_ATTENDANCE", "HOURS_INFLATED"]
    assert rows[1][8] == id_number[:6] + "********" + id_number[-4:]
    assert rows[2][10] == "2023-05-06" and rows[2][12] == "甲档案.xlsx 课程安排 第 2 行"
    problems = _read_csv(tmp_path / "结果" / "线索-输入问题.csv")
    assert problems == [["档案", "工作表", "行号", "问题"], ["甲档案.xlsx", "签到", "11", problems[1][3]]]
    full = runner.invoke(app, ["audit-training", str(archive), "--out", str(out), "--full-ids"])
    assert full.exit_code == 0
    assert _read_csv(out)[1][8] == id_number


def test_problem_file_is_written_when_empty(tmp_path: Path) -> None:
    archive = write_folder(tmp_path / "乙", clean_class())
    out = tmp_path / "线索.csv"
    assert runner.invoke(app, ["audit-training", str(archive), "--out", str(out)]).exit_code == 0
    assert _read_csv(out) == [_read_csv(out)[0]]
    assert _read_csv(tmp_path / "线索-输入问题.csv") == [["档案", "工作表", "行号", "问题"]]


def test_xlsx_output_never_holds_a_formula(tmp_path: Path) -> None:
    archive = write_folder(tmp_path / "a", _inflated(unit="=HYPERLINK(1)"))
    out = tmp_path / "线索.xlsx"
    result = runner.invoke(app, ["audit-training", str(archive), "--out", str(out)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["线索", "输入问题"]
    cell = book["线索"]["D2"]
    assert cell.value == "=HYPERLINK(1)" and cell.data_type == "s"
    assert [c.value for c in book["输入问题"][1]] == ["档案", "工作表", "行号", "问题"]
    csv_out = tmp_path / "线索.csv"
    assert runner.invoke(app, ["audit-training", str(archive), "--out", str(csv_out)]).exit_code == 0
    assert _read_csv(csv_out)[1][3] == "'=HYPERLINK(1)"


def test_unusable_archive_exits_1_and_writes_nothing(tmp_path: Path) -> None:
    sheets = clean_class()
    del sheets["班次"]
    archive = write_xlsx(tmp_path / "a.xlsx", sheets)
    good = write_xlsx(tmp_path / "b.xlsx", clean_class())
    out = tmp_path / "线索.csv"
    out.write_text("旧内容", encoding="utf-8")
    result = runner.invoke(app, ["audit-training", str(good), str(archive), "--out", str(out)])
    assert result.exit_code == 1
    assert "没有名为“班次”的工作表" in result.output
    assert out.read_text(encoding="utf-8") == "旧内容"
    assert not (tmp_path / "线索-输入问题.csv").exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xlsx", "b.xlsx", "线索.csv"]


def test_usage_errors_exit_2(tmp_path: Path) -> None:
    archive = write_xlsx(tmp_path / "a.xlsx", clean_class())
    bad_rules = tmp_path / "r.toml"
    bad_rules.write_text("daily_cap = [", encoding="utf-8")
    for extra in (
        ["--out", str(tmp_path / "x.txt")],
        ["--out", str(tmp_path / "x.csv"), "--daily-cap", "0"],
        ["--out", str(tmp_path / "x.csv"), "--daily-cap", "八"],
        ["--out", str(tmp_path / "x.csv"), "--rules", str(bad_rules)],
        ["--out", str(tmp_path / "x.csv"), "--rules", str(tmp_path / "missing.toml")],
        ["--out", str(archive / "x.csv")],  # a folder that cannot be made: the archive is a file
    ):
        result = runner.invoke(app, ["audit-training", str(archive), *extra])
        assert result.exit_code == 2, (extra, result.output)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.xlsx", "r.toml"]


def test_daily_cap_option(tmp_path: Path) -> None:
    sheets = clean_class()
    sheets["课程安排"].append(["A1", "2023-05-07", "17:00", "17:45", "王老师", 1])
    archive = write_xlsx(tmp_path / "a.xlsx", sheets)
    out = tmp_path / "o.csv"
    assert runner.invoke(app, ["audit-training", str(archive), "--out", str(out)]).exit_code == 0
    assert _read_csv(out)[1][0] == "CLASS_DAY_OVER_CAP"
    assert (
        runner.invoke(app, ["audit-training", str(archive), "--out", str(out), "--daily-cap", "9"]).exit_code
        == 0
    )
    assert len(_read_csv(out)) == 1


def test_training_template(tmp_path: Path) -> None:
    out = tmp_path / "培训档案模板.xlsx"
    result = runner.invoke(app, ["template", "training", "--out", str(out)])
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(out)
    assert book.sheetnames == ["班次", "课程安排", "签到", "考试"]
    assert "填写说明" in str(book["签到"]["A1"].value)
    archive = read_archive(out)
    assert archive.problems == []
    assert {name: len(sheet) for name, sheet in archive.sheets.items()} == {
        "班次": 1,
        "课程安排": 1,
        "签到": 1,
        "考试": 1,
    }
    found = audit([archive], as_of=dt.date(2024, 1, 1))
    assert found.problems == []
    assert [lead.code for lead in found.leads] == ["CLASS_BELOW_MINIMUM"]  # one 4-学时 session of 32
