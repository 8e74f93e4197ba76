"""Reading uploaded tables safely and parsing their cells.

Reading: `read_tables` turns an .xlsx or .csv upload into plain `Table`s (cell values and merged
ranges), refusing empty, oversize, corrupt and unsupported files with Chinese messages. Cell
parsers (`parse_count`, `parse_money`, `parse_date`, `parse_month_cell`, `parse_choice`) return a
value or an `ImportProblem` that names the sheet, row, column, the value found and what was expected.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import unicodedata
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Any

from openpyxl import load_workbook
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

from anpei.periods import Month
from anpei.settings import get_settings

CSV_SHEET = "CSV"
MAX_UNPACKED_RATIO = 20  # an .xlsx may unpack to at most this many times the upload limit


@dataclass(frozen=True)
class ImportProblem:
    """One reason a file (or a form) was refused. `row` is 1-based as on screen; 0 = whole file."""

    sheet: str
    row: int
    column: str  # "C（检查生产经营单位数）", or "" for the whole row/file
    value: str
    expected: str
    message: str

    def __str__(self) -> str:
        where = f"工作表“{self.sheet}”" if self.sheet else "文件"
        if self.row:
            where += f"第 {self.row} 行"
        if self.column:
            where += f" {self.column} 列"
        text = f"{where}：{self.message}"
        if self.value != "" or self.expected:
            text += f"（读到{quoted(self.value)}，应为{self.expected}）"
        return text


def quoted(text: str) -> str:
    """“text”, unless it already is in quotes (a list of sheet names: “汇总表”、“企业名单”)."""
    return text if text.startswith("“") and text.endswith("”") else f"“{text}”"


class ImportRefused(Exception):
    """A file or a form refused as a whole; nothing was stored. `problems` lists every reason."""

    def __init__(self, problems: Sequence[ImportProblem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))


def file_problem(message: str, *, value: str = "", expected: str = "") -> ImportProblem:
    return ImportProblem(sheet="", row=0, column="", value=value, expected=expected, message=message)


@dataclass
class Table:
    """One sheet as plain values: `rows[0]` is spreadsheet row 1; `merged` holds ranges like 'A5:C5'."""

    name: str
    rows: list[list[Any]]
    merged: list[tuple[str, int, int, int, int]] = field(default_factory=list)  # (ref, r1, c1, r2, c2)

    def cell(self, row: int, column: int) -> Any:
        """Value at 1-based (row, column), None outside the data."""
        if row < 1 or row > len(self.rows):
            return None
        values = self.rows[row - 1]
        return values[column - 1] if 0 < column <= len(values) else None

    def row_is_blank(self, row: int) -> bool:
        return all(is_blank(v) for v in (self.rows[row - 1] if 0 < row <= len(self.rows) else []))


def is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def display(value: Any) -> str:
    """A cell value as the user would read it (for messages)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        return value.strftime("%Y-%m-%d %H:%M") if value.time() != dt.time() else value.strftime("%Y-%m-%d")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    text = str(value)
    return text if len(text) <= 40 else text[:40] + "…"


def column_ref(index: int, header: str = "") -> str:
    """ "C（检查生产经营单位数）"; a header with its own unit in brackets, 罚款金额（万元）, reads
    "Z（罚款金额，万元）" (no brackets inside brackets)."""
    letter = str(get_column_letter(index))
    if not header:
        return letter
    flat = re.sub(r"（([^（）]*)）$", r"，\1", header)
    return f"{letter}（{flat}）"


# --- reading files --------------------------------------------------------------------------


def check_upload(data: bytes, *, filename: str, max_mb: int | None = None) -> None:
    """Refuse an empty or oversize upload before anything parses it."""
    limit_mb = get_settings().max_upload_mb if max_mb is None else max_mb
    if not data or not data.strip():
        raise ImportRefused([file_problem(f"文件“{filename}”是空的，没有任何内容")])
    if len(data) > limit_mb * 1024 * 1024:
        raise ImportRefused(
            [
                file_problem(
                    f"文件“{filename}”太大，超过上传上限 {limit_mb} MB",
                    value=f"{len(data) / 1024 / 1024:.1f} MB",
                    expected=f"不超过 {limit_mb} MB",
                )
            ]
        )


def decode_text(data: bytes) -> str:
    """UTF-8 (with or without BOM), else GB18030 (a superset of GBK) — what Excel saves in China."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ImportRefused([file_problem("CSV 文件的编码无法识别", expected="UTF-8 或 GBK 编码")]) from exc


def read_tables(
    data: bytes, *, filename: str, max_mb: int | None = None, allow_csv: bool = True
) -> list[Table]:
    """Every sheet of an .xlsx (or the one table of a .csv), refusing what cannot be read."""
    check_upload(data, filename=filename, max_mb=max_mb)
    suffix = Path(filename).suffix.lower()
    if suffix == ".csv" and allow_csv:
        text = decode_text(data)
        rows = [list(r) for r in csv.reader(io.StringIO(text))]
        if not any(any(not is_blank(v) for v in r) for r in rows):
            raise ImportRefused([file_problem(f"文件“{filename}”没有任何数据")])
        return [Table(name=CSV_SHEET, rows=[[v if v.strip() else None for v in r] for r in rows])]
    accepted = ".xlsx 或 .csv" if allow_csv else ".xlsx"
    if suffix == ".xls":
        raise ImportRefused(
            [
                file_problem(
                    "不支持旧版 .xls 文件，请在 Excel 中“另存为” .xlsx 后再上传",
                    value=filename,
                    expected=accepted,
                )
            ]
        )
    if suffix not in (".xlsx", ".xlsm"):
        raise ImportRefused([file_problem("不支持的文件类型", value=filename, expected=accepted)])
    limit = (get_settings().max_upload_mb if max_mb is None else max_mb) * 1024 * 1024
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            unpacked = sum(info.file_size for info in archive.infolist())
        if unpacked > limit * MAX_UNPACKED_RATIO:
            raise ImportRefused([file_problem(f"文件“{filename}”解压后过大，拒绝读取")])
        workbook = load_workbook(io.BytesIO(data), data_only=True)
    except ImportRefused:
        raise
    except Exception as exc:
        raise ImportRefused(
            [file_problem(f"文件“{filename}”无法打开，可能已损坏或不是 Excel 文件", expected=accepted)]
        ) from exc
    tables: list[Table] = []
    for ws in workbook.worksheets:
        rows = [list(r) for r in ws.iter_rows(values_only=True)]
        merged = [(str(m.coord), m.min_row, m.min_col, m.max_row, m.max_col) for m in ws.merged_cells.ranges]
        tables.append(Table(name=ws.title, rows=rows, merged=merged))
    if not any(any(not is_blank(v) for v in r) for t in tables for r in t.rows):
        raise ImportRefused([file_problem(f"文件“{filename}”没有任何数据")])
    return tables


def normalise_header(value: Any) -> str:
    """Header text compared loosely: width-normalised, without spaces, line breaks and asterisks."""
    text = unicodedata.normalize("NFKC", "" if value is None else str(value))
    return re.sub(r"[\s*＊:：]", "", text).replace("(", "（").replace(")", "）")


def find_header_row(table: Table, required: Sequence[str], *, search_rows: int = 12) -> int | None:
    """The first row (1-based) among the first `search_rows` holding every required header."""
    wanted = {normalise_header(h) for h in required}
    for row in range(1, min(search_rows, len(table.rows)) + 1):
        present = {normalise_header(v) for v in table.rows[row - 1]}
        if wanted <= present:
            return row
    return None


def header_columns(table: Table, header_row: int) -> dict[str, int]:
    """Normalised header text → 1-based column index."""
    out: dict[str, int] = {}
    for index, value in enumerate(table.rows[header_row - 1], start=1):
        key = normalise_header(value)
        if key and key not in out:
            out[key] = index
    return out


def merged_problems(table: Table, *, from_row: int) -> list[ImportProblem]:
    """Merged cells at or below `from_row` (header and data) cannot be read cell by cell."""
    return [
        ImportProblem(
            sheet=table.name,
            row=r1,
            column=f"{get_column_letter(c1)}–{get_column_letter(c2)}",
            value=ref,
            expected="每个单元格单独填写（取消合并单元格）",
            message=f"表头或数据区域有合并单元格 {ref}，无法逐格读取",
        )
        for ref, r1, c1, r2, c2 in table.merged
        if r2 >= from_row
    ]


# --- parsing cells ---------------------------------------------------------------------------

_NUMBER_RE = re.compile(r"^[+-]?\d+(\.\d+)?$")


def _number_text(value: Any) -> str | None:
    """A numeric-looking string (full-width digits and thousands separators allowed), else None."""
    text = unicodedata.normalize("NFKC", str(value)).strip().replace(",", "")
    return text if _NUMBER_RE.match(text) else None


def parse_count(value: Any, *, where: tuple[str, int, str]) -> int | ImportProblem:
    """A non-negative whole number; a blank cell is 0."""
    sheet, row, column = where
    expected = "不小于 0 的整数"
    if is_blank(value):
        return 0
    if isinstance(value, (bool, dt.date)):
        return ImportProblem(sheet, row, column, display(value), expected, "数量列不能填写日期或是/否")
    number: Decimal
    if isinstance(value, int | float | Decimal):
        number = Decimal(str(value))
    else:
        text = _number_text(value)
        if text is None:
            return ImportProblem(sheet, row, column, display(value), expected, "数量列填写了文字")
        number = Decimal(text)
    if number != number.to_integral_value():
        return ImportProblem(sheet, row, column, display(value), expected, "数量应为整数")
    if number < 0:
        return ImportProblem(sheet, row, column, display(value), expected, "数量不能为负数")
    return int(number)


def parse_money(value: Any, *, where: tuple[str, int, str], places: int = 4) -> Decimal | ImportProblem:
    """A non-negative amount with at most `places` decimals; a blank cell is 0."""
    sheet, row, column = where
    expected = f"不小于 0 的金额（最多 {places} 位小数）"
    if is_blank(value):
        return Decimal("0")
    if isinstance(value, (bool, dt.date)):
        return ImportProblem(sheet, row, column, display(value), expected, "金额列不能填写日期或是/否")
    if isinstance(value, int | float | Decimal):
        amount = Decimal(str(value))
    else:
        text = _number_text(value)
        if text is None:
            return ImportProblem(sheet, row, column, display(value), expected, "金额列填写了文字")
        try:
            amount = Decimal(text)
        except InvalidOperation:  # pragma: no cover - the pattern already excludes it
            return ImportProblem(sheet, row, column, display(value), expected, "金额无法识别")
    if amount < 0:
        return ImportProblem(sheet, row, column, display(value), expected, "金额不能为负数")
    if amount != amount.quantize(Decimal(1).scaleb(-places)):
        return ImportProblem(sheet, row, column, display(value), expected, f"金额最多保留 {places} 位小数")
    return amount


_DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
DATE_EXPECTED = "日期，如 2023-05-06、2023/5/6 或 2023年5月6日"


def parse_date_text(text: str) -> dt.date | None:
    """`2023-05-06`, `2023/5/6`, `2023.5.6`, `2023年5月6日`, `20230506` (a time part is ignored)."""
    cleaned = unicodedata.normalize("NFKC", text).strip()
    cleaned = re.sub(r"[ T]\d{1,2}:\d{2}(:\d{2})?(\.\d+)?$", "", cleaned).strip()
    for fmt in _DATE_FORMATS:
        try:
            return dt.datetime.strptime(cleaned, fmt).date()
        except ValueError:
            continue
    return None


def parse_date(
    value: Any, *, where: tuple[str, int, str], required: bool = False
) -> dt.date | ImportProblem | None:
    """A date cell: a real date, an Excel serial number, or text in one of several formats."""
    sheet, row, column = where
    if is_blank(value):
        if required:
            return ImportProblem(sheet, row, column, "", DATE_EXPECTED, "日期不能为空")
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, int | float) and not isinstance(value, bool) and 20000 <= value <= 80000:
        converted = from_excel(value)
        if isinstance(converted, dt.datetime):
            return converted.date()
    if isinstance(value, str):
        parsed = parse_date_text(value)
        if parsed is not None:
            return parsed
    return ImportProblem(sheet, row, column, display(value), DATE_EXPECTED, "日期无法识别")


_MONTH_PATTERNS = (
    re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*月?$"),
    re.compile(r"^(\d{4})(\d{2})$"),
)
MONTH_EXPECTED = "月份，如 2023-05 或 2023年5月"


def parse_month_cell(value: Any, *, where: tuple[str, int, str]) -> Month | ImportProblem:
    """A month (`2023-05`, `2023年5月` …); a date cell (Excel turns 2023-05 into 2023-05-01) gives its month."""
    sheet, row, column = where
    if is_blank(value):
        return ImportProblem(sheet, row, column, "", MONTH_EXPECTED, "月份不能为空")
    if isinstance(value, dt.date):
        return Month.of(value)
    text = unicodedata.normalize("NFKC", str(value)).strip()
    for pattern in _MONTH_PATTERNS:
        match = pattern.match(text)
        if match and 1 <= int(match.group(2)) <= 12 and 1900 <= int(match.group(1)) <= 9999:
            return Month(int(match.group(1)), int(match.group(2)))
    day = parse_date_text(text)
    if day is not None:
        return Month.of(day)
    return ImportProblem(sheet, row, column, display(value), MONTH_EXPECTED, "月份无法识别")


def parse_text(value: Any, *, max_len: int = 500) -> str:
    if is_blank(value):
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()[:max_len]


YES = frozenset({"是", "有", "y", "yes", "true", "1", "√", "✓"})
NO = frozenset({"否", "无", "n", "no", "false", "0", ""})


def parse_yes_no(value: Any, *, where: tuple[str, int, str]) -> bool | ImportProblem:
    if isinstance(value, bool):
        return value
    text = parse_text(value).lower()
    if text in YES:
        return True
    if text in NO:
        return False
    sheet, row, column = where
    return ImportProblem(sheet, row, column, display(value), "“是”或“否”", "无法识别")


def parse_choice(
    value: Any,
    *,
    choices: dict[str, str],
    where: tuple[str, int, str],
    required: bool = True,
    expected: str = "",
) -> str | ImportProblem | None:
    """`choices` maps accepted text (codes and Chinese labels) to a code; `expected` names them for messages."""
    sheet, row, column = where
    expected = (
        expected or "、".join(k for k in dict.fromkeys(choices) if not k.isascii()) or "、".join(choices)
    )
    text = parse_text(value)
    if not text:
        if required:
            return ImportProblem(sheet, row, column, "", expected, "不能为空")
        return None
    if text in choices:
        return choices[text]
    return ImportProblem(sheet, row, column, display(value), expected, "无法识别")
