"""The quarterly assessment (季度督查考核), computed from a rule file staff edit without code.

A rule file (TOML, see `scoring_rules.default.toml`) lists indicators; each is a ratio of weighted
sums of *measures* — counts this module computes in SQL per jurisdiction and quarter (`MEASURES`).
Points are the ratio times the indicator's `max_points`; an indicator with a zero denominator is
not applicable and leaves the jurisdiction's maximum. A guard keeps tiny denominators from deciding
a rank by luck (Bayesian shrinkage toward the group's rate, or a minimum denominator).
Townships and member units are scored and ranked separately, each against its own group.

`score_group` is pure (hand-made cases in the tests); `assess_quarter` reads the database.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import and_, case, distinct, exists, func, select
from sqlmodel import Session, SQLModel

from anpei.settings import get_settings
from db.codes import (
    ActionKind,
    ItemResult,
    JurisdictionKind,
    PersonRole,
    RiskClass,
    Role,
    TargetKind,
)
from db.reads import overview, queries
from db.rules.access import Principal, can_read, narrow, require_read
from db.rules.metrics import (
    Problem,
    cert_problem,
    count_if,
    inspected_by_or_jointly,
    rectified_by,
    registered_to,
)

DEFAULT_RULES_PATH = Path(__file__).with_name("scoring_rules.default.toml")
RULES_ENV = "ANPEI_SCORING_RULES"

_J = SQLModel.metadata.tables["jurisdiction"]
_E = SQLModel.metadata.tables["enterprise"]
_I = SQLModel.metadata.tables["inspection"]
_IR = SQLModel.metadata.tables["inspectionitemresult"]
_F = SQLModel.metadata.tables["finding"]
_C = SQLModel.metadata.tables["certificatecheck"]
_A = SQLModel.metadata.tables["enforcementaction"]
_P = SQLModel.metadata.tables["person"]

MEASURES: dict[str, str] = {
    "months_due": "已到报送期限的月份数",
    "months_on_time": "按时报送（含零报告）月份数",
    "months_late": "逾期报送月份数",
    "targets_due": "应检高危、工贸企业·月",
    "targets_inspected": "已检高危、工贸企业·月",
    "findings_due": "整改期限在本季度的问题数",
    "findings_on_time": "按期整改问题数",
    "workers_at_inspected": "所检企业特种作业人员数",
    "workers_checked": "已核查证书的特种作业人员数",
    "violation_enterprises": "发现无证上岗、疑似持假证的企业数",
    "violation_enterprises_acted": "其中已采取执法措施的企业数",
    "serious_enterprises": "持证或考核项不合格的企业数",
    "serious_enterprises_punished": "其中已立案或曝光的企业数",
    "enterprises_registered": "登记在本单位（属地或行业监管）的生产经营单位数",
    "enterprises_inspected": "本季度检查到的上述单位数（本单位检查或联合检查）",
    "inspections": "本单位本季度开展的检查次数",
}

GUARD_METHODS = ("shrinkage", "min_denominator", "none")
BELOW_MIN = ("county_average", "neutral", "exclude")
WHEN_EMPTY = ("group_average", "not_applicable")
IDLE = ("zero", "guard")
NOT_RANKED_REASON = (
    "辖区（监管范围）内没有登记的生产经营单位，本季度也未开展任何检查：无可考核事项，不参与排名"
)
SCORE_DIGITS = 1  # the total is shown, graded and ranked with one decimal
GROUP_LABEL = {
    JurisdictionKind.TOWNSHIP.value: "乡镇（街道）",
    JurisdictionKind.MEMBER_UNIT.value: "安委会成员单位",
}


class ScoringRulesError(ValueError):
    """A rule file that cannot be used; the message is Chinese, for the staff who edited it."""


# --- rules --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Guard:
    method: str = "shrinkage"
    prior_strength: float = 5.0
    min_denominator: float = 5.0
    below_min: str = "county_average"
    when_empty: str = "group_average"  # a guarded indicator with nothing to do that quarter
    idle: str = "zero"  # a unit with enterprises that inspected none: "zero" = no guard, no group average

    def describe(self) -> str:
        """One paragraph in Chinese for the screen and the circular."""
        if self.method == "shrinkage":
            k = _num(self.prior_strength)
            return (
                f"小分母保护（贝叶斯收缩）：各项比率按“（完成数 + {k} × 同类单位平均率）÷（应完成数 + {k}）”计算，"
                f"相当于每个单位先按平均水平记 {k} 个样本。企业少的乡镇比率向平均值靠拢，"
                "不会因一两家企业就成为 100% 或 0%；企业多的单位几乎不受影响。" + self._empty_text()
            )
        if self.method == "min_denominator":
            how = {
                "county_average": "按同类单位平均率计分",
                "neutral": "按该项满分的一半计分",
                "exclude": "不计入该单位的考核（满分相应扣除）",
            }[self.below_min]
            return (
                f"小分母保护：某项指标的分母（应完成数）少于 {_num(self.min_denominator)} 时，{how}。"
                + self._empty_text()
            )
        return "未设置小分母保护：各项比率按实际完成数 ÷ 应完成数计算。" + self._empty_text()

    def _empty_text(self) -> str:
        if self.when_empty == "group_average":
            text = "本季度某项无应完成事项的单位，该项按同类单位平均率计分（既不因无事可做得满分，也不因此扣分）。"
        else:
            text = "本季度某项无应完成事项的单位，该项不计入满分。"
        if self.idle == "zero":
            text += (
                "有登记的生产经营单位、本季度却一家也未检查的单位，各项不做小分母保护、不按同类平均计分："
                "检查覆盖率计 0，因未检查而无应完成事项的各项也计 0 分。"
            )
        return text + "辖区（监管范围）内没有任何生产经营单位、也未开展检查的单位不参与排名。"


@dataclass(frozen=True)
class Indicator:
    code: str
    label: str
    max_points: float
    numerator: Mapping[str, float]
    denominator: Mapping[str, float]
    guard: bool = True
    explain: str = ""
    short: str = ""  # a column heading; the label when empty

    @property
    def heading(self) -> str:
        return self.short or self.label

    def ratio_parts(self, measures: Mapping[str, float]) -> tuple[float, float]:
        num = sum(w * float(measures.get(k, 0)) for k, w in self.numerator.items())
        den = sum(w * float(measures.get(k, 0)) for k, w in self.denominator.items())
        return num, den


@dataclass(frozen=True)
class Grade:
    label: str
    min_score: float


@dataclass(frozen=True)
class ScoringRules:
    name: str
    version: int
    total_points: float
    indicators: tuple[Indicator, ...]
    guard: Guard = field(default_factory=Guard)
    grades: tuple[Grade, ...] = ()
    source: str = ""

    @property
    def max_points(self) -> float:
        return sum(i.max_points for i in self.indicators)

    def indicator_by_code(self, code: str) -> Indicator:
        found = next((i for i in self.indicators if i.code == code), None)
        if found is None:
            raise KeyError(code)
        return found

    def grade_of(self, score: float | None) -> str:
        if score is None:
            return ""
        for grade in sorted(self.grades, key=lambda g: -g.min_score):
            if score >= grade.min_score:
                return grade.label
        return ""


def _num(x: float) -> str:
    return f"{x:g}"


def _weights(raw: Any, *, where: str) -> dict[str, float]:
    if isinstance(raw, str):
        raw = {raw: 1.0}
    if isinstance(raw, list):
        raw = dict.fromkeys(raw, 1.0)
    if not isinstance(raw, Mapping) or not raw:
        raise ScoringRulesError(f"{where} 必须是统计量及其权重，例如 {{ targets_inspected = 1 }}")
    out: dict[str, float] = {}
    for key, weight in raw.items():
        if key not in MEASURES:
            raise ScoringRulesError(f"{where} 中的统计量 {key!r} 不存在；可用的有：{'、'.join(MEASURES)}")
        if not isinstance(weight, int | float) or isinstance(weight, bool):
            raise ScoringRulesError(f"{where} 中 {key} 的权重必须是数字")
        out[str(key)] = float(weight)
    return out


def rules_from_mapping(data: Mapping[str, Any], *, source: str = "") -> ScoringRules:
    """Validate a parsed rule file; ScoringRulesError (Chinese) names the first problem."""
    raw_indicators = data.get("indicators")
    if not isinstance(raw_indicators, list) or not raw_indicators:
        raise ScoringRulesError("评分规则中没有指标（[[indicators]]）")
    indicators: list[Indicator] = []
    seen: set[str] = set()
    for n, item in enumerate(raw_indicators, start=1):
        if not isinstance(item, Mapping):
            raise ScoringRulesError(f"第 {n} 个指标格式不正确")
        code = str(item.get("code") or f"indicator_{n}")
        if code in seen:
            raise ScoringRulesError(f"指标代码 {code} 重复")
        seen.add(code)
        where = f"指标“{item.get('label', code)}”"
        points = item.get("max_points", item.get("points"))
        if points is None and "weight" in item:
            points = float(item["weight"]) * float(data.get("total_points", 100))
        if not isinstance(points, int | float) or isinstance(points, bool) or points < 0:
            raise ScoringRulesError(f"{where} 的满分（max_points）必须是非负数字")
        indicators.append(
            Indicator(
                code=code,
                label=str(item.get("label", code)),
                max_points=float(points),
                numerator=_weights(item.get("numerator"), where=f"{where} 的分子"),
                denominator=_weights(item.get("denominator"), where=f"{where} 的分母"),
                guard=bool(item.get("guard", True)),
                explain=str(item.get("explain", "")),
                short=str(item.get("short", "")),
            )
        )
    g = data.get("guard", {})
    if not isinstance(g, Mapping):
        raise ScoringRulesError("[guard] 格式不正确")
    guard = Guard(
        method=str(g.get("method", "shrinkage")),
        prior_strength=float(g.get("prior_strength", 5)),
        min_denominator=float(g.get("min_denominator", data.get("min_denominator", 5))),
        below_min=str(g.get("below_min", "county_average")),
        when_empty=str(g.get("when_empty", "group_average")),
        idle=str(g.get("idle", "zero")),
    )
    if guard.method not in GUARD_METHODS:
        raise ScoringRulesError(f"[guard] method 只能是 {'、'.join(GUARD_METHODS)}，而不是 {guard.method!r}")
    if guard.below_min not in BELOW_MIN:
        raise ScoringRulesError(
            f"[guard] below_min 只能是 {'、'.join(BELOW_MIN)}，而不是 {guard.below_min!r}"
        )
    if guard.when_empty not in WHEN_EMPTY:
        raise ScoringRulesError(
            f"[guard] when_empty 只能是 {'、'.join(WHEN_EMPTY)}，而不是 {guard.when_empty!r}"
        )
    if guard.idle not in IDLE:
        raise ScoringRulesError(f"[guard] idle 只能是 {'、'.join(IDLE)}，而不是 {guard.idle!r}")
    if guard.prior_strength < 0 or guard.min_denominator < 0:
        raise ScoringRulesError("[guard] 的数值不能为负")
    grades = tuple(
        Grade(str(x["label"]), float(x["min_score"]))
        for x in data.get("grades", [])
        if isinstance(x, Mapping) and "label" in x and "min_score" in x
    )
    total = data.get("total_points", 100)
    if not isinstance(total, int | float) or total <= 0:
        raise ScoringRulesError("total_points 必须是正数")
    return ScoringRules(
        name=str(data.get("name", "季度督查考核评分规则")),
        version=int(data.get("version", 1)),
        total_points=float(total),
        indicators=tuple(indicators),
        guard=guard,
        grades=grades,
        source=source,
    )


def rules_path() -> Path:
    """The rule file in use: `Settings.scoring_rules_file` ($ANPEI_SCORING_RULES) when set, else the default."""
    configured = get_settings().scoring_rules_file
    return Path(configured) if configured else DEFAULT_RULES_PATH


def load_rules(path: Path | str | None = None) -> ScoringRules:
    """Read and validate a TOML (or JSON) rule file."""
    target = Path(path) if path is not None else rules_path()
    try:
        text = target.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScoringRulesError(f"无法读取评分规则文件 {target}：{exc.strerror or exc}") from exc
    try:
        data = json.loads(text) if target.suffix.lower() == ".json" else tomllib.loads(text)
    except ValueError as exc:
        raise ScoringRulesError(f"评分规则文件 {target.name} 格式有误：{exc}") from exc
    return rules_from_mapping(data, source=str(target))


# --- scoring (pure) -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Member:
    jurisdiction_id: int
    name: str
    kind: str
    sort_order: int = 0
    code: str = ""


@dataclass(frozen=True)
class IndicatorScore:
    code: str
    label: str
    numerator: float
    denominator: float
    raw_rate: float | None  # numerator / denominator, None when not applicable
    rate: float | None  # the rate scored (after the guard); None when not scored
    points: float | None
    max_points: float
    status: str  # scored / adjusted / county_average / neutral / excluded / empty_average / not_applicable
    note: str = ""

    @property
    def deduction(self) -> float:
        return 0.0 if self.points is None else round(self.max_points - self.points, 4)

    @property
    def applicable(self) -> bool:
        return self.points is not None


@dataclass(frozen=True)
class JurisdictionScore:
    member: Member
    score: float | None  # on the rules' `total_points` scale; None when nothing applied
    earned: float
    available: float
    grade: str
    indicators: tuple[IndicatorScore, ...]
    rank: int | None = None
    previous_rank: int | None = None
    not_ranked: str = ""  # why the unit is not scored (不参与排名), e.g. nothing to supervise

    @property
    def rank_change(self) -> int | None:
        """Places gained since last quarter (positive = up)."""
        if self.rank is None or self.previous_rank is None:
            return None
        return self.previous_rank - self.rank

    def indicator(self, code: str) -> IndicatorScore | None:
        return next((i for i in self.indicators if i.code == code), None)


def shown_score(score: float, *, digits: int = SCORE_DIGITS) -> float:
    """The score as it is shown (half up to `digits` decimals): what is graded and ranked."""
    step = Decimal(1).scaleb(-digits)
    return float(Decimal(repr(score)).quantize(step, rounding=ROUND_HALF_UP))


def competition_ranks(scores: Sequence[float | None], *, digits: int = SCORE_DIGITS) -> list[int | None]:
    """1, 2, 2, 4 … by the score as shown (half up to `digits`), highest first; None stays unranked.
    Equal shown scores share a rank; different shown scores never do."""
    keyed = sorted(
        ((shown_score(s, digits=digits), i) for i, s in enumerate(scores) if s is not None),
        key=lambda x: -x[0],
    )
    ranks: list[int | None] = [None] * len(scores)
    previous: float | None = None
    rank = 0
    for position, (value, index) in enumerate(keyed, start=1):
        if value != previous:
            rank, previous = position, value
        ranks[index] = rank
    return ranks


def group_rates(rules: ScoringRules, measures: Mapping[int, Mapping[str, float]]) -> dict[str, float | None]:
    """Per indicator, the group's pooled rate Σ numerator ÷ Σ denominator (None without any)."""
    out: dict[str, float | None] = {}
    for ind in rules.indicators:
        num = den = 0.0
        for m in measures.values():
            a, b = ind.ratio_parts(m)
            if b > 0:
                num, den = num + min(a, b), den + b
        out[ind.code] = num / den if den > 0 else None
    return out


def _pct(x: float) -> str:
    return f"{x * 100:.1f}%"


def is_idle(measures: Mapping[str, float]) -> bool:
    """Has enterprises to supervise and inspected none of them this quarter."""
    return measures.get("enterprises_registered", 0) > 0 and measures.get("enterprises_inspected", 0) <= 0


def has_nothing_to_supervise(measures: Mapping[str, float]) -> bool:
    """No enterprise registered to the unit and no inspection of its own: nothing to assess (only
    when the measures say so: hand-made measures without these counts are scored)."""
    if "enterprises_registered" not in measures:
        return False
    return measures["enterprises_registered"] <= 0 and measures.get("inspections", 0) <= 0


def score_indicator(
    ind: Indicator, measures: Mapping[str, float], *, guard: Guard, group_rate: float | None
) -> IndicatorScore:
    num, den = ind.ratio_parts(measures)
    if ind.guard and guard.idle == "zero" and is_idle(measures):
        idle = "有登记的生产经营单位，本季度未检查任何一家"
        if den <= 0:
            return IndicatorScore(
                ind.code,
                ind.label,
                num,
                den,
                None,
                0.0,
                0.0,
                ind.max_points,
                "idle_zero",
                f"{idle}：本项无可计分事项，计 0 分（不按同类平均）",
            )
        raw = min(num, den) / den
        return IndicatorScore(
            ind.code,
            ind.label,
            num,
            den,
            raw,
            raw,
            round(ind.max_points * raw, 4),
            ind.max_points,
            "idle_zero",
            f"{idle}：{_num(min(num, den))}/{_num(den)}，不做小分母保护",
        )
    if den <= 0 and ind.guard and guard.when_empty == "group_average" and group_rate is not None:
        points = round(ind.max_points * group_rate, 4)
        return IndicatorScore(
            ind.code,
            ind.label,
            num,
            den,
            None,
            group_rate,
            points,
            ind.max_points,
            "empty_average",
            f"本季度无应完成事项，按同类平均 {_pct(group_rate)} 计分",
        )
    if den <= 0:
        return IndicatorScore(
            ind.code,
            ind.label,
            num,
            den,
            None,
            None,
            None,
            ind.max_points,
            "not_applicable",
            "本季度无应完成事项，不计入",
        )
    num = min(num, den)
    raw = num / den
    rate, status, note = raw, "scored", ""
    avg = group_rate if group_rate is not None else raw
    if ind.guard and guard.method == "shrinkage" and guard.prior_strength > 0:
        k = guard.prior_strength
        rate = (num + k * avg) / (den + k)
        status = "adjusted"
        note = f"原始 {_pct(raw)}（{_num(num)}/{_num(den)}），向同类平均 {_pct(avg)} 收缩后 {_pct(rate)}"
    elif ind.guard and guard.method == "min_denominator" and den < guard.min_denominator:
        if guard.below_min == "exclude":
            return IndicatorScore(
                ind.code,
                ind.label,
                num,
                den,
                raw,
                None,
                None,
                ind.max_points,
                "excluded",
                f"分母仅 {_num(den)}，少于 {_num(guard.min_denominator)}，不计入",
            )
        if guard.below_min == "neutral":
            rate, status = 0.5, "neutral"
            note = f"分母仅 {_num(den)}，少于 {_num(guard.min_denominator)}，按一半计分"
        else:
            rate, status = avg, "county_average"
            note = f"分母仅 {_num(den)}，少于 {_num(guard.min_denominator)}，按同类平均 {_pct(avg)} 计分"
    else:
        note = f"{_num(num)}/{_num(den)}"
    points = round(ind.max_points * rate, 4)
    return IndicatorScore(ind.code, ind.label, num, den, raw, rate, points, ind.max_points, status, note)


def score_group(
    rules: ScoringRules,
    *,
    members: Sequence[Member],
    measures: Mapping[int, Mapping[str, float]],
    previous_ranks: Mapping[int, int | None] | None = None,
) -> list[JurisdictionScore]:
    """Score one group (one kind of jurisdiction) and rank it; sorted by rank, unranked last.

    The group's pooled rate per indicator is the shrinkage target and the "county average".
    """
    ids = {m.jurisdiction_id for m in members}
    rates = group_rates(rules, {j: v for j, v in measures.items() if j in ids})
    scored: list[JurisdictionScore] = []
    for member in members:
        values = measures.get(member.jurisdiction_id, {})
        if has_nothing_to_supervise(values):
            parts = tuple(
                IndicatorScore(
                    ind.code,
                    ind.label,
                    0.0,
                    0.0,
                    None,
                    None,
                    None,
                    ind.max_points,
                    "not_ranked",
                    "不参与排名",
                )
                for ind in rules.indicators
            )
            scored.append(JurisdictionScore(member, None, 0.0, 0.0, "", parts, not_ranked=NOT_RANKED_REASON))
            continue
        parts = tuple(
            score_indicator(ind, values, guard=rules.guard, group_rate=rates[ind.code])
            for ind in rules.indicators
        )
        earned = sum(p.points for p in parts if p.points is not None)
        available = sum(p.max_points for p in parts if p.points is not None)
        score = shown_score(earned / available * rules.total_points) if available > 0 else None
        scored.append(JurisdictionScore(member, score, earned, available, rules.grade_of(score), parts))
    ranks = competition_ranks([s.score for s in scored])
    prev = previous_ranks or {}
    out = [
        JurisdictionScore(
            s.member,
            s.score,
            s.earned,
            s.available,
            s.grade,
            s.indicators,
            rank,
            prev.get(s.member.jurisdiction_id),
            s.not_ranked,
        )
        for s, rank in zip(scored, ranks, strict=True)
    ]
    return sorted(out, key=lambda s: (s.rank is None, s.rank or 0, s.member.sort_order, s.member.name))


# --- measures from the database -----------------------------------------------------------------


@dataclass(frozen=True)
class QuarterWindow:
    """What a quarter's assessment reads: its enforcement months and the cut-off date."""

    quarter: str
    months: tuple[str, ...]  # enforcement months of the quarter begun by the cut-off
    due_months: tuple[str, ...]  # of those, months whose table was due by the cut-off
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


def quarter_window(campaign: overview.CampaignInfo, *, quarter: str, as_of: dt.date) -> QuarterWindow:
    first, last = overview.quarter_bounds(quarter)
    months = [m for m in campaign.enforcement_months if overview.quarter_of(m) == quarter]
    final_on = max([last] + [campaign.due_date(m) for m in months])
    cutoff = min(as_of, final_on)
    begun = tuple(m for m in months if queries.parse_month(m).first <= cutoff)
    due = tuple(m for m in begun if campaign.due_date(m) <= cutoff)
    return QuarterWindow(quarter, begun, due, first, min(last, cutoff), cutoff, final_on)


def quarter_measures(
    session: Session,
    *,
    principal: Principal,
    campaign: overview.CampaignInfo,
    window: QuarterWindow,
    jurisdiction_ids: Sequence[int],
) -> dict[int, dict[str, float]]:
    """Every measure of `MEASURES` per jurisdiction for the window (grouped SQL, a few queries);
    only the jurisdictions the principal may read."""
    wanted = narrow(principal, jurisdiction_ids)
    assert wanted is not None
    return _measures(session, campaign=campaign, window=window, jurisdiction_ids=wanted)


# Ranking needs every unit's statistics whoever asks; only the ranking leaves `assess_quarter`.
_RANKING = Principal(username="system", role=Role.LEADER, display_name="考核计算")


def _measures(
    session: Session,
    *,
    campaign: overview.CampaignInfo,
    window: QuarterWindow,
    jurisdiction_ids: Sequence[int],
) -> dict[int, dict[str, float]]:
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
        for cell in overview.status_grid(
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
    bucket = overview.month_bucket(_I.c.inspected_on, window.months).label("month")
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


# --- the assessment -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Assessment:
    quarter: str
    window: QuarterWindow
    rules: ScoringRules
    groups: dict[str, list[JurisdictionScore]]  # JurisdictionKind code → ranked scores
    group_rates: dict[str, dict[str, float | None]]
    measures: dict[int, dict[str, float]]
    previous_quarter: str | None = None

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
        for r in queries.list_jurisdictions(session, kinds=queries.DEFAULT_KINDS)
    ]


def assess_quarter(
    session: Session,
    *,
    principal: Principal,
    campaign: overview.CampaignInfo,
    quarter: str,
    as_of: dt.date,
    rules: ScoringRules,
    with_previous: bool = True,
) -> Assessment:
    """Score every township and member unit for `quarter` as of `as_of`, with last quarter's ranks.

    The previous quarter is the calendar quarter before; when it had no enforcement month there
    is no rank change to show.

    Who reads what: the ranking (scores, ranks, grades, indicator points — what the quarterly
    circular publishes to every township and unit) is public inside the government, so every role
    gets all of it; the raw statistics behind a unit's score (`Assessment.measures`, the drill-down)
    are kept only for the jurisdictions the principal may read.
    """
    window = quarter_window(campaign, quarter=quarter, as_of=as_of)
    members = _members(session)
    measures = _measures(
        session, campaign=campaign, window=window, jurisdiction_ids=[m.jurisdiction_id for m in members]
    )
    prev_label = previous_quarter(quarter)
    previous: Assessment | None = None
    if with_previous:
        previous = assess_quarter(
            session,
            principal=principal,
            campaign=campaign,
            quarter=prev_label,
            as_of=as_of,
            rules=rules,
            with_previous=False,
        )
        if previous.empty:
            previous = None
    groups: dict[str, list[JurisdictionScore]] = {}
    rates: dict[str, dict[str, float | None]] = {}
    for kind in queries.DEFAULT_KINDS:
        group = [m for m in members if m.kind == kind]
        prev_ranks = (
            {s.member.jurisdiction_id: s.rank for s in previous.groups.get(kind, [])} if previous else None
        )
        groups[kind] = score_group(rules, members=group, measures=measures, previous_ranks=prev_ranks)
        ids = {m.jurisdiction_id for m in group}
        rates[kind] = group_rates(rules, {j: v for j, v in measures.items() if j in ids})
    return for_reader(
        Assessment(quarter, window, rules, groups, rates, measures, prev_label if previous else None),
        principal=principal,
    )


def for_reader(assessment: Assessment, *, principal: Principal) -> Assessment:
    """The assessment as `principal` may read it: the whole ranking, the raw measures of only the
    jurisdictions they may read. Lets one county-wide computation serve every reader (a cache)."""
    readable = {j: v for j, v in assessment.measures.items() if can_read(principal, j)}
    return dataclasses.replace(assessment, measures=readable)


def previous_quarter(quarter: str) -> str:
    year, n = int(quarter[:4]), int(quarter[-1])
    return f"{year - 1}Q4" if n == 1 else f"{year}Q{n - 1}"


@dataclass(frozen=True)
class ScorePoint:
    quarter: str
    score: float | None
    rank: int | None
    of: int
    grade: str
    provisional: bool


def score_history(
    session: Session,
    *,
    principal: Principal,
    campaign: overview.CampaignInfo,
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


def history_quarters(campaign: overview.CampaignInfo, *, as_of: dt.date) -> list[str]:
    """The campaign's quarters begun by `as_of` (those a score history shows)."""
    return [quarter for quarter in campaign.quarters if overview.quarter_bounds(quarter)[0] <= as_of]


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
