"""The 导出 page's work: each function builds one print-ready file in the caller's session, commits
the audit entry the builder recorded with it, and names the download.

A request the user can correct (no such month, a unit the account may not read, a quarter outside the
campaign) raises one of `REFUSED` with a Chinese message the page shows as it is.
"""

from __future__ import annotations

import datetime as dt

from sqlmodel import Session

from anpei.periods import Month, PeriodFormatError, Quarter
from db.records.common import InputError
from db.rules.access import AccessDenied, Principal
from db.xlsx import (
    file_names,
    findings_export,
    summary_figures,
    township_summary,
    verification_export,
)
from db.xlsx.circular import circular_workbook

REFUSED: tuple[type[Exception], ...] = (InputError, AccessDenied, PeriodFormatError, LookupError)
WHOLE_CAMPAIGN = "全部"  # the verification export's "every month of the campaign"

File = tuple[bytes, str]  # the workbook and its download name


def summary(
    session: Session,
    *,
    principal: Principal,
    month: Month,
    jurisdiction_id: int | None,
    unit: str,
    source: summary_figures.Source,
) -> File:
    """The monthly 汇总表 of one unit, or (no `jurisdiction_id`) of every unit with the county total."""
    payload = township_summary.township_summary_xlsx(
        session, principal=principal, month=month, jurisdiction_id=jurisdiction_id, source=source
    )
    session.commit()
    return payload, file_names.download_name("汇总表", unit, str(month))


def verification(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    unit: str,
    span: Month | str,
    campaign_days: tuple[dt.date, dt.date],
    full_ids: bool,
    problems_only: bool,
) -> File:
    """A unit's certificate checks of one month (`span` a Month) or of the whole campaign
    (`WHOLE_CAMPAIGN`: `campaign_days`), all people or only those with a problem."""
    if isinstance(span, Month):
        first, last = span.first, span.last
    elif span == WHOLE_CAMPAIGN:
        first, last = campaign_days
    else:
        raise InputError(f"核验月份无法识别：{span!r}")
    payload = verification_export.verification_xlsx(
        session,
        principal=principal,
        jurisdiction_id=jurisdiction_id,
        first=first,
        last=last,
        full_ids=full_ids,
        problems_only=problems_only,
    )
    session.commit()
    what = "问题人员" if problems_only else "证书核验结果"
    return payload, file_names.download_name(unit, what, str(span) if isinstance(span, Month) else "全程")


def findings(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int | None,
    unit: str,
    as_of: dt.date | None,
    overdue_only: bool,
) -> File:
    """The 问题清单 of one unit or (no `jurisdiction_id`) of every unit the account reads."""
    payload = findings_export.findings_xlsx(
        session, principal=principal, jurisdiction_id=jurisdiction_id, as_of=as_of, overdue_only=overdue_only
    )
    session.commit()
    return payload, file_names.download_name("问题清单", unit, "逾期" if overdue_only else "")


def circular(session: Session, *, principal: Principal, quarter: Quarter, as_of: dt.date | None) -> File:
    """The quarterly 督查考核通报 (county accounts only)."""
    payload, name = circular_workbook(session, principal=principal, quarter=quarter, as_of=as_of)
    session.commit()
    return payload, name
