"""Reading archives (§1): encodings, title rows, synonyms, line numbers, IDs, names, input problems."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from tests.kits.archivekit import clean_class, merge, person, write_folder, write_xlsx
from training_audit import ArchiveError, AuditResult, audit, load_rules, read_archive
from training_audit.read import Limits
from training_audit.rules_config import RulesError
from verifier.ids import check_char

AS_OF = dt.date(2024, 12, 31)


def problems(result: AuditResult) -> list[tuple[str, int | None, str]]:
    return [(p.sheet, p.row, p.message) for p in result.problems]


def write_csv_text(folder: Path, sheet: str, text: str, encoding: str = "utf-8") -> None:
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{sheet}.csv").write_bytes(text.encode(encoding))


def test_gbk_csv_folder_with_title_rows_synonyms_and_blank_lines(tmp_path: Path) -> None:
    folder = tmp_path / "乙机构档案"
    name, id_number = person(0)
    write_csv_text(
        folder, "班次", "某机构培训档案\n\n期次,培训机构,类别,所属行业\nA1,乙机构,三级安全教育,\n", "gbk"
    )
    write_csv_text(
        folder,
        "课程安排",
        "班级编号,日期,开始时间,结束时间,授课人,学时\nA1,2023/5/6,8:30,11:45,张老师,4\n"
        "A1,2023.5.6,13：30,16:45,张老师,4\nA1,2023年5月7日,08:30,11:45,张老师,4\n"
        "A1,2023-05-07 ,13:30,16:45,张老师,4\nA1,2023-5-8,8:30,11:45,张老师,4\nA1,2023-5-8,13:30,16:45,张老师,4\n",
        "gbk",
    )
    signins = "".join(f"A1,{day},{name},{id_number}\n" for day in ("2023-05-06", "2023-05-07", "2023-05-08"))
    write_csv_text(
        folder, "签到", "\n班次编号,日期,姓名,身份证号码\n\n" + signins + ",,,\nA1,2023-05-09,张伟,X\n", "gbk"
    )
    result = audit([read_archive(folder)], as_of=AS_OF)
    assert result.leads == []
    # line 1 blank, 2 header, 3 blank, 4-6 rows, 7 a blank row of commas, 8 a row with two problems
    assert problems(result) == [("签到", 8, "身份证号应为18位（或15位旧号），实为 1 位")]


def test_utf8_and_gb18030_byte_order_marks(tmp_path: Path) -> None:
    for encoding in ("utf-8-sig", "gb18030"):
        folder = tmp_path / encoding
        write_folder(folder, clean_class(), encoding="utf-8-sig")
        for sheet in ("班次", "签到"):
            text = (folder / f"{sheet}.csv").read_text(encoding="utf-8-sig")
            bom = b"\x84\x31\x95\x33" if encoding == "gb18030" else b"\xef\xbb\xbf"
            (folder / f"{sheet}.csv").write_bytes(bom + text.encode(encoding.replace("-sig", "")))
        result = audit([read_archive(folder)], as_of=AS_OF)
        assert result.leads == [] and result.problems == []


def test_csv_line_numbers_count_lines_of_a_quoted_multiline_cell(tmp_path: Path) -> None:
    folder = tmp_path / "档案"
    write_folder(folder, clean_class())
    name, id_number = person(0)
    text = (folder / "签到.csv").read_text(encoding="utf-8-sig")
    lines = text.splitlines()
    lines.insert(1, f'A1,2023-05-06,"{name}\n",{id_number},,')  # a name cell spanning two lines, then
    lines.insert(3, f"A1,2023-02-30,王芳,{person(1)[1]},,")  # a bad date on physical line 5
    (folder / "签到.csv").write_text("\n".join(lines) + "\n", encoding="utf-8-sig")
    result = audit([read_archive(folder)], as_of=AS_OF)
    assert problems(result) == [("签到", 5, "日期“2023-02-30”无法识别为日期")]


def test_fifteen_digit_id_is_the_same_person(tmp_path: Path) -> None:
    sheets = clean_class(people=(0, 1))
    name, id18 = person(0)
    id15 = id18[:6] + id18[8:17]
    assert id15[:6] + "19" + id15[6:] + check_char(id15[:6] + "19" + id15[6:]) == id18
    for row in sheets["签到"]:
        if row[2] == name:
            row[3] = id15
    result = audit([read_archive(write_xlsx(tmp_path / "a.xlsx", sheets))], as_of=AS_OF)
    assert result.leads == [] and result.problems == []


def test_same_id_other_name_is_listed_and_still_used(tmp_path: Path) -> None:
    sheets = clean_class(people=(0, 1))
    id_number = person(0)[1]
    sheets["考试"] = [["A1", "张 伟伟", id_number, "2023-05-07", 90, None]]  # also before the last day
    result = audit([read_archive(write_xlsx(tmp_path / "a.xlsx", sheets))], as_of=AS_OF)
    [problem] = result.problems
    assert (problem.sheet, problem.row) == ("考试", 2)
    assert problem.message.startswith("NAME_DIFFERS")
    assert "a.xlsx 签到 第 2 行" in problem.message
    [lead] = result.leads
    assert lead.code == "EXAM_BEFORE_TRAINING_END"  # the row still counts
    name_spaced = clean_class(people=(0,))
    name_spaced["考试"][0][1] = " 张　伟 "  # white space only: the same name
    again = audit([read_archive(write_xlsx(tmp_path / "b.xlsx", name_spaced))], as_of=AS_OF)
    assert again.problems == []


def test_unusable_rows_are_listed_and_left_out(tmp_path: Path) -> None:
    sheets = clean_class()
    name, id_number = person(0)
    sheets["班次"].append(["X9", "甲培训学校", "不存在的类别", None, None, None])
    sheets["课程安排"] += [
        ["A1", "2023-05-09", "10:00", "09:00", "王老师", 1],  # row 8: end not after start
        ["Z1", "2023-05-09", "10:00", "11:00", "王老师", 1],  # row 9: unknown class
        ["X9", "2023-05-09", "10:00", "11:00", "王老师", 1],  # row 10: class left out: not listed
        ["A1", "2023-05-09", "25:00", "26:00", "", 1],  # row 11
    ]
    sheets["签到"] += [
        [
            "A1",
            "2023-05-06",
            name,
            id_number[:-1] + "0" if id_number[-1] != "0" else id_number[:-1] + "1",
            None,
            None,
        ],
        ["A1", "2023-05-06", name, id_number, "09:00", "08:00"],
        ["A1", "2023-05-06", "", id_number, "12:00", "13:00"],
    ]
    result = audit([read_archive(write_xlsx(tmp_path / "a.xlsx", sheets))], as_of=AS_OF)
    found = problems(result)
    assert found[0] == ("班次", 3, "培训类别“不存在的类别”不在规则表中")
    assert ("课程安排", 8, "结束时间不晚于开始时间") in found
    assert ("课程安排", 9, "班次编号“Z1”不在“班次”表中") in found
    assert not [p for p in found if p[1] == 10 and p[0] == "课程安排"]
    assert (
        "课程安排",
        11,
        "缺少授课教师；开始时间“25:00”无法识别为时间；结束时间“26:00”无法识别为时间",
    ) in found
    assert found[-3][0:2] == ("签到", 11) and "校验位" in found[-3][2]
    assert found[-2] == ("签到", 12, "签退时间不晚于签到时间")
    assert found[-1] == ("签到", 13, "缺少姓名")
    assert result.leads == []


def test_signin_outside_every_session_is_a_problem(tmp_path: Path) -> None:
    sheets = clean_class()
    name, id_number = person(0)
    sheets["签到"].append(["A1", "2023-05-06", name, id_number, "11:45", "13:30"])  # touches both sessions
    result = audit([read_archive(write_xlsx(tmp_path / "a.xlsx", sheets))], as_of=AS_OF)
    assert problems(result) == [("签到", 11, "签到日期或时段内无课程安排")]


def test_workbook_without_classes_sheet_fails(tmp_path: Path) -> None:
    sheets = clean_class()
    del sheets["班次"]
    with pytest.raises(ArchiveError, match="没有名为“班次”的工作表"):
        read_archive(write_xlsx(tmp_path / "a.xlsx", sheets))


def test_classes_sheet_without_header_fails_other_sheets_are_a_problem(tmp_path: Path) -> None:
    sheets = clean_class()
    path = write_xlsx(tmp_path / "a.xlsx", sheets, titles={"签到": [[f"标题{i}"] for i in range(10)]})
    result = audit([read_archive(path)], as_of=AS_OF)
    assert problems(result)[0][:2] == ("签到", None)
    assert [lead.code for lead in result.leads] == ["NO_ATTENDANCE_RECORDS"]
    folder = tmp_path / "无表头"
    write_folder(folder, sheets)
    (folder / "班次.csv").write_text("编号,单位\nA1,甲\n", encoding="utf-8")
    with pytest.raises(ArchiveError, match="班次"):
        read_archive(folder)


def test_title_rows_above_the_header_up_to_row_ten(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "a.xlsx", clean_class(), titles={"班次": [["培训档案"]] * 9})
    result = audit([read_archive(path)], as_of=AS_OF)
    assert result.problems == [] and result.leads == []


def test_duplicate_classes_fail_the_run(tmp_path: Path) -> None:
    sheets = merge(clean_class(), clean_class(people=(3,)))
    with pytest.raises(ArchiveError, match="第 2 行和第 3 行"):
        audit([read_archive(write_xlsx(tmp_path / "a.xlsx", sheets))], as_of=AS_OF)
    first = read_archive(write_xlsx(tmp_path / "b.xlsx", clean_class()))
    second = read_archive(write_folder(tmp_path / "c", clean_class()))
    with pytest.raises(ArchiveError, match=r"同时出现在档案“b\.xlsx”和“c”中"):
        audit([first, second], as_of=AS_OF)


@pytest.mark.parametrize("bad", [Path("x.xls"), Path("missing.xlsx")])
def test_other_paths_fail(tmp_path: Path, bad: Path) -> None:
    path = tmp_path / bad
    if path.suffix == ".xls":
        path.write_bytes(b"not a workbook")
    with pytest.raises(ArchiveError):
        read_archive(path)
    with pytest.raises(ArchiveError, match=r"班次\.csv"):
        read_archive(tmp_path)


def test_row_cap_names_the_limit(tmp_path: Path) -> None:
    folder = write_folder(tmp_path / "a", clean_class())
    with pytest.raises(ArchiveError, match="10 行的上限"):
        read_archive(folder, limits=Limits(max_rows=10, max_bytes=10**9))
    with pytest.raises(ArchiveError, match="1000字节 的上限"):
        read_archive(
            write_xlsx(tmp_path / "b.xlsx", clean_class()),
            limits=Limits(max_rows=10**6, max_bytes=1000),
        )


def test_rules_file_overrides_only_its_keys_and_rows_take_effect_by_date(tmp_path: Path) -> None:
    rules_file = tmp_path / "本县.toml"
    rules_file.write_text(
        'daily_cap = 12\n[[categories.worker_prejob]]\nlabels = ["从业人员岗前培训"]\ngeneral = 24\nbasis = "旧"\n'
        "effective_from = 2000-01-01\n[[categories.worker_prejob]]\n"
        'labels = ["从业人员岗前培训"]\ngeneral = 32\nbasis = "新规"\neffective_from = 2023-06-01\n',
        encoding="utf-8",
    )
    rules = load_rules(rules_file)
    assert rules.daily_cap == 12 and rules.crowd_threshold == 10 and rules.category_code("主要负责人初次培训")
    early = audit([read_archive(write_xlsx(tmp_path / "a.xlsx", clean_class()))], rules=rules, as_of=AS_OF)
    assert early.leads == []
    late_class = clean_class(days=("2023-06-01", "2023-06-02", "2023-06-03"))
    late = audit([read_archive(write_xlsx(tmp_path / "b.xlsx", late_class))], rules=rules, as_of=AS_OF)
    assert [(lead.code, lead.basis) for lead in late.leads] == [("CLASS_BELOW_MINIMUM", "新规")]
    (tmp_path / "bad.toml").write_text("daily_cap = -1\n", encoding="utf-8")
    with pytest.raises(RulesError):
        load_rules(tmp_path / "bad.toml")


def test_csv_cells_stay_text_even_when_every_value_looks_numeric(tmp_path: Path) -> None:
    """IDs, class codes and dates in a clean CSV are text: no digit or leading zero is lost."""
    sheets = clean_class(code="007")
    for rows in sheets.values():
        for row in rows:
            row[0] = "007"
    sheets["签到"] = [row for row in sheets["签到"] if not row[3].endswith("X")]
    folder = write_folder(tmp_path / "数字", sheets)
    archive = read_archive(folder)
    ids = archive.sheets["签到"].columns["身份证号"].values
    assert ids and all(isinstance(value, str) and len(value) == 18 for value in ids)
    assert archive.sheets["班次"].columns["班次编号"].values == ["007"]
    result = audit([archive], as_of=AS_OF)
    assert result.problems == []


def test_fast_and_careful_csv_readers_give_the_same_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    folder = write_folder(tmp_path / "档案", clean_class(people=range(6)))
    text = (folder / "签到.csv").read_text(encoding="utf-8-sig").replace("\r\n", "\n")
    lines = text.split("\n")
    lines[3:3] = ["", ",,,,,", "  ,　,,,,"]  # blank rows are skipped but keep their line numbers
    lines[8] = lines[8].replace("2023-05-06", '"2023-05-06"')
    lines.insert(10, "A1,2023-05-06,王芳,1234,,")
    (folder / "签到.csv").write_text("\r\n".join(lines), encoding="utf-8")
    from training_audit import read as reading

    used: list[bool] = []
    original = reading._fast_csv

    def spy(*args: object) -> object:
        found = original(*args)  # type: ignore[arg-type]
        used.append(found is not None)
        return found

    monkeypatch.setattr(reading, "_fast_csv", spy)
    fast = audit([read_archive(folder)], as_of=AS_OF)
    assert used == [True, True, True, True]
    monkeypatch.setattr(reading, "_fast_csv", lambda *args: None)
    careful = audit([read_archive(folder)], as_of=AS_OF)
    assert [(p.row, p.message) for p in fast.problems] == [(p.row, p.message) for p in careful.problems]
    assert [p.row for p in fast.problems] == [11]
    assert [lead.evidence for lead in fast.leads] == [lead.evidence for lead in careful.leads]
