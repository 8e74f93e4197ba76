"""Which verifier jobs a dashboard user may see and act on.

The verifier service has no accounts (one token for the dashboard) and holds rosters of every
township. The dashboard therefore scopes jobs itself: each submission is recorded in the audit
trail (`import`, entity `verifier_job`, entity id = the job id) with the submitting user, and
township and unit staff see only jobs submitted by accounts of their own jurisdiction. Roles that
read every jurisdiction see every job.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from db.access import AccessDenied, Principal
from db.codes import AuditAction
from db.models import AuditLog, User

ENTITY = "verifier_job"


def visible_job_ids(session: Session, *, principal: Principal, job_ids: Iterable[int]) -> set[int]:
    """The subset of `job_ids` the principal may see."""
    wanted = {int(j) for j in job_ids}
    if principal.sees_all or not wanted:
        return wanted
    stmt = (
        select(AuditLog.entity_id)
        .join(User, col(User.id) == col(AuditLog.user_id))
        .where(
            AuditLog.action == AuditAction.IMPORT.value,
            AuditLog.entity == ENTITY,
            col(AuditLog.entity_id).in_([str(j) for j in wanted]),
            User.jurisdiction_id == principal.jurisdiction_id,
        )
    )
    return {int(x) for x in session.exec(stmt).all() if x.isdigit()} & wanted


def require_job(session: Session, *, principal: Principal, job_id: int) -> None:
    """AccessDenied unless the principal may see this job."""
    if job_id not in visible_job_ids(session, principal=principal, job_ids=[job_id]):
        raise AccessDenied("无权查看其他乡镇（部门）提交的核验任务")
