"""A quarter's assessment: every township and member unit scored and ranked against its own group,
with last quarter's ranks; what each reader may see of it; a jurisdiction's score history.

`assess_quarter` reads the measures (`db.rules.scoring_measures`) and scores each group
(`db.rules.scoring_ranking`) under the rule file (`db.rules.scoring`).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from sqlmodel import Session

from anpei.periods import Quarter
from db.codes import JurisdictionKind
from db.reads import campaign_calendar, jurisdiction_list
from db.rules.access import Principal, can_read, require_read
from db.rules.scoring import ScoringRules
from db.rules.scoring_measures import QuarterWindow, quarter_window, ranking_measures
from db.rules.scoring_ranking import JurisdictionScore, Member, group_rates, score_group


class MeasuresReader(Protocol):
    def __call__(
        self,
        session: Session,
        *,
        campaign: campaign_calendar.CampaignInfo,
        window: QuarterWindow,
        jurisdiction_ids: Sequence[int],
    ) -> dict[int, dict[str, float]]: ...


@dataclass(frozen=True)
class Assessment:
    quarter: Quarter
    window: QuarterWindow
    rules: ScoringRules
    groups: dict[str, list[JurisdictionScore]]  # JurisdictionKind code → ranked scores
    group_rates: dict[str, dict[str, float | None]]
    measures: dict[int, dict[str, float]]
    previous_quarter: Quarter | None = None

    @property
    def townships(self) -> list[JurisdictionScore]:
        return self.groups.get(JurisdictionKind.TOWNSHIP.value, [])

    @property
    def member_units(self) -> list[JurisdictionScore]:
        return self.groups.get(JurisdictionKind.MEMBER_UNIT.value, [])

    @property
    def empty(self) -> bool:
        return all(s.score is None for g in self.groups.values() for s in g)

    def find(self, jurisdiction_id: int) -> JurisdictionScore | None:
        for group in self.groups.values():
            for s in group:
                if s.member.jurisdiction_id == jurisdiction_id:
                    return s
        return None


def _members(session: Session) -> list[Member]:
    return [
        Member(r.id, r.name, r.kind, r.sort_order, r.code)
        for r in jurisdiction_list.list_jurisdictions(session, kinds=jurisdiction_list.DEFAULT_KINDS)
    ]


def assess_quarter(
    session: Session,
    *,
    principal: Principal,
    campaign: campaign_calendar.CampaignInfo,
    quarter: Quarter,
    as_of: dt.date,
    rules: ScoringRules,
    with_previous: bool = True,
    measures_reader: MeasuresReader = ranking_measures,
) -> Assessment:
    """Score every township and member unit for `quarter` as of `as_of`, with last quarter's ranks.

    The previous quarter is the calendar quarter before; when it had no enforcement month there
    is no rank change to show.

    Who reads what: the ranking (scores, ranks, grades, indicator points — what the quarterly
    circular publishes to every township and unit) is public inside the government, so every role
    gets all of it; the raw statistics behind a unit's score (`Assessment.measures`, the drill-down)
    are kept only for the jurisdictions the principal may read.

    `measures_reader` reads the measures (default `ranking_measures`, live); the dashboard passes one
    that reads the figures kept in the database (`db.reads.stored_figures.measures_reader`).
    """
    window = quarter_window(campaign, quarter=quarter, as_of=as_of)
    members = _members(session)
    measures = measures_reader(
        session, campaign=campaign, window=window, jurisdiction_ids=[m.jurisdiction_id for m in members]
    )
    before = quarter.previous()
    previous: Assessment | None = None
    if with_previous:
        previous = assess_quarter(
            session,
            principal=principal,
            campaign=campaign,
            quarter=before,
            as_of=as_of,
            rules=rules,
            with_previous=False,
            measures_reader=measures_reader,
        )
        if previous.empty:
            previous = None
    groups: dict[str, list[JurisdictionScore]] = {}
    rates: dict[str, dict[str, float | None]] = {}
    for kind in jurisdiction_list.DEFAULT_KINDS:
        group = [m for m in members if m.kind == kind]
        prev_ranks = (
            {s.member.jurisdiction_id: s.rank for s in previous.groups.get(kind, [])} if previous else None
        )
        groups[kind] = score_group(rules, members=group, measures=measures, previous_ranks=prev_ranks)
        ids = {m.jurisdiction_id for m in group}
        rates[kind] = group_rates(rules, {j: v for j, v in measures.items() if j in ids})
    return for_reader(
        Assessment(quarter, window, rules, groups, rates, measures, before if previous else None),
        principal=principal,
    )


def for_reader(assessment: Assessment, *, principal: Principal) -> Assessment:
    """The assessment as `principal` may read it: the whole ranking, the raw measures of only the
    jurisdictions they may read. Lets one county-wide computation serve every reader (a cache)."""
    readable = {j: v for j, v in assessment.measures.items() if can_read(principal, j)}
    return dataclasses.replace(assessment, measures=readable)


@dataclass(frozen=True)
class ScorePoint:
    quarter: Quarter
    score: float | None
    rank: int | None
    of: int
    grade: str
    provisional: bool


def score_history(
    session: Session,
    *,
    principal: Principal,
    campaign: campaign_calendar.CampaignInfo,
    jurisdiction_id: int,
    as_of: dt.date,
    rules: ScoringRules,
) -> list[ScorePoint]:
    """The jurisdiction's score and rank in every quarter of the campaign begun by `as_of`.

    Part of a jurisdiction's own page: AccessDenied for another township's or unit's staff.
    """
    require_read(principal, jurisdiction_id)
    assessments = [
        assess_quarter(
            session,
            principal=principal,
            campaign=campaign,
            quarter=quarter,
            as_of=as_of,
            rules=rules,
            with_previous=False,
        )
        for quarter in history_quarters(campaign, as_of=as_of)
    ]
    return history_points(assessments, jurisdiction_id=jurisdiction_id)


def history_quarters(campaign: campaign_calendar.CampaignInfo, *, as_of: dt.date) -> list[Quarter]:
    """The campaign's quarters begun by `as_of` (those a score history shows)."""
    return [quarter for quarter in campaign.quarters if quarter.first <= as_of]


def history_points(assessments: Sequence[Assessment], *, jurisdiction_id: int) -> list[ScorePoint]:
    """One jurisdiction's score and rank in each of `assessments` (quarters it was not scored in are left out)."""
    out: list[ScorePoint] = []
    for a in assessments:
        mine = a.find(jurisdiction_id)
        if mine is None:
            continue
        group = a.groups.get(mine.member.kind, [])
        ranked = sum(1 for s in group if s.rank is not None)
        out.append(ScorePoint(a.quarter, mine.score, mine.rank, ranked, mine.grade, a.window.provisional))
    return out
