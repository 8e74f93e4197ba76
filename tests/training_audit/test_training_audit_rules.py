"""Every rule of training-audit.md §4: a case that raises it and a near miss that does not."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl

from tests.kits.archivekit import Rows, clean_class, merge, person, write_xlsx
from training_audit import AuditResult, Lead, audit, read_archive
from training_audit.leads import evidence_text

AS_OF = dt.date(2024, 12, 31)


def run(tmp_path: Path, *archives: dict[str, Rows], **options: Any) -> AuditResult:
    read = [
        read_archive(write_xlsx(tmp_path / f"档案{i + 1}.xlsx", sheets)) for i, sheets in enumerate(archives)
    ]
    return audit(read, as_of=AS_OF, **options)


def codes(result: AuditResult) -> list[str]:
    return [lead.code for lead in result.leads]


def only(result: AuditResult, code: str) -> Lead:
    found = [lead for lead in result.leads if lead.code == code]
    assert len(found) == 1, codes(result)
    return found[0]


def test_a_clean_class_raises_nothing(tmp_path: Path) -> None:
    result = run(tmp_path, clean_class())
    assert result.leads == []
    assert result.problems == []


# --- CLASS_DAY_OVER_CAP ---------------------------------------------------------------------------


def test_class_day_over_cap(tmp_path: Path) -> None:
    sheets = clean_class()
    sheets["课程安排"].append(["A1", "2023-05-07", "17:00", "17:45", "王老师", 1])
    result = run(tmp_path, sheets)
    lead = only(result, "CLASS_DAY_OVER_CAP")
    assert lead.date == dt.date(2023, 5, 7)
    assert lead.basis == "本县设定：每日不超过 8 学时"
    assert "安排 9 学时" in lead.text and "超过本县设定的每日 8 学时" in lead.text
    assert "2024-07-01" in lead.text  # records older than AQ 8011—2023: the 说明 says the units still apply
    assert evidence_text(lead.evidence, result.archives) == "档案1.xlsx 课程安排 第 4-5、8 行"


def test_exactly_at_the_cap_is_no_lead_and_the_cap_is_an_option(tmp_path: Path) -> None:
    assert "CLASS_DAY_OVER_CAP" not in codes(run(tmp_path, clean_class()))  # 8 学时 a day, cap 8
    sheets = clean_class()
    sheets["课程安排"].append(["A1", "2023-05-07", "17:00", "17:45", "王老师", 1])
    assert "CLASS_DAY_OVER_CAP" not in codes(run(tmp_path, sheets, daily_cap=Decimal(9)))
    assert "CLASS_DAY_OVER_CAP" in codes(run(tmp_path, sheets, daily_cap=Decimal("8.5")))


# --- HOURS_INFLATED and credited 学时 -------------------------------------------------------------


def test_hours_column_larger_than_the_minutes_allow(tmp_path: Path) -> None:
    sheets = clean_class()
    sheets["课程安排"][2][5] = 5  # 08:30-11:45 is 195 minutes: ⌊195/45⌋ = 4
    lead = only(run(tmp_path, sheets), "HOURS_INFLATED")
    assert lead.date == dt.date(2023, 5, 7)
    assert lead.basis == "AQ 8011—2023 §4.4.4"
    assert "记 5 学时" in lead.text and "只能计 4 学时" in lead.text


def test_hours_column_smaller_is_what_the_session_credits(tmp_path: Path) -> None:
    sheets = clean_class()
    sheets["课程安排"][2][5] = "3.5"
    result = run(tmp_path, sheets)
    assert "HOURS_INFLATED" not in codes(result)
    lead = only(result, "CLASS_BELOW_MINIMUM")  # 23.5 < 24
    assert "23.5 学时" in lead.text


def test_online_sessions_count_30_minutes_a_unit(tmp_path: Path) -> None:
    sheets = clean_class()
    sheets["班次"][0][4] = "线上"
    for row in sheets["课程安排"]:
        row[5] = 6  # 195 minutes online: ⌊195/30⌋ = 6
    result = run(tmp_path, sheets, daily_cap=Decimal(12))
    assert codes(result) == []


# --- CLASS_BELOW_MINIMUM -------------------------------------------------------------------------


def test_class_below_minimum_for_high_risk_industry(tmp_path: Path) -> None:
    sheets = clean_class()
    sheets["班次"][0][3] = "煤矿"  # 高危: 从业人员岗前培训 needs 72
    lead = only(run(tmp_path, sheets), "CLASS_BELOW_MINIMUM")
    assert lead.basis == "《生产经营单位安全培训规定》（原安监总局令第3号）第十三条"
    assert "24 学时" in lead.text and "72 学时" in lead.text
    assert lead.date is None


def test_category_without_minimum_is_never_below(tmp_path: Path) -> None:
    sheets = clean_class(category="SPECIAL_INITIAL", days=("2023-05-06",))  # a code, any case
    sheets["课程安排"] = sheets["课程安排"][:1]  # 4 学时: no minimum for 特种作业初次培训
    result = run(tmp_path, sheets)
    assert result.problems == []
    assert codes(result) == []
    sheets["班次"][0][2] = "特种作业复审培训"  # minimum 8
    assert codes(run(tmp_path, sheets)) == ["CLASS_BELOW_MINIMUM"]


# --- ROOM_OVER_CAPACITY --------------------------------------------------------------------------


def test_room_over_capacity(tmp_path: Path) -> None:
    lead = only(run(tmp_path, clean_class(area=4)), "ROOM_OVER_CAPACITY")  # ⌊4 / 1.5⌋ = 2 < 3 people
    assert lead.date == dt.date(2023, 5, 6)
    assert "到课 3 人" in lead.text and "最多容纳 2 人" in lead.text


def test_room_exactly_full_or_online_is_no_lead(tmp_path: Path) -> None:
    assert codes(run(tmp_path, clean_class(area=4.5))) == []  # capacity 3, 3 people
    online = clean_class(area=1)
    online["班次"][0][4] = "网络"
    for row in online["课程安排"]:
        row[5] = None
    assert "ROOM_OVER_CAPACITY" not in codes(run(tmp_path, online, daily_cap=Decimal(12)))


# --- EXAM_BEFORE_TRAINING_END --------------------------------------------------------------------


def test_exam_before_the_last_session(tmp_path: Path) -> None:
    sheets = clean_class()
    sheets["考试"][1][3] = "2023-05-07"
    lead = only(run(tmp_path, sheets), "EXAM_BEFORE_TRAINING_END")
    assert lead.date == dt.date(2023, 5, 7)
    assert "2023-05-08" in lead.text


def test_exam_on_the_last_day_is_no_lead(tmp_path: Path) -> None:
    sheets = clean_class()
    sheets["考试"][1][3] = "2023年5月8日"
    assert codes(run(tmp_path, sheets)) == []


# --- UNIFORM_SCORES and IDENTICAL_SIGNIN ----------------------------------------------------------


def test_uniform_scores_needs_ten_rows(tmp_path: Path) -> None:
    ten = clean_class(people=range(10), area=None)
    for row in ten["考试"]:
        row[4] = 90
    lead = only(run(tmp_path, ten), "UNIFORM_SCORES")
    assert lead.basis == "《安全生产法》第二十八条；本县设定：≥ 10 人"
    nine = clean_class(people=range(9), area=None)
    for row in nine["考试"]:
        row[4] = "90.0"
    assert codes(run(tmp_path, nine)) == []
    ten["考试"][0][4] = 91
    assert codes(run(tmp_path, ten)) == []


def _signins_at(sheets: dict[str, Rows], time: Any, count: int) -> None:
    for row in sheets["签到"]:
        if row[1] == "2023-05-06" and count > 0:
            row[4] = time
            count -= 1


def test_identical_signin_with_seconds(tmp_path: Path) -> None:
    sheets = clean_class(people=range(12), area=None)
    _signins_at(sheets, "08:25:13", 10)
    lead = only(run(tmp_path, sheets), "IDENTICAL_SIGNIN")
    assert lead.date == dt.date(2023, 5, 6)
    assert "10 人" in lead.text and "08:25:13" in lead.text


def test_identical_signin_near_misses(tmp_path: Path) -> None:
    nine = clean_class(people=range(12), area=None)
    _signins_at(nine, "08:25:13", 9)
    assert codes(run(tmp_path, nine)) == []
    no_seconds = clean_class(people=range(12), area=None)
    _signins_at(no_seconds, "08:25", 12)
    assert codes(run(tmp_path, no_seconds)) == []


def _time_format(path: Path, number_format: str) -> Path:
    book = openpyxl.load_workbook(path)
    for row in book["签到"].iter_rows(min_row=2, min_col=5, max_col=5):
        row[0].number_format = number_format
    book.save(path)
    return path


def test_time_cells_carry_seconds_when_their_format_shows_them(tmp_path: Path) -> None:
    cells = clean_class(people=range(12), area=None)
    _signins_at(cells, dt.time(8, 25, 0), 12)
    path = write_xlsx(tmp_path / "cells.xlsx", cells)
    shown = audit([read_archive(_time_format(path, 'h:mm:ss;"s"'))], as_of=AS_OF)
    assert [lead.code for lead in shown.leads] == ["IDENTICAL_SIGNIN"]
    hidden = audit([read_archive(_time_format(path, 'h:mm "s"'))], as_of=AS_OF)  # an `s` in quotes only
    assert hidden.leads == []


# --- NO_ATTENDANCE_RECORDS, EXAM_WITHOUT_ATTENDANCE, PASSED_WITHOUT_HOURS ------------------------


def test_no_attendance_records(tmp_path: Path) -> None:
    sheets = clean_class()
    sheets["签到"] = []
    result = run(tmp_path, sheets)
    assert codes(result) == ["NO_ATTENDANCE_RECORDS"]  # and not one EXAM_WITHOUT_ATTENDANCE a person
    assert evidence_text(result.leads[0].evidence, result.archives) == "档案1.xlsx 班次 第 2 行"


def test_exam_without_attendance(tmp_path: Path) -> None:
    sheets = clean_class()
    name, id_number = person(9)
    sheets["考试"].append(["A1", name, id_number, "2023-05-08", 40, "不合格"])
    lead = only(run(tmp_path, sheets), "EXAM_WITHOUT_ATTENDANCE")
    assert (lead.name, lead.id_number) == (name, id_number)


def test_passed_without_hours(tmp_path: Path) -> None:
    sheets = clean_class()
    sheets["签到"] = [
        row for row in sheets["签到"] if not (row[2] == person(0)[0] and row[1] != "2023-05-06")
    ]
    lead = only(run(tmp_path, sheets), "PASSED_WITHOUT_HOURS")
    assert lead.name == person(0)[0]
    assert "只计 8 学时" in lead.text and "24 学时" in lead.text
    sheets["考试"][0][4:6] = [95, "不合格"]  # 结果 decides over 成绩
    assert codes(run(tmp_path, sheets)) == []


def test_passed_without_hours_not_raised_when_the_class_is_below_minimum(tmp_path: Path) -> None:
    sheets = clean_class()
    sheets["课程安排"] = sheets["课程安排"][:-1]  # 20 学时 in all
    sheets["签到"] = [
        row for row in sheets["签到"] if not (row[2] == person(0)[0] and row[1] != "2023-05-06")
    ]
    assert codes(run(tmp_path, sheets)) == ["CLASS_BELOW_MINIMUM"]


def test_signin_times_limit_the_sessions_attended(tmp_path: Path) -> None:
    sheets = clean_class()
    for row in sheets["签到"]:
        if row[2] == person(0)[0]:
            row[4:6] = ["08:20", "11:45"]  # leaves when the afternoon session has not begun
    lead = only(run(tmp_path, sheets), "PASSED_WITHOUT_HOURS")
    assert "只计 12 学时" in lead.text


# --- PERSON_OVERLAP and PERSON_DAY_OVER_CAP --------------------------------------------------------


def test_person_overlap_across_archives(tmp_path: Path) -> None:
    first = clean_class("A1", "甲培训学校", people=(0, 1, 2))
    second = clean_class("B7", "乙公司", people=(0, 3, 4), teacher="李老师")
    result = run(tmp_path, first, second)
    lead = only(result, "PERSON_OVERLAP")
    assert (lead.unit, lead.class_code, lead.other_unit, lead.other_code) == (
        "乙公司",
        "B7",
        "甲培训学校",
        "A1",
    )
    assert lead.id_number == person(0)[1]
    assert lead.date == dt.date(2023, 5, 6)
    assert "档案1.xlsx 签到 第 2、5、8 行" in evidence_text(lead.evidence, result.archives)
    assert "档案2.xlsx" in evidence_text(lead.evidence, result.archives)
    assert len([code for code in codes(result) if code == "PERSON_DAY_OVER_CAP"]) == 3


def test_touching_sessions_do_not_overlap(tmp_path: Path) -> None:
    morning = clean_class("A1", people=(0, 1), days=("2023-05-06",))
    morning["课程安排"] = [["A1", "2023-05-06", "08:00", "11:00", "王老师", None]]
    later = clean_class("A2", people=(0, 2), days=("2023-05-06",), teacher="王老师")
    later["课程安排"] = [["A2", "2023-05-06", "11:00", "14:00", "王老师", None]]
    found = codes(run(tmp_path, merge(morning, later)))
    assert "PERSON_OVERLAP" not in found and "TEACHER_OVERLAP" not in found
    assert "PERSON_DAY_OVER_CAP" not in found  # 4 + 4 = 8 is not over the cap


def test_person_day_over_cap_across_two_classes(tmp_path: Path) -> None:
    day = ("2023-05-06",)
    morning = clean_class("A1", people=(0, 1), days=day)
    morning["课程安排"] = [["A1", "2023-05-06", "08:30", "11:45", "王老师", None]]
    evening = clean_class("A2", people=(0, 2), days=day, teacher="李老师")
    evening["课程安排"] = [
        ["A2", "2023-05-06", "13:30", "16:45", "李老师", None],
        ["A2", "2023-05-06", "17:00", "20:15", "李老师", None],
    ]
    result = run(tmp_path, merge(morning, evening))
    lead = only(result, "PERSON_DAY_OVER_CAP")
    assert (lead.unit, lead.class_code, lead.date) == ("", "", dt.date(2023, 5, 6))
    assert "共计 12 学时" in lead.text
    assert "CLASS_DAY_OVER_CAP" not in codes(result)


# --- TEACHER_OVERLAP -----------------------------------------------------------------------------


def test_teacher_overlap_names_are_normalised(tmp_path: Path) -> None:
    first = clean_class("A1", people=(0,), teacher="王 强、李四")
    second = clean_class("A2", people=(1,), teacher="王强")
    for row in second["课程安排"]:
        row[2:4] = ["11:00", "11:45"] if row[2] == "08:30" else ["16:00", "16:45"]
        row[5] = 1
    result = run(tmp_path, merge(first, second), daily_cap=Decimal(24))
    leads = [lead for lead in result.leads if lead.code == "TEACHER_OVERLAP"]
    assert [(lead.teacher, lead.class_code, lead.other_code) for lead in leads] == [("王强", "A1", "A2")]
    assert leads[0].date == dt.date(2023, 5, 6)


def test_teacher_on_two_rows_of_one_class(tmp_path: Path) -> None:
    sheets = clean_class()
    sheets["课程安排"].append(["A1", "2023-05-08", "09:00", "09:45", "王老师", 1])
    lead = only(run(tmp_path, sheets, daily_cap=Decimal(24)), "TEACHER_OVERLAP")
    assert (lead.class_code, lead.other_code) == ("A1", "A1")


# --- ordering ------------------------------------------------------------------------------------


def test_leads_sorted_by_code_then_key(tmp_path: Path) -> None:
    one = clean_class("B2", "乙学校", area=1)
    two = clean_class("A9", "乙学校", people=(5, 6, 7), area=1, teacher="李老师")
    three = clean_class("C1", "甲学校", people=(8, 9, 10), area=1, teacher="赵老师")
    result = run(tmp_path, merge(one, two, three))
    keys = [(lead.code, lead.unit, lead.class_code) for lead in result.leads]
    assert keys == [
        ("ROOM_OVER_CAPACITY", "乙学校", "A9"),
        ("ROOM_OVER_CAPACITY", "乙学校", "B2"),
        ("ROOM_OVER_CAPACITY", "甲学校", "C1"),
    ]  # 乙 (U+4E59) sorts before 甲 (U+7532) in code-point order


def test_person_day_over_cap_also_when_one_class_alone_is_over(tmp_path: Path) -> None:
    day = ("2023-05-06",)
    long_day = clean_class("A1", people=(0, 1), days=day)
    long_day["课程安排"].append(["A1", "2023-05-06", "17:00", "19:15", "王老师", None])  # 12 学时 alone
    evening = clean_class("A2", people=(0, 2), days=day, teacher="李老师")
    evening["课程安排"] = [["A2", "2023-05-06", "19:30", "20:15", "李老师", None]]
    found = codes(run(tmp_path, merge(long_day, evening)))
    assert found.count("CLASS_DAY_OVER_CAP") == 1 and found.count("PERSON_DAY_OVER_CAP") == 1
    assert found.count("CLASS_BELOW_MINIMUM") == 2 and "PASSED_WITHOUT_HOURS" not in found


def test_a_class_without_sessions_never_has_an_exam_too_early(tmp_path: Path) -> None:
    sheets = clean_class()
    sheets["课程安排"] = []
    sheets["签到"] = []
    assert codes(run(tmp_path, sheets)) == ["NO_ATTENDANCE_RECORDS"]


def test_negative_hours_count_as_not_given(tmp_path: Path) -> None:
    sheets = clean_class()
    sheets["课程安排"][0][5] = -2
    sheets["课程安排"][1][5] = "四"
    assert codes(run(tmp_path, sheets)) == []


def test_signin_date_time_text_carries_seconds(tmp_path: Path) -> None:
    sheets = clean_class(people=range(10), area=None)
    _signins_at(sheets, "2023-05-06T08:25:13", 10)
    assert codes(run(tmp_path, sheets)) == ["IDENTICAL_SIGNIN"]
