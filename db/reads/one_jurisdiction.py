"""One jurisdiction's page (乡镇（街道）/ 行业部门): its enterprises by class, its month rows, its
certificate checks and its monthly tables.

AccessDenied for another township's or unit's staff.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import case, distinct, func, select
from sqlmodel import Session, SQLModel

import db.models  # noqa: F401  (registers every table on SQLModel.metadata)
from anpei import clock
from anpei.masking import mask_id, mask_ids_in
from anpei.periods import Month
from db.codes import MonthlyStatus, RiskClass
from db.reads.kpi_details import DETAIL_LIMIT, Table, read_table
from db.reads.month_figures import JurisdictionMonthRow, month_as_of, township_month_summary
from db.rules.access import Principal, require_read
from db.rules.metrics import (
    inspected_by_or_jointly,
    is_registered_to,
)

_E = SQLModel.metadata.tables["enterprise"]
_I = SQLModel.metadata.tables["inspection"]
_C = SQLModel.metadata.tables["certificatecheck"]
_M = SQLModel.metadata.tables["monthlyreport"]
_P = SQLModel.metadata.tables["person"]


@dataclass(frozen=True)
class EnterpriseMix:
    """A jurisdiction's registered enterprises by class and how many the campaign reached."""

    risk_class: str
    registered: int
    inspected_in_month: int
    inspected_in_campaign: int

    @property
    def label(self) -> str:
        return RiskClass(self.risk_class).label


def enterprise_mix(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    month: Month,
    campaign_months: Sequence[Month],
) -> list[EnterpriseMix]:
    """Registered enterprises of a jurisdiction by risk class; inspected in the month and campaign."""
    require_read(principal, jurisdiction_id)
    m = month
    first = campaign_months[0].first if campaign_months else m.first
    last = campaign_months[-1].last if campaign_months else m.last
    mine = is_registered_to(jurisdiction_id)
    by_us = inspected_by_or_jointly(jurisdiction_id)
    registered = {
        r[0]: int(r[1])
        for r in session.execute(
            select(_E.c.risk_class, func.count()).where(_E.c.active, mine).group_by(_E.c.risk_class)
        )
    }
    src = _E.join(_I, _I.c.enterprise_id == _E.c.id)
    inspected = {
        r[0]: (int(r[1]), int(r[2]))
        for r in session.execute(
            select(
                _E.c.risk_class,
                func.count(distinct(case((_I.c.inspected_on.between(m.first, m.last), _E.c.id)))),
                func.count(distinct(_E.c.id)),
            )
            .select_from(src)
            .where(_E.c.active, mine, by_us, _I.c.inspected_on.between(first, last))
            .group_by(_E.c.risk_class)
        )
    }
    return [
        EnterpriseMix(rc.value, int(registered.get(rc.value, 0)), *inspected.get(rc.value, (0, 0)))
        for rc in RiskClass
    ]


def jurisdiction_months(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    months: Sequence[Month],
    as_of: dt.date | None = None,
) -> list[JurisdictionMonthRow]:
    """The jurisdiction's row of `township_month_summary` for each month (any kind)."""
    require_read(principal, jurisdiction_id)
    out: list[JurisdictionMonthRow] = []
    for month in months:
        rows = township_month_summary(
            session,
            principal=principal,
            month=month,
            jurisdiction_ids=[jurisdiction_id],
            as_of=month_as_of(month, as_of),
            kinds=None,
        )
        out += rows
    return out


def certificate_outcomes(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    first: dt.date,
    last: dt.date,
) -> Table:
    """Certificate checks by the jurisdiction in [first, last], counted by family and problem."""
    require_read(principal, jurisdiction_id)
    problem = func.coalesce(func.nullif(_C.c.problem, ""), "无问题")
    stmt = (
        select(_C.c.family, problem.label("problem"), func.count(), func.count(distinct(_C.c.person_id)))
        .where(_C.c.jurisdiction_id == jurisdiction_id, _C.c.as_of.between(first, last))
        .group_by(_C.c.family, problem)
        .order_by(_C.c.family.desc(), func.count().desc())
    )
    family = {"special": "特种作业人员", "safety": "主要负责人和安全生产管理人员"}
    rows = [(family.get(r[0], r[0]), r[1], int(r[2]), int(r[3])) for r in session.execute(stmt)]
    return Table(("人员类别", "核查结果", "核查人次", "涉及人数"), rows, len(rows))


def problem_checks(
    session: Session,
    *,
    principal: Principal,
    jurisdiction_id: int,
    first: dt.date,
    last: dt.date,
    limit: int = DETAIL_LIMIT,
) -> Table:
    """Checks by the jurisdiction with a problem (无证上岗, 疑似持假证, …), newest first, IDs masked."""
    require_read(principal, jurisdiction_id)
    conds = [_C.c.jurisdiction_id == jurisdiction_id, _C.c.as_of.between(first, last), _C.c.problem != ""]
    src = _C.outerjoin(_P, _P.c.id == _C.c.person_id).outerjoin(_E, _E.c.id == _C.c.enterprise_id)
    stmt = (
        select(_C.c.as_of, _E.c.name, _P.c.name, _P.c.id_number, _C.c.item, _C.c.problem, _C.c.explanation)
        .select_from(src)
        .where(*conds)
        .order_by(_C.c.as_of.desc(), _C.c.id)
    )
    count = select(func.count()).select_from(_C).where(*conds)

    def convert(r: tuple[Any, ...]) -> tuple[Any, ...]:
        return (r[0], r[1], r[2], mask_id(r[3]), r[4] or "", r[5], mask_ids_in(r[6] or ""))

    columns = ("核查日期", "生产经营单位", "姓名", "身份证号", "操作项目", "问题", "核查结论")
    return read_table(session, stmt, count, columns, limit, convert)


def monthly_reports(
    session: Session, *, principal: Principal, jurisdiction_id: int, months: Sequence[Month]
) -> Table:
    """The jurisdiction's 汇总表 rows for `months` (未报 where none)."""
    require_read(principal, jurisdiction_id)
    labels = [str(m) for m in months]
    stored = {
        r["month"]: r
        for r in session.execute(
            select(_M).where(_M.c.jurisdiction_id == jurisdiction_id, _M.c.month.in_(labels))
        ).mappings()
    }
    rows: list[tuple[Any, ...]] = []
    for month in labels:
        r = stored.get(month)
        if r is None:
            rows.append(
                (month, MonthlyStatus.UNREPORTED.label, None, None, None, None, None, None, None, None, "")
            )
            continue
        submitted = clock.local_date(r["submitted_at"]) if r["submitted_at"] else None
        rows.append(
            (
                month,
                MonthlyStatus(r["status"]).label,
                submitted,
                r["enterprises_inspected"],
                r["high_risk_inspected"] + r["industry_trade_inspected"],
                r["problems_found"],
                r["rectified"],
                r["unlicensed"],
                r["suspected_fake"],
                float(r["fines_wan"]),
                r["filled_by"],
            )
        )
    columns = (
        "月份",
        "状态",
        "报送日期",
        "检查生产经营单位数",
        "其中高危、工贸",
        "发现问题数",
        "已整改数",
        "无证上岗人数",
        "疑似持假证人数",
        "罚款金额（万元）",
        "填报人",
    )
    return Table(columns, rows, len(rows))
