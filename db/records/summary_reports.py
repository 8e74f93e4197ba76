"""总结提升: each jurisdiction's and member unit's written summary, tracked against the deadline.

One report per campaign and jurisdiction; uploading again replaces the file (audited) and keeps the
first submission date. Status: 按时 (by Campaign.summary_due_on), 逾期, 未报 (after the deadline),
待报 (before it). All services flush; the caller commits.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

from sqlmodel import Session, col, select

from db.codes import AuditAction, JurisdictionKind
from db.models import Jurisdiction, SummaryReport
from db.records.common import (
    ATTACHMENT_TYPES,
    InputError,
    active_campaign,
    audit,
    jurisdiction_by_id,
    local_today,
    store_attachment,
)
from db.rules.access import Principal, narrow, require_write

REPORT_TYPES = (".pdf", ".doc", ".docx", ".png", ".jpg", ".jpeg")
assert set(REPORT_TYPES) <= set(ATTACHMENT_TYPES)
STATUS_LABELS = {"on_time": "按时报送", "late": "逾期报送", "missing": "未报", "pending": "待报"}


def upload_summary_report(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    data: bytes,
    filename: str,
    title: str = "",
    submitted_on: dt.date | None = None,
    upload_dir: Path | None = None,
) -> SummaryReport:
    require_write(principal, jurisdiction_id)
    jurisdiction = jurisdiction_by_id(session, jurisdiction_id)
    campaign = active_campaign(session)
    day = submitted_on or local_today()
    if day > local_today():
        raise InputError(f"报送日期 {day} 晚于今天")
    path = store_attachment(
        data=data,
        filename=filename,
        folder=f"summary/{jurisdiction.code}",
        allowed=REPORT_TYPES,
        upload_dir=upload_dir,
    )
    report = session.exec(
        select(SummaryReport).where(
            SummaryReport.campaign_id == campaign.id, SummaryReport.jurisdiction_id == jurisdiction_id
        )
    ).first()
    before = report.model_copy() if report is not None else None
    if report is None:
        assert campaign.id is not None
        report = SummaryReport(campaign_id=campaign.id, jurisdiction_id=jurisdiction_id)
    report.title = (title.strip() or Path(filename).stem)[:200]
    report.attachment = path
    report.submitted_on = report.submitted_on or day
    session.add(report)
    session.flush()
    audit(
        session,
        principal=principal,
        action=AuditAction.UPDATE if before else AuditAction.CREATE,
        entity="summaryreport",
        entity_id=report.id,
        before=before,
        after=report,
        detail=f"上传总结报告：{jurisdiction.name}《{report.title}》",
    )
    return report


@dataclass(frozen=True)
class SummaryStatusRow:
    jurisdiction_id: int
    jurisdiction: str
    kind: str
    due_on: dt.date
    submitted_on: dt.date | None
    title: str
    attachment: str | None
    status: str  # on_time / late / missing / pending

    @property
    def status_label(self) -> str:
        return STATUS_LABELS[self.status]


def summary_report_status(
    session: Session, *, principal: Principal, as_of: dt.date | None = None
) -> list[SummaryStatusRow]:
    """Every township and member unit the principal may read, with its summary report's status."""
    day = as_of or local_today()
    campaign = active_campaign(session)
    stmt = select(Jurisdiction).where(
        col(Jurisdiction.active),
        col(Jurisdiction.kind).in_([JurisdictionKind.TOWNSHIP.value, JurisdictionKind.MEMBER_UNIT.value]),
    )
    ids = narrow(principal, None)
    if ids is not None:
        stmt = stmt.where(col(Jurisdiction.id).in_(ids))
    reports = {
        r.jurisdiction_id: r
        for r in session.exec(select(SummaryReport).where(SummaryReport.campaign_id == campaign.id)).all()
    }
    rows: list[SummaryStatusRow] = []
    for j in session.exec(stmt.order_by(col(Jurisdiction.sort_order), col(Jurisdiction.id))).all():
        r = reports.get(int(j.id or 0))
        if r is not None and r.submitted_on is not None:
            status = "on_time" if r.submitted_on <= campaign.summary_due_on else "late"
        else:
            status = "missing" if day > campaign.summary_due_on else "pending"
        rows.append(
            SummaryStatusRow(
                int(j.id or 0),
                j.name,
                j.kind,
                campaign.summary_due_on,
                r.submitted_on if r else None,
                r.title if r else "",
                r.attachment if r else None,
                status,
            )
        )
    return rows
