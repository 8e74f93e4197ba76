"""培训档案核查, before storing: the columns of each uploaded archive, the user's header mappings,
the input problems by row, and whether it may be stored (Streamlit-free, tested with plain pytest).

Like the roster preview of 核验名单: for each archive and sheet the recognised columns (header →
field, and how: column name, synonym, mapped by hand), the headers not recognised and the required
columns missing. The user may map an unrecognised header to one of the sheet's unfilled fields; the
mapping goes to the engine's reader as synonyms (the file is not changed). An archive whose sheets
all have their required columns is read and audited alone (input problems by row, nothing stored);
only then may it be stored ("确认入库").
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from sqlmodel import Session

from db.records.common import InputError
from db.training.uploads import (
    Preview,
    Upload,
    UploadSource,
    group_upload,
    inspect_source,
    preview_upload,
    read_source,
)
from training_audit.headers import BY_NAME, BY_SYNONYM, BY_USER, REPEATED, ArchiveHeaders, SheetHeader

PREFIX = "training_audit.map."
NOT_USED = ""  # the mapping choice "不使用"
HOW = {BY_NAME: "列名", BY_SYNONYM: "同义词", BY_USER: "手工对应", REPEATED: "重复列，未使用", "": "未识别"}


def map_key(tag: str, sheet: str, header: str) -> str:
    """The widget key of one header's mapping choice (archive, sheet, header text)."""
    return f"{PREFIX}{tag}.{sheet}.{hashlib.sha256(header.encode()).hexdigest()[:10]}"


@dataclass
class Staged:
    """One uploaded archive before storing."""

    source: UploadSource
    builtin: ArchiveHeaders | None  # the headers as the built-in names see them (what may be mapped)
    headers: ArchiveHeaders | None  # with the user's mappings
    synonyms: dict[str, dict[str, str]] = field(default_factory=dict)  # sheet → {header → field}
    upload: Upload | None = None
    preview: Preview | None = None
    error: str = ""  # why it cannot be read or stored yet ("" when it can)

    @property
    def tag(self) -> str:
        return self.source.digest[:12]

    @property
    def name(self) -> str:
        return self.source.name

    @property
    def ready(self) -> bool:
        """Read, audited alone, not stored before: it may be stored once the user confirms."""
        return self.upload is not None and self.preview is not None and self.preview.duplicate_of is None

    def choices(self, sheet: SheetHeader) -> list[tuple[str, str, list[str]]]:
        """(widget key, header, fields it may map to) for the sheet's headers the built-in names miss."""
        if self.builtin is None:
            return []
        base = next((s for s in self.builtin.sheets if s.sheet == sheet.sheet), None)
        if base is None:
            return []
        return [(map_key(self.tag, sheet.sheet, c.text), c.text, base.unfilled) for c in base.unrecognised]


@dataclass(frozen=True)
class ColumnLine:
    """One row of the columns table: sheet, column letter, header, field, how."""

    sheet: str
    column: str
    header: str
    field: str
    how: str


def column_lines(headers: ArchiveHeaders) -> list[ColumnLine]:
    return [
        ColumnLine(s.sheet, c.letter, c.text, c.field or "", HOW.get(c.how, c.how))
        for s in headers.sheets
        for c in s.cells
    ]


@dataclass(frozen=True)
class ProblemLine:
    archive: str
    sheet: str
    row: int | None
    reason: str


def problem_lines(staged: Sequence[Staged]) -> list[ProblemLine]:
    """The input problems of every archive read, by archive, sheet and row (IDs masked)."""
    return [
        ProblemLine(s.name, p.sheet, p.row, p.message)
        for s in staged
        if s.preview is not None
        for p in s.preview.problems
    ]


def _synonyms(
    source: UploadSource, builtin: ArchiveHeaders, chosen: Mapping[str, object]
) -> dict[str, dict[str, str]]:
    tag = source.digest[:12]
    out: dict[str, dict[str, str]] = {}
    for sheet in builtin.sheets:
        for cell in sheet.unrecognised:
            value = chosen.get(map_key(tag, sheet.sheet, cell.text))
            if isinstance(value, str) and value and value in sheet.unfilled:
                out.setdefault(sheet.sheet, {})[cell.text] = value
    return out


def _missing_text(headers: ArchiveHeaders) -> str:
    return "；".join(f"“{s.sheet}”缺少必填列 {'、'.join(s.missing)}" for s in headers.sheets if s.missing)


def stage(
    session: Session,
    files: Sequence[tuple[str, bytes]],
    *,
    folder_name: str = "上传档案",
    chosen: Mapping[str, object] | None = None,
    as_of: dt.date | None = None,
) -> list[Staged]:
    """Group, inspect, map (`chosen`: widget key → field, see `map_key`), read and audit each archive alone.

    Nothing is stored. InputError when the files cannot form archives at all (wrong names)."""
    out: list[Staged] = []
    for source in group_upload(files, folder_name=folder_name):
        try:
            builtin = inspect_source(source)
        except InputError as exc:
            out.append(Staged(source=source, builtin=None, headers=None, error=str(exc)))
            continue
        synonyms = _synonyms(source, builtin, chosen or {})
        headers = inspect_source(source, synonyms=synonyms) if synonyms else builtin
        staged = Staged(source=source, builtin=builtin, headers=headers, synonyms=synonyms)
        out.append(staged)
        if not headers.complete:
            staged.error = _missing_text(headers) + "：请在上面把表头对应到这些列，或改好文件后重新上传"
            continue
        try:
            staged.upload = read_source(source, synonyms=synonyms)
            staged.preview = preview_upload(session, upload=staged.upload, as_of=as_of)
        except InputError as exc:
            staged.upload, staged.error = None, str(exc)
    return out
