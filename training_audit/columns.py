"""The four sheets of an archive, their columns and synonyms (training-audit.md §1)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from verifier.roster import header_key

CLASSES = "班次"
SESSIONS = "课程安排"
SIGNINS = "签到"
EXAMS = "考试"
SHEETS: tuple[str, ...] = (CLASSES, SESSIONS, SIGNINS, EXAMS)
SHEET_ORDER: dict[str, int] = {name: index for index, name in enumerate(SHEETS)}

# field → accepted headers (the field's own name first). Synonyms apply in every sheet.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "班次编号": ("班次编号", "班级编号", "期次"),
    "培训单位": ("培训单位", "培训机构", "单位名称"),
    "培训类别": ("培训类别", "类别"),
    "行业": ("行业", "所属行业"),
    "培训方式": ("培训方式", "方式"),
    "教室面积": ("教室面积", "面积", "教室面积㎡", "面积㎡"),
    "日期": ("日期",),
    "开始时间": ("开始时间",),
    "结束时间": ("结束时间",),
    "授课教师": ("授课教师", "教师", "授课人"),
    "学时": ("学时",),
    "姓名": ("姓名",),
    "身份证号": ("身份证号", "身份证号码", "证件号码", "公民身份号码"),
    "签到时间": ("签到时间",),
    "签退时间": ("签退时间",),
    "考试日期": ("考试日期",),
    "成绩": ("成绩", "分数"),
    "结果": ("结果", "考试结果", "是否合格"),
}

REQUIRED: dict[str, tuple[str, ...]] = {
    CLASSES: ("班次编号", "培训单位", "培训类别"),
    SESSIONS: ("班次编号", "日期", "开始时间", "结束时间", "授课教师"),
    SIGNINS: ("班次编号", "日期", "姓名", "身份证号"),
    EXAMS: ("班次编号", "姓名", "身份证号", "考试日期"),
}
OPTIONAL: dict[str, tuple[str, ...]] = {
    CLASSES: ("行业", "培训方式", "教室面积"),
    SESSIONS: ("学时",),
    SIGNINS: ("签到时间", "签退时间"),
    EXAMS: ("成绩", "结果"),
}
# Columns whose workbook cells are times: their number format tells whether a time carries seconds.
TIME_FIELDS = frozenset({"开始时间", "结束时间", "签到时间", "签退时间"})


def sheet_fields(sheet: str) -> tuple[str, ...]:
    return REQUIRED[sheet] + OPTIONAL[sheet]


def header_lookup() -> dict[str, str]:
    """Normalised header text → field, for every field and synonym (names normalised like headers)."""
    lookup: dict[str, str] = {}
    for field, names in SYNONYMS.items():
        for name in names:
            lookup.setdefault(header_key(name), field)
    return lookup


HEADER_LOOKUP = header_lookup()


# A user's own header names, per sheet: sheet → {header as written → field}. They add to the
# synonyms above for that sheet only (a built-in name keeps its field).
Synonyms = Mapping[str, Mapping[str, str]]


def check_synonyms(synonyms: Synonyms | None) -> None:
    """ValueError (Chinese) for a sheet or field the contract does not have, or a field of another sheet."""
    for sheet, headers in (synonyms or {}).items():
        if sheet not in REQUIRED:
            raise ValueError(f"没有名为“{sheet}”的工作表")
        for header, field in headers.items():
            if field not in sheet_fields(sheet):
                raise ValueError(f"“{sheet}”表没有“{field}”列，表头“{header}”不能对应到它")


def sheet_lookup(sheet: str, synonyms: Synonyms | None = None) -> dict[str, str]:
    """Normalised header → field for one sheet: the built-in names and synonyms, then the user's."""
    extra = (synonyms or {}).get(sheet)
    if not extra:
        return HEADER_LOOKUP
    lookup = dict(HEADER_LOOKUP)
    for header, field in extra.items():
        lookup.setdefault(header_key(header), field)
    return lookup


def match_header(
    cells: Sequence[object], sheet: str, lookup: Mapping[str, str] = HEADER_LOOKUP
) -> dict[str, int] | None:
    """Field → column index when `cells` hold every required column of `sheet` (leftmost wins), else None."""
    found = match_fields(cells, sheet, lookup)
    if all(field in found for field in REQUIRED[sheet]):
        return found
    return None


def match_fields(
    cells: Sequence[object], sheet: str, lookup: Mapping[str, str] = HEADER_LOOKUP
) -> dict[str, int]:
    """Field → column index of the fields of `sheet` that `cells` hold (leftmost wins)."""
    wanted = set(sheet_fields(sheet))
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        field = lookup.get(header_key(cell))
        if field in wanted and field not in found:
            found[field] = index
    return found
