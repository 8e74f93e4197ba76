"""Small pieces shared by the data-input services: time, the active campaign, lookups, audit.

Every service in the data-input modules flushes and never commits: the caller owns the
transaction (`db.engine.session_scope`), so a change and its audit entry land together or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from sqlmodel import Session, SQLModel, col, select

from anpei import clock
from anpei.settings import get_settings
from db.audit.trail import record
from db.codes import AuditAction, TargetKind
from db.models import AuditLog, Campaign, CheckItem, Enterprise, Jurisdiction, TrainingInstitution
from db.rules.access import Principal
from db.rules.campaign_defaults import ensure_default_campaign
from db.rules.metrics import is_registered_to


class InputError(ValueError):
    """Input the services refuse; the message is Chinese and safe to show."""


class ImportSummary(Protocol):
    """What a file import reports back: one Chinese line for the person who uploaded the file."""

    @property
    def summary(self) -> str: ...


class FileImporter(Protocol):
    """A file import service (`monthly_saving.import_monthly`, `inspection_import.import_inspections`)."""

    def __call__(
        self, session: Session, *, principal: Principal, data: bytes, filename: str
    ) -> ImportSummary: ...


def aware_now() -> dt.datetime:
    """Now, in UTC, timezone-aware (the UTCDateTime columns refuse naive values)."""
    return clock.utc_now()


def local_zone() -> ZoneInfo:
    return clock.local_zone()


def local_today() -> dt.date:
    return clock.local_today()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def audit(
    session: Session,
    *,
    principal: Principal,
    action: AuditAction,
    entity: str,
    entity_id: object = "",
    before: SQLModel | dict[str, Any] | None = None,
    after: SQLModel | dict[str, Any] | None = None,
    detail: str = "",
) -> AuditLog:
    """`db.audit.trail.record` with an aware timestamp (models.utcnow() is naive and refused on insert)."""
    entry = record(
        session,
        principal=principal,
        action=action,
        entity=entity,
        entity_id=entity_id,
        before=before,
        after=after,
        detail=detail,
    )
    entry.at = aware_now()
    return entry


def active_campaign(session: Session) -> Campaign:
    """The newest active campaign; the notice's defaults are inserted (flushed) when there is none."""
    campaign = session.exec(
        select(Campaign).where(col(Campaign.active)).order_by(col(Campaign.id).desc())
    ).first()
    return campaign if campaign is not None else ensure_default_campaign(session)


def check_items(session: Session, *, target_kind: TargetKind | str) -> dict[int, CheckItem]:
    """The active campaign's check items for a kind of target, by number."""
    campaign = active_campaign(session)
    rows = session.exec(
        select(CheckItem)
        .where(CheckItem.campaign_id == campaign.id, CheckItem.target_kind == str(target_kind))
        .order_by(col(CheckItem.number))
    ).all()
    return {row.number: row for row in rows}


def jurisdiction_by_name(session: Session, name: str) -> Jurisdiction:
    found = session.exec(select(Jurisdiction).where(Jurisdiction.name == name.strip())).first()
    if found is None:
        raise InputError(f"找不到单位“{name.strip()}”，请使用乡镇（街道）或成员单位的全称，例如 三合街道")
    return found


def jurisdiction_by_id(session: Session, jurisdiction_id: int) -> Jurisdiction:
    found = session.get(Jurisdiction, jurisdiction_id)
    if found is None:
        raise InputError(f"找不到编号为 {jurisdiction_id} 的单位")
    return found


def registered_enterprises(session: Session, jurisdiction_id: int) -> list[Enterprise]:
    """Active enterprises located in the jurisdiction or supervised by it (member unit)."""
    return list(
        session.exec(
            select(Enterprise)
            .where(
                col(Enterprise.active),
                is_registered_to(jurisdiction_id),
            )
            .order_by(col(Enterprise.risk_class), col(Enterprise.name), col(Enterprise.id))
        ).all()
    )


def target_choices(
    session: Session, *, jurisdiction_id: int, kind: TargetKind, county_wide: bool = False
) -> dict[int, str]:
    """Whom a unit may record an inspection, self-inspection or action against, id → name: its
    registered enterprises (`registered_enterprises`) or the training institutions it supervises, by
    name; `county_wide` (the county acting): every active enterprise or every institution."""
    if kind is TargetKind.ENTERPRISE:
        found = (
            session.exec(
                select(Enterprise)
                .where(col(Enterprise.active))
                .order_by(col(Enterprise.name), col(Enterprise.id))
            ).all()
            if county_wide
            else registered_enterprises(session, jurisdiction_id)
        )
        return {e.id: e.name for e in found if e.id is not None}
    stmt = select(TrainingInstitution).order_by(col(TrainingInstitution.name), col(TrainingInstitution.id))
    if not county_wide:
        stmt = stmt.where(TrainingInstitution.jurisdiction_id == jurisdiction_id)
    return {i.id: i.name for i in session.exec(stmt).all() if i.id is not None}


def target_jurisdictions(
    session: Session, *, enterprise_id: int | None, institution_id: int | None
) -> set[int]:
    """The jurisdictions a target belongs to (township and, for enterprises, member unit)."""
    if enterprise_id is not None:
        ent = session.get(Enterprise, enterprise_id)
        if ent is None:
            raise InputError(f"找不到编号为 {enterprise_id} 的生产经营单位")
        return {ent.jurisdiction_id} | ({ent.member_unit_id} if ent.member_unit_id else set())
    if institution_id is not None:
        inst = session.get(TrainingInstitution, institution_id)
        if inst is None:
            raise InputError(f"找不到编号为 {institution_id} 的培训机构")
        return {inst.jurisdiction_id}
    raise InputError("请选择检查对象（生产经营单位或培训机构）")


def target_name(session: Session, *, enterprise_id: int | None, institution_id: int | None) -> str:
    if enterprise_id is not None:
        ent = session.get(Enterprise, enterprise_id)
        return ent.name if ent else ""
    if institution_id is not None:
        inst = session.get(TrainingInstitution, institution_id)
        return inst.name if inst else ""
    return ""


ATTACHMENT_TYPES: dict[str, tuple[bytes, ...]] = {
    ".pdf": (b"%PDF",),
    ".png": (b"\x89PNG\r\n\x1a\n",),
    ".jpg": (b"\xff\xd8\xff",),
    ".jpeg": (b"\xff\xd8\xff",),
    ".tif": (b"II*\x00", b"MM\x00*"),
    ".tiff": (b"II*\x00", b"MM\x00*"),
    ".doc": (b"\xd0\xcf\x11\xe0",),
    ".docx": (b"PK\x03\x04",),
}
SCAN_TYPES = (".pdf", ".png", ".jpg", ".jpeg", ".tif", ".tiff")


def store_attachment(
    *, data: bytes, filename: str, folder: str, allowed: tuple[str, ...], upload_dir: Path | None = None
) -> str:
    """Write an uploaded file under Settings.upload_dir/`folder`; the path relative to upload_dir.

    The type is checked by extension and by the file's first bytes; the size by Settings.max_upload_mb.
    The stored name is the content hash, so the same file uploaded twice is stored once.
    """
    settings = get_settings()
    suffix = Path(filename).suffix.lower()
    if suffix not in allowed:
        raise InputError(f"不支持的文件类型“{suffix or filename}”，请上传 {'、'.join(allowed)} 文件")
    if not data:
        raise InputError(f"文件“{filename}”是空的")
    limit = settings.max_upload_mb * 1024 * 1024
    if len(data) > limit:
        raise InputError(
            f"文件“{filename}”大小 {len(data) / 1024 / 1024:.1f} MB，超过上限 {settings.max_upload_mb} MB"
        )
    if not data.startswith(ATTACHMENT_TYPES[suffix]):
        raise InputError(f"文件“{filename}”的内容不是有效的 {suffix} 文件")
    root = upload_dir or settings.upload_dir
    relative = Path(folder) / f"{sha256_hex(data)[:24]}{suffix}"
    target = root / relative
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        tmp = target.with_suffix(target.suffix + ".part")
        tmp.write_bytes(data)
        tmp.replace(target)
    return relative.as_posix()


def select_with_names(model: Any) -> Any:
    """`select(model, unit name, enterprise name, institution name)` for lists of records that carry
    `jurisdiction_id`, `enterprise_id` and `institution_id` (findings, inspections)."""
    return (
        select(model, Jurisdiction.name, Enterprise.name, TrainingInstitution.name)
        .join(Jurisdiction, col(Jurisdiction.id) == model.jurisdiction_id)
        .outerjoin(Enterprise, col(Enterprise.id) == model.enterprise_id)
        .outerjoin(TrainingInstitution, col(TrainingInstitution.id) == model.institution_id)
    )
