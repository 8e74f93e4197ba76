"""What the reader makes of an archive's header rows, before reading it (training-audit.md §1).

For each sheet present: the header row (the first of the first 10 rows holding every required
column; when none does, the row holding the most of the sheet's columns, so the user sees what is
there), each header cell with the field it fills and how it was recognised, and the required
fields missing. Only the first rows are read. Used to confirm or map columns before an upload is
stored; `synonyms` are the user's own mappings, as `read_archive` takes them.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training_audit.columns import (
    CLASSES,
    HEADER_LOOKUP,
    REQUIRED,
    SHEETS,
    Synonyms,
    check_synonyms,
    match_fields,
    sheet_fields,
    sheet_lookup,
)
from training_audit.read import HEADER_ROWS, ArchiveError, Limits, _xlsx_unpacked_size, decode_csv
from training_audit.values import is_blank, plain_text
from verifier.roster import header_key

BY_NAME = "列名"
BY_SYNONYM = "同义词"
BY_USER = "手工对应"
REPEATED = "重复"  # a second column for a field already filled: the leftmost is used


@dataclass(frozen=True)
class HeaderCell:
    column: int  # 0-based
    text: str  # as written
    field: str | None  # the field the column fills, None when unused
    how: str  # BY_NAME, BY_SYNONYM, BY_USER, REPEATED or "" (not recognised)

    @property
    def letter(self) -> str:
        """The spreadsheet column letter (A, B, … AA)."""
        n, out = self.column + 1, ""
        while n:
            n, rest = divmod(n - 1, 26)
            out = chr(65 + rest) + out
        return out


@dataclass(frozen=True)
class SheetHeader:
    sheet: str
    row: int | None  # the header's row number (spreadsheet row or CSV line); None when the sheet is empty
    cells: tuple[HeaderCell, ...]
    missing: tuple[str, ...]  # required fields no column fills

    @property
    def recognised(self) -> list[HeaderCell]:
        return [c for c in self.cells if c.field is not None]

    @property
    def unrecognised(self) -> list[HeaderCell]:
        return [c for c in self.cells if c.field is None and c.how != REPEATED]

    @property
    def unfilled(self) -> list[str]:
        """The sheet's fields (required first) no column fills: what an unrecognised header may map to."""
        filled = {c.field for c in self.cells}
        return [f for f in sheet_fields(self.sheet) if f not in filled]


@dataclass(frozen=True)
class ArchiveHeaders:
    name: str
    sheets: tuple[SheetHeader, ...]  # the sheets present, in contract order

    @property
    def complete(self) -> bool:
        """Every sheet present has its required columns."""
        return all(not s.missing for s in self.sheets)


def _how(text: object, field: str) -> str:
    key = header_key(text)
    if HEADER_LOOKUP.get(key) == field:
        return BY_NAME if key == header_key(field) else BY_SYNONYM
    return BY_USER


def sheet_header(
    sheet: str, rows: list[tuple[int, list[Any]]], synonyms: Synonyms | None = None
) -> SheetHeader:
    """The header of one sheet from its first rows ((row number, cells), at most 10)."""
    lookup = sheet_lookup(sheet, synonyms)
    best: tuple[int, list[Any], dict[str, int]] | None = None
    for number, cells in rows[:HEADER_ROWS]:
        found = match_fields(cells, sheet, lookup)
        if all(field in found for field in REQUIRED[sheet]):
            best = (number, cells, found)
            break
        if found and (best is None or len(found) > len(best[2])):
            best = (number, cells, found)
    if best is None:  # nothing recognised: the first non-blank row, so its headers can be mapped
        first = next(((n, c) for n, c in rows[:HEADER_ROWS] if not all(is_blank(v) for v in c)), None)
        best = (first[0], first[1], {}) if first else None
    if best is None:
        return SheetHeader(sheet=sheet, row=None, cells=(), missing=REQUIRED[sheet])
    number, cells, found = best
    used = {index: field for field, index in found.items()}
    out: list[HeaderCell] = []
    for index, value in enumerate(cells):
        if is_blank(value):
            continue
        text = plain_text(value).strip()
        if index in used:
            out.append(HeaderCell(index, text, used[index], _how(value, used[index])))
        elif lookup.get(header_key(value)) in found:
            out.append(HeaderCell(index, text, None, REPEATED))
        else:
            out.append(HeaderCell(index, text, None, ""))
    missing = tuple(f for f in REQUIRED[sheet] if f not in found)
    return SheetHeader(sheet=sheet, row=number, cells=tuple(out), missing=missing)


def _xlsx_rows(path: Path, limits: Limits) -> dict[str, list[tuple[int, list[Any]]]]:
    import openpyxl

    if _xlsx_unpacked_size(path) > limits.max_bytes:
        raise ArchiveError(f"档案“{path.name}”解压后过大，已整份拒收；请分成几份再核查")
    try:
        book = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many kinds for a damaged file
        raise ArchiveError(f"无法读取工作簿“{path.name}”：{exc}") from exc
    try:
        out: dict[str, list[tuple[int, list[Any]]]] = {}
        for worksheet in book.worksheets:
            title = worksheet.title.strip()
            if title in SHEETS and title not in out:
                rows = worksheet.iter_rows(max_row=HEADER_ROWS, values_only=True)
                out[title] = [(n, list(r)) for n, r in enumerate(rows, start=1)]
        if CLASSES not in out:
            raise ArchiveError(f"工作簿“{path.name}”没有名为“{CLASSES}”的工作表，无法核查")
        return out
    finally:
        book.close()


def _csv_rows(file: Path) -> list[tuple[int, list[Any]]]:
    with file.open("rb") as handle:
        head = handle.read(256 * 1024)  # the first 10 records of any sane file
    text = decode_csv(head, file.name) if head else ""
    reader = csv.reader(io.StringIO(text, newline=""))
    rows: list[tuple[int, list[Any]]] = []
    last = 0
    for record in reader:
        rows.append((last + 1, list(record)))
        last = reader.line_num
        if len(rows) >= HEADER_ROWS:
            break
    return rows


def inspect_headers(
    path: Path, *, synonyms: Synonyms | None = None, limits: Limits | None = None
) -> ArchiveHeaders:
    """The header of every sheet of an archive (.xlsx or CSV folder); `ArchiveError` when it is no archive."""
    limits = limits or Limits.from_settings()
    try:
        check_synonyms(synonyms)
    except ValueError as exc:
        raise ArchiveError(str(exc)) from exc
    if path.is_dir():
        if not (path / f"{CLASSES}.csv").is_file():
            raise ArchiveError(f"文件夹“{path.name}”里没有“{CLASSES}.csv”，无法核查")
        rows = {s: _csv_rows(path / f"{s}.csv") for s in SHEETS if (path / f"{s}.csv").is_file()}
    elif path.suffix.lower() == ".xlsx" and path.is_file():
        rows = _xlsx_rows(path, limits)
    else:
        raise ArchiveError(
            f"“{path.name}”不是培训档案：应为 .xlsx 工作簿，或存有“{CLASSES}.csv”等文件的文件夹"
        )
    return ArchiveHeaders(
        name=path.name,
        sheets=tuple(sheet_header(s, rows[s], synonyms) for s in SHEETS if s in rows),
    )
