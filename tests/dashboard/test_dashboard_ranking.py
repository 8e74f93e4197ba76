"""The quarterly ranking does not reward doing nothing; indicators measure what their text says;
ranks follow the score as shown."""

from __future__ import annotations

import datetime as dt
import io

from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session, select

from anpei.periods import Quarter
from dashboard import frames
from db.codes import JurisdictionKind, MonthlyStatus, Sector
from db.models import Enterprise, Jurisdiction, MonthlyReport
from db.reads import campaign_calendar
from db.rules import scoring, scoring_assessment, scoring_measures, scoring_ranking
from db.rules.access import SYSTEM
from db.xlsx.circular import circular_xlsx

UNIT = JurisdictionKind.MEMBER_UNIT.value
AS_OF = dt.date(2023, 10, 31)
TS = dt.datetime(2023, 8, 1, tzinfo=dt.UTC)


def _plant(session: Session) -> None:
    """县闲置局: supervises two 工贸 enterprises, sends an on-time 零报告 every month, inspects nobody.
    县无企业办: supervises nothing and inspects nothing."""
    town = session.exec(
        select(Jurisdiction).where(Jurisdiction.kind == JurisdictionKind.TOWNSHIP.value)
    ).first()
    assert town is not None
    idle = Jurisdiction(code="U98", name="县闲置局", kind=UNIT, sort_order=998)
    empty = Jurisdiction(code="U99", name="县无企业办", kind=UNIT, sort_order=999)
    session.add_all([idle, empty])
    session.flush()
    for n in range(2):
        session.add(
            Enterprise(
                name=f"闲置监管企业{n}",
                sector=Sector.INDUSTRY_TRADE.value,
                jurisdiction_id=town.id,
                member_unit_id=idle.id,
                created_at=TS,
            )
        )
    for month, sent in (("2023-07", dt.datetime(2023, 8, 2, 9, tzinfo=dt.UTC)),):
        for unit in (idle, empty):
            session.add(
                MonthlyReport(
                    jurisdiction_id=unit.id, month=month, status=MonthlyStatus.ZERO.value, submitted_at=sent
                )
            )
    session.commit()


def _assess(engine: Engine) -> tuple[scoring_assessment.Assessment, campaign_calendar.CampaignInfo]:
    with Session(engine) as s:
        _plant(s)
        campaign = campaign_calendar.get_campaign(s)
        assert campaign is not None
        rules = scoring.load_rules(scoring.DEFAULT_RULES_PATH)
        return scoring_assessment.assess_quarter(
            s, principal=SYSTEM, campaign=campaign, quarter=Quarter(2023, 3), as_of=AS_OF, rules=rules
        ), campaign


def test_a_unit_that_did_nothing_ranks_last(seeded_engine: Engine) -> None:
    result, _ = _assess(seeded_engine)
    units = {s.member.name: s for s in result.member_units}
    idle = units["县闲置局"]
    assert idle.indicator("coverage") is not None and idle.indicator("coverage").points == 0  # type: ignore[union-attr]
    ranked = [s for s in result.member_units if s.rank is not None]
    assert idle.rank == max(s.rank for s in ranked if s.rank is not None)
    assert idle.score is not None
    assert all(idle.score <= s.score for s in ranked if s.score is not None)
    # every unit that inspected something scores above a unit that inspected nothing
    with Session(seeded_engine) as s:
        campaign = campaign_calendar.get_campaign(s)
        assert campaign is not None
        window = scoring_measures.quarter_window(campaign, quarter=Quarter(2023, 3), as_of=AS_OF)
        measures = scoring_measures.quarter_measures(
            s,
            principal=SYSTEM,
            campaign=campaign,
            window=window,
            jurisdiction_ids=[x.member.jurisdiction_id for x in ranked],
        )
    active = [x for x in ranked if measures[x.member.jurisdiction_id]["enterprises_inspected"] > 0]
    assert active and all(x.score is not None and x.score > idle.score for x in active)


def test_a_unit_with_nothing_to_supervise_is_not_ranked(seeded_engine: Engine) -> None:
    result, campaign = _assess(seeded_engine)
    empty = next(s for s in result.member_units if s.member.name == "县无企业办")
    assert empty.score is None and empty.rank is None and empty.grade == ""
    assert "没有登记的生产经营单位" in empty.not_ranked and "不参与排名" in empty.not_ranked
    frame = frames.assessment_frame(result.member_units, result.rules, links=False)
    row = frame[frame["单位"] == "县无企业办"].iloc[0]
    assert row["等次"] == "不参与排名" and "没有登记的生产经营单位" in row["备注"]
    wb = load_workbook(
        io.BytesIO(
            circular_xlsx(result, campaign_name=campaign.name, issuer=campaign.issuer, issued_on=AS_OF)
        )
    )
    text = " ".join(str(c.value) for row in wb["安委会成员单位"].iter_rows() for c in row if c.value)
    assert "不参与排名：县无企业办（" in text


def test_ranks_follow_the_shown_score() -> None:
    # 67.55 shows as 67.6, 67.549 and 67.5 as 67.5: the first is ahead, the other two share a rank
    assert scoring_ranking.competition_ranks([67.549, 67.55, 67.5, None]) == [2, 1, 2, None]
    assert (
        scoring_ranking.shown_score(67.549) == 67.5
        and scoring_ranking.shown_score(67.55) == 67.6
        and scoring_ranking.shown_score(59.96) == 60.0
    )


def test_scores_are_stored_as_shown_and_graded_as_shown() -> None:
    rules = scoring.rules_from_mapping(
        {
            "indicators": [
                {
                    "code": "c",
                    "label": "按时报送",
                    "max_points": 100,
                    "guard": False,
                    "numerator": {"months_on_time": 1},
                    "denominator": {"months_due": 1},
                }
            ],
            "grades": [{"label": "合格", "min_score": 60}, {"label": "不合格", "min_score": 0}],
        }
    )
    members = [
        scoring_ranking.Member(1, "甲镇", "township", 1),
        scoring_ranking.Member(2, "乙镇", "township", 2),
    ]
    measures = {
        1: {
            "months_on_time": 5996,
            "months_due": 10000,
            "enterprises_registered": 1,
            "enterprises_inspected": 1,
        },
        2: {
            "months_on_time": 5995,
            "months_due": 10000,
            "enterprises_registered": 1,
            "enterprises_inspected": 1,
        },
    }
    a, b = scoring_ranking.score_group(rules, members=members, measures=measures)
    assert (a.score, a.grade, a.rank) == (60.0, "合格", 1)  # 59.96 shows as 60.0 and is graded 合格
    assert (b.score, b.rank) == (60.0, 1)  # 59.95 also shows as 60.0: the same rank


def test_certificate_indicators_measure_what_they_say() -> None:
    rules = scoring.load_rules(scoring.DEFAULT_RULES_PATH)
    checks = rules.indicator_by_code("certificate_checks")
    acted = rules.indicator_by_code("violations_acted")
    assert set(checks.numerator) == {"workers_checked"} and set(checks.denominator) == {
        "workers_at_inspected"
    }
    assert "核查" in checks.label and "核查" in checks.explain and "执法措施" not in checks.explain
    assert set(acted.numerator) == {"violation_enterprises_acted"} and set(acted.denominator) == {
        "violation_enterprises"
    }
    assert "执法" in acted.label and "执法措施" in acted.explain
    # a unit that checked every worker but acted on none of its two violations: full marks on the
    # first, none on the second (the old blended ratio gave it 98 of 100 workers+cases)
    m = {
        "workers_checked": 98,
        "workers_at_inspected": 98,
        "violation_enterprises": 2,
        "violation_enterprises_acted": 0,
        "enterprises_registered": 5,
        "enterprises_inspected": 5,
    }
    none = scoring.Guard(method="none")
    assert scoring_ranking.score_indicator(checks, m, guard=none, group_rate=None).rate == 1.0
    assert scoring_ranking.score_indicator(acted, m, guard=none, group_rate=None).rate == 0.0
