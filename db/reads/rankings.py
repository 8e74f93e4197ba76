"""The month's ranking of townships (or member units) by coverage of high-risk and 工贸
enterprises, with the reasons a jurisdiction is behind.

County-wide: AccessDenied for township and unit staff (a ranking of one row says nothing).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sqlmodel import Session

from anpei.periods import Month
from db.codes import JurisdictionKind
from db.reads.campaign_calendar import CampaignInfo
from db.reads.jurisdiction_list import list_jurisdictions
from db.reads.month_figures import JurisdictionMonthRow, month_as_of, township_month_summary
from db.reads.status_grid import GRID_LABELS, GridCell, status_grid
from db.rules.access import Principal, require_county_wide

# A jurisdiction is "behind" in a month below this coverage of its high-risk and 工贸 enterprises,
# with its table missing or late, or with at least this many overdue findings.
BEHIND_COVERAGE = 0.6
BEHIND_OVERDUE = 10


@dataclass(frozen=True)
class RankRow:
    """One jurisdiction in the month's ranking (by coverage of high-risk and 工贸 enterprises)."""

    rank: int | None
    jurisdiction_id: int
    code: str
    name: str
    kind: str
    targets_registered: int
    targets_inspected: int
    coverage: float | None
    enterprises_inspected: int
    findings_open: int
    findings_rectified: int
    findings_overdue: int
    rectify_rate: float | None
    unlicensed: int
    suspected_fake: int
    managers_overdue: int
    cases: int
    exposures: int
    monthly_status: str
    behind_reasons: tuple[str, ...] = ()

    @property
    def behind(self) -> bool:
        return bool(self.behind_reasons)


def rank_rows(
    rows: Sequence[JurisdictionMonthRow],
    *,
    codes: dict[int, str] | None = None,
    grid: dict[int, str] | None = None,
) -> list[RankRow]:
    """Ranked by coverage (ties share a rank; no target enterprises → unranked, listed last).

    `grid` maps jurisdiction id to the table's state (GRID_LABELS key) used for the status column.
    """
    out: list[RankRow] = []
    for r in rows:
        done = r.findings_rectified + r.findings_open
        status = (grid or {}).get(r.jurisdiction_id, "on_time")
        reasons: list[str] = []
        if r.target_coverage is not None and r.target_coverage < BEHIND_COVERAGE:
            reasons.append(f"覆盖率低于{BEHIND_COVERAGE:.0%}")
        if status in ("missing", "late"):
            reasons.append(f"月报{GRID_LABELS[status]}")
        if r.findings_overdue >= BEHIND_OVERDUE:
            reasons.append(f"逾期未整改{r.findings_overdue}条")
        out.append(
            RankRow(
                rank=None,
                jurisdiction_id=r.jurisdiction_id,
                code=(codes or {}).get(r.jurisdiction_id, ""),
                name=r.jurisdiction,
                kind=r.kind,
                targets_registered=r.targets_registered,
                targets_inspected=r.targets_inspected,
                coverage=r.target_coverage,
                enterprises_inspected=r.enterprises_inspected,
                findings_open=r.findings_open,
                findings_rectified=r.findings_rectified,
                findings_overdue=r.findings_overdue,
                rectify_rate=r.findings_rectified / done if done else None,
                unlicensed=r.unlicensed,
                suspected_fake=r.suspected_fake,
                managers_overdue=r.managers_overdue,
                cases=r.cases,
                exposures=r.exposures,
                monthly_status=status,
                behind_reasons=tuple(reasons),
            )
        )
    ranked = sorted(
        out,
        key=lambda x: (
            x.coverage is None,
            -(round(x.coverage, 6) if x.coverage is not None else 0),
            x.findings_overdue,
        ),
    )
    result: list[RankRow] = []
    previous: tuple[float, int] | None = None
    rank = 0
    for position, row in enumerate(ranked, start=1):
        if row.coverage is None:
            result.append(row)
            continue
        key = (round(row.coverage, 6), row.findings_overdue)
        if key != previous:
            rank, previous = position, key
        result.append(_with_rank(row, rank))
    return result


def _with_rank(row: RankRow, rank: int) -> RankRow:
    return replace(row, rank=rank)


def jurisdiction_codes(session: Session) -> dict[int, str]:
    return {r.id: r.code for r in list_jurisdictions(session, kinds=None, active_only=False)}


def month_ranking(
    session: Session,
    *,
    principal: Principal,
    campaign: CampaignInfo,
    month: Month,
    as_of: dt.date,
    kind: str = JurisdictionKind.TOWNSHIP.value,
) -> list[RankRow]:
    """The month's ranking of one kind of jurisdiction, with the table state on `as_of`.

    County-wide: AccessDenied for township and unit staff (a ranking of one row says nothing).
    """
    require_county_wide(principal)
    day = month_as_of(month, as_of)
    rows = township_month_summary(session, principal=principal, month=month, as_of=day, kinds=[kind])
    cells = status_grid(
        session, principal=principal, campaign=campaign, as_of=as_of, months=[month], kinds=[kind]
    )
    return ranking_of(rows, kind=kind, month=month, codes=jurisdiction_codes(session), cells=cells)


def ranking_of(
    rows: Sequence[JurisdictionMonthRow],
    *,
    kind: str,
    month: Month,
    codes: dict[int, str],
    cells: Sequence[GridCell],
) -> list[RankRow]:
    """`rank_rows` for one kind out of an all-kinds summary and grid already read (no queries)."""
    grid = {c.jurisdiction_id: c.status for c in cells if c.month == str(month)}
    return rank_rows([r for r in rows if r.kind == kind], codes=codes, grid=grid)
