"""Reading an archive: an `.xlsx` workbook or a folder of CSV files (training-audit.md §1).

CSV: a BOM decides the encoding (UTF-8 or GB18030); without one strict UTF-8, else GB18030.
Row numbers are physical lines. A clean file (no record spans two lines) is parsed by pandas' C
reader; any other file by the `csv` module, which counts lines itself. Both give the same rows.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from anpei.settings import get_settings
from training_audit.columns import (
    CLASSES,
    REQUIRED,
    SHEETS,
    TIME_FIELDS,
    Synonyms,
    check_synonyms,
    match_header,
    sheet_lookup,
)
from training_audit.tables import Archive, Column, InputProblem, IntArray, Sheet
from training_audit.values import TimeCell, format_shows_seconds, is_blank

HEADER_ROWS = 10
GB18030_BOM = b"\x84\x31\x95\x33"


class ArchiveError(Exception):
    """An archive that cannot be used at all: the run fails (exit 1), nothing is written."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Limits:
    max_rows: int
    max_bytes: int

    @classmethod
    def from_settings(cls) -> Limits:
        settings = get_settings()
        return cls(max_rows=settings.audit_max_rows, max_bytes=settings.audit_max_unpacked_mb * 1024 * 1024)


def _too_many_rows(archive: str, limits: Limits) -> ArchiveError:
    return ArchiveError(
        f"档案“{archive}”的数据超过 {limits.max_rows:,} 行的上限，已整份拒收；请分成几份再核查"
    )


def _too_large(archive: str, limits: Limits) -> ArchiveError:
    size = limits.max_bytes
    limit = f"{size // 2**20} MB" if size >= 2**20 else f"{size}字节"
    return ArchiveError(f"档案“{archive}”解压后超过 {limit} 的上限，已整份拒收；请分成几份再核查")


class _RowBudget:
    """Counts data rows over all sheets of one archive against the cap."""

    def __init__(self, archive: str, limits: Limits) -> None:
        self.archive, self.limits, self.used = archive, limits, 0

    def spend(self, rows: int) -> None:
        self.used += rows
        if self.used > self.limits.max_rows:
            raise _too_many_rows(self.archive, self.limits)


def _missing_header(archive: str, sheet: str) -> str:
    needed = "、".join(REQUIRED[sheet])
    return f"档案“{archive}”的“{sheet}”在前 {HEADER_ROWS} 行里找不到包含全部必填列（{needed}）的表头行"


def _sheet_without_header(archive: str, sheet: str) -> InputProblem:
    if sheet == CLASSES:
        raise ArchiveError(_missing_header(archive, sheet) + "，无法核查")
    return InputProblem(archive, 0, sheet, None, _missing_header(archive, sheet) + "，该表未参与核查")


def _build_sheet(sheet: str, mapping: dict[str, int], rows: list[int], cells: list[list[Any]]) -> Sheet:
    columns = {
        field: Column.encode([record[index] if index < len(record) else None for record in cells])
        for field, index in mapping.items()
    }
    return Sheet(name=sheet, rows=np.asarray(rows, dtype=np.int64), columns=columns)


# --- workbooks ---------------------------------------------------------------------------------


def _xlsx_cell(cell: Any, is_time: bool) -> Any:
    value = cell.value
    if is_time and isinstance(value, dt.datetime | dt.time):
        seconds = value.hour * 3600 + value.minute * 60 + value.second
        seconds += 1 if value.microsecond >= 500_000 else 0
        return TimeCell(seconds, format_shows_seconds(getattr(cell, "number_format", None)))
    return value


def _xlsx_unpacked_size(path: Path) -> int:
    try:
        with zipfile.ZipFile(path) as archive:
            return sum(info.file_size for info in archive.infolist())
    except (zipfile.BadZipFile, OSError) as exc:
        raise ArchiveError(f"无法读取工作簿“{path.name}”：不是有效的 .xlsx 文件") from exc


def _read_xlsx(path: Path, limits: Limits, synonyms: Synonyms | None) -> Archive:
    import openpyxl

    name = path.name
    if _xlsx_unpacked_size(path) > limits.max_bytes:
        raise _too_large(name, limits)
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ArchiveError(f"无法读取工作簿“{name}”：{exc}") from exc
    try:
        chosen: dict[str, Any] = {}
        for worksheet in book.worksheets:
            title = worksheet.title.strip()
            if title in SHEETS and title not in chosen:
                chosen[title] = worksheet
        if CLASSES not in chosen:
            raise ArchiveError(f"工作簿“{name}”没有名为“{CLASSES}”的工作表，无法核查")
        archive = Archive(name=name, sheets={})
        budget = _RowBudget(name, limits)
        for sheet in SHEETS:
            if sheet in chosen:
                _read_worksheet(archive, sheet, chosen[sheet], budget, sheet_lookup(sheet, synonyms))
        return archive
    finally:
        book.close()


def _read_worksheet(
    archive: Archive, sheet: str, worksheet: Any, budget: _RowBudget, lookup: dict[str, str]
) -> None:
    mapping: dict[str, int] | None = None
    time_columns: set[int] = set()
    rows: list[int] = []
    cells: list[list[Any]] = []
    for number, row in enumerate(worksheet.iter_rows(), start=1):
        if mapping is None:
            if number > HEADER_ROWS:
                break
            mapping = match_header([cell.value for cell in row], sheet, lookup)
            if mapping is not None:
                time_columns = {index for field, index in mapping.items() if field in TIME_FIELDS}
            continue
        values = [_xlsx_cell(cell, index in time_columns) for index, cell in enumerate(row)]
        if all(is_blank(value) for value in values):
            continue
        rows.append(number)
        cells.append(values)
        if len(rows) % 10_000 == 0:
            budget.spend(10_000)
    if mapping is None:
        archive.problems.append(_sheet_without_header(archive.name, sheet))
        return
    budget.spend(len(rows) % 10_000)
    archive.sheets[sheet] = _build_sheet(sheet, mapping, rows, cells)


# --- CSV folders -------------------------------------------------------------------------------


def decode_csv(data: bytes, filename: str) -> str:
    """A BOM decides (UTF-8 or GB18030); without one strict UTF-8, else GB18030."""
    try:
        if data.startswith(codecs.BOM_UTF8):
            return data[len(codecs.BOM_UTF8) :].decode("utf-8")
        if data.startswith(GB18030_BOM):
            return data[len(GB18030_BOM) :].decode("gb18030")
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("gb18030")
    except UnicodeDecodeError as exc:
        raise ArchiveError(f"无法读取“{filename}”：既不是 UTF-8 也不是 GB18030（GBK）编码的文本") from exc


def _records(text: str) -> Iterator[tuple[int, list[str]]]:
    """(line on which the record starts, cells) for every record of the CSV text."""
    reader = csv.reader(io.StringIO(text, newline=""))
    last = 0
    for record in reader:
        yield last + 1, record
        last = reader.line_num


def _header(text: str, sheet: str, lookup: dict[str, str]) -> tuple[dict[str, int], int] | None:
    """(field → column, physical line on which the header record ends) within the first 10 rows."""
    reader = csv.reader(io.StringIO(text, newline=""))
    for number, record in enumerate(reader, start=1):
        if number > HEADER_ROWS:
            return None
        mapping = match_header(list(record), sheet, lookup)
        if mapping is not None:
            return mapping, reader.line_num
    return None


def _after_line(text: str, line: int) -> int:
    """Offset of the first character after the `line`-th newline."""
    offset = 0
    for _ in range(line):
        found = text.find("\n", offset)
        if found < 0:
            return len(text)
        offset = found + 1
    return offset


def _fast_csv(rest: str, first_line: int, width: int) -> tuple[IntArray, list[Column]] | None:
    """pandas' C reader, when every record is on its own line; None when it cannot tell the lines apart."""
    if "\r" in rest and rest.count("\r") != rest.count("\r\n"):
        return None
    lines = rest.count("\n") + (0 if not rest or rest.endswith("\n") else 1)
    if lines == 0:
        return np.empty(0, dtype=np.int64), [Column.encode([]) for _ in range(width)]
    try:
        frame = pd.read_csv(
            io.StringIO(rest),
            header=None,
            names=list(range(width)),
            dtype=str,
            keep_default_na=False,
            na_filter=False,
            skip_blank_lines=False,
            engine="c",
            quoting=csv.QUOTE_MINIMAL,
        )
    except (pd.errors.ParserError, ValueError):
        return None
    if len(frame) != lines:
        return None
    columns = [Column.encode(frame[index]) for index in range(width)]
    del frame
    blank = np.ones(len(columns[0].codes), dtype=bool)
    for column in columns:
        blank &= column.codes < 0
    keep = np.flatnonzero(~blank)
    numbers = first_line + keep.astype(np.int64)
    return numbers, [column.take(keep) for column in columns]


def _read_csv_sheet(
    archive: Archive, sheet: str, path: Path, budget: _RowBudget, limits: Limits, lookup: dict[str, str]
) -> None:
    if path.stat().st_size > limits.max_bytes:
        raise _too_large(archive.name, limits)
    text = decode_csv(path.read_bytes(), path.name)
    found = _header(text, sheet, lookup)
    if found is None:
        archive.problems.append(_sheet_without_header(archive.name, sheet))
        return
    mapping, header_end = found
    width = max(mapping.values()) + 1
    rest = text[_after_line(text, header_end) :]
    del text
    fast = _fast_csv(rest, header_end + 1, _record_width(rest, width))
    if fast is not None:
        numbers, encoded = fast
        budget.spend(len(numbers))
        columns = {field: encoded[index] for field, index in mapping.items()}
        archive.sheets[sheet] = Sheet(name=sheet, rows=numbers, columns=columns)
        return
    rows: list[int] = []
    cells: list[list[Any]] = []
    for number, record in _records(rest):
        if all(is_blank(value) for value in record):
            continue
        rows.append(number + header_end)
        cells.append(record)
        if len(rows) % 10_000 == 0:
            budget.spend(10_000)
    budget.spend(len(rows) % 10_000)
    archive.sheets[sheet] = _build_sheet(sheet, mapping, rows, cells)


def _record_width(rest: str, width: int) -> int:
    """The widest of the header's mapped columns and the first data line (extra columns are read, not used)."""
    end = rest.find("\n")
    first = rest if end < 0 else rest[:end]
    return max(width, len(next(csv.reader([first]), [])))


def _read_folder(path: Path, limits: Limits, synonyms: Synonyms | None) -> Archive:
    name = path.name
    if not (path / f"{CLASSES}.csv").is_file():
        raise ArchiveError(f"文件夹“{name}”里没有“{CLASSES}.csv”，无法核查")
    total = sum(
        (path / f"{sheet}.csv").stat().st_size for sheet in SHEETS if (path / f"{sheet}.csv").is_file()
    )
    if total > limits.max_bytes:
        raise _too_large(name, limits)
    archive = Archive(name=name, sheets={})
    budget = _RowBudget(name, limits)
    for sheet in SHEETS:
        file = path / f"{sheet}.csv"
        if file.is_file():
            _read_csv_sheet(archive, sheet, file, budget, limits, sheet_lookup(sheet, synonyms))
    return archive


def read_archive(path: Path, *, limits: Limits | None = None, synonyms: Synonyms | None = None) -> Archive:
    """Read one archive; `ArchiveError` (Chinese message) when it cannot be used at all.

    `synonyms`: the user's own header names per sheet (sheet → {header → field}), e.g. a column
    the dashboard's user mapped by hand; the file itself is not changed.
    """
    limits = limits or Limits.from_settings()
    try:
        check_synonyms(synonyms)
    except ValueError as exc:
        raise ArchiveError(str(exc)) from exc
    if path.is_dir():
        return _read_folder(path, limits, synonyms)
    if not path.exists():
        raise ArchiveError(f"找不到档案：{path}")
    if path.suffix.lower() != ".xlsx":
        raise ArchiveError(
            f"“{path.name}”不是培训档案：应为 .xlsx 工作簿，或存有“{CLASSES}.csv”等文件的文件夹"
        )
    return _read_xlsx(path, limits, synonyms)
