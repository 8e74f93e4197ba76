"""Made-up people, their certificate records as the platform answers them, and roster workbooks.

Shared by tests/kits/staffkit.py and tests/kits/jobkit.py; each sets its own certificate dates.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from openpyxl import Workbook

HEADERS = ("姓名", "身份证号", "操作项目", "证书编号")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂"


@dataclass(frozen=True)
class Person:
    name: str
    id_number: str


def certificate_record(
    person: Person, *, valid_end: str, should_review: str, **overrides: Any
) -> dict[str, Any]:
    """A current low-voltage electrician certificate valid until `valid_end`, review due `should_review`."""
    record: dict[str, Any] = {
        "name": person.name,
        "sex": "男" if int(person.id_number[16]) % 2 else "女",
        "certNum": "T" + person.id_number,
        "jobTypeName": "电工作业",
        "operItemName": "低压电工作业",
        "firstIssueDate": "2021-03-01",
        "validBeginDate": "2021-03-01",
        "validEndDate": valid_end,
        "shouldReviewDate": should_review,
        "actualReviewDate": None,
        "issueOrgName": "重庆市应急管理局",
        "certStatus": "有效",
        "isHistory": False,
    }
    record.update(overrides)
    return record


def roster_rows(crowd: Sequence[Person]) -> list[list[Any]]:
    """Roster rows under `HEADERS`: every person for low-voltage electrical work, no certificate number."""
    return [[p.name, p.id_number, "低压电工作业", ""] for p in crowd]


def roster_workbook(
    rows: Sequence[Sequence[Any]], *, headers: Sequence[str] = HEADERS, title: str | None = None
) -> Workbook:
    """A one-sheet workbook: an optional title row, the header row, then `rows`."""
    workbook = Workbook()
    sheet = workbook.active
    assert sheet is not None
    if title:
        sheet.append([title])
    sheet.append(list(headers))
    for row in rows:
        sheet.append(list(row))
    return workbook


@functools.cache  # built once per test process (a second for a million rows); bytes cannot be changed
def many_rows_xlsx(count: int) -> bytes:
    """A small .xlsx (a few MB) whose first sheet unpacks to `count` rows: a roster size bomb."""
    import io
    import zipfile

    rows = b"".join(
        b'<row r="%d"><c r="A%d" t="inlineStr"><is><t>x</t></is></c></row>' % (i, i)
        for i in range(1, count + 1)
    )
    sheet = (
        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"><sheetData>'
        + rows
        + b"</sheetData></worksheet>"
    )
    template, out = io.BytesIO(), io.BytesIO()
    roster_workbook([]).save(template)
    with zipfile.ZipFile(template) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            dst.writestr(
                info.filename,
                sheet if info.filename == "xl/worksheets/sheet1.xml" else src.read(info.filename),
            )
    return out.getvalue()
