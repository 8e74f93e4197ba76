"""The rules file: category minimums with basis and effective date, units and thresholds (§3).

`rules.default.toml` beside this module holds the defaults; a county's file (`--rules`) overrides
only the keys it sets (a category it names replaces that category's rows).
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import tomllib
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any

from training_audit.values import item_key

DEFAULT_FILE = Path(__file__).with_name("rules.default.toml")
NUMBER_KEYS = (
    "unit_minutes_offline",
    "unit_minutes_online",
    "pass_score",
    "daily_cap",
    "crowd_threshold",
    "area_per_person",
)
EARLIEST = dt.date(1, 1, 1)


class RulesError(Exception):
    """A rules file that does not read (exit 2). Chinese message."""


@dataclass(frozen=True)
class CategoryRow:
    code: str
    labels: tuple[str, ...]
    general: Decimal | None
    high_risk: Decimal | None
    basis: str
    effective_from: dt.date

    def minimum(self, *, high_risk: bool) -> Decimal | None:
        return self.high_risk if high_risk else self.general


@dataclass(frozen=True)
class Rules:
    unit_minutes_offline: int
    unit_minutes_online: int
    pass_score: Decimal
    daily_cap: Decimal
    crowd_threshold: int
    area_per_person: Decimal
    categories: dict[str, tuple[CategoryRow, ...]]  # code → rows, earliest first

    def __post_init__(self) -> None:
        lookup: dict[str, str] = {}
        for code, rows in self.categories.items():
            lookup.setdefault("code:" + item_key(code).casefold(), code)
            for row in rows:
                for label in row.labels:
                    lookup.setdefault(item_key(label), code)
        object.__setattr__(self, "_labels", lookup)

    def category_code(self, text: str) -> str | None:
        """A 培训类别 cell (label or code, any case) → code; None when unknown."""
        key = item_key(text)
        lookup: dict[str, str] = self.__dict__["_labels"]
        return lookup.get(key) or lookup.get("code:" + key.casefold())

    def category_row(self, code: str, on: dt.date | None) -> CategoryRow | None:
        """The row in effect on `on` (a class's first session date); None when none is yet in effect."""
        rows = self.categories[code]
        if on is None:
            return rows[-1]
        in_effect = [row for row in rows if row.effective_from <= on]
        return in_effect[-1] if in_effect else None

    def with_daily_cap(self, cap: Decimal | None) -> Rules:
        if cap is None:
            return self
        return dataclasses.replace(self, daily_cap=cap)


def _number(value: Any, where: str, *, integer: bool = False) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise RulesError(f"规则文件中 {where} 应为数字")
    try:
        number = Decimal(str(value))
    except ArithmeticError as exc:
        raise RulesError(f"规则文件中 {where} 应为数字") from exc
    if not number.is_finite() or number <= 0 or (integer and number != number.to_integral_value()):
        raise RulesError(f"规则文件中 {where} 应为大于 0 的{'整数' if integer else '数字'}")
    return number


def _category_rows(code: str, raw: Any) -> tuple[CategoryRow, ...]:
    if not isinstance(raw, list) or not raw:
        raise RulesError(f"规则文件中 categories.{code} 应写成一行或多行 [[categories.{code}]]")
    rows: list[CategoryRow] = []
    for index, item in enumerate(raw, start=1):
        where = f"categories.{code} 第 {index} 行"
        if not isinstance(item, dict):
            raise RulesError(f"规则文件中 {where} 格式不对")
        labels = item.get("labels", [])
        if not isinstance(labels, list) or not all(isinstance(label, str) for label in labels):
            raise RulesError(f"规则文件中 {where} 的 labels 应为文字列表")
        effective = item.get("effective_from", EARLIEST)
        if isinstance(effective, dt.datetime):
            effective = effective.date()
        if not isinstance(effective, dt.date):
            raise RulesError(f"规则文件中 {where} 的 effective_from 应为日期，例如 2024-07-01")
        basis = item.get("basis", "")
        if not isinstance(basis, str):
            raise RulesError(f"规则文件中 {where} 的 basis 应为文字")
        general = _number(item["general"], f"{where} 的 general") if "general" in item else None
        high = _number(item["high_risk"], f"{where} 的 high_risk") if "high_risk" in item else None
        rows.append(CategoryRow(code, tuple(labels), general, high, basis, effective))
    rows.sort(key=lambda row: row.effective_from)
    return tuple(rows)


def _parse(data: dict[str, Any], base: Rules | None) -> Rules:
    unknown = set(data) - {*NUMBER_KEYS, "categories"}
    if unknown:
        raise RulesError(f"规则文件中有不认识的项：{'、'.join(sorted(unknown))}")
    values: dict[str, Any] = (
        {item.name: getattr(base, item.name) for item in dataclasses.fields(base)} if base else {}
    )
    for key in NUMBER_KEYS:
        if key in data:
            integer = key in ("unit_minutes_offline", "unit_minutes_online", "crowd_threshold")
            number = _number(data[key], key, integer=integer)
            values[key] = int(number) if integer else number
        elif base is None:
            raise RulesError(f"规则文件缺少 {key}")
    categories = dict(base.categories) if base else {}
    raw_categories = data.get("categories", {})
    if not isinstance(raw_categories, dict):
        raise RulesError("规则文件中 categories 格式不对")
    for code, raw in raw_categories.items():
        categories[code] = _category_rows(code, raw)
    values["categories"] = categories
    return Rules(**values)


def _load_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise RulesError(f"无法读取规则文件“{path}”：{exc.strerror or exc}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise RulesError(f"规则文件“{path}”格式不对（TOML）：{exc}") from exc


def default_rules() -> Rules:
    return _parse(_load_toml(DEFAULT_FILE), None)


def load_rules(path: Path | None = None) -> Rules:
    """The defaults, with the keys `path` sets replaced."""
    rules = default_rules()
    if path is None:
        return rules
    return _parse(_load_toml(path), rules)
