"""The notice's values (丰都安办法（2024）40号) as data, and their idempotent insertion.

A new campaign edits these rows; nothing else in the code knows the dates, items or weights.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, select

from anpei.periods import Month, months_between
from db.codes import TargetKind
from db.models import Campaign, CampaignPhase, CheckItem

DEFAULT_CAMPAIGN_CODE = "fengdu-2024-40"


@dataclass(frozen=True)
class PhaseDefault:
    seq: int
    code: str
    name: str
    starts_on: dt.date
    ends_on: dt.date
    description: str


@dataclass(frozen=True)
class CheckItemDefault:
    target_kind: TargetKind
    number: int
    short: str
    text: str


CAMPAIGN: dict[str, Any] = {
    "code": DEFAULT_CAMPAIGN_CODE,
    "name": "安全生产培训“走过场”专项整治",
    "notice_ref": "丰都安办法（2024）40号",
    "issuer": "丰都县安全生产委员会办公室",
    "starts_on": dt.date(2022, 9, 1),
    "ends_on": dt.date(2023, 10, 31),
    "summary_due_on": dt.date(2023, 10, 31),
    "monthly_due_day": 5,
    "tip_action_days": 15,
}

PHASES: tuple[PhaseDefault, ...] = (
    PhaseDefault(
        1,
        "self_inspection",
        "自查自改",
        dt.date(2022, 9, 1),
        dt.date(2023, 3, 31),
        "安全培训机构、生产经营单位全面自查2020年4月以来的培训考试工作，列出问题清单，"
        "明确整改措施、时限和责任人，形成自查报告；通过全国统一查询平台核验证书真伪。",
    ),
    PhaseDefault(
        2,
        "enforcement",
        "执法检查",
        dt.date(2023, 4, 1),
        dt.date(2023, 7, 31),
        "各乡镇（街道）、安委会成员单位每月对辖区内高危行业、工贸行业生产经营单位开展执法检查，"
        "按附件表格填写盖章后报县应急局宣教法规科；县应急局每月组织联合执法检查并定期通报。",
    ),
    PhaseDefault(
        3,
        "summary",
        "总结提升",
        dt.date(2023, 9, 1),
        dt.date(2023, 10, 31),
        "各乡镇（街道）、安委会成员单位形成书面总结报告，于2023年10月31日前报送县应急管理局。",
    ),
)

_I, _E = TargetKind.INSTITUTION, TargetKind.ENTERPRISE
CHECK_ITEMS: tuple[CheckItemDefault, ...] = (
    CheckItemDefault(
        _I,
        1,
        "制度师资条件",
        "安全生产培训管理制度不健全、专（兼）职师资力量不足、不具备安全生产培训工作基本条件",
    ),
    CheckItemDefault(
        _I,
        2,
        "教学实施",
        "未按照培训大纲规定组织教学培训，擅自改变教学内容、压缩培训学时、模拟真题代替理论培训、实操实训流于形式",
    ),
    CheckItemDefault(_I, 3, "培训档案", "未建立安全生产培训档案、档案不规范甚至档案造假"),
    CheckItemDefault(
        _I, 4, "包过班作弊", "举办“包过班”，参与考生作弊，倒卖安全生产资格（合格）证书，收取高价培训费用"
    ),
    CheckItemDefault(_E, 1, "培训制度", "未建立安全生产培训制度或制度不健全"),
    CheckItemDefault(_E, 2, "培训计划", "未制定本单位安全生产培训计划、未按计划实施培训"),
    CheckItemDefault(_E, 3, "持证上岗", "特种作业人员无证上岗或持假证上岗"),
    CheckItemDefault(
        _E, 4, "负责人考核", "高危行业及工贸行业生产经营单位主要负责人、安全生产管理人员未按照规定考核合格"
    ),
    CheckItemDefault(_E, 5, "培训记录", "未如实记录安全生产教育和培训情况"),
)

# The quarterly assessment's default rule set (季度督查考核). Each indicator is a rate in [0, 1]
# multiplied by its `max_points`; `weight` is the indicator's share when the bureau rescales the
# total. An indicator whose denominator is below `min_denominator` is not scored for that
# jurisdiction (`below_min: "exclude"`: its points are left out of both score and maximum) so a
# township with two enterprises is not ranked on a coin toss.
DEFAULT_SCORING_RULES: dict[str, Any] = {
    "version": 1,
    "name": "季度督查考核默认评分规则",
    "total_points": 100,
    "min_denominator": 3,
    "below_min": "exclude",
    "indicators": [
        {
            "code": "monthly_on_time",
            "label": "月报按时报送",
            "weight": 0.20,
            "max_points": 20,
            "numerator": "months of the quarter whose table was submitted (已报 or 零报告) by the due day",
            "denominator": "months of the quarter in the enforcement phase",
            "late_credit": 0.5,
        },
        {
            "code": "coverage",
            "label": "高危及工贸企业检查覆盖率",
            "weight": 0.30,
            "max_points": 30,
            "numerator": "high-risk and 工贸 enterprises inspected, counted once per month",
            "denominator": "high-risk and 工贸 enterprises registered × months of the quarter",
        },
        {
            "code": "rectified_on_time",
            "label": "问题按期整改率",
            "weight": 0.20,
            "max_points": 20,
            "numerator": "findings with deadline in the quarter rectified on or before the deadline",
            "denominator": "findings with deadline in the quarter",
        },
        {
            "code": "certificate_checks",
            "label": "特种作业人员持证核查率",
            "weight": 0.10,
            "max_points": 10,
            "numerator": "special workers whose certificate was checked",
            "denominator": "special workers of the enterprises inspected",
        },
        {
            "code": "violations_acted",
            "label": "无证、假证企业执法处理率",
            "weight": 0.05,
            "max_points": 5,
            "numerator": "enterprises with 无证上岗/疑似持假证 followed by an enforcement action",
            "denominator": "enterprises where 无证上岗/疑似持假证 was found",
        },
        {
            "code": "cases_and_exposures",
            "label": "立案及曝光",
            "weight": 0.15,
            "max_points": 15,
            "numerator": "enterprises with violations that got a case (立案) or an exposure (曝光)",
            "denominator": "enterprises with violations (failed item 3 or 4)",
        },
    ],
}


def ensure_default_campaign(session: Session) -> Campaign:
    """The campaign with the default code, inserted with its phases and check items if missing.

    Idempotent: a second call returns the existing row and changes nothing. Flushes, does not commit.
    """
    existing = session.exec(select(Campaign).where(Campaign.code == DEFAULT_CAMPAIGN_CODE)).first()
    if existing is not None:
        return existing
    campaign = Campaign(**CAMPAIGN, scoring_rules=DEFAULT_SCORING_RULES, active=True)
    session.add(campaign)
    session.flush()
    assert campaign.id is not None
    for phase in PHASES:
        session.add(
            CampaignPhase(
                campaign_id=campaign.id,
                seq=phase.seq,
                code=phase.code,
                name=phase.name,
                starts_on=phase.starts_on,
                ends_on=phase.ends_on,
                description=phase.description,
            )
        )
    for item in CHECK_ITEMS:
        session.add(
            CheckItem(
                campaign_id=campaign.id,
                target_kind=item.target_kind.value,
                number=item.number,
                short=item.short,
                text=item.text,
            )
        )
    session.flush()
    return campaign


def enforcement_months(phase_start: dt.date, phase_end: dt.date) -> list[Month]:
    """Every month touched by the phase, in order."""
    return months_between(phase_start, phase_end)
