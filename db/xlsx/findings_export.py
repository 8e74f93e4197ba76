"""The 问题清单 export: a jurisdiction's (or every readable one's) findings, print-ready, audited."""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from db.records.common import jurisdiction_by_id
from db.records.finding_list import export_findings
from db.rules.access import Principal, require_read


def findings_xlsx(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int | None,
    as_of: dt.date | None = None,
    overdue_only: bool = False,
) -> bytes:
    """The 问题清单 of a jurisdiction (or every readable one), print-ready (`db.records.findings`); audited."""
    if jurisdiction_id is not None:
        require_read(principal, jurisdiction_id)
        jurisdiction_by_id(session, jurisdiction_id)
    return export_findings(
        session, principal=principal, as_of=as_of, jurisdiction_id=jurisdiction_id, overdue_only=overdue_only
    )
