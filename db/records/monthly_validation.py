"""Validating an uploaded monthly summary table (`validate_monthly_file`): every row parsed against
the layout, sanity checks across columns, and every problem named by file, sheet, row and column in
Chinese. Nothing is stored here; `db.records.monthly_saving.import_monthly` stores a valid file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from anpei.periods import Month
from db.records.common import (
    local_today,
    sha256_hex,
)
from db.records.monthly_table import DEFAULT_LAYOUT, FOOTER_MARKERS, ITEM_PREFIX, SHEET, MonthlyColumn
from db.xlsx.tables import (
    ImportProblem,
    ImportRefused,
    Table,
    column_ref,
    display,
    find_header_row,
    header_columns,
    merged_problems,
    normalise_header,
    parse_count,
    parse_date,
    parse_money,
    parse_month_cell,
    parse_text,
    read_tables,
)


@dataclass(frozen=True)
class MonthlyRow:
    """One validated data row: `values` keyed by MonthlyReport field, `by_item` by item key."""

    sheet: str
    row: int
    jurisdiction: str
    month: Month
    values: dict[str, Any]
    by_item: dict[str, int]


@dataclass(frozen=True)
class ValidationResult:
    filename: str
    sha256: str
    rows: list[MonthlyRow] = field(default_factory=list)
    problems: list[ImportProblem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems and bool(self.rows)

    @property
    def messages(self) -> list[str]:
        return [str(p) for p in self.problems]


def _where(sheet: str, row: int, index: int, column: MonthlyColumn) -> tuple[str, int, str]:
    return sheet, row, column_ref(index, column.header)


def parse_values(
    raw: Mapping[str, Any],
    *,
    columns: Sequence[MonthlyColumn],
    sheet: str,
    row: int,
    positions: Mapping[str, int] | None = None,
    unreadable: set[str] | None = None,
) -> tuple[dict[str, Any], dict[str, int], list[ImportProblem]]:
    """Typed numbers, by-item counts and problems from raw cell values keyed by layout key.

    The keys whose value could not be read are added to `unreadable` when given (so the row's
    cross-column rules can still be judged on the rest, see `sanity_problems`)."""
    values: dict[str, Any] = {}
    by_item: dict[str, int] = {}
    problems: list[ImportProblem] = []
    for column in columns:
        if column.key in ("jurisdiction", "month") or column.key not in raw:
            continue
        index = positions[column.key] if positions else 0
        where = _where(sheet, row, index, column) if index else (sheet, row, column.header)
        value = raw[column.key]
        parsed: Any
        if column.kind == "count":
            parsed = parse_count(value, where=where)
        elif column.kind == "money":
            parsed = parse_money(value, where=where)
        elif column.kind == "date":
            parsed = parse_date(value, where=where)
        else:
            parsed = parse_text(value, max_len=50)
        if isinstance(parsed, ImportProblem):
            problems.append(parsed)
            if unreadable is not None:
                unreadable.add(column.key)
        elif column.key.startswith(ITEM_PREFIX):
            if parsed:
                by_item[column.key[len(ITEM_PREFIX) :]] = int(parsed)
        else:
            values[column.key] = parsed
    return values, by_item, problems


def sanity_problems(
    values: Mapping[str, Any],
    by_item: Mapping[str, int],
    *,
    columns: Sequence[MonthlyColumn],
    sheet: str,
    row: int,
    registered: int | None = None,
    positions: Mapping[str, int] | None = None,
    unreadable: Collection[str] = (),
) -> list[ImportProblem]:
    """Numbers that cannot all be true (inspected > registered, rectified > ordered, …).

    A rule involving an `unreadable` key (one already reported as unreadable) is not judged: its
    value is unknown, and guessing 0 would report violations that are not there."""
    headers = {c.key: c.header for c in columns}

    def ref(key: str) -> str:
        index = positions.get(key) if positions else None
        return column_ref(index, headers[key]) if index else headers[key]

    def v(key: str) -> int:
        return int(values.get(key) or 0)

    problems: list[ImportProblem] = []

    def limit(keys: Sequence[str], bound: int, bound_text: str, bound_key: str | None = None) -> None:
        if any(k in unreadable for k in (*keys, bound_key)):
            return
        total = sum(v(k) for k in keys)
        if total > bound:
            names = "与".join(headers[k] for k in keys)
            what = f"{names}之和" if len(keys) > 1 else names
            problems.append(
                ImportProblem(
                    sheet,
                    row,
                    ref(keys[0]),
                    str(total),
                    f"不大于{bound_text}（{bound}）",
                    f"{what}大于{bound_text}",
                )
            )

    if registered is not None:
        limit(["enterprises_inspected"], registered, "本单位登记的生产经营单位数")
    limit(
        ["high_risk_inspected", "industry_trade_inspected"],
        v("enterprises_inspected"),
        "检查生产经营单位数",
        "enterprises_inspected",
    )
    limit(["ordered_rectify"], v("problems_found"), "发现问题数", "problems_found")
    limit(["rectified"], v("ordered_rectify"), "责令整改数", "ordered_rectify")
    limit(["unlicensed", "suspected_fake"], v("workers_checked"), "核查特种作业人员数", "workers_checked")
    limit(["managers_passed", "managers_overdue"], v("managers_due"), "应考核人数", "managers_due")
    item_total = sum(by_item.values())
    items_unknown = "problems_found" in unreadable or any(k.startswith(ITEM_PREFIX) for k in unreadable)
    if item_total != v("problems_found") and not items_unknown:  # each problem has exactly one check item
        problems.append(
            ImportProblem(
                sheet,
                row,
                ref("problems_found"),
                str(v("problems_found")),
                f"等于各检查项问题数之和（{item_total}）",
                f"发现问题数（{v('problems_found')}）与按检查项填写的问题数之和（{item_total}）不一致：每个问题对应一个检查项，"
                "请按检查项填写各列，使其合计等于发现问题数",
            )
        )
    return problems


def validate_monthly_file(
    data: bytes,
    *,
    filename: str,
    columns: Sequence[MonthlyColumn] | None = None,
    registered: Mapping[str, int] | None = None,
    today: dt.date | None = None,
    max_mb: int | None = None,
) -> ValidationResult:
    """Read and check a filled 汇总表 (.xlsx, or .csv with the same header).

    `registered` (jurisdiction name → registered enterprises), when given, makes unknown names an
    error and caps 检查生产经营单位数. Nothing is stored; `ok` is true when there are rows and no problems.
    """
    columns = tuple(columns or DEFAULT_LAYOUT)
    sha = sha256_hex(data)
    try:
        tables = read_tables(data, filename=filename, max_mb=max_mb)
    except ImportRefused as refused:
        return ValidationResult(filename, sha, problems=refused.problems)
    required = [c.header for c in columns if c.required]
    table, header_row = _find_table(tables, required)
    if table is None or header_row is None:
        names = "、".join(f"“{t.name}”" for t in tables)
        return ValidationResult(
            filename,
            sha,
            problems=[
                ImportProblem(
                    SHEET if len(tables) != 1 else tables[0].name,
                    0,
                    "",
                    names,
                    f"名为“{SHEET}”、表头含“填报单位”“月份”“检查生产经营单位数”等列的工作表",
                    f"找不到汇总表：文件中的工作表为 {names}，但没有一张含有汇总表的表头（请使用系统下载的模板）",
                )
            ],
        )
    problems: list[ImportProblem] = []
    present = header_columns(table, header_row)
    positions: dict[str, int] = {}
    for column in columns:
        index = present.get(normalise_header(column.header))
        if index is not None:
            positions[column.key] = index
        elif column.required:
            problems.append(
                ImportProblem(
                    table.name, header_row, "", "", f"表头含“{column.header}”", f"缺少“{column.header}”列"
                )
            )
    last_data = header_row
    for row in range(header_row + 1, len(table.rows) + 1):
        first = parse_text(table.cell(row, 1))
        if table.row_is_blank(row) or first.startswith(FOOTER_MARKERS):
            break
        last_data = row
    problems += merged_problems(table, from_row=header_row)
    problems = [p for p in problems if p.row <= last_data or p.message.startswith("缺少")]
    if problems and any(p.message.startswith("缺少") for p in problems):
        return ValidationResult(filename, sha, problems=problems)
    today = today or local_today()
    rows: list[MonthlyRow] = []
    seen: dict[tuple[str, Month], int] = {}
    for row in range(header_row + 1, last_data + 1):
        raw = {key: table.cell(row, index) for key, index in positions.items()}
        name = parse_text(raw.get("jurisdiction"), max_len=50)
        row_problems: list[ImportProblem] = []
        j_col = _where(table.name, row, positions["jurisdiction"], columns[0])
        if not name:
            row_problems.append(ImportProblem(*j_col, "", "本单位全称，例如 三合街道", "填报单位不能为空"))
        elif registered is not None and name not in registered:
            row_problems.append(
                ImportProblem(
                    *j_col,
                    display(raw.get("jurisdiction")),
                    "系统中的乡镇（街道）或成员单位全称",
                    "找不到这个填报单位",
                )
            )
        month = parse_month_cell(
            raw.get("month"), where=_where(table.name, row, positions["month"], columns[1])
        )
        if isinstance(month, ImportProblem):
            row_problems.append(month)
        elif month.first > today:
            row_problems.append(
                ImportProblem(
                    *_where(table.name, row, positions["month"], columns[1]),
                    str(month),
                    f"不晚于本月（{today:%Y-%m}）",
                    "月份还没到",
                )
            )
        unreadable: set[str] = set()
        values, by_item, value_problems = parse_values(
            raw, columns=columns, sheet=table.name, row=row, positions=positions, unreadable=unreadable
        )
        row_problems += value_problems
        row_problems += sanity_problems(
            values,
            by_item,
            columns=columns,
            sheet=table.name,
            row=row,
            positions=positions,
            registered=registered.get(name) if registered is not None else None,
            unreadable=unreadable,
        )
        if isinstance(month, Month) and name:
            key = (name, month)
            if key in seen:
                row_problems.append(
                    ImportProblem(
                        *j_col,
                        f"{name} {month}",
                        "每个单位每月一行",
                        f"与第 {seen[key]} 行重复（同一单位同一月份）",
                    )
                )
            seen.setdefault(key, row)
        problems += row_problems
        if not row_problems and isinstance(month, Month):
            rows.append(MonthlyRow(table.name, row, name, month, values, by_item))
    if not problems and not rows:
        problems.append(
            ImportProblem(
                table.name,
                header_row + 1,
                "",
                "",
                "至少一行数据（填报单位、月份和各项数字）",
                "表头下面没有数据行",
            )
        )
    return ValidationResult(filename, sha, rows=rows if not problems else [], problems=problems)


def _find_table(tables: Sequence[Table], required: Sequence[str]) -> tuple[Table | None, int | None]:
    ordered = sorted(tables, key=lambda t: t.name != SHEET)
    for table in ordered:
        row = find_header_row(table, required)
        if row is not None:
            return table, row
    return None, None


__all__ = ["MonthlyRow", "ValidationResult", "sanity_problems", "validate_monthly_file"]
