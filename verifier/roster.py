"""Reading an uploaded roster (.xlsx, .csv, .xls) into `RosterRow`s (verification.md §2 and §8).

Rows are streamed from the file (openpyxl read-only mode, csv reader), so memory grows with the rows
kept, not with the workbook. Row numbers are those the user sees in the spreadsheet.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from openpyxl.utils import get_column_letter

from verifier.ids import check_id, normalise_id
from verifier.names import MAX_NAME_LENGTH, name_errors, name_key, strip_space
from verifier.types import Family, RosterRow

HEADER_SCAN_ROWS = 20
# §8: a roster over these is refused as a whole (before any row is kept).
MAX_ROWS = 60_000  # data rows
MAX_UNPACKED_BYTES = 200_000_000  # the file as read: a CSV or .xls itself, an .xlsx's unpacked parts
MAX_UNPACKED_MB = MAX_UNPACKED_BYTES // 1_000_000
# An .xlsx keeps its texts in one shared table that the reader holds whole in memory: a real roster of
# MAX_ROWS rows has well under this many different texts; a few million tiny ones are a size bomb.
MAX_SHARED_STRINGS = 500_000
_SHARED_STRING_TAG = re.compile(rb"<(?:[A-Za-z0-9]{1,8}:)?si[ >]")
_ROW_TAG = re.compile(rb"<(?:[A-Za-z0-9]{1,8}:)?row[ >]")
ROW_SLACK = 1_000  # title and blank rows a worksheet may hold beyond the data rows (counted exactly later)
_ENCRYPTION_INFO = "EncryptionInfo".encode("utf-16-le")
_OLE_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # an encrypted .xlsx is an OLE2 container

HEADER_SYNONYMS: dict[str, tuple[str, ...]] = {
    "name": ("姓名", "名字", "人员姓名"),
    "id_number": ("身份证号", "身份证号码", "公民身份号码", "证件号码", "身份证"),
    "family": ("证书类型", "证书种类"),
    "cert_number": ("证书编号", "证号", "操作证号", "证件编号"),
    "category": ("作业类别",),
    "item": ("操作项目", "准操项目"),
    "person_type": ("人员类型",),
    "appointment_date": ("任职日期", "任职时间"),
    "issue_date": ("发证日期", "初领日期"),
    "enterprise": ("单位名称", "企业名称", "所在单位"),
    "uscc": ("统一社会信用代码",),
}
FIELD_LABELS: dict[str, str] = {field: names[0] for field, names in HEADER_SYNONYMS.items()}

FAMILY_VALUES: dict[str, Family] = {
    "special": Family.SPECIAL,  # the API's own codes (JSON rows pass through this reader)
    "safety": Family.SAFETY,
    "特种作业操作证": Family.SPECIAL,
    "特种作业证": Family.SPECIAL,
    "特种作业": Family.SPECIAL,
    "安全生产知识和管理能力考核合格证": Family.SAFETY,
    "安全合格证": Family.SAFETY,
    "安全生产考核合格证": Family.SAFETY,
}

_BRACKETED = re.compile(r"\([^()]*\)|\[[^\[\]]*\]|【[^【】]*】")
_DATE_RES = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2}(?:\.\d+)?)?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)
_CERT_WITH_ID = re.compile(r"^T(.{18})$")
_TEXT_FIELDS = ("category", "item", "person_type", "enterprise", "uscc")


class RosterError(Exception):
    """The roster cannot be used at all (unreadable, no header row, no rows). Chinese message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class RosterTooLarge(RosterError):
    """The roster is over the §8 caps: refused as a whole, never read further (no fallback reading)."""


def too_many_rows(filename: str) -> RosterTooLarge:
    return RosterTooLarge(f"文件“{filename}”超过 {MAX_ROWS:,} 行数据的上限，请拆分为多个名单分批核验")


def _too_big(filename: str, detail: str) -> RosterTooLarge:
    return RosterTooLarge(
        f"文件“{filename}”{detail}，超出名单的上限（不超过 {MAX_ROWS:,} 行数据、解压后不超过 "
        f"{MAX_UNPACKED_MB} MB），请拆分为多个名单分批核验"
    )


def _megabytes(size: int) -> str:
    """Rounded up to 0.1 MB, so a size just over the cap never reads as the cap itself."""
    return f"{-(-size // 100_000) / 10:.1f}"


def _size_of(source: Path | bytes) -> int:
    return len(source) if isinstance(source, bytes) else source.stat().st_size


def check_roster_size(source: Path | bytes, *, filename: str) -> None:
    """Refuse a roster over the §8 caps before reading it: the file (CSV, .xls) or the unpacked parts of
    an .xlsx over 200 MB, or an .xlsx shared-text table beyond any real roster's. Also an encrypted
    workbook (a clear message instead of "not a zip file"). Reads only the zip directory and streams
    the shared-text part. Raises RosterError / RosterTooLarge."""
    import zipfile

    suffix = Path(filename).suffix.lower()
    with io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb") as handle:
        head = handle.read(8)
        if head == _OLE_SIGNATURE and suffix in (".xlsx", ".xlsm"):
            handle.seek(0)
            if _ENCRYPTION_INFO in handle.read(8 << 20):  # the stream a password-protected workbook has
                raise RosterError(
                    f"文件“{filename}”已加密（设置了打开密码），无法读取：请在 Excel 中取消密码后重新上传"
                )
            raise RosterError(
                f"文件“{filename}”是 Excel 97-2003 格式（.xls），却以 {suffix} 结尾：请把扩展名改为 .xls，"
                "或在 Excel 中另存为 .xlsx 后重新上传"
            )
        if suffix not in (".xlsx", ".xlsm"):
            if _size_of(source) > MAX_UNPACKED_BYTES:
                raise _too_big(filename, f"有 {_megabytes(_size_of(source))} MB")
            if suffix in (".csv", ".txt"):
                handle.seek(0)
                lines = sum(chunk.count(b"\n") for chunk in iter(lambda: handle.read(1 << 20), b""))
                if lines > MAX_ROWS + ROW_SLACK:
                    raise too_many_rows(filename)
            return
        handle.seek(0)
        try:
            archive = zipfile.ZipFile(handle)
        except (zipfile.BadZipFile, OSError):
            return  # the Excel reader says what is wrong with it
        with archive:
            infos = archive.infolist()
            unpacked = sum(info.file_size for info in infos)
            if unpacked > MAX_UNPACKED_BYTES:
                raise _too_big(filename, f"解压后有 {_megabytes(unpacked)} MB")
            for info in infos:
                name = info.filename.lower()
                if name.endswith("sharedstrings.xml"):
                    _count_tags(
                        archive,
                        info,
                        _SHARED_STRING_TAG,
                        MAX_SHARED_STRINGS,
                        filename=filename,
                        detail=f"含有超过 {MAX_SHARED_STRINGS:,} 个不同的文字",
                    )
                elif name.startswith("xl/worksheets/") and name.endswith(".xml"):
                    _count_tags(
                        archive,
                        info,
                        _ROW_TAG,
                        MAX_ROWS + ROW_SLACK,
                        filename=filename,
                        detail=f"的工作表有超过 {MAX_ROWS:,} 行",
                    )


def _count_tags(
    archive: Any, info: Any, tag: re.Pattern[bytes], limit: int, *, filename: str, detail: str
) -> None:
    """Stream one part of the zip and refuse it once `tag` occurs more than `limit` times."""
    count = 0
    tail = b""
    with archive.open(info) as part:
        while chunk := part.read(1 << 20):
            # a tag cut by the chunk boundary is found in `tail + chunk`; one wholly in `tail` was
            # counted with the chunk before
            data = tail + chunk
            count += sum(1 for m in tag.finditer(data) if m.end() > len(tail))
            tail = chunk[-12:]
            if count > limit:
                raise _too_big(filename, detail)


@dataclass
class RosterReadResult:
    rows: list[RosterRow]
    header_row: int  # 1-based, as the user sees it
    sheet: str | None  # the sheet read (None for .csv)
    columns: dict[str, str]  # field → the original header text
    unknown_headers: list[str]
    headers: list[str] = field(default_factory=list)  # every named column in order (keys of `original`)
    errors: list[str] = field(default_factory=list)  # file-level notes (duplicate columns ...)

    @property
    def invalid_rows(self) -> list[RosterRow]:
        return [row for row in self.rows if not row.is_valid]


def header_key(text: Any) -> str:
    """NFKC, bracketed notes removed, no white space, `*` or colons: `身份证号码（必填）` → `身份证号码`."""
    if text is None:
        return ""
    value = unicodedata.normalize("NFKC", str(text))
    previous = None
    while previous != value:
        previous, value = value, _BRACKETED.sub("", value)
    return strip_space(value).replace("*", "").replace(":", "")


def build_header_lookup(extra_synonyms: Mapping[str, Iterable[str]] | None = None) -> dict[str, str]:
    """Header key → field, from the built-in lists plus a deployment's synonyms."""
    lookup: dict[str, str] = {}
    for field_name, names in HEADER_SYNONYMS.items():
        for name in names:
            lookup[header_key(name)] = field_name
    for field_name, extra in (extra_synonyms or {}).items():
        if field_name not in HEADER_SYNONYMS:
            raise ValueError(f"未知的名单字段 {field_name!r}（可用：{'、'.join(HEADER_SYNONYMS)}）")
        for name in extra:
            if header_key(name):
                lookup[header_key(name)] = field_name
    return lookup


def family_from_text(text: str) -> Family | None:
    """A 证书类型 value (or the API's `special` / `safety`) → family, None when it is not in the list."""
    return FAMILY_VALUES.get(strip_space(unicodedata.normalize("NFKC", text)).lower())


def dedupe_key(row: RosterRow) -> tuple[str, str, str]:
    """Rows with equal keys are the same person: queried once (family, ID, normalised name)."""
    return (row.family.value, row.id_number, name_key(row.name))


# --- cell values --------------------------------------------------------------------------------


def _is_blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not strip_space(value))


def cell_text(value: Any) -> str:
    """A cell as text: integral floats without `.0`, dates as ISO, None as ''."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    return str(value).strip()


def parse_cell_date(value: Any) -> dt.date | None:
    """A date cell or text (YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, YYYY年M月D日, YYYYMMDD); '' → None.

    Raises ValueError when the value is present but not a date.
    """
    if _is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = unicodedata.normalize("NFKC", cell_text(value)).strip()
    for pattern in _DATE_RES:
        match = pattern.match(text)
        if match:
            return dt.date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    raise ValueError(text)


# --- sources ------------------------------------------------------------------------------------

RowIter = Iterator[tuple[int, list[Any]]]  # (row number as the user sees it, cell values)


def _numbered(rows: Iterable[Iterable[Any]]) -> RowIter:
    for number, values in enumerate(rows, start=1):
        yield number, list(values)


def xls_row_values(cells: Sequence[Any], *, datemode: int) -> list[Any]:
    """One legacy .xls row as plain values: dates as datetimes, empty cells as None."""
    import xlrd

    values: list[Any] = []
    for cell in cells:
        if cell.ctype == xlrd.XL_CELL_DATE:
            values.append(xlrd.xldate_as_datetime(cell.value, datemode))
        elif cell.ctype in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
            values.append(None)
        else:
            values.append(cell.value)
    return values


def _xlsx_sheets(source: Path | bytes, filename: str) -> Iterator[tuple[str, RowIter]]:
    import openpyxl  # heavy import, only when needed
    from openpyxl.worksheet._read_only import ReadOnlyWorksheet

    try:
        workbook = openpyxl.load_workbook(
            io.BytesIO(source) if isinstance(source, bytes) else source, read_only=True, data_only=True
        )
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise RosterError(f"文件“{filename}”不是可读取的 Excel（.xlsx）文件：{exc}") from exc
    try:
        for sheet in workbook.worksheets:
            if isinstance(sheet, ReadOnlyWorksheet):
                sheet.reset_dimensions()  # some writers record wrong dimensions
            yield sheet.title, _numbered(sheet.iter_rows(values_only=True))
    finally:
        workbook.close()


def _xls_sheets(source: Path | bytes, filename: str) -> Iterator[tuple[str, RowIter]]:
    import xlrd

    try:
        if isinstance(source, bytes):
            book = xlrd.open_workbook(file_contents=source, on_demand=True)
        else:
            book = xlrd.open_workbook(str(source), on_demand=True)
    except Exception as exc:  # xlrd raises its own and struct errors
        if "encrypt" in str(exc).lower():
            raise RosterError(
                f"文件“{filename}”已加密（设置了打开密码），无法读取：请在 Excel 中取消密码后重新上传"
            ) from exc
        raise RosterError(f"文件“{filename}”不是可读取的 Excel 97-2003（.xls）文件：{exc}") from exc

    def rows(sheet: Any) -> RowIter:
        if sheet.nrows > MAX_ROWS + ROW_SLACK:
            raise too_many_rows(filename)
        for index in range(sheet.nrows):
            yield index + 1, xls_row_values(sheet.row(index), datemode=book.datemode)

    try:
        for index in range(book.nsheets):
            sheet = book.sheet_by_index(index)
            yield sheet.name, rows(sheet)
    finally:
        book.release_resources()


def _detect_encoding(stream: IO[bytes]) -> str:
    """utf-8-sig, utf-8 or gb18030 (a superset of GBK), read in chunks."""
    head = stream.read(3)
    if head == codecs.BOM_UTF8:
        return "utf-8-sig"
    decoder = codecs.getincrementaldecoder("utf-8")()
    try:
        decoder.decode(head)
        while chunk := stream.read(1 << 20):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "gb18030"
    return "utf-8"


def csv_dialect(sample: str) -> type[csv.Dialect]:
    """§8: commas, unless the header line holds none; then tabs or semicolons, whichever it has.

    The header line is not known yet (titles may stand above it): a comma on any of the first
    `HEADER_SCAN_ROWS` lines keeps commas, so a `;` inside a cell never changes the separator.
    """
    lines = [line for line in sample.splitlines()[:HEADER_SCAN_ROWS] if line.strip()]
    if not lines or any("," in line for line in lines):
        return csv.excel
    if any("\t" in line for line in lines):
        return csv.excel_tab
    if any(";" in line for line in lines):
        return _Semicolon
    return csv.excel


class _Semicolon(csv.excel):
    delimiter = ";"


def _csv_sheets(source: Path | bytes, filename: str) -> Iterator[tuple[str, RowIter]]:
    raw: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else open(source, "rb")  # noqa: SIM115
    try:
        encoding = _detect_encoding(raw)
        raw.seek(0)
        text = io.TextIOWrapper(raw, encoding=encoding, errors="strict", newline="")
        sample = text.read(64 * 1024)
        text.seek(0)
        yield "", _numbered(csv.reader(text, csv_dialect(sample)))
    finally:
        raw.close()


def _sheets(source: Path | bytes, filename: str) -> Iterator[tuple[str, RowIter]]:
    suffix = Path(filename).suffix.lower()
    if suffix in (".xlsx", ".xlsm"):
        return _xlsx_sheets(source, filename)
    if suffix == ".xls":
        return _xls_sheets(source, filename)
    if suffix in (".csv", ".txt"):
        return _csv_sheets(source, filename)
    raise RosterError(f"文件“{filename}”的类型不受支持：请上传 .xlsx、.csv 或 .xls 文件")


# --- the header ---------------------------------------------------------------------------------


@dataclass
class _Header:
    number: int
    fields: dict[str, int]  # field → column index
    columns: dict[str, str]  # field → original header
    names: list[tuple[int, str]]  # (column index, unique header text) for `original`
    unknown: list[str]
    notes: list[str]


def _match_header(number: int, values: list[Any], lookup: Mapping[str, str], filename: str) -> _Header | None:
    fields: dict[str, int] = {}
    columns: dict[str, str] = {}
    names: list[tuple[int, str]] = []
    unknown: list[str] = []
    notes: list[str] = []
    seen: set[str] = set()
    for index, value in enumerate(values):
        text = cell_text(value)
        if not text:
            continue
        unique = text
        while unique in seen:
            unique += "_"
        seen.add(unique)
        names.append((index, unique))
        field_name = lookup.get(header_key(text))
        if field_name is None:
            unknown.append(text)
        elif field_name in fields:
            first = get_column_letter(fields[field_name] + 1)
            notes.append(
                f"文件“{filename}”第 {number} 行第 {get_column_letter(index + 1)} 列“{text}”"
                f"与第 {first} 列“{columns[field_name]}”重复，已忽略"
            )
        else:
            fields[field_name] = index
            columns[field_name] = text
    if "name" in fields and ("id_number" in fields or "cert_number" in fields):
        return _Header(number, fields, columns, names, unknown, notes)
    return None


def _find_header(
    sheets: Iterator[tuple[str, RowIter]], lookup: Mapping[str, str], filename: str
) -> tuple[str, _Header, RowIter]:
    for sheet_name, rows in sheets:
        for number, values in rows:
            header = _match_header(number, values, lookup, filename)
            if header is not None:
                return sheet_name, header, rows
            if number >= HEADER_SCAN_ROWS:
                break
    wanted = "、".join(HEADER_SYNONYMS["name"])
    ids = "、".join(HEADER_SYNONYMS["id_number"] + HEADER_SYNONYMS["cert_number"])
    raise RosterError(
        f"文件“{filename}”的前 {HEADER_SCAN_ROWS} 行中找不到表头：表头行须同时含有姓名列（{wanted}）"
        f"和身份证号或证书编号列（{ids}）"
    )


# --- rows ---------------------------------------------------------------------------------------


def _row(
    number: int,
    values: list[Any],
    header: _Header,
    *,
    default_family: Family,
    as_of: dt.date,
) -> RosterRow:
    # NUL cannot be stored in PostgreSQL text: shown as U+FFFD (a name holding it is INPUT_INVALID)
    values = [v.replace("\x00", "\ufffd") if isinstance(v, str) and "\x00" in v else v for v in values]

    def get(field_name: str) -> Any:
        index = header.fields.get(field_name)
        return values[index] if index is not None and index < len(values) else None

    errors: list[str] = []
    unrecognised_family: str | None = None
    name = cell_text(get("name"))
    errors.extend(name_errors(name))
    if len(name) > 2 * MAX_NAME_LENGTH:  # refused anyway: never store or echo a page of text as a name
        name = name[: 2 * MAX_NAME_LENGTH] + "…"

    family = default_family
    family_text = cell_text(get("family"))
    if family_text:
        found = family_from_text(family_text)
        if found is None:
            unrecognised_family = family_text
            errors.append(
                f"证书类型“{family_text}”无法识别，应为“特种作业操作证”或“安全生产知识和管理能力考核合格证”"
            )
        else:
            family = found

    cert_number = cell_text(get("cert_number")) or None
    id_cell = get("id_number")
    if _is_blank(id_cell) and family is Family.SPECIAL and cert_number:
        match = _CERT_WITH_ID.match(normalise_id(cert_number))
        if match:
            id_cell = match.group(1)
    id_number, id_errors, warnings = check_id(id_cell, as_of=as_of)
    if id_errors == ["身份证号为空"] and "id_number" not in header.fields:
        id_errors = ["身份证号为空：名单无身份证号列，且证书编号不是“T+18位身份证号”"]
    errors.extend(id_errors)

    dates: dict[str, dt.date | None] = {}
    for field_name in ("appointment_date", "issue_date"):
        value = get(field_name)
        try:
            dates[field_name] = parse_cell_date(value)
        except ValueError:
            dates[field_name] = None
            label = header.columns.get(field_name, FIELD_LABELS[field_name])
            errors.append(f"{label}“{cell_text(value)}”不是可识别的日期（应如 2023-01-31 或 2023年1月31日）")

    texts = {f: (cell_text(get(f)) or None) for f in _TEXT_FIELDS}
    original = {name_: values[index] if index < len(values) else None for index, name_ in header.names}
    return RosterRow(
        row_number=number,
        name=name,
        id_number=id_number,
        family=family,
        cert_number=cert_number,
        category=texts["category"],
        item=texts["item"],
        person_type=texts["person_type"],
        appointment_date=dates["appointment_date"],
        issue_date=dates["issue_date"],
        enterprise=texts["enterprise"],
        uscc=texts["uscc"],
        family_text=unrecognised_family,
        errors=errors,
        warnings=warnings,
        original=original,
    )


def read_roster(
    source: str | Path | bytes,
    *,
    filename: str | None = None,
    default_family: Family | None,
    as_of: dt.date,
    extra_synonyms: Mapping[str, Iterable[str]] | None = None,
) -> RosterReadResult:
    """Read a roster file (a path, or the uploaded bytes with their `filename`).

    Raises RosterError when the roster cannot be used at all. Row-level problems are in each
    row's `errors` (→ INPUT_INVALID).
    """
    if isinstance(source, bytes):
        if filename is None:
            raise ValueError("filename is needed to read roster bytes")
        data: Path | bytes = source
    else:
        data = Path(source)
        filename = filename or data.name
        if not data.is_file():
            raise RosterError(f"找不到名单文件“{filename}”")
    check_roster_size(data, filename=filename)
    lookup = build_header_lookup(extra_synonyms)
    family = default_family or Family.SPECIAL
    sheets = _sheets(data, filename)
    try:
        sheet_name, header, rows_iter = _find_header(sheets, lookup, filename)
        rows: list[RosterRow] = []
        for number, values in rows_iter:
            if all(_is_blank(v) for v in values):
                continue
            if len(rows) >= MAX_ROWS:
                raise too_many_rows(filename)
            rows.append(_row(number, values, header, default_family=family, as_of=as_of))
    except UnicodeDecodeError as exc:
        raise RosterError(f"文件“{filename}”的文字编码无法识别（应为 UTF-8 或 GBK）：{exc}") from exc
    except (OSError, csv.Error) as exc:
        raise RosterError(f"文件“{filename}”读取失败：{exc}") from exc
    finally:
        close = getattr(sheets, "close", None)
        if close is not None:
            close()
    if not rows:
        raise RosterError(f"文件“{filename}”第 {header.number} 行表头之下没有数据行")
    return RosterReadResult(
        rows=rows,
        header_row=header.number,
        sheet=sheet_name or None,
        columns=header.columns,
        unknown_headers=header.unknown,
        headers=[name_ for _, name_ in header.names],
        errors=header.notes,
    )


def read_records(
    records: Sequence[Mapping[str, Any]], *, default_family: Family | None, as_of: dt.date
) -> RosterReadResult:
    """Rows given as fields (the service's JSON rows: `name`, `id_number`, … as in `FIELD_LABELS`)
    through the same row checks as a file, without writing them to a file first. Rows are numbered
    1, 2, …; a field missing or None is an empty cell."""
    if len(records) > MAX_ROWS:
        raise too_many_rows("JSON 名单")
    fields = list(FIELD_LABELS)
    header = _Header(
        number=0,
        fields={name: index for index, name in enumerate(fields)},
        columns=dict(FIELD_LABELS),
        names=[(index, FIELD_LABELS[name]) for index, name in enumerate(fields)],
        unknown=[],
        notes=[],
    )
    family = default_family or Family.SPECIAL
    rows = []
    for number, record in enumerate(records, start=1):
        values = ["" if record.get(name) is None else str(record[name]) for name in fields]
        rows.append(_row(number, values, header, default_family=family, as_of=as_of))
    return RosterReadResult(
        rows=rows,
        header_row=0,
        sheet=None,
        columns=dict(FIELD_LABELS),
        unknown_headers=[],
        headers=[FIELD_LABELS[name] for name in fields],
        errors=[],
    )
