"""Scoring and ranking one group of jurisdictions for a quarter (pure: measures in, ranked scores out).

Each indicator of the rule file (`db.rules.scoring`) is scored from the jurisdiction's measures,
guarded against tiny denominators; the group's pooled rate per indicator is the shrinkage target and
the "county average". Totals are shown, graded and ranked with `SCORE_DIGITS` decimals.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from db.codes import JurisdictionKind
from db.rules.scoring import Guard, Indicator, ScoringRules, plain_number

NOT_RANKED_REASON = (
    "辖区（监管范围）内没有登记的生产经营单位，本季度也未开展任何检查：无可考核事项，不参与排名"
)
SCORE_DIGITS = 1  # the total is shown, graded and ranked with one decimal
GROUP_LABEL = {
    JurisdictionKind.TOWNSHIP.value: "乡镇（街道）",
    JurisdictionKind.MEMBER_UNIT.value: "安委会成员单位",
}


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
            f"{idle}：{plain_number(min(num, den))}/{plain_number(den)}，不做小分母保护",
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
        note = f"原始 {_pct(raw)}（{plain_number(num)}/{plain_number(den)}），向同类平均 {_pct(avg)} 收缩后 {_pct(rate)}"
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
                f"分母仅 {plain_number(den)}，少于 {plain_number(guard.min_denominator)}，不计入",
            )
        if guard.below_min == "neutral":
            rate, status = 0.5, "neutral"
            note = f"分母仅 {plain_number(den)}，少于 {plain_number(guard.min_denominator)}，按一半计分"
        else:
            rate, status = avg, "county_average"
            note = f"分母仅 {plain_number(den)}，少于 {plain_number(guard.min_denominator)}，按同类平均 {_pct(avg)} 计分"
    else:
        note = f"{plain_number(num)}/{plain_number(den)}"
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
