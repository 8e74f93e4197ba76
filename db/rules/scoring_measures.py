"""The measures of the quarterly assessment, counted in SQL: the quarter's window (its enforcement
months and cut-off day) and, per jurisdiction, every count of `db.rules.scoring.MEASURES`
(grouped queries, a few per quarter whatever the number of jurisdictions)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, distinct, exists, func, select
from sqlmodel import Session, SQLModel

from anpei.periods import Month, Quarter
from db.codes import ActionKind, ItemResult, PersonRole, RiskClass, Role, TargetKind
from db.reads import campaign_calendar, month_trends, status_grid
from db.rules.access import Principal, narrow
from db.rules.metrics import (
    Problem,
    cert_problem,
    count_if,
    inspected_by_or_jointly,
    rectified_by,
    registered_to,
)
from db.rules.scoring import MEASURES

_I = SQLModel.metadata.tables["inspection"]
_IR = SQLModel.metadata.tables["inspectionitemresult"]
_F = SQLModel.metadata.tables["finding"]
_C = SQLModel.metadata.tables["certificatecheck"]
_A = SQLModel.metadata.tables["enforcementaction"]
_P = SQLModel.metadata.tables["person"]


@dataclass(frozen=True)
class QuarterWindow:
    """What a quarter's assessment reads: its enforcement months and the cut-off date."""

    quarter: Quarter
    months: tuple[Month, ...]  # enforcement months of the quarter begun by the cut-off
    due_months: tuple[Month, ...]  # of those, months whose table was due by the cut-off
    first: dt.date
    last: dt.date  # last day of activity counted (quarter end, or the cut-off when earlier)
    cutoff: dt.date
    final_on: dt.date  # the day the quarter's assessment becomes final (last table due)

    @property
    def provisional(self) -> bool:
        return self.cutoff < self.final_on

    @property
    def empty(self) -> bool:
        return not self.months


def quarter_window(
    campaign: campaign_calendar.CampaignInfo, *, quarter: Quarter, as_of: dt.date
) -> QuarterWindow:
    months = [m for m in campaign.enforcement_months if m.quarter == quarter]
    final_on = max([quarter.last] + [campaign.due_date(m) for m in months])
    cutoff = min(as_of, final_on)
    begun = tuple(m for m in months if m.begun_by(cutoff))
    due = tuple(m for m in begun if campaign.due_date(m) <= cutoff)
    return QuarterWindow(quarter, begun, due, quarter.first, min(quarter.last, cutoff), cutoff, final_on)


def quarter_measures(
    session: Session,
    *,
    principal: Principal,
    campaign: campaign_calendar.CampaignInfo,
    window: QuarterWindow,
    jurisdiction_ids: Sequence[int],
) -> dict[int, dict[str, float]]:
    """Every measure of `MEASURES` per jurisdiction for the window (grouped SQL, a few queries);
    only the jurisdictions the principal may read."""
    wanted = narrow(principal, jurisdiction_ids)
    assert wanted is not None
    return ranking_measures(session, campaign=campaign, window=window, jurisdiction_ids=wanted)


# Ranking needs every unit's statistics whoever asks; only the ranking leaves `assess_quarter`.
_RANKING = Principal(username="system", role=Role.LEADER, display_name="考核计算")


def ranking_measures(
    session: Session,
    *,
    campaign: campaign_calendar.CampaignInfo,
    window: QuarterWindow,
    jurisdiction_ids: Sequence[int],
) -> dict[int, dict[str, float]]:
    """Every measure per jurisdiction asked for, whoever asks: for the ranking only (`assess_quarter`
    keeps the raw measures of only what the reader may read; `quarter_measures` is the narrowed read)."""
    out: dict[int, dict[str, float]] = {j: dict.fromkeys(MEASURES, 0.0) for j in jurisdiction_ids}
    if window.empty or not jurisdiction_ids:
        return out
    wanted = list(jurisdiction_ids)

    def merge(stmt: Any) -> None:
        for row in session.execute(stmt).mappings():
            target = out.get(row["jid"])
            if target is not None:
                target.update({k: float(v or 0) for k, v in row.items() if k != "jid"})

    # monthly tables, as they stood on the cut-off day
    for jid in wanted:
        out[jid]["months_due"] = float(len(window.due_months))
    if window.due_months:
        for cell in status_grid.status_grid(
            session,
            principal=_RANKING,
            campaign=campaign,
            as_of=window.cutoff,
            months=window.due_months,
            kinds=None,
        ):
            if cell.jurisdiction_id in out:
                if cell.status in ("on_time", "zero"):
                    out[cell.jurisdiction_id]["months_on_time"] += 1
                elif cell.status == "late":
                    out[cell.jurisdiction_id]["months_late"] += 1

    # everything the unit supervises, and whether it inspected any of it (idle / nothing to supervise);
    # the high-risk and 工贸 targets among them, each due once a month and inspected in which months.
    # One pass over the registrations and one over the visits serve both (the same numbers as one
    # query per measure, half the work at province size).
    every = registered_to()
    targets = every.c.risk.in_([RiskClass.HIGH_RISK.value, RiskClass.INDUSTRY_TRADE.value])
    months = len(window.months)
    merge(
        select(
            every.c.owner.label("jid"),
            func.count().label("enterprises_registered"),
            (count_if(targets) * months).label("targets_due"),
        )
        .where(every.c.owner.in_(wanted))
        .group_by(every.c.owner)
    )
    bucket = month_trends.month_bucket(_I.c.inspected_on, window.months).label("month")
    visits = (
        select(every.c.owner.label("owner"), every.c.eid.label("eid"), every.c.risk.label("risk"), bucket)
        .select_from(every.join(_I, _I.c.enterprise_id == every.c.eid))
        .where(
            every.c.owner.in_(wanted),
            _I.c.inspected_on.between(window.first, window.last),
            inspected_by_or_jointly(every.c.owner),
        )
        .distinct()
        .subquery("visits")
    )
    target_visit = and_(
        visits.c.risk.in_([RiskClass.HIGH_RISK.value, RiskClass.INDUSTRY_TRADE.value]),
        visits.c.month.is_not(None),
    )
    merge(
        select(
            visits.c.owner.label("jid"),
            func.count(distinct(visits.c.eid)).label("enterprises_inspected"),
            count_if(target_visit).label("targets_inspected"),
        ).group_by(visits.c.owner)
    )
    merge(
        select(_I.c.jurisdiction_id.label("jid"), func.count().label("inspections"))
        .where(_I.c.jurisdiction_id.in_(wanted), _I.c.inspected_on.between(window.first, window.last))
        .group_by(_I.c.jurisdiction_id)
    )

    on_time = rectified_by(_F.c.deadline)
    merge(
        select(
            _F.c.jurisdiction_id.label("jid"),
            func.count().label("findings_due"),
            count_if(on_time).label("findings_on_time"),
        )
        .where(_F.c.jurisdiction_id.in_(wanted), _F.c.deadline.between(window.first, window.last))
        .group_by(_F.c.jurisdiction_id)
    )

    in_window_i = _I.c.inspected_on.between(window.first, window.last)
    inspected = (
        select(_I.c.jurisdiction_id.label("jid"), _I.c.enterprise_id.label("eid"))
        .where(_I.c.jurisdiction_id.in_(wanted), in_window_i, _I.c.enterprise_id.is_not(None))
        .distinct()
        .subquery("inspected")
    )
    # special workers per enterprise first (one pass over people), then per inspecting jurisdiction
    staff = (
        select(_P.c.enterprise_id.label("eid"), func.count().label("n"))
        .where(_P.c.role == PersonRole.SPECIAL_WORKER.value, _P.c.active)
        .group_by(_P.c.enterprise_id)
        .subquery("staff")
    )
    merge(
        select(inspected.c.jid, func.coalesce(func.sum(staff.c.n), 0).label("workers_at_inspected"))
        .select_from(inspected.join(staff, staff.c.eid == inspected.c.eid))
        .group_by(inspected.c.jid)
    )
    in_window_c = _C.c.as_of.between(window.first, window.last)
    merge(
        select(
            _C.c.jurisdiction_id.label("jid"), func.count(distinct(_C.c.person_id)).label("workers_checked")
        )
        .where(_C.c.jurisdiction_id.in_(wanted), in_window_c, _C.c.family == "special")
        .group_by(_C.c.jurisdiction_id)
    )
    # the few checks that found 无证上岗 / 疑似持假证: by jurisdiction and enterprise, then acted on or not
    violations = (
        select(_C.c.jurisdiction_id.label("jid"), _C.c.enterprise_id.label("eid"))
        .where(
            _C.c.jurisdiction_id.in_(wanted),
            in_window_c,
            cert_problem(Problem.UNLICENSED, Problem.FAKE),
        )
        .distinct()
        .subquery("violations")
    )
    acted = exists().where(
        _A.c.jurisdiction_id == violations.c.jid,
        _A.c.enterprise_id == violations.c.eid,
        _A.c.action_date.between(window.first, window.cutoff),
    )
    merge(
        select(
            violations.c.jid,
            func.count().label("violation_enterprises"),
            count_if(acted).label("violation_enterprises_acted"),
        ).group_by(violations.c.jid)
    )
    punished = exists().where(
        _A.c.jurisdiction_id == _I.c.jurisdiction_id,
        _A.c.enterprise_id == _I.c.enterprise_id,
        _A.c.kind.in_([ActionKind.CASE.value, ActionKind.EXPOSURE.value]),
        _A.c.action_date.between(window.first, window.cutoff),
    )
    merge(
        select(
            _I.c.jurisdiction_id.label("jid"),
            func.count(distinct(_I.c.enterprise_id)).label("serious_enterprises"),
            func.count(distinct(case((punished, _I.c.enterprise_id)))).label("serious_enterprises_punished"),
        )
        .select_from(_I.join(_IR, _IR.c.inspection_id == _I.c.id))
        .where(
            _I.c.jurisdiction_id.in_(wanted),
            in_window_i,
            _I.c.target_kind == TargetKind.ENTERPRISE.value,
            _IR.c.item_number.in_([3, 4]),
            _IR.c.result == ItemResult.FAIL.value,
        )
        .group_by(_I.c.jurisdiction_id)
    )
    return out
