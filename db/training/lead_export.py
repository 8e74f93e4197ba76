"""The 培训档案线索 list as a print-ready .xlsx: IDs masked, or full for county staff (audited)."""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, col, select

from db.codes import AuditAction
from db.models import TrainingLead
from db.records.common import audit, local_today
from db.rules.access import Principal
from db.training.evidence import require_lead_reveal
from db.training.leads import ENTITY_LEAD, list_leads
from db.xlsx.styles import simple_workbook

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
        require_lead_reveal(principal)
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
    "export_leads",
]
