"""The quarterly assessment: rule files, the pure scoring on hand-made cases, and the database side."""

from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path
from typing import Any

import pytest
from openpyxl import load_workbook
from sqlalchemy.engine import Engine
from sqlmodel import Session

from anpei.periods import Month, Quarter
from db.codes import FindingStatus, JurisdictionKind, MonthlyStatus, Sector, TargetKind
from db.models import Enterprise, Finding, Inspection, Jurisdiction, MonthlyReport
from db.reads import campaign_calendar
from db.rules import scoring, scoring_assessment, scoring_measures, scoring_ranking
from db.rules.access import SYSTEM
from db.xlsx.circular import circular_title, circular_xlsx

TOWN = JurisdictionKind.TOWNSHIP.value


def _rules(guard: dict[str, Any] | None = None, **indicator: Any) -> scoring.ScoringRules:
    """One coverage indicator worth 100 points (plus overrides), with the given guard."""
    ind = {
        "code": "coverage",
        "label": "覆盖率",
        "max_points": 100,
        "numerator": {"targets_inspected": 1},
        "denominator": {"targets_due": 1},
        **indicator,
    }
    return scoring.rules_from_mapping(
        {
            "indicators": [ind],
            "guard": guard or {"method": "none"},
            "grades": [{"label": "合格", "min_score": 60}, {"label": "不合格", "min_score": 0}],
        }
    )


def _members(*names: str) -> list[scoring_ranking.Member]:
    return [scoring_ranking.Member(n, name, TOWN, n) for n, name in enumerate(names, start=1)]


def _cov(done: float, due: float) -> dict[str, float]:
    return {"targets_inspected": done, "targets_due": due}


# --- rule files -----------------------------------------------------------------------------------


def test_default_rule_file_loads_and_matches_the_campaign_defaults() -> None:
    from db.rules.campaign_defaults import DEFAULT_SCORING_RULES

    rules = scoring.load_rules(scoring.DEFAULT_RULES_PATH)
    assert rules.total_points == 100 and rules.max_points == 100
    assert [i.code for i in rules.indicators] == [i["code"] for i in DEFAULT_SCORING_RULES["indicators"]]
    assert [i.max_points for i in rules.indicators] == [
        i["max_points"] for i in DEFAULT_SCORING_RULES["indicators"]
    ]
    assert rules.guard.method == "shrinkage" and rules.guard.prior_strength == 5
    assert not rules.indicator_by_code("monthly_on_time").guard
    assert rules.grade_of(95) == "优秀" and rules.grade_of(59.9) == "不合格" and rules.grade_of(None) == ""


def test_rules_from_an_edited_file_via_the_environment(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    edited = tmp_path / "rules.json"
    edited.write_text(
        json.dumps(
            {
                "name": "试行规则",
                "total_points": 50,
                "indicators": [
                    {
                        "code": "t",
                        "label": "按时报送",
                        "max_points": 10,
                        "numerator": "months_on_time",
                        "denominator": ["months_due"],
                    },
                ],
            }
        ),
        encoding="utf-8",
    )
    monkeypatch.setenv(scoring.RULES_ENV, str(edited))
    assert scoring.rules_path() == edited
    rules = scoring.load_rules()
    assert rules.name == "试行规则" and rules.total_points == 50
    assert rules.indicators[0].numerator == {"months_on_time": 1.0}


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "没有指标"),
        (
            {
                "indicators": [
                    {
                        "label": "甲",
                        "max_points": 10,
                        "numerator": {"nope": 1},
                        "denominator": {"targets_due": 1},
                    }
                ]
            },
            "统计量 'nope' 不存在",
        ),
        (
            {
                "indicators": [
                    {
                        "label": "甲",
                        "max_points": -1,
                        "numerator": "targets_inspected",
                        "denominator": "targets_due",
                    }
                ]
            },
            "满分",
        ),
        (
            {
                "indicators": [
                    {
                        "label": "甲",
                        "max_points": 5,
                        "numerator": "targets_inspected",
                        "denominator": "targets_due",
                    }
                ],
                "guard": {"method": "magic"},
            },
            "method 只能是",
        ),
        (
            {
                "indicators": [
                    {
                        "label": "甲",
                        "max_points": 5,
                        "numerator": "targets_inspected",
                        "denominator": {"targets_due": "x"},
                    }
                ]
            },
            "权重必须是数字",
        ),
        (
            {
                "indicators": [
                    {
                        "label": "甲",
                        "max_points": 5,
                        "numerator": "targets_inspected",
                        "denominator": "targets_due",
                    }
                ],
                "guard": {"when_empty": "full_marks"},
            },
            "when_empty 只能是",
        ),
    ],
)
def test_bad_rule_files_are_refused_in_chinese(data: dict[str, Any], message: str) -> None:
    with pytest.raises(scoring.ScoringRulesError, match=message):
        scoring.rules_from_mapping(data)


def test_unreadable_or_broken_rule_file(tmp_path: Path) -> None:
    with pytest.raises(scoring.ScoringRulesError, match="无法读取"):
        scoring.load_rules(tmp_path / "missing.toml")
    broken = tmp_path / "broken.toml"
    broken.write_text("indicators = [", encoding="utf-8")
    with pytest.raises(scoring.ScoringRulesError, match="格式有误"):
        scoring.load_rules(broken)


# --- ranking and scoring (pure) -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scores", "ranks"),
    [
        ([90.0, 80.0, 80.0, 70.0], [1, 2, 2, 4]),
        ([50.0, None, 50.0], [1, None, 1]),
        ([80.004, 79.996, 80.0], [1, 1, 1]),  # equal at two decimals: a tie, not float noise
        ([], []),
        ([None, None], [None, None]),
    ],
)
def test_competition_ranks(scores: list[float | None], ranks: list[int | None]) -> None:
    assert scoring_ranking.competition_ranks(scores) == ranks


def test_ties_share_a_rank_and_the_next_rank_is_skipped() -> None:
    members = _members("甲镇", "乙镇", "丙镇", "丁镇")
    measures = {1: _cov(8, 10), 2: _cov(4, 5), 3: _cov(9, 10), 4: _cov(1, 10)}
    out = scoring_ranking.score_group(_rules(), members=members, measures=measures)
    assert [(s.member.name, s.rank, s.score) for s in out] == [
        ("丙镇", 1, 90.0),
        ("甲镇", 2, 80.0),
        ("乙镇", 2, 80.0),
        ("丁镇", 4, 10.0),
    ]
    assert out[-1].grade == "不合格" and out[0].grade == "合格"


def test_an_empty_quarter_scores_nobody() -> None:
    members = _members("甲镇", "乙镇")
    out = scoring_ranking.score_group(
        scoring.load_rules(), members=members, measures={1: {}, 2: dict.fromkeys(scoring.MEASURES, 0.0)}
    )
    assert all(s.score is None and s.rank is None and s.grade == "" for s in out)
    # no measures at all: nothing applies; all-zero measures: nothing to supervise, 不参与排名
    assert all(i.status == "not_applicable" and i.deduction == 0 for i in out[0].indicators)
    assert all(i.status == "not_ranked" and i.deduction == 0 for i in out[1].indicators) and out[1].not_ranked


def test_not_applicable_indicators_leave_the_maximum() -> None:
    rules = scoring.load_rules(scoring.DEFAULT_RULES_PATH)
    only_tables = {
        "months_due": 3,
        "months_on_time": 2,
        "months_late": 1,
    }  # a unit with no target enterprises
    out = scoring_ranking.score_group(rules, members=_members("县教委"), measures={1: only_tables})[0]
    assert out.available == 20 and out.earned == pytest.approx(20 * (2 + 0.5) / 3, abs=1e-3)
    assert out.score == 83.3  # 100 × 2.5 / 3, stored as shown (one decimal)
    assert out.indicator("monthly_on_time").status == "scored"  # type: ignore[union-attr]
    assert out.indicator("coverage").status == "not_applicable"  # type: ignore[union-attr]


@pytest.mark.parametrize(("when_empty", "expected"), [("group_average", 75.0), ("not_applicable", None)])
def test_nothing_to_do_is_not_full_marks(when_empty: str, expected: float | None) -> None:
    rules = _rules({"method": "none", "when_empty": when_empty})
    members = _members("有企业的镇", "没有企业的镇")
    out = {
        s.member.name: s
        for s in scoring_ranking.score_group(rules, members=members, measures={1: _cov(3, 4), 2: _cov(0, 0)})
    }
    empty = out["没有企业的镇"]
    assert empty.score == expected
    assert empty.indicators[0].status == ("empty_average" if expected else "not_applicable")
    assert out["有企业的镇"].rank == 1


def test_shrinkage_keeps_a_tiny_township_from_winning_or_losing_by_luck() -> None:
    members = _members("大镇", "小镇满分", "小镇零分", "中镇")
    measures = {1: _cov(160, 200), 2: _cov(2, 2), 3: _cov(0, 2), 4: _cov(40, 50)}
    rules = _rules({"method": "shrinkage", "prior_strength": 5})
    out = {s.member.name: s for s in scoring_ranking.score_group(rules, members=members, measures=measures)}
    county = (160 + 2 + 0 + 40) / (200 + 2 + 2 + 50)
    small = out["小镇满分"].indicators[0]
    assert small.raw_rate == 1.0
    assert small.rate == pytest.approx((2 + 5 * county) / 7)
    assert small.status == "adjusted" and "收缩" in small.note
    zero = out["小镇零分"].indicators[0].rate
    assert zero == pytest.approx((0 + 5 * county) / 7) and zero > 0.5
    # the large township barely moves
    assert out["大镇"].indicators[0].rate == pytest.approx(0.8, abs=0.002)
    assert out["小镇满分"].rank != 1 or out["小镇满分"].score < 90  # no 100 % by luck


@pytest.mark.parametrize(
    ("below_min", "status", "rate", "score"),
    [
        ("county_average", "county_average", 0.75, 75.0),
        ("neutral", "neutral", 0.5, 50.0),
        ("exclude", "excluded", None, None),
    ],
)
def test_minimum_denominator_options(
    below_min: str, status: str, rate: float | None, score: float | None
) -> None:
    rules = _rules({"method": "min_denominator", "min_denominator": 5, "below_min": below_min})
    members = _members("大镇", "小镇")
    out = {
        s.member.name: s
        for s in scoring_ranking.score_group(
            rules, members=members, measures={1: _cov(73, 100), 2: _cov(2, 2)}
        )
    }
    small = out["小镇"].indicators[0]
    assert small.status == status
    if rate is None:
        assert small.rate is None and out["小镇"].score is None and out["小镇"].rank is None
    else:
        # the group rate is pooled: (73 + 2) / (100 + 2) for county_average
        expected = (73 + 2) / 102 if below_min == "county_average" else rate
        assert small.rate == pytest.approx(expected)
        assert out["小镇"].score == pytest.approx(100 * expected, abs=0.05)  # stored as shown
    assert out["大镇"].indicators[0].status == "scored" and out["大镇"].score == pytest.approx(73.0)
    assert score is None or score > 0


def test_numerator_above_denominator_is_capped_and_deductions_add_up() -> None:
    rules = scoring.load_rules(scoring.DEFAULT_RULES_PATH)
    measures = {
        "months_due": 3,
        "months_on_time": 3,
        "targets_due": 10,
        "targets_inspected": 12,
        "findings_due": 4,
        "findings_on_time": 3,
    }
    out = scoring_ranking.score_group(rules, members=_members("甲镇"), measures={1: measures})[0]
    coverage = out.indicator("coverage")
    assert coverage is not None and coverage.raw_rate == 1.0
    assert out.earned + sum(i.deduction for i in out.indicators) == pytest.approx(out.available)


def test_rank_change_against_last_quarter() -> None:
    members = _members("甲镇", "乙镇", "丙镇")
    out = scoring_ranking.score_group(
        _rules(),
        members=members,
        measures={1: _cov(9, 10), 2: _cov(5, 10), 3: _cov(7, 10)},
        previous_ranks={1: 3, 2: 1},
    )
    by_name = {s.member.name: s for s in out}
    assert by_name["甲镇"].rank_change == 2  # 3rd → 1st
    assert by_name["乙镇"].rank_change == -2  # 1st → 3rd
    assert by_name["丙镇"].rank_change is None  # not ranked last quarter


def test_guard_is_explained_in_chinese() -> None:
    assert "贝叶斯收缩" in scoring.Guard(method="shrinkage", prior_strength=5).describe()
    assert (
        "少于 3 时，按同类单位平均率计分"
        in scoring.Guard(method="min_denominator", min_denominator=3).describe()
    )
    assert "未设置" in scoring.Guard(method="none").describe()


# --- the database side ------------------------------------------------------------------------------


def _tiny_county(session: Session) -> dict[str, int]:
    """Two townships: 甲镇 with two target enterprises, 乙镇 with one, and known records."""
    ts = dt.datetime(2023, 8, 1, tzinfo=dt.UTC)
    ids: dict[str, int] = {}

    def add(key: str, row: Any) -> int:
        session.add(row)
        session.flush()
        ids[key] = int(row.id)
        return ids[key]

    add("甲镇", Jurisdiction(code="J1", name="甲镇", kind=TOWN, sort_order=1))
    add("乙镇", Jurisdiction(code="J2", name="乙镇", kind=TOWN, sort_order=2))
    for name, town, sector in (
        ("甲一", "甲镇", Sector.HAZCHEM),
        ("甲二", "甲镇", Sector.INDUSTRY_TRADE),
        ("甲三", "甲镇", Sector.OTHER),
        ("乙一", "乙镇", Sector.INDUSTRY_TRADE),
    ):
        add(name, Enterprise(name=name, sector=sector.value, jurisdiction_id=ids[town], created_at=ts))
    visits = [
        ("甲一", "甲镇", dt.date(2023, 4, 3)),
        ("甲一", "甲镇", dt.date(2023, 4, 20)),  # same month: once
        ("甲一", "甲镇", dt.date(2023, 5, 8)),
        ("甲二", "甲镇", dt.date(2023, 6, 9)),
        ("甲三", "甲镇", dt.date(2023, 6, 9)),
        ("乙一", "乙镇", dt.date(2023, 7, 2)),
    ]
    for n, (ent, town, day) in enumerate(visits):
        add(
            f"i{n}",
            Inspection(
                inspected_on=day,
                jurisdiction_id=ids[town],
                target_kind=TargetKind.ENTERPRISE.value,
                enterprise_id=ids[ent],
                created_at=ts,
            ),
        )
    findings = [
        (dt.date(2023, 5, 1), dt.date(2023, 4, 28), FindingStatus.CLOSED),  # on time
        (dt.date(2023, 5, 10), dt.date(2023, 5, 20), FindingStatus.RECTIFIED),  # late
        (dt.date(2023, 6, 30), None, FindingStatus.OPEN),  # due, still open
        (dt.date(2023, 7, 15), None, FindingStatus.OPEN),
    ]  # due next quarter
    for n, (deadline, rectified, status) in enumerate(findings):
        add(
            f"f{n}",
            Finding(
                jurisdiction_id=ids["甲镇"],
                target_kind=TargetKind.ENTERPRISE.value,
                enterprise_id=ids["甲一"],
                found_on=dt.date(2023, 4, 3),
                description="问题",
                deadline=deadline,
                status=status.value,
                rectified_on=rectified,
                created_at=ts,
            ),
        )
    reports = [
        ("甲镇", "2023-04", MonthlyStatus.SUBMITTED, dt.datetime(2023, 5, 3, 9, tzinfo=dt.UTC)),
        ("甲镇", "2023-05", MonthlyStatus.LATE, dt.datetime(2023, 6, 12, 9, tzinfo=dt.UTC)),
        ("乙镇", "2023-04", MonthlyStatus.ZERO, dt.datetime(2023, 5, 4, 9, tzinfo=dt.UTC)),
    ]
    for town, month, status, at in reports:
        add(
            f"r{town}{month}",
            MonthlyReport(jurisdiction_id=ids[town], month=month, status=status.value, submitted_at=at),
        )
    session.commit()
    return ids


def test_quarter_measures_on_a_hand_made_county(campaign_engine: Engine) -> None:
    with Session(campaign_engine) as s:
        ids = _tiny_county(s)
        campaign = campaign_calendar.get_campaign(s)
        assert campaign is not None
        window = scoring_measures.quarter_window(
            campaign, quarter=Quarter(2023, 2), as_of=dt.date(2023, 10, 31)
        )
        m = scoring_measures.quarter_measures(
            s, principal=SYSTEM, campaign=campaign, window=window, jurisdiction_ids=[ids["甲镇"], ids["乙镇"]]
        )
    assert window.months == (Month(2023, 4), Month(2023, 5), Month(2023, 6)) and not window.provisional
    a, b = m[ids["甲镇"]], m[ids["乙镇"]]
    assert (a["months_due"], a["months_on_time"], a["months_late"]) == (3, 1, 1)
    assert (b["months_on_time"], b["months_late"]) == (1, 0)  # a zero report is on time
    assert a["targets_due"] == 2 * 3 and a["targets_inspected"] == 3  # 甲一 in Apr and May, 甲二 in Jun
    assert b["targets_due"] == 3 and b["targets_inspected"] == 0  # 乙一 only in July
    assert (a["findings_due"], a["findings_on_time"]) == (3, 1)


def test_a_provisional_quarter_counts_only_what_was_due(campaign_engine: Engine) -> None:
    with Session(campaign_engine) as s:
        ids = _tiny_county(s)
        campaign = campaign_calendar.get_campaign(s)
        assert campaign is not None
        window = scoring_measures.quarter_window(
            campaign, quarter=Quarter(2023, 2), as_of=dt.date(2023, 5, 31)
        )
        m = scoring_measures.quarter_measures(
            s, principal=SYSTEM, campaign=campaign, window=window, jurisdiction_ids=[ids["甲镇"]]
        )
    assert (
        window.provisional
        and window.months == (Month(2023, 4), Month(2023, 5))
        and window.due_months == (Month(2023, 4),)
    )
    assert m[ids["甲镇"]]["months_due"] == 1 and m[ids["甲镇"]]["months_on_time"] == 1
    assert m[ids["甲镇"]]["findings_due"] == 2  # deadlines up to the cut-off


def test_assessment_of_the_sample_county(seeded_engine: Engine) -> None:
    rules = scoring.load_rules(scoring.DEFAULT_RULES_PATH)
    with Session(seeded_engine) as s:
        campaign = campaign_calendar.get_campaign(s)
        assert campaign is not None
        q3 = scoring_assessment.assess_quarter(
            s,
            principal=SYSTEM,
            campaign=campaign,
            quarter=Quarter(2023, 3),
            as_of=dt.date(2023, 10, 31),
            rules=rules,
        )
        q1 = scoring_assessment.assess_quarter(
            s,
            principal=SYSTEM,
            campaign=campaign,
            quarter=Quarter(2023, 1),
            as_of=dt.date(2023, 10, 31),
            rules=rules,
        )
        history = scoring_assessment.score_history(
            s,
            principal=SYSTEM,
            campaign=campaign,
            jurisdiction_id=q3.townships[0].member.jurisdiction_id,
            as_of=dt.date(2023, 10, 31),
            rules=rules,
        )
    assert len(q3.townships) == 30 and len(q3.member_units) == 15
    assert {s.member.kind for s in q3.townships} == {TOWN}
    scores = [s.score for s in q3.townships if s.score is not None]
    assert scores == sorted(scores, reverse=True) and all(0 <= x <= 100 for x in scores)
    assert q3.previous_quarter == Quarter(2023, 2)
    assert any(s.rank_change not in (None, 0) for s in q3.townships)
    assert q1.empty and q1.window.empty
    assert [h.quarter for h in history] == [Quarter(2023, 2), Quarter(2023, 3)]
    assert history[-1].score == q3.townships[0].score and history[-1].rank == q3.townships[0].rank


def test_circular_workbook_is_print_ready(seeded_engine: Engine) -> None:
    rules = scoring.load_rules(scoring.DEFAULT_RULES_PATH)
    with Session(seeded_engine) as s:
        campaign = campaign_calendar.get_campaign(s)
        assert campaign is not None
        a = scoring_assessment.assess_quarter(
            s,
            principal=SYSTEM,
            campaign=campaign,
            quarter=Quarter(2023, 2),
            as_of=dt.date(2023, 10, 31),
            rules=rules,
        )
    data = circular_xlsx(
        a, campaign_name=campaign.name, issuer=campaign.issuer, issued_on=dt.date(2023, 7, 20)
    )
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["乡镇（街道）", "安委会成员单位", "评分说明"]
    ws = wb["乡镇（街道）"]
    assert ws["A1"].value == circular_title(campaign.name, Quarter(2023, 2))
    assert "2023年第二季度" in ws["A1"].value
    assert int(ws.page_setup.paperSize) == 9  # A4
    assert ws.page_setup.fitToWidth == 1 and ws.sheet_properties.pageSetUpPr.fitToPage
    assert ws.print_title_rows == "$3:$3"
    assert ws.cell(row=3, column=2).value == "乡镇（街道）"
    names = [ws.cell(row=r, column=2).value for r in range(4, 4 + 30)]
    assert names == [x.member.name for x in a.townships]
    assert ws.cell(row=4, column=3).value == round(a.townships[0].score or 0, 1)
    assert wb["安委会成员单位"].max_row == 3 + 15
    notes = " ".join(str(c.value) for row in wb["评分说明"].iter_rows() for c in row if c.value)
    assert "贝叶斯收缩" in notes
