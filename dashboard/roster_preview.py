"""Before a roster is sent: which columns were recognised, a manual mapping for the others, and the
local problems by spreadsheet row (no platform call). Streamlit-free.

A manual mapping (header text → field) is never applied by rewriting the file: the preview reads the
file with the mapping as extra header synonyms (`column_synonyms`), and the service is sent the file
as uploaded with the same mapping (its `columns` field), so both read exactly the same rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import threading
from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from anpei.masking import mask_ids_in
from verifier.jobs import roster_problems
from verifier.roster import (
    HEADER_SCAN_ROWS,
    MAX_ROWS,
    ROW_SLACK,
    RosterError,
    RosterReadResult,
    cell_text,
    check_roster_size,
    csv_dialect,
    read_roster,
    too_many_rows,
    xls_row_values,
)
from verifier.types import Family

FIELD_NAMES: dict[str, str] = {
    "name": "姓名",
    "id_number": "身份证号",
    "family": "证书类型",
    "cert_number": "证书编号",
    "category": "作业类别",
    "item": "操作项目",
    "person_type": "人员类型",
    "appointment_date": "任职日期",
    "issue_date": "发证日期",
    "enterprise": "单位名称",
    "uscc": "统一社会信用代码",
}
UNUSED = ""  # the mapping's "do not use this column"
ROSTER_SUFFIXES = (".xlsx", ".xlsm", ".csv", ".txt", ".xls")


@dataclass(frozen=True)
class ColumnInfo:
    """One named column of the header row: what the reader made of it."""

    header: str
    field: str | None

    @property
    def label(self) -> str:
        return FIELD_NAMES[self.field] if self.field else "未识别（不使用）"


@dataclass(frozen=True)
class Problem:
    row: int | None  # the spreadsheet row as the user sees it; None for the file as a whole
    name: str
    message: str


@dataclass(frozen=True)
class Preview:
    filename: str
    roster: RosterReadResult
    columns: list[ColumnInfo]
    problems: list[Problem]

    @property
    def total(self) -> int:
        return len(self.roster.rows)

    @property
    def invalid(self) -> int:
        return len(self.roster.invalid_rows)

    @property
    def has_family_column(self) -> bool:
        return "family" in self.roster.columns

    @property
    def has_enterprise_column(self) -> bool:
        return "enterprise" in self.roster.columns or "uscc" in self.roster.columns

    @property
    def unknown_headers(self) -> list[str]:
        return [c.header for c in self.columns if c.field is None]

    def sample(self, limit: int = 200) -> list[dict[str, Any]]:
        """The first rows as the service will read them (ID numbers masked)."""
        out = []
        for row in self.roster.rows[:limit]:
            out.append(
                {
                    "行号": row.row_number,
                    "姓名": row.name,
                    "身份证号": mask_ids_in(row.id_number),
                    "证书类型": "特种作业" if row.family is Family.SPECIAL else "安全合格证",
                    "操作项目": row.item or row.category or row.person_type or "",
                    "证书编号": mask_ids_in(row.cert_number or ""),
                    "本地检查": "；".join(row.errors) or "通过",
                }
            )
        return out


# --- reading ---------------------------------------------------------------------------------


def _csv_rows(data: bytes) -> list[list[Any]]:
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:  # pragma: no cover - gb18030 decodes any byte string
        raise RosterError("文件的文字编码无法识别（应为 UTF-8 或 GBK）")
    return [list(row) for row in csv.reader(io.StringIO(text, newline=""), csv_dialect(text[:65536]))]


def sheet_rows(data: bytes, *, filename: str) -> list[tuple[str, list[list[Any]]]]:
    """Every sheet's rows (cell values as read), for the header choice and the rewrite."""
    check_roster_size(data, filename=filename)  # the §8 caps, as the service applies them
    suffix = Path(filename).suffix.lower()
    if suffix in (".csv", ".txt"):
        return [("", _capped(_csv_rows(data), filename=filename))]
    if suffix in (".xlsx", ".xlsm"):
        import openpyxl

        try:
            workbook = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
        except Exception as exc:  # openpyxl raises many types for a broken file
            raise RosterError(f"文件“{filename}”不是可读取的 Excel（.xlsx）文件：{exc}") from exc
        try:
            return [
                (ws.title, _capped((list(r) for r in ws.iter_rows(values_only=True)), filename=filename))
                for ws in workbook.worksheets
            ]
        finally:
            workbook.close()
    if suffix == ".xls":
        import xlrd

        try:
            book = xlrd.open_workbook(file_contents=data)
        except Exception as exc:  # xlrd raises its own and struct errors
            raise RosterError(f"文件“{filename}”不是可读取的 Excel 97-2003（.xls）文件：{exc}") from exc
        sheets = []
        for sheet in book.sheets():
            if sheet.nrows > MAX_ROWS + ROW_SLACK:
                raise too_many_rows(filename)
            rows = []
            for index in range(sheet.nrows):
                rows.append(xls_row_values(sheet.row(index), datemode=book.datemode))
            sheets.append((sheet.name, rows))
        return sheets
    raise RosterError(f"文件“{filename}”的类型不受支持：请上传 .xlsx、.csv 或 .xls 文件")


def _capped(rows: Iterable[list[Any]], *, filename: str) -> list[list[Any]]:
    out: list[list[Any]] = []
    for row in rows:
        if len(out) >= MAX_ROWS + ROW_SLACK:
            raise too_many_rows(filename)
        out.append(row)
    return out


def header_candidates(data: bytes, *, filename: str) -> tuple[str, list[list[str]]]:
    """The first sheet with data and its first rows as text (to pick the header row by hand)."""
    for name, rows in sheet_rows(data, filename=filename):
        texts = [[cell_text(v) for v in row] for row in rows[:HEADER_SCAN_ROWS]]
        if any(any(texts_row) for texts_row in texts):
            return name, texts
    raise RosterError(f"文件“{filename}”是空的")


def columns_of(roster: RosterReadResult) -> list[ColumnInfo]:
    """Every named column of the header row, with the field it was read as (None: not used)."""
    used = {header: field_name for field_name, header in roster.columns.items()}
    return [ColumnInfo(header, used.get(header)) for header in roster.headers]


_PREVIEWS: OrderedDict[tuple[Any, ...], Preview | RosterError] = OrderedDict()
_PREVIEWS_KEPT = 8
_PREVIEWS_LOCK = threading.Lock()


def cached_preview(
    data: bytes, *, filename: str, family: Family, as_of: dt.date, columns: Mapping[str, str] | None = None
) -> Preview:
    """`preview_roster`, kept by the file's digest: a rerun of the page never reads the file again,
    and a refused file (over the caps) is refused again at once. RosterError as `preview_roster`."""
    key = (
        hashlib.sha256(data).hexdigest(),
        filename,
        family.value,
        as_of,
        tuple(sorted((columns or {}).items())),
    )
    with _PREVIEWS_LOCK:
        found = _PREVIEWS.get(key)
        if found is not None:
            _PREVIEWS.move_to_end(key)
    if found is None:
        try:
            found = preview_roster(data, filename=filename, family=family, as_of=as_of, columns=columns)
        except RosterError as exc:
            found = exc
        with _PREVIEWS_LOCK:
            _PREVIEWS[key] = found
            while len(_PREVIEWS) > _PREVIEWS_KEPT:
                _PREVIEWS.popitem(last=False)
    if isinstance(found, RosterError):
        raise found
    return found


def column_synonyms(columns: Mapping[str, str] | None) -> dict[str, list[str]] | None:
    """A manual mapping (header text → field) as the reader's extra synonyms (field → headers)."""
    synonyms: dict[str, list[str]] = {}
    for header, field_name in (columns or {}).items():
        if field_name:
            synonyms.setdefault(field_name, []).append(header)
    return synonyms or None


def preview_roster(
    data: bytes, *, filename: str, family: Family, as_of: dt.date, columns: Mapping[str, str] | None = None
) -> Preview:
    """Read the roster as the service will (with the manual mapping `columns`, header → field) and
    list every local problem by row. RosterError when unusable."""
    roster = read_roster(
        data, filename=filename, default_family=family, as_of=as_of, extra_synonyms=column_synonyms(columns)
    )
    names = {row.row_number: row.name for row in roster.rows}
    problems = [
        Problem(p["row"], names.get(p["row"], "") if p["row"] else "", p["message"])
        for p in roster_problems(roster)
    ]
    return Preview(filename, roster, columns_of(roster), problems)


# --- the manual mapping ----------------------------------------------------------------------


def recognised_fields(roster: RosterReadResult) -> set[str]:
    return set(roster.columns)


def mapping_options(recognised: set[str]) -> list[str]:
    """Fields a user may still give to an unknown header ('' = not used)."""
    return [UNUSED, *[f for f in FIELD_NAMES if f not in recognised]]
