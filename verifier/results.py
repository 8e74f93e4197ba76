"""The result file (verification.md §7): rows as dicts, and CSV / XLSX writers.

Rows (the API's JSON) keep their keys (`outcome`, `warnings`, `证号` …); the files head them as §7
says (`结论代码`, `提示代码`, `平台·证号` …, `FILE_HEADERS`), the §7 columns first and the roster's own
columns after. ID numbers are masked unless the caller may show them (`full_ids`): every column that
holds an ID (the roster's own ID and certificate-number columns too, malformed IDs included), and
ID-like runs inside other text. An ID whose digits the spreadsheet lost is written as `LOST_DIGITS`,
never as a number. Text that a spreadsheet would read as a formula is written as text.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any, cast

from anpei.cells import looks_like_formula, safe_cell
from verifier.ids import STORED_AS_NUMBER, mask_id, mask_ids_in
from verifier.names import strip_space
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

PLATFORM_PREFIX = "平台·"
_PLATFORM_COLUMNS = (
    "证号",
    "作业类别",
    "操作项目",
    "初领日期",
    "有效期开始",
    "有效期结束",
    "应复审日期",
    "实际复审日期",
    "签发机关",
    "人员类型",
    "行业类别",
)
# A row key → its header in the files (§7); keys not listed keep their name.
FILE_HEADERS: dict[str, str] = {
    "outcome": "结论代码",
    "warnings": "提示代码",
    **{key: PLATFORM_PREFIX + key for key in _PLATFORM_COLUMNS},
}
# The file's result columns in order: §7, then the safety certificate's own fields, then 核验时间.
FILE_KEYS: tuple[str, ...] = (*RESULT_COLUMNS[:-1], *EXTRA_COLUMNS, RESULT_COLUMNS[-1])
FILE_COLUMNS: tuple[str, ...] = tuple(FILE_HEADERS.get(key, key) for key in FILE_KEYS)
DATE_KEYS = frozenset({"初领日期", "有效期开始", "有效期结束", "应复审日期", "实际复审日期"})
LOST_DIGITS = "（Excel 存成数字，后几位已丢失）"


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
    "行号": 6,
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
    "初领日期": 12,
    "有效期开始": 12,
    "有效期结束": 12,
    "应复审日期": 12,
    "实际复审日期": 12,
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


def mask_cell(text: str) -> str:
    """§7 masking of a cell that holds an ID, well-formed or not: the text without white space, all
    but its first 6 and last 4 characters starred; `****` when it is shorter than 11."""
    compact = strip_space(text)
    if len(compact) < 11:  # a fixed-width mask: a short cell's length is not shown either
        return "****" if compact else ""
    return mask_id(compact)


def _lost_digits(value: Any) -> bool:
    """A number a spreadsheet made of an ID: more than 15 digits (or scientific notation as text)."""
    if isinstance(value, bool):
        return False
    if isinstance(value, int | float):
        return abs(value) >= 1e15 and len(str(abs(int(value)))) > 15
    return isinstance(value, str) and bool(_SCIENTIFIC.match(strip_space(value).upper()))


_SCIENTIFIC = re.compile(r"^[0-9]+(\.[0-9]*)?E\+?[0-9]+$")


def _id_column_value(value: Any, *, full_ids: bool) -> Any:
    """A cell of a column that holds ID numbers."""
    if value is None or value == "":
        return value
    if _lost_digits(value):
        return LOST_DIGITS
    if full_ids:
        return value
    text = str(int(value)) if isinstance(value, int | float) and float(value).is_integer() else str(value)
    return mask_cell(text)


def _id_columns(headers: Iterable[str]) -> set[str]:
    """The roster's ID columns (by the built-in header names)."""
    from verifier.roster import build_header_lookup, header_key

    lookup = build_header_lookup()
    return {header for header in headers if lookup.get(header_key(header.rstrip("_"))) == "id_number"}


# 15 to 18 digits (a `-` between them allowed), a final X: an ID, well-formed or not, inside free text.
_LONG_DIGIT_RUN = re.compile(r"(?<![0-9])[0-9](?:-?[0-9]){14,17}(?:-?[Xx])?(?![0-9])")


def _masked_free(value: Any) -> Any:
    """Any other cell: ID-like runs masked, also behind full-width digits and invisible characters."""
    if isinstance(value, str):
        compact = strip_space(unicodedata.normalize("NFKC", value))
        if _LONG_DIGIT_RUN.search(compact) is None:
            return value
        return _LONG_DIGIT_RUN.sub(lambda m: mask_cell(m.group(0)), compact)
    return _masked(value)


def mask_original(original: Mapping[str, Any], *, full_ids: bool) -> dict[str, Any]:
    """The roster's own cells as the result file shows them (§7)."""
    ids = _id_columns(original)
    out: dict[str, Any] = {}
    for header, value in original.items():
        if header in ids:
            out[header] = _id_column_value(value, full_ids=full_ids)
        elif full_ids:
            out[header] = value
        else:  # certificate numbers too: `T` + the ID masked as in 平台·证号
            out[header] = _masked_free(value)
    return out


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
    if row.family_text:  # an unrecognised 证书类型 is shown as written, not as the default family
        values["证书类型"] = row.family_text
    if not full_ids:
        values = {key: _masked(value) for key, value in values.items()}
        values["身份证号"] = mask_cell(row.id_number) if row.id_number else ""
    if STORED_AS_NUMBER in row.errors:
        values["身份证号"] = LOST_DIGITS
    if with_original:
        values[ORIGINAL_KEY] = mask_original(row.original, full_ids=full_ids)
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
    """Row keys in file order: the result columns, then any further keys of the rows."""
    columns = list(FILE_KEYS)
    for row in rows[:1]:
        columns += [key for key in row if key not in columns and key != ORIGINAL_KEY]
    return columns


def file_header(key: str) -> str:
    return FILE_HEADERS.get(key, key)


def write_csv(rows: Sequence[Mapping[str, Any]], path_or_buffer: str | Path | IO[str] | IO[bytes]) -> None:
    """UTF-8 with BOM (Excel opens it as UTF-8), the result columns only, dates as YYYY-MM-DD."""
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
    writer.writerow([file_header(column) for column in columns])
    for row in rows:
        writer.writerow([safe_text(row.get(column, "")) for column in columns])


_ISO_DAY = re.compile(r"^(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00:00)?$")
_ISO_MOMENT = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}$")
DATE_FORMAT = "yyyy-mm-dd"
MOMENT_FORMAT = "yyyy-mm-dd hh:mm:ss"


def as_cell_value(value: Any) -> Any:
    """ISO dates (as the rows and the stored roster cells carry them) → date / datetime for a date cell."""
    if isinstance(value, str):
        match = _ISO_DAY.match(value)
        if match:
            try:
                return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
            except ValueError:
                return value
        if _ISO_MOMENT.match(value):
            try:
                return dt.datetime.fromisoformat(value)
            except ValueError:
                return value
    return value


def write_xlsx(
    rows: Sequence[Mapping[str, Any]],
    path_or_buffer: str | Path | IO[bytes],
    *,
    original_columns: Sequence[str] = (),
    sheet_title: str = "核验结果",
) -> None:
    """An .xlsx: the §7 columns first, then the roster's own columns (from each row's `ORIGINAL_KEY`).

    Header row bold, frozen and repeated on every printed page; A4 landscape fitted to the page width;
    dates as date cells; the outcome cells filled by outcome class.
    """
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.properties import PageSetupProperties

    columns = _columns(rows)
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(sheet_title)
    sheet.freeze_panes = "C2"
    for index, column in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = _WIDTHS.get(column, 12)
    for index in range(len(original_columns)):
        sheet.column_dimensions[get_column_letter(len(columns) + index + 1)].width = 14
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = "9"  # A4
    sheet.sheet_properties.pageSetUpPr = PageSetupProperties(fitToPage=True)
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.print_title_rows = "1:1"

    header_font = Font(bold=True, color="FFFFFF")
    header_fill = PatternFill("solid", fgColor="305496")
    original_fill = PatternFill("solid", fgColor="8EA9DB")
    fills = {name: PatternFill("solid", fgColor=colour) for name, colour in COLOURS.items()}
    wrap = Alignment(wrap_text=True, vertical="top")

    def cell(value: Any) -> WriteOnlyCell:
        value = as_cell_value(value)
        out = WriteOnlyCell(sheet, value=value)
        if isinstance(value, dt.datetime):
            out.number_format = MOMENT_FORMAT
        elif isinstance(value, dt.date):
            out.number_format = DATE_FORMAT
        elif isinstance(value, str) and value:
            out.data_type = "s"  # never a formula
            if looks_like_formula(value):
                out.quotePrefix = True
        return out

    header: list[WriteOnlyCell] = []
    for index, name in enumerate([*(file_header(c) for c in columns), *original_columns]):
        head = WriteOnlyCell(sheet, value=name)
        head.data_type = "s"
        if isinstance(name, str) and looks_like_formula(name):
            head.quotePrefix = True
        head.font = header_font
        head.fill = header_fill if index < len(columns) else original_fill
        header.append(head)
    sheet.append(header)

    coloured = {"outcome", "结论", "问题"}
    for row in rows:
        original = row.get(ORIGINAL_KEY) or {}
        fill = fills[outcome_class(row["outcome"])] if row.get("outcome") else None
        cells = []
        for column in columns:
            out = cell(row.get(column, ""))
            if fill is not None and column in coloured:
                out.fill = fill
            if column == "说明":
                out.alignment = wrap
            cells.append(out)
        cells += [cell(original.get(name)) for name in original_columns]
        sheet.append(cells)
    target = str(path_or_buffer) if isinstance(path_or_buffer, Path) else path_or_buffer
    workbook.save(target)


def summary_counts(rows: Iterable[Mapping[str, Any]]) -> dict[str, int]:
    """Rows per outcome code, in the order of `Outcome`."""
    counts = dict.fromkeys((o.value for o in Outcome), 0)
    for row in rows:
        counts[str(row["outcome"])] += 1
    return {code: n for code, n in counts.items() if n}
