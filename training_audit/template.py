"""`anpei template training`: an empty four-sheet archive with notes and one example row per sheet."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from training_audit.columns import CLASSES, EXAMS, SESSIONS, SIGNINS
from verifier.ids import make_id

EXAMPLE_ID = make_id("500230", dt.date(1990, 1, 1), 1)  # a synthetic person

# sheet → (note row above the header, header, example row: a synthetic class and person)
TEMPLATE: dict[str, tuple[str, list[str], list[Any]]] = {
    CLASSES: (
        "填写说明：每行一个班次；班次编号在本档案内不能重复；培训类别填规则表中的名称（如 主要负责人初次培训）；"
        "行业含 煤矿、非煤矿山、危险化学品、烟花爆竹、金属冶炼 等为高危行业；培训方式填 线上 或 线下；"
        "带 * 的列必填。示例行可删除。",
        ["班次编号*", "培训单位*", "培训类别*", "行业", "培训方式", "教室面积（平方米）"],
        ["2023-001", "示例安全培训学校", "主要负责人初次培训", "建筑施工", "线下", 60],
    ),
    SESSIONS: (
        "填写说明：每行一节课；日期如 2023-05-06；时间如 08:30；授课教师多人用“、”分开；学时填档案中记载的学时（可空）。",
        ["班次编号*", "日期*", "开始时间*", "结束时间*", "授课教师*", "学时"],
        ["2023-001", "2023-05-06", "08:30", "11:45", "示例教师甲", 4],
    ),
    SIGNINS: (
        "填写说明：每行一人一天的签到；身份证号请设为文本格式填写完整 18 位；签到、签退时间可空（如 08:25:13）。",
        ["班次编号*", "日期*", "姓名*", "身份证号*", "签到时间", "签退时间"],
        ["2023-001", "2023-05-06", "示例学员", EXAMPLE_ID, "08:25", "11:50"],
    ),
    EXAMS: (
        "填写说明：每行一条考试记录；结果填 合格 或 不合格，结果为空时按成绩（80 分及以上为合格）判断。",
        ["班次编号*", "姓名*", "身份证号*", "考试日期*", "成绩", "结果"],
        ["2023-001", "示例学员", EXAMPLE_ID, "2023-05-10", 86, "合格"],
    ),
}


def training_template() -> bytes:
    """The workbook: per sheet a note row, the header (row 2, bold, frozen below) and one example row."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook()
    for blank in list(workbook.worksheets):
        workbook.remove(blank)
    for title, (note, header, example) in TEMPLATE.items():
        sheet = workbook.create_sheet(title)
        sheet.append([note])
        sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(header))
        sheet.cell(row=1, column=1).alignment = Alignment(wrap_text=True, vertical="top")
        sheet.row_dimensions[1].height = 48
        sheet.append(header)
        sheet.append(example)
        for index in range(1, len(header) + 1):
            head = sheet.cell(row=2, column=index)
            head.font = Font(bold=True)
            head.fill = PatternFill("solid", fgColor="D9E1F2")
            sheet.column_dimensions[get_column_letter(index)].width = 22
            sheet.cell(row=3, column=index).number_format = "@"
        sheet.freeze_panes = "A3"
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
