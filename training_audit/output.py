"""The lead file and the input-problem file (training-audit.md §5): CSV (UTF-8 with BOM) or xlsx.

No cell is ever a formula: in xlsx, text is always a string cell; in CSV, text that a spreadsheet
would run gets a leading `'`. IDs are masked unless `full_ids`. Files are written next to their
target and renamed into place, so a failed write leaves existing files untouched.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from anpei.cells import looks_like_formula, safe_cell
from anpei.masking import mask_id, mask_ids_in
from training_audit.audit import AuditResult
from training_audit.leads import Lead, evidence_text
from training_audit.tables import InputProblem

LEAD_COLUMNS = (
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
)
PROBLEM_COLUMNS = ("档案", "工作表", "行号", "问题")
LEAD_SHEET = "线索"
PROBLEM_SHEET = "输入问题"
WIDTHS = {
    "规则代码": 26,
    "规则": 22,
    "依据": 30,
    "培训单位": 22,
    "说明": 60,
    "证据": 50,
    "问题": 60,
    "档案": 24,
}


class OutputError(Exception):
    """The output cannot be written where asked (Chinese message)."""


def problems_path(out: Path) -> Path:
    """`结果.csv` → `结果-输入问题.csv`."""
    return out.with_name(f"{out.stem}-{PROBLEM_SHEET}{out.suffix}")


def lead_rows(result: AuditResult, *, full_ids: bool) -> list[list[Any]]:
    return [_lead_row(lead, result.archives, full_ids=full_ids) for lead in result.leads]


def _lead_row(lead: Lead, archives: Sequence[str], *, full_ids: bool) -> list[Any]:
    id_number = lead.id_number if full_ids or not lead.id_number else mask_id(lead.id_number)
    return [
        lead.code,
        lead.rule,
        lead.basis,
        lead.unit,
        lead.class_code,
        lead.other_unit,
        lead.other_code,
        lead.name,
        id_number,
        lead.teacher,
        lead.date.isoformat() if lead.date else "",
        lead.text,
        evidence_text(lead.evidence, archives),
    ]


def problem_rows(problems: Sequence[InputProblem], *, full_ids: bool) -> list[list[Any]]:
    return [
        [
            p.archive,
            p.sheet,
            "" if p.row is None else p.row,
            p.message if full_ids else mask_ids_in(p.message),
        ]
        for p in problems
    ]


def csv_bytes(columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> bytes:
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([safe_cell(value) for value in row] for row in rows)
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def xlsx_bytes(sheets: Sequence[tuple[str, Sequence[str], Sequence[Sequence[Any]]]]) -> bytes:
    """A workbook, one sheet per (title, columns, rows); header bold and frozen; text never a formula."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    workbook = Workbook(write_only=True)
    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="305496")
    wrap = Alignment(wrap_text=True, vertical="top")
    for title, columns, rows in sheets:
        sheet = workbook.create_sheet(title)
        sheet.freeze_panes = "A2"
        for index, column in enumerate(columns, start=1):
            sheet.column_dimensions[get_column_letter(index)].width = WIDTHS.get(column, 14)

        def cell(value: Any, sheet: Any = sheet) -> WriteOnlyCell:
            out = WriteOnlyCell(sheet, value=value)
            if isinstance(value, str) and value:
                out.data_type = "s"  # never a formula
                out.alignment = wrap
                if looks_like_formula(value):
                    out.quotePrefix = True
            return out

        head = []
        for column in columns:
            item = cell(column)
            item.font, item.fill = header_font, header_fill
            head.append(item)
        sheet.append(head)
        for row in rows:
            sheet.append([cell(value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def _replace_all(files: Sequence[tuple[Path, bytes]]) -> None:
    """Write every file to a temporary sibling first, then rename them all into place."""
    temps: list[tuple[str, Path]] = []
    try:
        for target, data in files:
            target.parent.mkdir(parents=True, exist_ok=True)
            handle, temp = tempfile.mkstemp(prefix=f".{target.name}.", dir=target.parent)
            temps.append((temp, target))
            with os.fdopen(handle, "wb") as stream:
                stream.write(data)
        for temp, target in temps:
            os.replace(temp, target)
    except OSError as exc:
        for temp, _ in temps:
            if os.path.exists(temp):
                os.unlink(temp)
        raise OutputError(f"无法写入“{files[0][0]}”：{exc.strerror or exc}") from exc


def render(result: AuditResult, out: Path, *, full_ids: bool) -> list[tuple[Path, bytes]]:
    """The files of `--out` (xlsx: one workbook with two sheets; csv: leads and `-输入问题.csv`)."""
    leads = lead_rows(result, full_ids=full_ids)
    problems = problem_rows(result.problems, full_ids=full_ids)
    suffix = out.suffix.lower()
    if suffix == ".xlsx":
        return [
            (out, xlsx_bytes([(LEAD_SHEET, LEAD_COLUMNS, leads), (PROBLEM_SHEET, PROBLEM_COLUMNS, problems)]))
        ]
    if suffix == ".csv":
        return [
            (out, csv_bytes(LEAD_COLUMNS, leads)),
            (problems_path(out), csv_bytes(PROBLEM_COLUMNS, problems)),
        ]
    raise OutputError(f"输出文件“{out}”应以 .csv 或 .xlsx 结尾")


def write_result(result: AuditResult, out: Path, *, full_ids: bool = False) -> list[Path]:
    """Write the lead file (and the input-problem file); returns the paths written."""
    files = render(result, out, full_ids=full_ids)
    _replace_all(files)
    return [path for path, _ in files]
