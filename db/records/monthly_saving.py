"""Saving and reading monthly summary tables. A table enters the database in one of four ways — an
uploaded file (`import_monthly`), the on-screen form (`save_monthly_numbers`), an explicit 零报告
(`submit_zero_report`) — and a stamped scan can be attached (`attach_scan`). The first submission
time is kept; `get_monthly` and `form_values` read a stored table back.

All services flush and never commit: the caller's transaction holds the change and its audit entry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, select

from anpei.periods import Month
from db.codes import AuditAction, MonthlyStatus
from db.models import Jurisdiction, MonthlyReport
from db.records.common import (
    SCAN_TYPES,
    InputError,
    active_campaign,
    audit,
    aware_now,
    jurisdiction_by_id,
    local_zone,
    store_attachment,
)
from db.records.monthly_table import (
    DEFAULT_LAYOUT,
    FORM_SHEET,
    ITEM_PREFIX,
    NUMBER_KEYS,
    MonthlyColumn,
    derive_status,
    layout_for,
)
from db.records.monthly_validation import parse_values, sanity_problems, validate_monthly_file
from db.records.row_versions import check_version, flush_checked
from db.rules.access import AccessDenied, Principal, require_read, require_write
from db.rules.metrics import registered_to
from db.xlsx.tables import ImportRefused


def _submitted(report: MonthlyReport | None) -> bool:
    return (
        report is not None
        and report.status != MonthlyStatus.UNREPORTED.value
        and report.submitted_at is not None
    )


@dataclass(frozen=True)
class ImportReport:
    filename: str
    sha256: str
    created: list[str] = field(default_factory=list)  # "三合街道 2023-05"
    replaced: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)  # the same file imported before

    @property
    def summary(self) -> str:
        parts = []
        if self.created:
            parts.append(f"新增 {len(self.created)} 份（{'、'.join(self.created)}）")
        if self.replaced:
            parts.append(f"更正替换 {len(self.replaced)} 份（{'、'.join(self.replaced)}）")
        if self.unchanged:
            parts.append(
                f"{len(self.unchanged)} 份与已导入的文件相同，未重复计入（{'、'.join(self.unchanged)}）"
            )
        return f"文件“{self.filename}”已导入：" + "；".join(parts)


def registered_counts(session: Session) -> dict[int, int]:
    """Active enterprises per jurisdiction (township of location, plus member unit supervising)."""
    own = registered_to()
    rows = session.execute(select(own.c.owner, func.count()).group_by(own.c.owner)).all()
    return {int(jid): int(n) for jid, n in rows}


def _find_report(session: Session, jurisdiction_id: int, month: Month) -> MonthlyReport | None:
    return session.exec(
        select(MonthlyReport).where(
            MonthlyReport.jurisdiction_id == jurisdiction_id, MonthlyReport.month == str(month)
        )
    ).first()


def _apply(report: MonthlyReport, values: Mapping[str, Any], by_item: Mapping[str, int]) -> None:
    for key in NUMBER_KEYS:
        setattr(report, key, values.get(key, Decimal("0") if key == "fines_wan" else 0))
    report.problems_by_item = dict(by_item)
    for key in ("filled_by", "phone", "filled_on"):
        if key in values:
            setattr(report, key, values[key] or (None if key == "filled_on" else ""))


def _numbers_are_zero(report: MonthlyReport) -> bool:
    return all(not getattr(report, key) for key in NUMBER_KEYS)


def import_monthly(
    session: Session,
    *,
    principal: Principal,
    data: bytes,
    filename: str,
    now: dt.datetime | None = None,
    max_mb: int | None = None,
) -> ImportReport:
    """Store a filled 汇总表: every row or none.

    Raises ImportRefused (every problem listed) or AccessDenied (a row of a jurisdiction the
    principal may not change) before anything is written. The same file again changes nothing; a
    corrected file replaces the month's numbers (audited before/after) and keeps the first
    submission time, so a correction does not turn an on-time table late.
    """
    if not principal.can_write:
        require_write(principal, principal.jurisdiction_id)
    names = {j.name: int(j.id) for j in session.exec(select(Jurisdiction)).all() if j.id is not None}
    counts = registered_counts(session)
    result = validate_monthly_file(
        data,
        filename=filename,
        columns=layout_for(session),
        max_mb=max_mb,
        registered={name: counts.get(jid, 0) for name, jid in names.items()},
    )
    if not result.ok:
        raise ImportRefused(result.problems)
    for row in result.rows:
        try:
            require_write(principal, names[row.jurisdiction])
        except AccessDenied as exc:
            raise AccessDenied(f"第 {row.row} 行（{row.jurisdiction}）：{exc}") from exc
    campaign = active_campaign(session)
    when = now or aware_now()
    created: list[str] = []
    replaced: list[str] = []
    unchanged: list[str] = []
    for row in result.rows:
        jid = names[row.jurisdiction]
        label = f"{row.jurisdiction} {row.month}"
        report = _find_report(session, jid, row.month)
        if _submitted(report) and report is not None and report.source_sha256 == result.sha256:
            unchanged.append(label)
            continue
        before = report.model_copy() if report is not None else None
        was_submitted = _submitted(report)
        if report is None:
            report = MonthlyReport(jurisdiction_id=jid, month=str(row.month))
        _apply(report, row.values, row.by_item)
        report.source_sha256 = result.sha256
        if not was_submitted or report.submitted_at is None:
            report.submitted_at = when
        report.status = derive_status(
            submitted_at=report.submitted_at, month=row.month, due_day=campaign.monthly_due_day, zero=False
        ).value
        session.add(report)
        session.flush()
        audit(
            session,
            principal=principal,
            action=AuditAction.IMPORT,
            entity="monthlyreport",
            entity_id=report.id,
            before=before if was_submitted else None,
            after=report,
            detail=f"{'更正' if was_submitted else '导入'}汇总表 {label}：文件“{filename}”第 {row.row} 行，sha256={result.sha256}",
        )
        (replaced if was_submitted else created).append(label)
    return ImportReport(filename, result.sha256, created, replaced, unchanged)


def submit_zero_report(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    month: Month,
    filled_by: str = "",
    phone: str = "",
    now: dt.datetime | None = None,
) -> MonthlyReport:
    """An explicit 零报告 (nothing to report this month). Refused when the month has numbers."""
    require_write(principal, jurisdiction_id)
    label = str(month)
    jurisdiction_by_id(session, jurisdiction_id)
    report = _find_report(session, jurisdiction_id, month)
    if _submitted(report) and report is not None:
        if report.status == MonthlyStatus.ZERO.value:
            return report
        if not _numbers_are_zero(report):
            raise InputError(f"{label} 已报送有数据的汇总表，不能再提交零报告；如需更正，请修改汇总表数字")
    before = report.model_copy() if report is not None else None
    if report is None:
        report = MonthlyReport(jurisdiction_id=jurisdiction_id, month=label)
    _apply(report, {}, {})
    report.filled_by, report.phone = filled_by.strip()[:50], phone.strip()[:30]
    report.filled_on = (now or aware_now()).astimezone(local_zone()).date()
    report.submitted_at = report.submitted_at if _submitted(before) else (now or aware_now())
    report.status = MonthlyStatus.ZERO.value
    report.source_sha256 = None
    session.add(report)
    session.flush()
    audit(
        session,
        principal=principal,
        action=AuditAction.CREATE if before is None else AuditAction.UPDATE,
        entity="monthlyreport",
        entity_id=report.id,
        before=before,
        after=report,
        detail=f"零报告 {label}",
    )
    return report


def save_monthly_numbers(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    month: Month,
    values: Mapping[str, Any],
    now: dt.datetime | None = None,
    expected_version: int | None = None,
) -> MonthlyReport:
    """Enter or correct a month's numbers on screen (keys as in `layout`; item:<kind>-<n> for items).

    Same checks as a file; raises ImportRefused listing every problem (sheet “在线填报”).
    `expected_version` is the version of the table the form was loaded with (`row_versions.NO_ROW`
    when there was none): a table changed, or first reported, since then is not overwritten
    (StaleRecord). None skips the check (callers without a form).
    """
    require_write(principal, jurisdiction_id)
    label = str(month)
    jurisdiction = jurisdiction_by_id(session, jurisdiction_id)
    what = f"{jurisdiction.name} {label} 汇总表"
    columns = layout_for(session)
    unreadable: set[str] = set()
    parsed, by_item, problems = parse_values(
        values, columns=columns, sheet=FORM_SHEET, row=0, unreadable=unreadable
    )
    problems += sanity_problems(
        parsed,
        by_item,
        columns=columns,
        sheet=FORM_SHEET,
        row=0,
        unreadable=unreadable,
        registered=registered_counts(session).get(jurisdiction_id, 0),
    )
    if problems:
        raise ImportRefused(problems)
    campaign = active_campaign(session)
    report = _find_report(session, jurisdiction_id, month)
    check_version(what=what, stored=report, expected=expected_version)
    was_submitted = _submitted(report)
    creating = report is None
    before = report.model_copy() if report is not None else None
    if report is None:
        report = MonthlyReport(jurisdiction_id=jurisdiction_id, month=label)
    _apply(report, parsed, by_item)
    if not was_submitted or report.submitted_at is None:
        report.submitted_at = now or aware_now()
    zero = report.status == MonthlyStatus.ZERO.value and _numbers_are_zero(report)
    report.status = derive_status(
        submitted_at=report.submitted_at, month=month, due_day=campaign.monthly_due_day, zero=zero
    ).value
    report.source_sha256 = None
    session.add(report)
    flush_checked(session, what=what, creating=creating)
    audit(
        session,
        principal=principal,
        action=AuditAction.UPDATE if was_submitted else AuditAction.CREATE,
        entity="monthlyreport",
        entity_id=report.id,
        before=before if was_submitted else None,
        after=report,
        detail=f"在线填报汇总表 {label}",
    )
    return report


def attach_scan(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    month: Month,
    data: bytes,
    filename: str,
    upload_dir: Path | None = None,
) -> MonthlyReport:
    """Attach the stamped copy (PDF or image) to a submitted month; stored under Settings.upload_dir."""
    require_write(principal, jurisdiction_id)
    label = str(month)
    jurisdiction = jurisdiction_by_id(session, jurisdiction_id)
    report = _find_report(session, jurisdiction_id, month)
    if report is None or not _submitted(report):
        raise InputError(
            f"{jurisdiction.name} {label} 尚未报送汇总表，请先报送（或提交零报告）再上传盖章扫描件"
        )
    path = store_attachment(
        data=data,
        filename=filename,
        folder=f"monthly/{jurisdiction.code}/{label}",
        allowed=SCAN_TYPES,
        upload_dir=upload_dir,
    )
    before = report.model_copy()
    report.scan_path = path
    session.add(report)
    session.flush()
    audit(
        session,
        principal=principal,
        action=AuditAction.UPDATE,
        entity="monthlyreport",
        entity_id=report.id,
        before=before,
        after=report,
        detail=f"上传盖章扫描件 {label}：{filename}",
    )
    return report


def get_monthly(
    session: Session, *, principal: Principal, jurisdiction_id: int, month: Month
) -> MonthlyReport | None:
    """The stored table of a jurisdiction and month (None when nothing was reported)."""
    require_read(principal, jurisdiction_id)
    return _find_report(session, jurisdiction_id, month)


def form_values(
    report: MonthlyReport | None, columns: Sequence[MonthlyColumn] = DEFAULT_LAYOUT
) -> dict[str, Any]:
    """A stored table as the form's values (zeros when nothing is stored)."""
    out: dict[str, Any] = {}
    for column in columns:
        if column.kind == "count":
            if column.key.startswith(ITEM_PREFIX):
                out[column.key] = int(
                    (report.problems_by_item if report else {}).get(column.key[len(ITEM_PREFIX) :], 0)
                )
            else:
                out[column.key] = int(getattr(report, column.key)) if report else 0
        elif column.kind == "money":
            out[column.key] = Decimal(str(report.fines_wan)) if report else Decimal("0")
        elif column.kind in ("text", "date") and column.key not in ("jurisdiction", "month"):
            out[column.key] = getattr(report, column.key) if report else None
    return out


__all__ = [
    "ImportReport",
    "attach_scan",
    "form_values",
    "get_monthly",
    "import_monthly",
    "registered_counts",
    "save_monthly_numbers",
    "submit_zero_report",
]
