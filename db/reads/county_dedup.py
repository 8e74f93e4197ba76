"""County figures that are not the sum of the units: 全县（去重）next to 各单位合计, each named."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

# 检查生产经营单位 and its 其中 columns: the county counts each enterprise once (全县（去重）); the units'
# tables count an enterprise for every unit it belongs to, and a joint inspection for every party
# (各单位合计). Wherever a county total of these is shown, both figures are named.
NOT_ADDITIVE: tuple[tuple[str, str], ...] = (
    ("enterprises_inspected", "检查生产经营单位"),
    ("high_risk_inspected", "其中高危行业"),
    ("industry_trade_inspected", "其中工贸行业"),
)
UNITS_SUM_EXPLAINED = "各单位合计中，同一企业归属乡镇和行业部门时两处都计，联合检查各方都计"


@dataclass(frozen=True)
class CountyVsUnits:
    """One county figure that is not the sum of the units: both numbers, each named."""

    key: str
    label: str
    county: int  # 全县（去重）: distinct enterprises
    units: int  # 各单位合计: the sum over the units' rows

    @property
    def text(self) -> str:
        return f"全县（去重）{self.county}；各单位合计 {self.units}"

    @property
    def line(self) -> str:
        return f"{self.label}：{self.text}"


def county_vs_units(*, county: Any, units_sum: dict[str, int]) -> list[CountyVsUnits]:
    """`county` has the distinct counts as attributes (CountyTotals, month_trends.MonthTrend);
    `units_sum` the same keys summed over the units (rows or exported sheets)."""
    return [
        CountyVsUnits(key, label, int(getattr(county, key)), int(units_sum.get(key, 0)))
        for key, label in NOT_ADDITIVE
    ]


def units_sum(rows: Iterable[Any]) -> dict[str, int]:
    """The NOT_ADDITIVE figures summed over per-unit rows (JurisdictionMonthRow)."""
    listed = list(rows)
    return {key: sum(int(getattr(r, key)) for r in listed) for key, _ in NOT_ADDITIVE}


def county_vs_units_text(figures: Sequence[CountyVsUnits]) -> str:
    """One sentence for a caption, a note cell or a CLI line."""
    return "。".join(f.line for f in figures) + f"。{UNITS_SUM_EXPLAINED}。"
