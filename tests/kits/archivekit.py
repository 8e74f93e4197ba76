"""Building small training archives (workbooks and CSV folders) for the audit tests. Synthetic people."""

from __future__ import annotations

import csv
import datetime as dt
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import openpyxl

from verifier.ids import make_id

Rows = list[list[Any]]

CLASS_HEADER = ["班次编号", "培训单位", "培训类别", "行业", "培训方式", "教室面积"]
SESSION_HEADER = ["班次编号", "日期", "开始时间", "结束时间", "授课教师", "学时"]
SIGNIN_HEADER = ["班次编号", "日期", "姓名", "身份证号", "签到时间", "签退时间"]
EXAM_HEADER = ["班次编号", "姓名", "身份证号", "考试日期", "成绩", "结果"]
NAMES = [
    "张伟",
    "王芳",
    "李娜",
    "刘洋",
    "陈静",
    "杨强",
    "赵磊",
    "黄敏",
    "周杰",
    "吴涛",
    "徐丽",
    "孙明",
    "胡军",
    "朱艳",
    "高超",
    "林勇",
    "何平",
    "郭亮",
    "马兰",
    "罗宁",
]


def person(n: int) -> tuple[str, str]:
    """(name, 18-character ID) of synthetic person n (0 ≤ n < 20)."""
    return NAMES[n], make_id("500230", dt.date(1980, 1, 1) + dt.timedelta(days=n), n)


def clean_class(
    code: str = "A1",
    unit: str = "甲培训学校",
    *,
    people: Sequence[int] = (0, 1, 2),
    days: Sequence[str] = ("2023-05-06", "2023-05-07", "2023-05-08"),
    teacher: str = "王老师",
    category: str = "从业人员岗前培训",
    area: Any = 60,
) -> dict[str, Rows]:
    """One class that raises no lead: 3 days × 8 学时 = 24 (the 一般 minimum), everyone signed in and passed."""
    sessions: Rows = []
    for day in days:
        sessions.append([code, day, "08:30", "11:45", teacher, 4])
        sessions.append([code, day, "13:30", "16:45", teacher, 4])
    signins = [[code, day, person(p)[0], person(p)[1], None, None] for day in days for p in people]
    exams = [[code, person(p)[0], person(p)[1], days[-1], 85 + i, None] for i, p in enumerate(people)]
    return {
        "班次": [[code, unit, category, "建筑施工", "线下", area]],
        "课程安排": sessions,
        "签到": signins,
        "考试": exams,
    }


def merge(*parts: dict[str, Rows]) -> dict[str, Rows]:
    merged: dict[str, Rows] = {"班次": [], "课程安排": [], "签到": [], "考试": []}
    for part in parts:
        for sheet, rows in part.items():
            merged[sheet].extend(rows)
    return merged


HEADERS = {"班次": CLASS_HEADER, "课程安排": SESSION_HEADER, "签到": SIGNIN_HEADER, "考试": EXAM_HEADER}


def write_xlsx(path: Path, sheets: dict[str, Rows], *, titles: dict[str, list[Rows]] | None = None) -> Path:
    """A workbook: per sheet optional title rows, the header, the rows."""
    book = openpyxl.Workbook()
    book.remove(book.active)  # type: ignore[arg-type]
    for sheet, rows in sheets.items():
        ws = book.create_sheet(sheet)
        for title in (titles or {}).get(sheet, []):
            ws.append(title)
        ws.append(HEADERS.get(sheet, []))
        for row in rows:
            ws.append(row)
    book.save(path)
    return path


def write_folder(path: Path, sheets: dict[str, Rows], *, encoding: str = "utf-8-sig") -> Path:
    path.mkdir(parents=True, exist_ok=True)
    for sheet, rows in sheets.items():
        with (path / f"{sheet}.csv").open("w", encoding=encoding, newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADERS.get(sheet, []))
            writer.writerows(["" if value is None else value for value in row] for row in rows)
    return path
