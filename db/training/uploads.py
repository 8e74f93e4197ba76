"""培训档案核查, before storing: the units an archive may belong to, uploads grouped into archives,
their header rows inspected and read (with the user's header mappings), and the preview of one
upload audited alone (nothing is stored).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from collections import defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlmodel import Session, col, select

from anpei.masking import mask_ids_in
from db.codes import TargetKind
from db.models import Enterprise, TrainingArchive, TrainingInstitution
from db.records.common import InputError, local_today
from db.rules.access import Principal, scope_filter
from training_audit import Archive, ArchiveError, read_archive
from training_audit import audit as run_audit
from training_audit.columns import CLASSES, Synonyms
from training_audit.headers import ArchiveHeaders, inspect_headers
from training_audit.values import key_text

CSV_SHEETS = ("班次.csv", "课程安排.csv", "签到.csv", "考试.csv")


@dataclass(frozen=True)
class TrainingUnit:
    """An institution or enterprise an archive belongs to."""

    target_kind: str
    unit_id: int
    name: str
    jurisdiction_id: int

    @property
    def key(self) -> str:
        return f"{self.target_kind}:{self.unit_id}"


def training_units(session: Session, *, principal: Principal) -> list[TrainingUnit]:
    """Institutions, then enterprises, the principal may read (by name)."""
    units: list[TrainingUnit] = []
    for model, kind in ((TrainingInstitution, TargetKind.INSTITUTION), (Enterprise, TargetKind.ENTERPRISE)):
        stmt: Any = select(model.id, model.name, model.jurisdiction_id).where(col(model.active))
        if (scope := scope_filter(principal, model.jurisdiction_id)) is not None:
            stmt = stmt.where(scope)
        for uid, name, jid in session.exec(stmt.order_by(model.name)).all():
            units.append(TrainingUnit(kind.value, int(uid), name, int(jid)))
    return units


def guess_unit(units: Sequence[TrainingUnit], archive: Archive) -> TrainingUnit | None:
    """The unit whose name is the archive's first 培训单位 (after NFKC, white space removed)."""
    sheet = archive.sheets.get(CLASSES)
    if sheet is None:
        return None
    names = {key_text(value) for value in sheet.column("培训单位").values}
    for unit in units:
        if key_text(unit.name) in names:
            return unit
    return None


@dataclass
class Upload:
    """An uploaded archive, read: its display name, digest and the engine's view of it.

    `columns_note`: the headers the user mapped by hand (for the audit log), "" when none."""

    name: str
    digest: str
    archive: Archive
    columns_note: str = ""


def digest_files(files: Sequence[tuple[str, bytes]]) -> str:
    """SHA-256 of one file, or of several files by name (a CSV folder)."""
    if len(files) == 1:
        return hashlib.sha256(files[0][1]).hexdigest()
    digest = hashlib.sha256()
    for name, data in sorted(files):
        digest.update(name.encode() + b"\0" + hashlib.sha256(data).digest())
    return digest.hexdigest()


@dataclass(frozen=True)
class UploadSource:
    """The files of one archive to be: one .xlsx, or the CSV files selected together (a folder)."""

    name: str
    digest: str
    files: tuple[tuple[str, bytes], ...]
    folder: bool

    @contextmanager
    def path(self) -> Iterator[Path]:
        """The archive written to a temporary file or folder (as the engine reads archives)."""
        with tempfile.TemporaryDirectory(prefix="anpei-archive-") as tmp:
            if self.folder:
                folder = Path(tmp) / self.name
                folder.mkdir()
                for name, data in self.files:
                    (folder / Path(name).name).write_bytes(data)
                yield folder
            else:
                ((name, data),) = self.files
                path = Path(tmp) / Path(name).name
                path.write_bytes(data)
                yield path


def group_upload(files: Sequence[tuple[str, bytes]], *, folder_name: str = "上传档案") -> list[UploadSource]:
    """Uploaded files → archives: each .xlsx is one archive; the CSV files (班次.csv …) together are one."""
    xlsx = [(name, data) for name, data in files if name.lower().endswith(".xlsx")]
    csvs = [(name, data) for name, data in files if name.lower().endswith(".csv")]
    other = [name for name, _ in files if not name.lower().endswith((".xlsx", ".csv"))]
    if other:
        raise InputError(f"只能上传 .xlsx 工作簿或 {'、'.join(CSV_SHEETS)} 文件：{'、'.join(other)}")
    sources = [
        UploadSource(Path(name).name, digest_files([(name, data)]), ((name, data),), folder=False)
        for name, data in xlsx
    ]
    if csvs:
        unknown = [name for name, _ in csvs if Path(name).name not in CSV_SHEETS]
        if unknown:
            raise InputError(f"CSV 文件须命名为 {'、'.join(CSV_SHEETS)}：{'、'.join(unknown)}")
        folder = Path(folder_name.strip() or "上传档案").name or "上传档案"
        sources.append(UploadSource(folder, digest_files(csvs), tuple(csvs), folder=True))
    return sources


def inspect_source(source: UploadSource, *, synonyms: Synonyms | None = None) -> ArchiveHeaders:
    """The header rows of an upload: recognised columns, unrecognised headers, missing required columns."""
    with source.path() as path:
        try:
            return inspect_headers(path, synonyms=synonyms)
        except ArchiveError as exc:
            raise InputError(str(exc)) from exc


def columns_note(synonyms: Synonyms | None) -> str:
    """“签到：证件号→身份证号；…” for the audit log ("" without mappings)."""
    return "；".join(
        f"{sheet}：" + "、".join(f"{header}→{field}" for header, field in headers.items())
        for sheet, headers in (synonyms or {}).items()
        if headers
    )


def read_source(source: UploadSource, *, synonyms: Synonyms | None = None) -> Upload:
    """Read an upload with the user's header mappings (`synonyms`, per sheet); the file is not changed."""
    with source.path() as path:
        archive = _read(path, synonyms)
    return Upload(
        name=source.name, digest=source.digest, archive=archive, columns_note=columns_note(synonyms)
    )


def read_upload(files: Sequence[tuple[str, bytes]], *, folder_name: str = "上传档案") -> list[Upload]:
    """Uploaded files → read archives (no header mappings)."""
    return [read_source(source) for source in group_upload(files, folder_name=folder_name)]


def _read(path: Path, synonyms: Synonyms | None = None) -> Archive:
    try:
        return read_archive(path, synonyms=synonyms)
    except ArchiveError as exc:
        raise InputError(str(exc)) from exc


@dataclass(frozen=True)
class ProblemRow:
    sheet: str
    row: int | None
    message: str


@dataclass
class Preview:
    """What storing an upload would do: its input problems (IDs masked) and its own leads."""

    name: str
    digest: str
    duplicate_of: int | None  # the stored archive with the same digest
    problems: list[ProblemRow]
    lead_counts: dict[str, int]
    classes: int
    rows: int


def preview_upload(session: Session, *, upload: Upload, as_of: dt.date | None = None) -> Preview:
    """Audit the upload alone (nothing is stored)."""
    existing = session.exec(select(TrainingArchive.id).where(TrainingArchive.sha256 == upload.digest)).first()
    try:
        result = run_audit([upload.archive], as_of=as_of or local_today())
    except ArchiveError as exc:
        raise InputError(str(exc)) from exc
    counts: dict[str, int] = defaultdict(int)
    for lead in result.leads:
        counts[lead.code] += 1
    problems = [ProblemRow(p.sheet, p.row, mask_ids_in(p.message)) for p in result.problems]
    classes = len(upload.archive.sheets[CLASSES]) if CLASSES in upload.archive.sheets else 0
    return Preview(
        name=upload.name,
        digest=upload.digest,
        duplicate_of=existing,
        problems=problems,
        lead_counts=dict(counts),
        classes=classes,
        rows=sum(len(s) for s in upload.archive.sheets.values()),
    )


__all__ = [
    "Preview",
    "ProblemRow",
    "TrainingUnit",
    "Upload",
    "UploadSource",
    "columns_note",
    "digest_files",
    "group_upload",
    "guess_unit",
    "inspect_source",
    "preview_upload",
    "read_source",
    "read_upload",
    "training_units",
]
