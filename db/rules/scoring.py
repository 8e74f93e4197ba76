"""The quarterly assessment's rule file (季度督查考核评分规则), which staff edit without code.

A rule file (TOML, see `scoring_rules.default.toml`) lists indicators; each is a ratio of weighted
sums of *measures* (`MEASURES`, counted in SQL per jurisdiction and quarter by
`db.rules.scoring_measures`). Points are the ratio times the indicator's `max_points`; an indicator
with a zero denominator is not applicable and leaves the jurisdiction's maximum. A guard keeps tiny
denominators from deciding a rank by luck (Bayesian shrinkage toward the group's rate, or a minimum
denominator).

The rest of the assessment: `db.rules.scoring_ranking` scores and ranks one group (pure, hand-made
cases in the tests), `db.rules.scoring_measures` reads the measures, `db.rules.scoring_assessment`
puts a quarter together (townships and member units each ranked against their own group) and keeps
the score history.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from anpei.settings import get_settings

DEFAULT_RULES_PATH = Path(__file__).with_name("scoring_rules.default.toml")
RULES_ENV = "ANPEI_SCORING_RULES"

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
            k = plain_number(self.prior_strength)
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
                f"小分母保护：某项指标的分母（应完成数）少于 {plain_number(self.min_denominator)} 时，{how}。"
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


def plain_number(x: float) -> str:
    """A weight, count or guard value as a person writes it: `5`, `2.5`."""
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
