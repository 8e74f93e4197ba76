"""培训档案核查, stored and county-wide: archives, the re-check over everything stored, leads.

Storing an archive runs the engine (`training_audit`) over every stored archive plus the new one,
so a person signed in at two institutions at once shows up when the second archive arrives. A
lead is matched across re-checks by its rule key (the code and the key fields of
training-audit.md §4), so its status survives; a lead a re-check no longer raises stays, marked
inactive. The same file twice (same SHA-256) is recognised and not stored again.

Status: 待核实 → 属实 (a 问题清单 finding under the matching check item, linked both ways) or
已排除 (with a reason), changed by county staff or the unit owning the lead's archive, audited.
A township reads the archives and leads of its units. Services flush; the caller commits.
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

from sqlalchemy import func, or_
from sqlmodel import Session, col, select

from anpei.masking import mask_id, mask_ids_in
from db.codes import AuditAction, FindingStatus, LabelledEnum, TargetKind
from db.models import (
    Enterprise,
    Finding,
    Jurisdiction,
    TrainingArchive,
    TrainingArchiveSheet,
    TrainingInstitution,
    TrainingLead,
)
from db.records.common import InputError, audit, local_today
from db.records.findings import FindingInput, add_finding
from db.rules.access import (
    AccessDenied,
    Principal,
    readable_jurisdiction_ids,
    require_read,
    require_write,
    scope_filter,
)
from db.training.sheets import decode_sheet, encode_sheet
from db.xlsx.styles import simple_workbook
from training_audit import (
    Archive,
    ArchiveError,
    Lead,
    RowRef,
    Rules,
    default_rules,
    read_archive,
)
from training_audit import (
    audit as run_audit,
)
from training_audit.columns import CLASSES, SESSIONS, SHEET_ORDER, Synonyms, sheet_fields
from training_audit.headers import ArchiveHeaders, inspect_headers
from training_audit.leads import RULE_NAMES, evidence_text
from training_audit.values import key_text, parse_date, parse_number, parse_time, plain_text, split_teachers

ENTITY_ARCHIVE = "training_archive"
ENTITY_LEAD = "training_lead"
CSV_SHEETS = ("班次.csv", "课程安排.csv", "签到.csv", "考试.csv")


class LeadStatus(LabelledEnum):
    PENDING = "pending"
    CONFIRMED = "confirmed"
    DISMISSED = "dismissed"

    @property
    def label(self) -> str:
        return {"pending": "待核实", "confirmed": "属实", "dismissed": "已排除"}[self.value]


# Institution item 2 (教学实施: compressed hours, teaching) or 3 (培训档案: records that do not tell
# the truth); an enterprise's leads all go under item 5 (未如实记录安全生产教育和培训情况).
INSTITUTION_ITEM: dict[str, int] = {
    "CLASS_DAY_OVER_CAP": 2,
    "HOURS_INFLATED": 3,
    "CLASS_BELOW_MINIMUM": 2,
    "ROOM_OVER_CAPACITY": 2,
    "EXAM_BEFORE_TRAINING_END": 2,
    "UNIFORM_SCORES": 3,
    "IDENTICAL_SIGNIN": 3,
    "NO_ATTENDANCE_RECORDS": 3,
    "PASSED_WITHOUT_HOURS": 2,
    "EXAM_WITHOUT_ATTENDANCE": 3,
    "PERSON_OVERLAP": 3,
    "PERSON_DAY_OVER_CAP": 2,
    "TEACHER_OVERLAP": 3,
}
ENTERPRISE_ITEM = 5


def check_item_for(code: str, target_kind: str) -> int:
    return ENTERPRISE_ITEM if target_kind == TargetKind.ENTERPRISE.value else INSTITUTION_ITEM[code]


# --- units and uploads -------------------------------------------------------------------------


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


# --- storing and the county-wide re-check ------------------------------------------------------


@dataclass
class StoreResult:
    archive_id: int
    duplicate: bool
    problems: int = 0
    new_leads: int = 0
    active_leads: int = 0

    @property
    def summary(self) -> str:
        if self.duplicate:
            return f"该档案（同一文件）已于此前入库（档案编号 {self.archive_id}），未重复保存"
        return (
            f"已入库（档案编号 {self.archive_id}），输入问题 {self.problems} 行；全县重新核查后新增线索 "
            f"{self.new_leads} 条，现有线索 {self.active_leads} 条"
        )


def _stored_archives(session: Session) -> tuple[list[TrainingArchive], list[Archive]]:
    rows = list(session.exec(select(TrainingArchive).order_by(col(TrainingArchive.id))).all())
    sheets: dict[int, dict[str, Any]] = defaultdict(dict)
    stmt = select(TrainingArchiveSheet.archive_id, TrainingArchiveSheet.sheet, TrainingArchiveSheet.data)
    for archive_id, sheet, data in session.exec(stmt).all():
        sheets[archive_id][sheet] = decode_sheet(data)
    return rows, [Archive(name=row.file_name, sheets=sheets[int(row.id or 0)]) for row in rows]


def _class_archives(archives: Sequence[Archive]) -> dict[tuple[str, str], int]:
    """(培训单位, 班次编号) key → position of the archive that holds the class."""
    out: dict[tuple[str, str], int] = {}
    for position, archive in enumerate(archives):
        sheet = archive.sheets.get(CLASSES)
        if sheet is None:
            continue
        units, codes = sheet.column("培训单位"), sheet.column("班次编号")
        for index in range(len(sheet)):
            out.setdefault((key_text(units.value(index)), key_text(codes.value(index))), position)
    return out


def rule_key(lead: Lead) -> str:
    return hashlib.sha256("\x1f".join(lead.sort_key()).encode()).hexdigest()


def _evidence_json(refs: Sequence[RowRef], ids: Sequence[int]) -> list[list[Any]]:
    grouped: dict[tuple[int, str], set[int]] = defaultdict(set)
    for ref in refs:
        grouped[(ref.archive, ref.sheet)].add(ref.row)
    ordered = sorted(grouped, key=lambda key: (key[0], SHEET_ORDER.get(key[1], 9)))
    return [[ids[position], sheet, sorted(grouped[(position, sheet)])] for position, sheet in ordered]


def store_archive(
    session: Session,
    *,
    principal: Principal,
    upload: Upload,
    unit: TrainingUnit,
    now: dt.datetime | None = None,
    as_of: dt.date | None = None,
    rules: Rules | None = None,
    audited: bool = True,
) -> StoreResult:
    """Store the archive for `unit` (unless the same file is stored) and re-check everything stored.

    `audited=False` only for the sample county's bulk load (its other rows are not audited either).
    """
    require_write(principal, unit.jurisdiction_id)
    existing = session.exec(select(TrainingArchive).where(TrainingArchive.sha256 == upload.digest)).first()
    if existing is not None:
        return StoreResult(archive_id=int(existing.id or 0), duplicate=True)
    if CLASSES not in upload.archive.sheets:
        raise InputError(f"档案“{upload.name}”没有可用的“{CLASSES}”工作表，无法入库")
    stamp = now or dt.datetime.now(dt.UTC)
    day = as_of or local_today()
    rows, archives = _stored_archives(session)
    try:
        result = run_audit([*archives, upload.archive], rules=rules, as_of=day)
    except ArchiveError as exc:
        raise InputError(f"无法入库：{exc}") from exc
    position = len(archives)
    problems = sum(1 for p in result.problems if p.archive_index == position)
    row = TrainingArchive(
        file_name=upload.name[:200],
        sha256=upload.digest,
        target_kind=unit.target_kind,
        institution_id=unit.unit_id if unit.target_kind == TargetKind.INSTITUTION.value else None,
        enterprise_id=unit.unit_id if unit.target_kind == TargetKind.ENTERPRISE.value else None,
        unit_name=unit.name[:200],
        jurisdiction_id=unit.jurisdiction_id,
        uploaded_by=principal.username[:50],
        uploaded_at=stamp,
        row_count=sum(len(s) for s in upload.archive.sheets.values()),
        class_count=len(upload.archive.sheets[CLASSES]),
        problem_count=problems,
    )
    session.add(row)
    session.flush()
    for name, sheet in upload.archive.sheets.items():
        session.add(
            TrainingArchiveSheet(
                archive_id=int(row.id or 0), sheet=name, row_count=len(sheet), data=encode_sheet(sheet)
            )
        )
    if audited:
        audit(
            session,
            principal=principal,
            action=AuditAction.IMPORT,
            entity=ENTITY_ARCHIVE,
            entity_id=row.id,
            after=row,
            detail=f"培训档案入库：{row.file_name}（{row.unit_name}），{row.row_count} 行"
            + (f"；表头对应 {upload.columns_note}" if upload.columns_note else ""),
        )
    new, active = _merge_leads(
        session, leads=result.leads, stored=[*rows, row], archives=[*archives, upload.archive], now=stamp
    )
    session.flush()
    return StoreResult(
        archive_id=int(row.id or 0), duplicate=False, problems=problems, new_leads=new, active_leads=active
    )


def recheck(
    session: Session,
    *,
    principal: Principal,
    now: dt.datetime | None = None,
    as_of: dt.date | None = None,
    rules: Rules | None = None,
) -> tuple[int, int]:
    """Re-run the rules over everything stored (e.g. after the county changed its rules): (new, active)."""
    require_write(principal, None)  # county staff only
    rows, archives = _stored_archives(session)
    if not rows:
        return 0, 0
    result = run_audit(archives, rules=rules or default_rules(), as_of=as_of or local_today())
    counts = _merge_leads(
        session, leads=result.leads, stored=rows, archives=archives, now=now or dt.datetime.now(dt.UTC)
    )
    session.flush()
    return counts


def _merge_leads(
    session: Session,
    *,
    leads: Sequence[Lead],
    stored: Sequence[TrainingArchive],
    archives: Sequence[Archive],
    now: dt.datetime,
) -> tuple[int, int]:
    ids = [int(row.id or 0) for row in stored]
    jurisdiction = [row.jurisdiction_id for row in stored]
    class_at = _class_archives(archives)
    existing = {lead.rule_key: lead for lead in session.exec(select(TrainingLead)).all()}
    seen: set[str] = set()
    new = 0
    for lead in leads:
        key = rule_key(lead)
        seen.add(key)
        positions = sorted({ref.archive for ref in lead.evidence})
        primary = class_at.get((lead.unit, lead.class_code), positions[0] if positions else 0)
        others = [p for p in positions if jurisdiction[p] != jurisdiction[primary]]
        if lead.other_unit:
            second = class_at.get((lead.other_unit, lead.other_code))
            if second is not None and jurisdiction[second] != jurisdiction[primary]:
                others = [second]
        fields: dict[str, Any] = {
            "code": lead.code,
            "unit": lead.unit[:200],
            "class_code": lead.class_code[:100],
            "other_unit": lead.other_unit[:200],
            "other_code": lead.other_code[:100],
            "name": lead.name[:50],
            "id_number": lead.id_number[:18],
            "teacher": lead.teacher[:50],
            "lead_date": lead.date,
            "basis": lead.basis[:200],
            "text": lead.text,
            "evidence": _evidence_json(lead.evidence, ids),
            "archive_id": ids[primary],
            "jurisdiction_id": jurisdiction[primary],
            "other_jurisdiction_id": jurisdiction[others[0]] if others else None,
            "active": True,
            "last_raised_at": now,
        }
        row = existing.get(key)
        if row is None:
            session.add(TrainingLead(rule_key=key, first_raised_at=now, **fields))
            new += 1
            continue
        for name, value in fields.items():
            setattr(row, name, value)
        session.add(row)
    for key, row in existing.items():
        if key not in seen and row.active:
            row.active = False
            session.add(row)
    return new, len(seen)


# --- reading -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ArchiveRow:
    id: int
    file_name: str
    unit_name: str
    target_kind: str
    jurisdiction: str
    uploaded_by: str
    uploaded_at: dt.datetime
    rows: int
    classes: int
    problems: int


def list_archives(session: Session, *, principal: Principal) -> list[ArchiveRow]:
    stmt: Any = select(TrainingArchive, Jurisdiction.name).join(
        Jurisdiction, col(Jurisdiction.id) == TrainingArchive.jurisdiction_id
    )
    if (scope := scope_filter(principal, TrainingArchive.jurisdiction_id)) is not None:
        stmt = stmt.where(scope)
    return [
        ArchiveRow(
            id=int(a.id),
            file_name=a.file_name,
            unit_name=a.unit_name,
            target_kind=a.target_kind,
            jurisdiction=jname,
            uploaded_by=a.uploaded_by,
            uploaded_at=a.uploaded_at,
            rows=a.row_count,
            classes=a.class_count,
            problems=a.problem_count,
        )
        for a, jname in session.exec(stmt.order_by(col(TrainingArchive.id).desc())).all()
    ]


@dataclass(frozen=True)
class LeadRow:
    """A lead as listed: IDs masked (`id_masked`); `evidence` is the §5 text."""

    id: int
    code: str
    rule: str
    basis: str
    unit: str
    class_code: str
    other_unit: str
    other_code: str
    name: str
    id_masked: str
    teacher: str
    date: dt.date | None
    text: str
    evidence: str
    status: str
    reason: str
    status_by: str
    status_at: dt.datetime | None
    finding_id: int | None
    archive_id: int
    jurisdiction_id: int
    jurisdiction: str
    active: bool

    @property
    def status_label(self) -> str:
        return LeadStatus(self.status).label


def _lead_scope(principal: Principal) -> Any:
    allowed = readable_jurisdiction_ids(principal)
    if allowed is None:
        return None
    return or_(
        col(TrainingLead.jurisdiction_id).in_(sorted(allowed)),
        col(TrainingLead.other_jurisdiction_id).in_(sorted(allowed)),
    )


def _archive_names(session: Session) -> dict[int, str]:
    return {
        int(i or 0): n for i, n in session.exec(select(TrainingArchive.id, TrainingArchive.file_name)).all()
    }


def _evidence_text(evidence: Sequence[Sequence[Any]], names: dict[int, str]) -> str:
    order = list(dict.fromkeys(int(part[0]) for part in evidence))
    refs = [RowRef(order.index(int(aid)), str(sheet), int(r)) for aid, sheet, rows in evidence for r in rows]
    return evidence_text(refs, [names.get(aid, f"档案{aid}") for aid in order]) if refs else ""


def list_leads(
    session: Session,
    *,
    principal: Principal,
    code: str | None = None,
    status: str | None = None,
    jurisdiction_id: int | None = None,
    unit: str | None = None,
    include_inactive: bool = False,
    limit: int = 20000,
) -> list[LeadRow]:
    """The leads the principal may read, filtered, sorted as the lead file (§5)."""
    if jurisdiction_id is not None:
        require_read(principal, jurisdiction_id)
    stmt: Any = select(TrainingLead, Jurisdiction.name).join(
        Jurisdiction, col(Jurisdiction.id) == TrainingLead.jurisdiction_id
    )
    if (scope := _lead_scope(principal)) is not None:
        stmt = stmt.where(scope)
    if not include_inactive:
        stmt = stmt.where(col(TrainingLead.active))
    if code:
        stmt = stmt.where(TrainingLead.code == code)
    if status:
        stmt = stmt.where(TrainingLead.status == status)
    if jurisdiction_id is not None:
        stmt = stmt.where(TrainingLead.jurisdiction_id == jurisdiction_id)
    if unit:
        stmt = stmt.where(or_(col(TrainingLead.unit) == unit, col(TrainingLead.other_unit) == unit))
    names = _archive_names(session)
    rows = [_lead_row(lead, jname, names) for lead, jname in session.exec(stmt.limit(limit)).all()]
    rows.sort(key=lambda r: (r.code, r.unit, r.class_code, r.name, r.date or dt.date.min, r.id))
    return rows


def _lead_row(lead: TrainingLead, jurisdiction: str, names: dict[int, str]) -> LeadRow:
    return LeadRow(
        id=int(lead.id or 0),
        code=lead.code,
        rule=RULE_NAMES.get(lead.code, lead.code),
        basis=lead.basis,
        unit=lead.unit,
        class_code=lead.class_code,
        other_unit=lead.other_unit,
        other_code=lead.other_code,
        name=lead.name,
        id_masked=mask_id(lead.id_number) if lead.id_number else "",
        teacher=lead.teacher,
        date=lead.lead_date,
        text=mask_ids_in(lead.text),
        evidence=_evidence_text(lead.evidence, names),
        status=lead.status,
        reason=lead.reason,
        status_by=lead.status_by,
        status_at=lead.status_at,
        finding_id=lead.finding_id,
        archive_id=lead.archive_id,
        jurisdiction_id=lead.jurisdiction_id,
        jurisdiction=jurisdiction,
        active=lead.active,
    )


def lead_status_counts(session: Session, *, principal: Principal) -> dict[str, int]:
    """Active leads by status (待核实 / 属实 / 已排除) for the overview."""
    stmt: Any = (
        select(TrainingLead.status, func.count())
        .where(col(TrainingLead.active))
        .group_by(TrainingLead.status)
    )
    if (scope := _lead_scope(principal)) is not None:
        stmt = stmt.where(scope)
    counts = {status.value: 0 for status in LeadStatus}
    counts.update({str(s): int(n) for s, n in session.exec(stmt).all()})
    return counts


def _readable_lead(session: Session, principal: Principal, lead_id: int) -> TrainingLead:
    lead = session.get(TrainingLead, lead_id)
    if lead is None:
        raise InputError(f"找不到编号为 {lead_id} 的线索")
    allowed = readable_jurisdiction_ids(principal)
    if (
        allowed is not None
        and lead.jurisdiction_id not in allowed
        and lead.other_jurisdiction_id not in allowed
    ):
        require_read(principal, lead.jurisdiction_id)
    return lead


@dataclass
class EvidenceBlock:
    """Rows of one sheet of one archive behind a lead: header and values as text (IDs masked)."""

    archive: str
    sheet: str
    columns: list[str]
    rows: list[list[str]]


def _cell_text(value: Any, *, full: bool = False) -> str:
    if value is None:
        return ""
    if hasattr(value, "seconds") and hasattr(value, "shows_seconds"):
        s = int(value.seconds)
        return f"{s // 3600:02d}:{s % 3600 // 60:02d}" + (f":{s % 60:02d}" if value.shows_seconds else "")
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return plain_text(value) if full else mask_ids_in(plain_text(value))


def lead_evidence(session: Session, *, principal: Principal, lead_id: int) -> list[EvidenceBlock]:
    """The sheet rows behind a lead, per archive and sheet (IDs masked; `reveal_lead` for full ones)."""
    return _lead_evidence(session, _readable_lead(session, principal, lead_id), full=False)


def _lead_evidence(session: Session, lead: TrainingLead, *, full: bool) -> list[EvidenceBlock]:
    names = _archive_names(session)
    blocks: list[EvidenceBlock] = []
    for archive_id, sheet_name, wanted in lead.evidence:
        sheet = _sheet(session, int(archive_id), str(sheet_name))
        if sheet is None:
            continue
        known = sheet_fields(str(sheet_name)) if sheet_name in SHEET_ORDER else ()
        fields = [f for f in known if f in sheet.columns] + [f for f in sheet.columns if f not in known]
        position = {int(r): i for i, r in enumerate(sheet.rows)}
        rows = [
            [str(r)] + [_cell_text(sheet.columns[f].value(position[int(r)]), full=full) for f in fields]
            for r in wanted
            if int(r) in position
        ]
        blocks.append(
            EvidenceBlock(
                archive=names.get(int(archive_id), ""),
                sheet=str(sheet_name),
                columns=["行号", *fields],
                rows=rows,
            )
        )
    return blocks


def _sheet(session: Session, archive_id: int, sheet: str) -> Any:
    data = session.exec(
        select(TrainingArchiveSheet.data).where(
            TrainingArchiveSheet.archive_id == archive_id, TrainingArchiveSheet.sheet == sheet
        )
    ).first()
    return None if data is None else decode_sheet(data)


@dataclass(frozen=True)
class SessionBar:
    """One teaching session for the charts: class, day, start and end (minutes since midnight)."""

    unit: str
    class_code: str
    day: dt.date
    start_minutes: int
    end_minutes: int
    teacher: str
    hours: str
    row: int


def _session_bars(sheet: Any, unit: str, rows: set[int] | None, class_code: str | None) -> list[SessionBar]:
    bars: list[SessionBar] = []
    codes, days, starts, ends = (sheet.column(f) for f in ("班次编号", "日期", "开始时间", "结束时间"))
    teachers, hours = sheet.column("授课教师"), sheet.column("学时")
    for index, row in enumerate(sheet.rows):
        code = key_text(codes.value(index))
        if (rows is not None and int(row) not in rows) or (class_code is not None and code != class_code):
            continue
        day, start, end = (
            parse_date(days.value(index)),
            parse_time(starts.value(index)),
            parse_time(ends.value(index)),
        )
        if day is None or start is None or end is None:
            continue
        number = parse_number(hours.value(index))
        bars.append(
            SessionBar(
                unit=unit,
                class_code=code,
                day=day,
                start_minutes=start.seconds // 60,
                end_minutes=end.seconds // 60,
                teacher="、".join(split_teachers(teachers.value(index))),
                hours="" if number is None else str(number),
                row=int(row),
            )
        )
    return bars


def class_sessions(
    session: Session, *, principal: Principal, archive_id: int, class_code: str
) -> list[SessionBar]:
    """Every session of one class (the per-class timeline)."""
    archive = session.get(TrainingArchive, archive_id)
    if archive is None:
        raise InputError(f"找不到编号为 {archive_id} 的档案")
    require_read(principal, archive.jurisdiction_id)
    sheet = _sheet(session, archive_id, SESSIONS)
    return [] if sheet is None else _session_bars(sheet, archive.unit_name, None, key_text(class_code))


def lead_sessions(session: Session, *, principal: Principal, lead_id: int) -> list[SessionBar]:
    """The sessions among a lead's evidence (the per-person day-hours view of the time rules)."""
    lead = _readable_lead(session, principal, lead_id)
    bars: list[SessionBar] = []
    for archive_id, sheet_name, rows in lead.evidence:
        if sheet_name != SESSIONS:
            continue
        archive = session.get(TrainingArchive, int(archive_id))
        sheet = _sheet(session, int(archive_id), SESSIONS)
        if archive is not None and sheet is not None:
            bars.extend(_session_bars(sheet, archive.unit_name, {int(r) for r in rows}, None))
    return sorted(bars, key=lambda b: (b.day, b.start_minutes, b.unit, b.class_code))


# --- full ID numbers, audited ----------------------------------------------------------------


def may_reveal_lead_ids(principal: Principal) -> bool:
    """Full ID numbers of leads: county staff only. A lead's evidence joins archives of several
    townships (a person at two institutions at once), so a township account, which may reveal the
    people of its own jurisdiction elsewhere, sees leads masked; leaders see masks everywhere."""
    return principal.may_reveal_ids and principal.sees_all


def _require_reveal(principal: Principal) -> None:
    if not may_reveal_lead_ids(principal):
        raise AccessDenied(f"{principal.role.label}账号不能查看培训档案线索的完整身份证号")


@dataclass(frozen=True)
class RevealedLead:
    """A lead with full ID numbers: the person's number, the 说明 and the evidence rows."""

    lead_id: int
    id_number: str
    text: str
    evidence: list[EvidenceBlock]


def reveal_lead(session: Session, *, principal: Principal, lead_id: int) -> RevealedLead:
    """A lead's full ID numbers. The audit row is committed before anything is read out (commits)."""
    _require_reveal(principal)
    lead = _readable_lead(session, principal, lead_id)
    audit(
        session,
        principal=principal,
        action=AuditAction.REVEAL,
        entity=ENTITY_LEAD,
        entity_id=lead.id,
        detail=f"查看培训档案线索 #{lead.id} 的完整身份证号"
        + (f"（{lead.name}，{mask_id(lead.id_number)}）" if lead.id_number else "（证据行）"),
    )
    session.commit()  # the log entry stays whatever happens next
    lead = _readable_lead(session, principal, lead_id)
    return RevealedLead(
        lead_id=int(lead.id or 0),
        id_number=lead.id_number,
        text=lead.text,
        evidence=_lead_evidence(session, lead, full=True),
    )


@dataclass(frozen=True)
class LeadFinding:
    """The 问题清单 finding a 属实 lead became."""

    id: int
    status_label: str
    description: str
    deadline: dt.date | None


def lead_finding(session: Session, *, principal: Principal, lead_id: int) -> LeadFinding | None:
    lead = _readable_lead(session, principal, lead_id)
    finding = session.get(Finding, lead.finding_id) if lead.finding_id is not None else None
    if finding is None:
        return None
    return LeadFinding(
        id=int(finding.id or 0),
        status_label=FindingStatus(finding.status).label,
        description=finding.description,
        deadline=finding.deadline,
    )


# --- changing ----------------------------------------------------------------------------------


def set_lead_status(
    session: Session,
    *,
    principal: Principal,
    lead_id: int,
    status: LeadStatus | str,
    reason: str = "",
    found_on: dt.date | None = None,
    now: dt.datetime | None = None,
) -> TrainingLead:
    """Change a lead's status (audited). 已排除 needs a reason; 属实 adds a 问题清单 finding once."""
    lead = session.get(TrainingLead, lead_id)
    if lead is None:
        raise InputError(f"找不到编号为 {lead_id} 的线索")
    require_write(principal, lead.jurisdiction_id)
    try:
        wanted = status if isinstance(status, LeadStatus) else LeadStatus(status)
    except ValueError:
        raise InputError(f"未知的线索状态：{status}") from None
    reason = reason.strip()
    if wanted is LeadStatus.DISMISSED and not reason:
        raise InputError("排除线索须填写理由")
    before = lead.model_copy()
    lead.status, lead.reason = wanted.value, reason
    lead.status_by, lead.status_at = principal.username[:50], now or dt.datetime.now(dt.UTC)
    if wanted is LeadStatus.CONFIRMED and lead.finding_id is None:
        archive = session.get(TrainingArchive, lead.archive_id)
        assert archive is not None
        rule = RULE_NAMES.get(lead.code, lead.code)
        who = f"（{lead.name}，{mask_id(lead.id_number)}）" if lead.id_number else ""
        finding = add_finding(
            session,
            principal=principal,
            jurisdiction_id=lead.jurisdiction_id,
            target_kind=archive.target_kind,
            enterprise_id=archive.enterprise_id,
            institution_id=archive.institution_id,
            found_on=found_on or local_today(),
            finding=FindingInput(
                description=f"{rule}{who}：{mask_ids_in(lead.text)}"
                + (f" 核实情况：{reason}" if reason else ""),
                check_item_number=check_item_for(lead.code, archive.target_kind),
            ),
            training_lead_id=lead.id,
        )
        lead.finding_id = finding.id
    session.add(lead)
    session.flush()
    audit(
        session,
        principal=principal,
        action=AuditAction.UPDATE,
        entity=ENTITY_LEAD,
        entity_id=lead.id,
        before=before,
        after=lead,
        detail=f"线索状态：{LeadStatus(before.status).label} → {wanted.label}",
    )
    return lead


EXPORT_HEADER = (
    "序号",
    "线索编号",
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
    "状态",
    "理由",
    "所属单位",
)


def export_leads(session: Session, *, principal: Principal, full_ids: bool = False, **filters: Any) -> bytes:
    """The filtered lead list as a print-ready .xlsx, IDs masked (the export is audited).

    `full_ids` (county staff, `may_reveal_lead_ids`): with full ID numbers; the audit row is
    committed before a full number is read (commits)."""
    if full_ids:
        _require_reveal(principal)
    rows = list_leads(session, principal=principal, **filters)
    chosen = {k: str(v) for k, v in filters.items() if v}
    full: dict[int, tuple[str, str]] = {}
    if full_ids:
        audit(
            session,
            principal=principal,
            action=AuditAction.REVEAL,
            entity=ENTITY_LEAD,
            detail=f"导出培训档案线索 {len(rows)} 条，含完整身份证号，筛选：{chosen}",
        )
        session.commit()  # the log entry stays whatever happens next
        wanted = [r.id for r in rows]
        for start in range(0, len(wanted), 500):
            stmt = select(TrainingLead.id, TrainingLead.id_number, TrainingLead.text).where(
                col(TrainingLead.id).in_(wanted[start : start + 500])
            )
            full.update({int(i or 0): (number, text) for i, number, text in session.exec(stmt).all()})
    body = [
        [
            n,
            r.id,
            r.code,
            r.rule,
            r.basis,
            r.unit,
            r.class_code,
            r.other_unit,
            r.other_code,
            r.name,
            full[r.id][0] if r.id in full else r.id_masked,
            r.teacher,
            r.date.isoformat() if r.date else "",
            full[r.id][1] if r.id in full else r.text,
            r.evidence,
            r.status_label,
            r.reason,
            r.jurisdiction,
        ]
        for n, r in enumerate(rows, start=1)
    ]
    data = simple_workbook(
        sheet="培训档案线索",
        header=EXPORT_HEADER,
        rows=body,
        title=f"培训档案线索（截至 {local_today().isoformat()}）" + ("，含完整身份证号" if full_ids else ""),
        widths=[6, 8, 24, 20, 26, 22, 12, 22, 12, 8, 20, 8, 11, 50, 40, 8, 20, 12],
    )
    if not full_ids:
        audit(
            session,
            principal=principal,
            action=AuditAction.EXPORT,
            entity=ENTITY_LEAD,
            detail=f"导出培训档案线索 {len(rows)} 条，身份证号已遮蔽，筛选：{chosen}",
        )
    return data


__all__ = [
    "ArchiveRow",
    "EvidenceBlock",
    "LeadFinding",
    "LeadRow",
    "LeadStatus",
    "Preview",
    "RevealedLead",
    "SessionBar",
    "StoreResult",
    "TrainingUnit",
    "Upload",
    "UploadSource",
    "check_item_for",
    "class_sessions",
    "export_leads",
    "group_upload",
    "guess_unit",
    "inspect_source",
    "lead_evidence",
    "lead_finding",
    "lead_sessions",
    "lead_status_counts",
    "list_archives",
    "list_leads",
    "may_reveal_lead_ids",
    "preview_upload",
    "read_source",
    "read_upload",
    "recheck",
    "reveal_lead",
    "set_lead_status",
    "store_archive",
    "training_units",
]
