"""The sample archives in `sample_data/training/`: synthetic, deterministic, a few planted anomalies.

`python -m training_audit.sample sample_data/training` writes them: a training school's workbook
and an enterprise's CSV folder. Every person is synthetic (`verifier.ids.make_id`).

Planted: a class below its minimum (2023-05), a day over the cap and an inflated session (class 2023-02), ten identical sign-in times
and ten equal scores and an exam before the last session (2023-03), one person signed in at the
school and at the enterprise at the same time, one teacher teaching at both at once, a person who
passed after one day, an exam without sign-in, a class without sign-in sheet rows, a crowded
room, an invalid ID and a name that differs for one ID.
"""

from __future__ import annotations

import csv
import datetime as dt
import sys
from pathlib import Path
from typing import Any

from training_audit.columns import CLASSES, EXAMS, SESSIONS, SIGNINS
from training_audit.tables import Archive, Sheet
from verifier.ids import make_id

SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰涛明超"
HEADERS = {
    CLASSES: ["班次编号", "培训单位", "培训类别", "行业", "培训方式", "教室面积"],
    SESSIONS: ["班次编号", "日期", "开始时间", "结束时间", "授课教师", "学时"],
    SIGNINS: ["班次编号", "日期", "姓名", "身份证号", "签到时间", "签退时间"],
    EXAMS: ["班次编号", "姓名", "身份证号", "考试日期", "成绩", "结果"],
}
SCHOOL = "某县安全生产培训学校"
COMPANY = "某县建筑工程有限公司"
Rows = list[list[Any]]


def person(number: int) -> tuple[str, str]:
    name = SURNAMES[number % 20] + GIVEN[(number * 7) % 16]
    return name, make_id("500230", dt.date(1975, 1, 1) + dt.timedelta(days=number * 97), number % 1000)


def clean_person(number: int) -> tuple[str, str]:
    """People of the clean archives: one birth day each (1970 on), so numbers up to 9,999 stay valid."""
    name = SURNAMES[number % 20] + GIVEN[(number * 7) % 16]
    return name, make_id("500230", dt.date(1970, 1, 1) + dt.timedelta(days=number), number % 1000)


def _class(
    sheets: dict[str, Rows],
    code: str,
    unit: str,
    category: str,
    days: list[str],
    people: list[int],
    *,
    teacher: str = "刘明",
    area: Any = 80,
    industry: str = "建筑施工",
    person: Any = person,
) -> None:
    sheets[CLASSES].append([code, unit, category, industry, "线下", area])
    for day in days:
        sheets[SESSIONS].append([code, day, "08:30", "11:45", teacher, 4])
        sheets[SESSIONS].append([code, day, "13:30", "16:45", teacher, 4])
        for number in people:
            name, id_number = person(number)
            sheets[SIGNINS].append([code, day, name, id_number, f"08:{10 + number % 15:02d}", "16:50"])
    for index, number in enumerate(people):
        name, id_number = person(number)
        sheets[EXAMS].append([code, name, id_number, days[-1], 80 + (index * 3) % 19, ""])


def school(unit: str = SCHOOL) -> dict[str, Rows]:
    """The school's archive (every class-level rule planted); `unit` renames the school."""
    sheets: dict[str, Rows] = {name: [] for name in HEADERS}
    week = ["2023-03-06", "2023-03-07", "2023-03-08"]
    _class(sheets, "2023-01", unit, "从业人员岗前培训", week, list(range(0, 8)))
    # 2023-02: 12 学时 on one day, and a session that claims 6 学时 for 195 minutes
    _class(
        sheets,
        "2023-02",
        unit,
        "主要负责人初次培训",
        ["2023-04-10", "2023-04-11", "2023-04-12", "2023-04-13"],
        list(range(8, 14)),
        teacher="陈静",
    )
    sheets[SESSIONS].append(["2023-02", "2023-04-10", "17:00", "19:15", "陈静", 3])
    sheets[SESSIONS][-2][5] = 6
    # 2023-03: ten identical sign-in times to the second, ten equal scores, an exam before the end
    start = len(sheets[SIGNINS])
    _class(
        sheets,
        "2023-03",
        unit,
        "安全生产管理人员再培训",
        ["2023-05-15", "2023-05-16"],
        list(range(20, 32)),
        teacher="赵磊",
    )
    for row in sheets[SIGNINS][start : start + 10]:
        row[4] = "08:29:41"
    for row in sheets[EXAMS][-12:]:
        row[4] = 90
    sheets[EXAMS][-1][3] = "2023-05-15"
    # 2023-04: the teacher 刘明 also teaches at the company on 2023-06-05 morning
    _class(sheets, "2023-04", unit, "特种作业复审培训", ["2023-06-05"], list(range(40, 46)))
    # 2023-05: a refresher for principals needs 12 学时; one day gives 8
    _class(sheets, "2023-05", unit, "主要负责人再培训", ["2023-07-10"], list(range(50, 54)), teacher="黄敏")
    return sheets


def company(unit: str = COMPANY) -> dict[str, Rows]:
    """The enterprise's archive (overlaps with the school, missing sign-ins, input problems)."""
    sheets: dict[str, Rows] = {name: [] for name in HEADERS}
    days = ["2023-06-05", "2023-06-06", "2023-06-07"]
    people = [*range(60, 68), 40]  # person 40 is at the school on 2023-06-05 as well
    _class(sheets, "SJ-2306", unit, "三级安全教育", days, people, teacher="刘明 ", area=10)
    # person 61 signed in on the first day only, yet passed; person 70 took the exam, never signed in
    sheets[SIGNINS] = [row for row in sheets[SIGNINS] if not (row[2] == person(61)[0] and row[1] != days[0])]
    name, id_number = person(70)
    sheets[EXAMS].append(["SJ-2306", name, id_number, days[-1], 92, "合格"])
    # a class whose sign-in sheets were never filed
    _class(
        sheets,
        "SJ-2307",
        unit,
        "三级安全教育",
        ["2023-07-03", "2023-07-04", "2023-07-05"],
        [80, 81],
        teacher="周杰",
    )
    sheets[SIGNINS] = [row for row in sheets[SIGNINS] if row[0] != "SJ-2307"]
    # input problems: an ID with a wrong check character, and another name for one ID
    bad = person(62)[1]
    sheets[SIGNINS].append(
        ["SJ-2306", days[0], "韩梅", bad[:-1] + ("0" if bad[-1] != "0" else "1"), "08:20", ""]
    )
    sheets[EXAMS][0][1] = sheets[EXAMS][0][1] + "华"
    return sheets


CLEAN_MONTHS = (
    "2022-09",
    "2022-10",
    "2022-11",
    "2022-12",
    "2023-01",
    "2023-02",
    "2023-03",
    "2023-04",
    "2023-05",
    "2023-06",
    "2023-07",
)


def clean(unit: str, *, first_person: int, teacher: str, prefix: str, from_day: int = 8) -> dict[str, Rows]:
    """An archive without anomalies: one three-day 岗前培训 class a month, 2022-09 to 2023-07.

    Each class has its own eight people (`clean_person`, from `first_person` on) and `teacher`, on
    the first Tuesday to Thursday from `from_day` of its month: three days of 8 学时 meet the
    minimum of 24 exactly.
    """
    sheets: dict[str, Rows] = {name: [] for name in HEADERS}
    for index, month in enumerate(CLEAN_MONTHS):
        year, number = (int(part) for part in month.split("-"))
        first = dt.date(year, number, from_day)
        tuesday = first + dt.timedelta(days=(1 - first.weekday()) % 7)
        days = [(tuesday + dt.timedelta(days=offset)).isoformat() for offset in range(3)]
        people = list(range(first_person + 8 * index, first_person + 8 * index + 8))
        _class(
            sheets,
            f"{prefix}-{month}",
            unit,
            "从业人员岗前培训",
            days,
            people,
            teacher=teacher,
            person=clean_person,
        )
    return sheets


def archive_of(name: str, sheets: dict[str, Rows]) -> Archive:
    """The archive a workbook of these sheets reads as (a title row, the header, then the rows)."""
    built: dict[str, Sheet] = {}
    for title, rows in sheets.items():
        records = [
            (number, dict(zip(HEADERS[title], row, strict=True))) for number, row in enumerate(rows, start=3)
        ]
        built[title] = Sheet.from_rows(title, records)
    return Archive(name=name, sheets=built)


def write_workbook(path: Path, sheets: dict[str, Rows]) -> None:
    from openpyxl import Workbook

    book = Workbook()
    for blank in list(book.worksheets):
        book.remove(blank)
    for title, rows in sheets.items():
        sheet = book.create_sheet(title)
        sheet.append([f"{SCHOOL}培训档案（示例数据，人员均为虚构）— {title}"])
        sheet.append(HEADERS[title])
        for row in rows:
            sheet.append(row)
    book.properties.created = dt.datetime(2023, 7, 31)
    book.properties.modified = dt.datetime(2023, 7, 31)
    book.save(path)


def write_folder(folder: Path, sheets: dict[str, Rows]) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for title, rows in sheets.items():
        with (folder / f"{title}.csv").open("w", encoding="gb18030", newline="") as handle:
            writer = csv.writer(handle, lineterminator="\r\n")
            writer.writerow(HEADERS[title])
            writer.writerows(rows)


def write_sample(target: Path) -> list[Path]:
    """Write the two archives into `target`; returns their paths (workbook first)."""
    target.mkdir(parents=True, exist_ok=True)
    workbook = target / f"{SCHOOL}-2023.xlsx"
    folder = target / f"{COMPANY}-2023"
    write_workbook(workbook, school())
    write_folder(folder, company())
    return [workbook, folder]


if __name__ == "__main__":  # pragma: no cover
    for written in write_sample(Path(sys.argv[1] if len(sys.argv) > 1 else "sample_data/training")):
        print(written)  # noqa: T201
