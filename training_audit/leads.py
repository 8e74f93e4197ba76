"""Leads (线索): the rule codes of §4, their Chinese names, the key order and the evidence text."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from training_audit.columns import SHEET_ORDER

RULE_NAMES: dict[str, str] = {
    "CLASS_DAY_OVER_CAP": "班次单日学时超过上限",
    "HOURS_INFLATED": "记录学时多于实际时长",
    "CLASS_BELOW_MINIMUM": "班次学时低于规定",
    "ROOM_OVER_CAPACITY": "到课人数超过教室容量",
    "EXAM_BEFORE_TRAINING_END": "培训结束前已考试",
    "UNIFORM_SCORES": "考试成绩完全相同",
    "IDENTICAL_SIGNIN": "多人签到时间完全相同",
    "NO_ATTENDANCE_RECORDS": "缺少签到记录",
    "PASSED_WITHOUT_HOURS": "学时不足却考试合格",
    "EXAM_WITHOUT_ATTENDANCE": "无签到记录却参加考试",
    "PERSON_OVERLAP": "同一人同时段在两个班次",
    "PERSON_DAY_OVER_CAP": "同一人单日学时超过上限",
    "TEACHER_OVERLAP": "同一教师同时段在两处授课",
}
AQ_BASIS = "AQ 8011—2023 §4.4.4"
RECORDS_BASIS = "《安全生产法》第二十八条"


@dataclass(frozen=True, order=True)
class RowRef:
    """One row behind a lead: archive (command-line position), sheet, spreadsheet row."""

    archive: int
    sheet: str
    row: int


@dataclass
class Lead:
    code: str
    basis: str
    text: str
    unit: str = ""
    class_code: str = ""
    other_unit: str = ""
    other_code: str = ""
    name: str = ""
    id_number: str = ""
    teacher: str = ""
    date: dt.date | None = None
    evidence: list[RowRef] = field(default_factory=list)

    @property
    def rule(self) -> str:
        return RULE_NAMES[self.code]

    def sort_key(self) -> tuple[str, ...]:
        """规则代码, then the key fields in the order of §4 (code-point order, full IDs)."""
        day = self.date.isoformat() if self.date else ""
        keys: dict[str, tuple[str, ...]] = {
            "PASSED_WITHOUT_HOURS": (self.unit, self.class_code, self.id_number),
            "EXAM_WITHOUT_ATTENDANCE": (self.unit, self.class_code, self.id_number),
            "PERSON_OVERLAP": (self.id_number, self.unit, self.class_code, self.other_unit, self.other_code),
            "PERSON_DAY_OVER_CAP": (self.id_number, day),
            "TEACHER_OVERLAP": (self.teacher, self.unit, self.class_code, self.other_unit, self.other_code),
        }
        return (self.code, *keys.get(self.code, (self.unit, self.class_code)))


def _ranges(rows: Sequence[int]) -> str:
    parts: list[str] = []
    start = previous = rows[0]
    for row in [*rows[1:], None]:
        if row is not None and row == previous + 1:
            previous = row
            continue
        parts.append(str(start) if start == previous else f"{start}-{previous}")
        if row is not None:
            start = previous = row
    return "、".join(parts)


def evidence_text(refs: Iterable[RowRef], archives: Sequence[str]) -> str:
    """`档案 工作表 第 2-4、7 行` per (archive, sheet), in command-line and sheet order, joined by `；`."""
    grouped: dict[tuple[int, str], set[int]] = defaultdict(set)
    for ref in refs:
        grouped[(ref.archive, ref.sheet)].add(ref.row)
    ordered = sorted(grouped, key=lambda key: (key[0], SHEET_ORDER.get(key[1], 9)))
    return "；".join(
        f"{archives[archive]} {sheet} 第 {_ranges(sorted(grouped[(archive, sheet)]))} 行"
        for archive, sheet in ordered
    )
