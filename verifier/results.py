"""The result file (verification.md §7): rows as dicts, and CSV / XLSX writers.

ID numbers are masked unless the caller may show them (`full_ids`); masking also covers ID-like runs
inside other text (a `T`+ID certificate number, a safety number that is the bare ID, the original
roster cells). Text that a spreadsheet would read as a formula is written as text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, cast

from anpei.cells import looks_like_formula, safe_cell
from verifier.ids import mask_ids_in
from verifier.types import Decision, Outcome, RosterRow

RESULT_COLUMNS: tuple[str, ...] = (
    "行号",
    "姓名",
    "身份证号",
    "证书类型",
    "outcome",
    "结论",
    "问题",
    "warnings",
    "说明",
    "证号",
    "作业类别",
    "操作项目",
    "初领日期",
    "有效期开始",
    "有效期结束",
    "应复审日期",
    "实际复审日期",
    "签发机关",
    "核验时间",
)
# Added after the §7 columns (which are "at least"): the safety certificate's own fields.
EXTRA_COLUMNS: tuple[str, ...] = ("人员类型", "行业类别")
ALL_COLUMNS: tuple[str, ...] = RESULT_COLUMNS + EXTRA_COLUMNS
ORIGINAL_KEY = "_original"  # in a result row: the roster's original cells (header → value)


_RED = frozenset({Outcome.NOT_FOUND, Outcome.NAME_MISMATCH, Outcome.CERT_NUMBER_MISMATCH})
_ORANGE = frozenset(
    {
        Outcome.HISTORICAL_ONLY,
        Outcome.CATEGORY_MISMATCH,
        Outcome.REVOKED_OR_CANCELLED,
        Outcome.EXPIRED,
        Outcome.REVIEW_OVERDUE,
    }
)
COLOURS = {
    "valid": "C6EFCE",
    "warn": "E2EFDA",
    "red": "FFC7CE",
    "orange": "FCE4D6",
    "grey": "E7E6E6",
}
_WIDTHS = {
    "行号": 7,
    "姓名": 10,
    "身份证号": 21,
    "证书类型": 16,
    "outcome": 22,
    "结论": 13,
    "问题": 13,
    "warnings": 24,
    "说明": 60,
    "证号": 22,
    "作业类别": 16,
    "操作项目": 22,
    "签发机关": 20,
    "核验时间": 20,
}


def outcome_class(outcome: Outcome | str) -> str:
    """The colour class: valid, warn, red (possible fake / no certificate), orange, grey (no verdict)."""
    code = Outcome(outcome)
    if code is Outcome.VALID:
        return "valid"
    if code is Outcome.VALID_WITH_WARNINGS:
        return "warn"
    if code in _RED:
        return "red"
    if code in _ORANGE:
        return "orange"
    return "grey"


def _date(day: dt.date | None) -> str:
    return day.isoformat() if day else ""


def _stamp(checked_at: dt.datetime | dt.date | str | None) -> str:
    if checked_at is None:
        return ""
    if isinstance(checked_at, dt.datetime):
        return checked_at.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(checked_at, dt.date):
        return checked_at.isoformat()
    return checked_at


def _masked(value: Any) -> Any:
    if isinstance(value, str):
        return mask_ids_in(value)
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = int(value) if float(value).is_integer() else None
        if number is not None and len(str(abs(number))) >= 15:
            return mask_ids_in(str(number))
    return value


def result_row(
    row: RosterRow,
    decision: Decision,
    *,
    full_ids: bool = False,
    checked_at: dt.datetime | dt.date | str | None,
    with_original: bool = False,
) -> dict[str, Any]:
    """One result row: the §7 columns (then 人员类型, 行业类别), values as text (dates ISO)."""
    record = decision.record
    values: dict[str, Any] = {
        "行号": row.row_number,
        "姓名": row.name,
        "身份证号": row.id_number,
        "证书类型": row.family.label,
        "outcome": decision.outcome.value,
        "结论": decision.outcome.label,
        "问题": decision.problem,
        "warnings": ";".join(w.value for w in decision.warnings),
        "说明": decision.explanation,
        "证号": (record.cert_number or "") if record else "",
        "作业类别": (record.category or "") if record else "",
        "操作项目": (record.item or "") if record else "",
        "初领日期": _date(record.first_issue_date) if record else "",
        "有效期开始": _date(record.valid_from) if record else "",
        "有效期结束": _date(record.valid_until) if record else "",
        "应复审日期": _date(record.review_due) if record else "",
        "实际复审日期": _date(record.review_done) if record else "",
        "签发机关": (record.issuer or "") if record else "",
        "核验时间": "" if decision.outcome is Outcome.NOT_CHECKED else _stamp(checked_at),
        "人员类型": (record.person_type or "") if record else "",
        "行业类别": (record.industry or "") if record else "",
    }
    if not full_ids:
        values = {key: _masked(value) for key, value in values.items()}
    if with_original:
        original = dict(row.original)
        values[ORIGINAL_KEY] = original if full_ids else {k: _masked(v) for k, v in original.items()}
    return values


def result_rows(
    pairs: Iterable[tuple[RosterRow, Decision]],
    *,
    full_ids: bool = False,
    checked_at: dt.datetime | dt.date | str | None,
    with_original: bool = False,
) -> list[dict[str, Any]]:
    """Result rows in the order given; `with_original` keeps the roster's cells under `ORIGINAL_KEY`."""
    return [
        result_row(row, decision, full_ids=full_ids, checked_at=checked_at, with_original=with_original)
        for row, decision in pairs
    ]


safe_text = safe_cell  # CSV: text that a spreadsheet would run as a formula gets a leading apostrophe


def _columns(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    columns = list(ALL_COLUMNS)
    for row in rows[:1]:
        columns += [key for key in row if key not in columns and key != ORIGINAL_KEY]
    return columns


def write_csv(rows: Sequence[Mapping[str, Any]], path_or_buffer: str | Path | IO[str] | IO[bytes]) -> None:
    """UTF-8 with BOM (Excel opens it as UTF-8), the result columns only."""
    columns = _columns(rows)
    if isinstance(path_or_buffer, str | Path):
        with open(path_or_buffer, "w", encoding="utf-8-sig", newline="") as handle:
            _write_csv_rows(handle, columns, rows)
        return
    if isinstance(path_or_buffer, io.TextIOBase):
        path_or_buffer.write("\ufeff")
        _write_csv_rows(path_or_buffer, columns, rows)
        return
    text = io.TextIOWrapper(cast("IO[bytes]", path_or_buffer), encoding="utf-8-sig", newline="")
    try:
        _write_csv_rows(text, columns, rows)
    finally:
        text.flush()
        text.detach()


def _write_csv_rows(handle: IO[str], columns: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> None:
    writer = csv.writer(handle)
    writer.writerow(columns)
    for row in rows:
        writer.writerow([safe_text(row.get(column, "")) for column in columns])


def write_xlsx(
    rows: Sequence[Mapping[str, Any]],
    path_or_buffer: str | Path | IO[bytes],
    *,
    original_columns: Sequence[str] = (),
    sheet_title: str = "核验结果",
) -> None:
    """An .xlsx: the roster's original columns first (from each row's `ORIGINAL_KEY`), then the results.

    Header row bold and frozen, column widths set, the outcome cells filled by outcome class.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    columns = _columns(rows)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    sheet.freeze_panes = "A2"
    offset = len(original_columns)
    for index in range(offset):
        sheet.column_dimensions[get_column_letter(index + 1)].width = 14
    for index, column in enumerate(columns, start=offset + 1):
        sheet.column_dimensions[get_column_letter(index)].width = _WIDTHS.get(column, 12)

    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="305496")
    original_fill = PatternFill("solid", fgColor="8EA9DB")
    fills = {name: PatternFill("solid", fgColor=colour) for name, colour in COLOURS.items()}
    wrap = Alignment(wrap_text=True, vertical="top")

    def cell(value: Any) -> WriteOnlyCell:
        out = WriteOnlyCell(sheet, value=value)
        if isinstance(value, str) and value:
            out.data_type = "s"  # never a formula
            if looks_like_formula(value):
                out.quotePrefix = True
        return out

    header: list[WriteOnlyCell] = []
    for index, name in enumerate([*original_columns, *columns]):
        head = cell(name)
        head.font = header_font
        head.fill = original_fill if index < offset else header_fill
        header.append(head)
    sheet.append(header)

    coloured = {"outcome", "结论", "问题"}
    for row in rows:
        original = row.get(ORIGINAL_KEY) or {}
        cells = [cell(original.get(name)) for name in original_columns]
        fill = fills[outcome_class(row["outcome"])] if row.get("outcome") else None
        for column in columns:
            out = cell(row.get(column, ""))
            if fill is not None and column in coloured:
                out.fill = fill
            if column == "说明":
                out.alignment = wrap
            cells.append(out)
        sheet.append(cells)
    target = str(path_or_buffer) if isinstance(path_or_buffer, Path) else path_or_buffer
    workbook.save(target)


def summary_counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Rows per outcome code, in the order of `Outcome`."""
    counts = dict.fromkeys((o.value for o in Outcome), 0)
    for row in rows:
        counts[str(row["outcome"])] += 1
    return {code: n for code, n in counts.items() if n}
