"""The rows behind a KPI card (明细): the enterprises, findings, checks or actions it counts,
newest first, ID numbers masked. `Table` is what every such read returns.

Township and unit staff get their own jurisdiction's rows; another's: AccessDenied.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, case, distinct, func, not_, select
from sqlmodel import Session, SQLModel

import db.models  # noqa: F401  (registers every table on SQLModel.metadata)
from anpei.masking import mask_id, mask_ids_in
from anpei.periods import Month
from db.codes import ActionKind, FindingStatus, RiskClass
from db.reads.jurisdiction_list import DEFAULT_KINDS, active_jurisdictions
from db.reads.month_figures import month_as_of
from db.rules.access import Principal, require_read
from db.rules.metrics import (
    Problem,
    cert_problem,
    inspected_by_or_jointly,
    is_registered_to,
    rectified_by,
)

_J = SQLModel.metadata.tables["jurisdiction"]
_E = SQLModel.metadata.tables["enterprise"]
_TI = SQLModel.metadata.tables["traininginstitution"]
_I = SQLModel.metadata.tables["inspection"]
_F = SQLModel.metadata.tables["finding"]
_C = SQLModel.metadata.tables["certificatecheck"]
_A = SQLModel.metadata.tables["enforcementaction"]
_P = SQLModel.metadata.tables["person"]

DETAIL_LIMIT = 2000


@dataclass(frozen=True)
class Table:
    """Rows for a screen or a CSV: Chinese column labels, plain values; `total` before the limit."""

    columns: tuple[str, ...]
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    total: int = 0

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)

    def records(self) -> list[dict[str, Any]]:
        return [dict(zip(self.columns, row, strict=True)) for row in self.rows]


# KPI code → detail kind
DETAIL_OF: dict[str, str] = {
    "enterprises_inspected": "inspected",
    "high_risk_coverage": "inspected_high_risk",
    "industry_trade_coverage": "inspected_industry_trade",
    "findings_open": "findings_open",
    "findings_rectified": "findings_rectified",
    "findings_overdue": "findings_overdue",
    "workers_checked": "workers_checked",
    "unlicensed": "unlicensed",
    "suspected_fake": "suspected_fake",
    "managers_overdue": "managers_overdue",
    "cases": "cases",
    "fines": "fines",
    "exposures": "exposures",
    "blacklisted": "blacklisted",
}


def detail_rows(
    session: Session,
    *,
    principal: Principal,
    kind: str,
    month: Month,
    as_of: dt.date | None = None,
    jurisdiction_id: int | None = None,
    kinds: Sequence[str] | None = DEFAULT_KINDS,
    limit: int = DETAIL_LIMIT,
) -> Table:
    """The records a KPI counts (`kind`: a value of `DETAIL_OF`), newest first, at most `limit`.

    County-wide (`jurisdiction_id` None) the rows match `county_kpis`; for one jurisdiction they
    match its row of `township_month_summary`. ID numbers are masked. Township and unit
    staff get their own jurisdiction's rows (also when asking county-wide); another's: AccessDenied.
    """
    if jurisdiction_id is None and not principal.sees_all:
        jurisdiction_id = principal.jurisdiction_id
    if jurisdiction_id is not None:
        require_read(principal, jurisdiction_id)
    m = month
    day = month_as_of(month, as_of)
    if kind.startswith("inspected"):
        return _inspected_rows(session, kind=kind, m=m, jurisdiction_id=jurisdiction_id, limit=limit)
    if kind.startswith("findings"):
        return _finding_rows(
            session, kind=kind, day=day, jurisdiction_id=jurisdiction_id, kinds=kinds, limit=limit
        )
    if kind in ("workers_checked", "unlicensed", "suspected_fake", "managers_overdue"):
        return _check_rows(session, kind=kind, m=m, jurisdiction_id=jurisdiction_id, kinds=kinds, limit=limit)
    if kind in ("cases", "fines", "exposures", "blacklisted", "orders"):
        return _action_rows(
            session, kind=kind, m=m, jurisdiction_id=jurisdiction_id, kinds=kinds, limit=limit
        )
    raise ValueError(f"未知的明细类型：{kind}")


def read_table(
    session: Session, stmt: Any, count_stmt: Any, columns: tuple[str, ...], limit: int, convert: Any = None
) -> Table:
    total = int(session.execute(count_stmt).scalar_one())
    rows = [tuple(r) for r in session.execute(stmt.limit(limit))]
    if convert is not None:
        rows = [convert(r) for r in rows]
    return Table(columns, rows, total)


def _inspected_rows(
    session: Session, *, kind: str, m: Month, jurisdiction_id: int | None, limit: int
) -> Table:
    conds: list[ColumnElement[bool]] = [_E.c.active, _I.c.inspected_on.between(m.first, m.last)]
    if kind == "inspected_high_risk":
        conds.append(_E.c.risk_class == RiskClass.HIGH_RISK.value)
    elif kind == "inspected_industry_trade":
        conds.append(_E.c.risk_class == RiskClass.INDUSTRY_TRADE.value)
    if jurisdiction_id is not None:
        # registered with the jurisdiction, inspected by it or jointly (`db.reads.month_figures`' definition)
        conds.append(is_registered_to(jurisdiction_id))
        conds.append(inspected_by_or_jointly(jurisdiction_id))
    src = _E.join(_I, _I.c.enterprise_id == _E.c.id).join(_J, _J.c.id == _E.c.jurisdiction_id)
    stmt = (
        select(
            _E.c.name,
            _E.c.risk_class,
            _J.c.name,
            func.count(_I.c.id),
            func.max(_I.c.inspected_on),
            func.max(case((_I.c.joint, 1), else_=0)),
        )
        .select_from(src)
        .where(*conds)
        .group_by(_E.c.id, _E.c.name, _E.c.risk_class, _J.c.name)
        .order_by(func.max(_I.c.inspected_on).desc(), _E.c.name)
    )
    count = select(func.count(distinct(_E.c.id))).select_from(src).where(*conds)

    def convert(r: tuple[Any, ...]) -> tuple[Any, ...]:
        return (r[0], RiskClass(r[1]).label, r[2], int(r[3]), r[4], "是" if r[5] else "否")

    columns = (
        "生产经营单位",
        "行业类别",
        "所在乡镇（街道）",
        "本月检查次数",
        "最近检查日期",
        "含联合执法检查",
    )
    return read_table(session, stmt, count, columns, limit, convert)


def _finding_rows(
    session: Session,
    *,
    kind: str,
    day: dt.date,
    jurisdiction_id: int | None,
    kinds: Sequence[str] | None,
    limit: int,
) -> Table:
    rect = rectified_by(day)
    conds: list[ColumnElement[bool]] = [_F.c.found_on <= day]
    conds.append(
        _F.c.jurisdiction_id == jurisdiction_id
        if jurisdiction_id is not None
        else _F.c.jurisdiction_id.in_(active_jurisdictions(kinds))
    )
    if kind == "findings_open":
        conds.append(not_(rect))
    elif kind == "findings_overdue":
        conds += [not_(rect), _F.c.deadline < day]
    else:
        conds.append(rect)
    src = (
        _F.join(_J, _J.c.id == _F.c.jurisdiction_id)
        .outerjoin(_E, _E.c.id == _F.c.enterprise_id)
        .outerjoin(_TI, _TI.c.id == _F.c.institution_id)
    )
    stmt = (
        select(
            _J.c.name,
            func.coalesce(_E.c.name, _TI.c.name, ""),
            _F.c.description,
            _F.c.found_on,
            _F.c.deadline,
            _F.c.responsible_person,
            _F.c.status,
            _F.c.rectified_on,
        )
        .select_from(src)
        .where(*conds)
        .order_by(_F.c.deadline.asc(), _F.c.id)
    )
    count = select(func.count()).select_from(_F).where(*conds)

    def convert(r: tuple[Any, ...]) -> tuple[Any, ...]:
        deadline = r[4]
        open_ = kind != "findings_rectified"
        late = (day - deadline).days if open_ and deadline is not None and deadline < day else 0
        status = "整改中" if open_ else FindingStatus(r[6]).label if r[6] != "open" else "已整改"
        return (r[0], r[1], r[2], r[3], deadline, r[5], status, r[7], late)

    columns = (
        "责任单位",
        "检查对象",
        "问题",
        "发现日期",
        "整改期限",
        "整改责任人",
        "状态",
        "整改完成日期",
        "逾期天数",
    )
    return read_table(session, stmt, count, columns, limit, convert)


_CHECK_CONDITION: dict[str, Any] = {
    "workers_checked": lambda: _C.c.family == "special",
    "unlicensed": lambda: cert_problem(Problem.UNLICENSED),
    "suspected_fake": lambda: cert_problem(Problem.FAKE),
    "managers_overdue": lambda: cert_problem(Problem.MANAGER_OVERDUE),
}


def _check_rows(
    session: Session,
    *,
    kind: str,
    m: Month,
    jurisdiction_id: int | None,
    kinds: Sequence[str] | None,
    limit: int,
) -> Table:
    conds: list[ColumnElement[bool]] = [_C.c.as_of.between(m.first, m.last), _CHECK_CONDITION[kind]()]
    conds.append(
        _C.c.jurisdiction_id == jurisdiction_id
        if jurisdiction_id is not None
        else _C.c.jurisdiction_id.in_(active_jurisdictions(kinds))
    )
    src = (
        _C.outerjoin(_P, _P.c.id == _C.c.person_id)
        .outerjoin(_E, _E.c.id == _C.c.enterprise_id)
        .outerjoin(_J, _J.c.id == _C.c.jurisdiction_id)
    )
    stmt = (
        select(
            _C.c.as_of,
            _J.c.name,
            _E.c.name,
            _P.c.name,
            _P.c.id_number,
            _C.c.item,
            _C.c.problem,
            _C.c.explanation,
        )
        .select_from(src)
        .where(*conds)
        .order_by(_C.c.as_of.desc(), _C.c.id)
    )
    count = select(func.count()).select_from(_C).where(*conds)

    def convert(r: tuple[Any, ...]) -> tuple[Any, ...]:
        return (
            r[0],
            r[1],
            r[2],
            r[3],
            mask_id(r[4]),
            r[5] or "",
            r[6] or "无",
            mask_ids_in(r[7] or ""),
        )

    columns = ("核查日期", "核查单位", "生产经营单位", "姓名", "身份证号", "操作项目", "问题", "核查结论")
    return read_table(session, stmt, count, columns, limit, convert)


_ACTION_KIND = {
    "cases": ActionKind.CASE,
    "fines": ActionKind.FINE,
    "exposures": ActionKind.EXPOSURE,
    "blacklisted": ActionKind.BLACKLIST,
    "orders": ActionKind.ORDER_RECTIFY,
}


def _action_rows(
    session: Session,
    *,
    kind: str,
    m: Month,
    jurisdiction_id: int | None,
    kinds: Sequence[str] | None,
    limit: int,
) -> Table:
    conds: list[ColumnElement[bool]] = [
        _A.c.action_date.between(m.first, m.last),
        _A.c.kind == _ACTION_KIND[kind].value,
        _A.c.jurisdiction_id == jurisdiction_id
        if jurisdiction_id is not None
        else _A.c.jurisdiction_id.in_(active_jurisdictions(kinds)),
    ]
    src = (
        _A.join(_J, _J.c.id == _A.c.jurisdiction_id)
        .outerjoin(_E, _E.c.id == _A.c.enterprise_id)
        .outerjoin(_TI, _TI.c.id == _A.c.institution_id)
    )
    stmt = (
        select(
            _A.c.action_date,
            _J.c.name,
            func.coalesce(_E.c.name, _TI.c.name, ""),
            _A.c.kind,
            _A.c.fine_amount,
            _A.c.case_ref,
        )
        .select_from(src)
        .where(*conds)
        .order_by(_A.c.action_date.desc(), _A.c.id)
    )
    count = select(func.count()).select_from(_A).where(*conds)

    def convert(r: tuple[Any, ...]) -> tuple[Any, ...]:
        amount = float(r[4]) if r[4] is not None else None
        return (r[0], r[1], r[2], ActionKind(r[3]).label, amount, r[5])

    columns = ("日期", "执法单位", "对象", "类别", "罚款金额（元）", "文号")
    return read_table(session, stmt, count, columns, limit, convert)
