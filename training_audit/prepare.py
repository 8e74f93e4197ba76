"""From raw cells to usable rows: checks, input problems, the derived facts of §2.

Every check runs once per distinct cell value (the columns are dictionary-encoded), and the rows
pick their results up by index: a million sign-in rows cost a few numpy operations, not a million
Python calls. Rows that fail are input problems and take no part in any rule.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import numpy as np
import numpy.typing as npt
import pandas as pd

from training_audit.columns import CLASSES, EXAMS, SESSIONS, SIGNINS
from training_audit.ids import check_ids
from training_audit.read import ArchiveError
from training_audit.rules_config import Rules
from training_audit.tables import Archive, Column, InputProblem, IntArray, Sheet
from training_audit.values import (
    TimeCell,
    is_high_risk,
    is_online,
    key_text,
    name_key,
    parse_date,
    parse_number,
    parse_time,
    plain_text,
    result_pass,
    split_teachers,
    strip_space,
)

BoolArray = npt.NDArray[np.bool_]
NO_TIME = -1
OPEN_END = 10**9
LEFT_OUT = -2  # a class whose 班次 row was left out: rows naming it are dropped silently
UNKNOWN = -1
DAY_KEY = 4_000_000  # > any date ordinal: class * DAY_KEY + ordinal is one class-day


@dataclass
class ClassInfo:
    index: int
    archive: int
    row: int
    unit: str
    code: str
    category: str
    high_risk: bool
    online: bool
    area: Decimal | None


@dataclass
class Sessions:
    cls: IntArray
    date: IntArray  # date ordinal
    start: IntArray  # seconds since midnight
    end: IntArray
    floor: IntArray  # ⌊minutes / unit⌋
    claimed: list[Decimal | None]
    credited: list[Decimal]
    archive: IntArray
    row: IntArray
    teacher_session: IntArray  # one entry per (session, teacher)
    teacher: IntArray
    teachers: list[str]


@dataclass
class Signins:
    cls: IntArray
    date: IntArray
    person: IntArray
    name: IntArray
    signin: IntArray  # seconds, NO_TIME when none
    signin_seconds: BoolArray  # the 签到时间 carries seconds
    archive: IntArray
    row: IntArray


@dataclass
class Exams:
    cls: IntArray
    date: IntArray
    person: IntArray
    name: IntArray
    score: list[Decimal | None]
    passed: BoolArray
    archive: IntArray
    row: IntArray


@dataclass
class Prepared:
    archives: list[str]
    classes: list[ClassInfo]
    sessions: Sessions
    signins: Signins
    exams: Exams
    attendance_signin: IntArray  # pairs (usable sign-in row, session it attends)
    attendance_session: IntArray
    ids: list[str]
    names: list[str]  # person → the name of their first usable row
    problems: list[InputProblem] = field(default_factory=list)


class _Problems:
    def __init__(self, archives: list[str]) -> None:
        self.archives = archives
        self.by_row: dict[tuple[int, str, int | None], list[str]] = defaultdict(list)

    def add(self, archive: int, sheet: str, row: int | None, message: str) -> None:
        self.by_row[(archive, sheet, row)].append(message)

    def add_rows(
        self, archive: int, sheet: Sheet, mask: BoolArray, message: str | Callable[[int], str]
    ) -> None:
        for index in np.flatnonzero(mask):
            text = message if isinstance(message, str) else message(int(index))
            self.add(archive, sheet.name, int(sheet.rows[index]), text)

    def listed(self) -> list[InputProblem]:
        return [
            InputProblem(self.archives[archive], archive, sheet, row, "；".join(messages))
            for (archive, sheet, row), messages in self.by_row.items()
        ]


def _table(column: Column, parse: Callable[[Any], Any], missing: Any) -> npt.NDArray[Any]:
    """Per row: `parse(value)` computed once per distinct value; `missing` for empty cells (code −1)."""
    values = [parse(value) for value in column.values]
    values.append(missing)
    table = np.empty(len(values), dtype=object)
    table[:] = values
    return table[column.codes]


def _ints(column: Column, parse: Callable[[Any], int], missing: int) -> IntArray:
    table = np.fromiter((parse(value) for value in column.values), dtype=np.int64, count=len(column.values))
    return np.append(table, np.int64(missing))[column.codes]


def _shown(value: Any) -> str:
    if isinstance(value, TimeCell):
        hours, rest = divmod(value.seconds, 3600)
        return (
            f"{hours}:{rest // 60:02d}:{rest % 60:02d}"
            if value.shows_seconds
            else f"{hours}:{rest // 60:02d}"
        )
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return plain_text(value)


def _date_ordinal(value: Any) -> int:
    day = parse_date(value)
    return day.toordinal() if day else UNKNOWN


def _time_seconds(value: Any) -> int:
    clock = parse_time(value)
    return clock.seconds if clock else UNKNOWN


def _time_with_seconds(value: Any) -> bool:
    clock = parse_time(value)
    return bool(clock and clock.carries_seconds)


class _Preparer:
    def __init__(self, archives: Sequence[Archive], *, rules: Rules, as_of: dt.date) -> None:
        self.archives = list(archives)
        self.rules = rules
        self.as_of = as_of
        self.problems = _Problems([archive.name for archive in archives])
        self.classes: list[ClassInfo] = []
        self.class_codes: list[dict[str, int]] = []  # per archive: 班次编号 key → class or LEFT_OUT
        self.ids: dict[str, int] = {}
        self.names: dict[str, int] = {}
        self.name_texts: list[str] = []
        for index, archive in enumerate(self.archives):
            for problem in archive.problems:
                self.problems.add(index, problem.sheet, problem.row, problem.message)

    # --- 班次 ---------------------------------------------------------------------------------

    def read_classes(self) -> None:
        seen_pairs: dict[tuple[str, str], str] = {}
        for index, archive in enumerate(self.archives):
            codes: dict[str, int] = {}
            sheet = archive.sheets.get(CLASSES)
            if sheet is None:  # pragma: no cover - reading fails first
                raise ArchiveError(f"档案“{archive.name}”没有“{CLASSES}”表")
            first_row: dict[str, int] = {}
            for position in range(len(sheet)):
                self._read_class(index, archive, sheet, position, codes, first_row, seen_pairs)
            self.class_codes.append(codes)

    def _read_class(
        self,
        index: int,
        archive: Archive,
        sheet: Sheet,
        position: int,
        codes: dict[str, int],
        first_row: dict[str, int],
        seen_pairs: dict[tuple[str, str], str],
    ) -> None:
        row = int(sheet.rows[position])
        code = key_text(sheet.column("班次编号").value(position))
        if code in first_row:
            raise ArchiveError(
                f"档案“{archive.name}”的“{CLASSES}”表第 {first_row[code]} 行和第 {row} 行的班次编号都是“{code}”，"
                "班次编号在一份档案内不能重复，无法核查"
            )
        if code:
            first_row[code] = row
        unit = key_text(sheet.column("培训单位").value(position))
        category_text = plain_text(sheet.column("培训类别").value(position))
        messages = [
            f"缺少{name}"
            for name, value in (("班次编号", code), ("培训单位", unit), ("培训类别", category_text))
            if not value
        ]
        category = self.rules.category_code(category_text) if category_text else None
        if category_text and category is None:
            messages.append(f"培训类别“{category_text}”不在规则表中")
        if code and unit:
            other = seen_pairs.get((unit, code))
            if other is not None:
                raise ArchiveError(
                    f"培训单位“{unit}”的班次“{code}”同时出现在档案“{other}”和“{archive.name}”中，"
                    "同一班次只能出现在一份档案里，无法核查"
                )
            seen_pairs[(unit, code)] = archive.name
        if messages or category is None:
            for message in messages:
                self.problems.add(index, CLASSES, row, message)
            if code:
                codes[code] = LEFT_OUT
            return
        area = parse_number(sheet.column("教室面积").value(position))
        info = ClassInfo(
            index=len(self.classes),
            archive=index,
            row=row,
            unit=unit,
            code=code,
            category=category,
            high_risk=is_high_risk(plain_text(sheet.column("行业").value(position))),
            online=is_online(plain_text(sheet.column("培训方式").value(position))),
            area=area if area is not None and area > 0 else None,
        )
        self.classes.append(info)
        codes[code] = info.index

    # --- shared checks ----------------------------------------------------------------------------

    def _class_of(self, archive: int, sheet: Sheet) -> tuple[IntArray, BoolArray]:
        """Per row: class index, UNKNOWN or LEFT_OUT (missing cells are UNKNOWN); and the missing mask."""
        codes = self.class_codes[archive]
        column = sheet.column("班次编号")
        classes = _ints(column, lambda value: codes.get(key_text(value), UNKNOWN), UNKNOWN)
        return classes, column.codes < 0

    def _check_class(self, archive: int, sheet: Sheet, classes: IntArray, missing: BoolArray) -> BoolArray:
        column = sheet.column("班次编号")
        unknown: BoolArray = (classes == UNKNOWN) & ~missing
        self.problems.add_rows(
            archive, sheet, unknown, lambda i: f"班次编号“{_shown(column.value(i))}”不在“{CLASSES}”表中"
        )
        return unknown

    def _required(self, archive: int, sheet: Sheet, names: Sequence[str], keep: BoolArray) -> BoolArray:
        bad = np.zeros(len(sheet), dtype=bool)
        for name in names:
            missing = sheet.column(name).codes < 0
            self.problems.add_rows(archive, sheet, missing & keep, f"缺少{name}")
            bad |= missing
        return bad

    def _dates(self, archive: int, sheet: Sheet, name: str, keep: BoolArray) -> tuple[IntArray, BoolArray]:
        column = sheet.column(name)
        dates = _ints(column, _date_ordinal, UNKNOWN)
        bad = (dates == UNKNOWN) & (column.codes >= 0)
        self.problems.add_rows(
            archive, sheet, bad & keep, lambda i: f"{name}“{_shown(column.value(i))}”无法识别为日期"
        )
        return dates, bad

    def _times(self, archive: int, sheet: Sheet, name: str, keep: BoolArray) -> tuple[IntArray, BoolArray]:
        column = sheet.column(name)
        times = _ints(column, _time_seconds, NO_TIME)
        bad = (times == UNKNOWN) & (column.codes >= 0)
        self.problems.add_rows(
            archive, sheet, bad & keep, lambda i: f"{name}“{_shown(column.value(i))}”无法识别为时间"
        )
        return times, bad

    def _people(self, archive: int, sheet: Sheet, keep: BoolArray) -> tuple[IntArray, IntArray, BoolArray]:
        """Person and name indexes per row; rows with an invalid ID are listed."""
        column = sheet.column("身份证号")
        checked = check_ids(column.values, as_of=self.as_of)
        people = np.append(
            np.fromiter(
                (self._person(id18) if error is None else UNKNOWN for id18, error in checked),
                dtype=np.int64,
                count=len(checked),
            ),
            np.int64(UNKNOWN),
        )[column.codes]
        errors = [error for _, error in checked] + [None]
        bad = (people == UNKNOWN) & (column.codes >= 0)
        self.problems.add_rows(archive, sheet, bad & keep, lambda i: str(errors[column.codes[i]]))
        names = _ints(sheet.column("姓名"), self._name, UNKNOWN)
        return people, names, bad

    def _person(self, id18: str) -> int:
        return self.ids.setdefault(id18, len(self.ids))

    def _name(self, raw: Any) -> int:
        key = name_key(plain_text(raw))
        if not key:
            return UNKNOWN
        found = self.names.get(key)
        if found is None:
            found = self.names[key] = len(self.names)
            self.name_texts.append(strip_space(plain_text(raw)))
        return found

    # --- 课程安排 ---------------------------------------------------------------------------------

    def read_sessions(self) -> Sessions:
        parts: list[dict[str, Any]] = []
        teachers: dict[str, int] = {}
        for index, archive in enumerate(self.archives):
            sheet = archive.sheets.get(SESSIONS)
            if sheet is not None and len(sheet):
                parts.append(self._sessions_of(index, sheet, teachers))
        return _concat_sessions(parts, list(teachers))

    def _sessions_of(self, archive: int, sheet: Sheet, teachers: dict[str, int]) -> dict[str, Any]:
        classes, missing_class = self._class_of(archive, sheet)
        keep = classes != LEFT_OUT
        bad = self._required(archive, sheet, ("班次编号", "日期", "开始时间", "结束时间"), keep)
        teacher_column = sheet.column("授课教师")
        teacher_lists = _table(teacher_column, split_teachers, [])
        no_teacher = np.fromiter((not names for names in teacher_lists), dtype=bool, count=len(sheet))
        self.problems.add_rows(archive, sheet, no_teacher & keep, "缺少授课教师")
        bad |= no_teacher | self._check_class(archive, sheet, classes, missing_class)
        dates, bad_date = self._dates(archive, sheet, "日期", keep)
        starts, bad_start = self._times(archive, sheet, "开始时间", keep)
        ends, bad_end = self._times(archive, sheet, "结束时间", keep)
        bad |= bad_date | bad_start | bad_end
        backwards = (starts >= 0) & (ends >= 0) & (ends <= starts)
        self.problems.add_rows(archive, sheet, backwards & keep, "结束时间不晚于开始时间")
        bad |= backwards
        usable = np.flatnonzero(keep & ~bad)
        hours = _table(sheet.column("学时"), parse_number, None)
        cls = classes[usable]
        online = np.fromiter((self.classes[c].online for c in cls), dtype=bool, count=len(cls))
        unit_seconds = np.where(online, self.rules.unit_minutes_online, self.rules.unit_minutes_offline) * 60
        floor = (ends[usable] - starts[usable]) // unit_seconds
        claimed: list[Decimal | None] = []
        credited: list[Decimal] = []
        for position, whole in zip(usable.tolist(), floor.tolist(), strict=True):
            number = hours[position]
            given = number if number is not None and number >= 0 else None
            claimed.append(given)
            credited.append(given if given is not None and given < whole else Decimal(int(whole)))
        pairs = [
            (offset, teachers.setdefault(name, len(teachers)))
            for offset, position in enumerate(usable)
            for name in dict.fromkeys(teacher_lists[position])
        ]
        return {
            "cls": cls,
            "date": dates[usable],
            "start": starts[usable],
            "end": ends[usable],
            "floor": floor.astype(np.int64),
            "claimed": claimed,
            "credited": credited,
            "archive": np.full(len(usable), archive, dtype=np.int64),
            "row": sheet.rows[usable],
            "teacher_session": np.array([pair[0] for pair in pairs], dtype=np.int64),
            "teacher": np.array([pair[1] for pair in pairs], dtype=np.int64),
        }

    # --- 签到 -------------------------------------------------------------------------------------

    def read_signins(self, sessions: Sessions) -> tuple[Signins, IntArray, IntArray]:
        parts: list[dict[str, Any]] = []
        attend_rows: list[IntArray] = []
        attend_sessions: list[IntArray] = []
        offset = 0
        keys, order = _session_index(sessions)
        for index, archive in enumerate(self.archives):
            sheet = archive.sheets.get(SIGNINS)
            if sheet is None or not len(sheet):
                continue
            part, rows, found = self._signins_of(index, sheet, sessions, keys, order)
            parts.append(part)
            attend_rows.append(rows + offset)
            attend_sessions.append(found)
            offset += len(part["row"])
        signins = Signins(**_concat(parts, Signins))
        return signins, _cat(attend_rows), _cat(attend_sessions)

    def _signins_of(
        self, archive: int, sheet: Sheet, sessions: Sessions, keys: IntArray, order: IntArray
    ) -> tuple[dict[str, Any], IntArray, IntArray]:
        classes, missing_class = self._class_of(archive, sheet)
        keep = classes != LEFT_OUT
        bad = self._required(archive, sheet, ("班次编号", "日期", "姓名", "身份证号"), keep)
        bad |= self._check_class(archive, sheet, classes, missing_class)
        dates, bad_date = self._dates(archive, sheet, "日期", keep)
        people, names, bad_id = self._people(archive, sheet, keep)
        signin, bad_in = self._times(archive, sheet, "签到时间", keep)
        signout, bad_out = self._times(archive, sheet, "签退时间", keep)
        backwards = (signin >= 0) & (signout >= 0) & (signout <= signin)
        self.problems.add_rows(archive, sheet, backwards & keep, "签退时间不晚于签到时间")
        bad |= bad_date | bad_id | bad_in | bad_out | backwards
        candidate = np.flatnonzero(keep & ~bad)
        rows, found = _attend(
            cls=classes[candidate],
            date=dates[candidate],
            signin=signin[candidate],
            signout=signout[candidate],
            sessions=sessions,
            keys=keys,
            order=order,
        )
        attended = np.bincount(rows, minlength=len(candidate)) > 0
        nothing = np.zeros(len(sheet), dtype=bool)
        nothing[candidate[~attended]] = True
        self.problems.add_rows(archive, sheet, nothing, "签到日期或时段内无课程安排")
        usable = candidate[attended]
        renumber = np.cumsum(attended) - 1  # candidate position → usable position
        seconds = _table(sheet.column("签到时间"), _time_with_seconds, False).astype(bool)
        part = {
            "cls": classes[usable],
            "date": dates[usable],
            "person": people[usable],
            "name": names[usable],
            "signin": signin[usable],
            "signin_seconds": seconds[usable],
            "archive": np.full(len(usable), archive, dtype=np.int64),
            "row": sheet.rows[usable],
        }
        return part, renumber[rows], found

    # --- 考试 -------------------------------------------------------------------------------------

    def read_exams(self) -> Exams:
        parts = []
        for index, archive in enumerate(self.archives):
            sheet = archive.sheets.get(EXAMS)
            if sheet is not None and len(sheet):
                parts.append(self._exams_of(index, sheet))
        return Exams(**_concat(parts, Exams))

    def _exams_of(self, archive: int, sheet: Sheet) -> dict[str, Any]:
        classes, missing_class = self._class_of(archive, sheet)
        keep = classes != LEFT_OUT
        bad = self._required(archive, sheet, ("班次编号", "姓名", "身份证号", "考试日期"), keep)
        bad |= self._check_class(archive, sheet, classes, missing_class)
        dates, bad_date = self._dates(archive, sheet, "考试日期", keep)
        people, names, bad_id = self._people(archive, sheet, keep)
        usable = np.flatnonzero(keep & ~(bad | bad_date | bad_id))
        scores = _table(sheet.column("成绩"), parse_number, None)
        results = _table(sheet.column("结果"), lambda value: result_pass(plain_text(value)), None)
        pass_score = self.rules.pass_score
        passed = np.fromiter(
            (
                bool(results[i])
                if results[i] is not None
                else (scores[i] is not None and scores[i] >= pass_score)
                for i in usable
            ),
            dtype=bool,
            count=len(usable),
        )
        return {
            "cls": classes[usable],
            "date": dates[usable],
            "person": people[usable],
            "name": names[usable],
            "score": [scores[i] for i in usable],
            "passed": passed,
            "archive": np.full(len(usable), archive, dtype=np.int64),
            "row": sheet.rows[usable],
        }

    # --- same ID, other name --------------------------------------------------------------------

    def first_names(self, signins: Signins, exams: Exams) -> list[str]:
        """Each person's first usable row fixes the name; later rows with another name are listed (still used)."""
        tables = [
            (signins.archive, signins.person, signins.name, signins.row, 0),
            (exams.archive, exams.person, exams.name, exams.row, 1),
        ]
        person_parts, name_parts, arch_parts, sheet_parts, row_parts = [], [], [], [], []
        for archive in range(len(self.archives)):
            for archives, persons, names, numbers, sheet_index in tables:
                mine = np.flatnonzero(archives == archive)
                person_parts.append(persons[mine])
                name_parts.append(names[mine])
                arch_parts.append(archives[mine])
                row_parts.append(numbers[mine])
                sheet_parts.append(np.full(len(mine), sheet_index, dtype=np.int64))
        person, name = _cat(person_parts), _cat(name_parts)
        arch, sheets, rows = _cat(arch_parts), _cat(sheet_parts), _cat(row_parts)
        first_name = np.full(len(self.ids), UNKNOWN, dtype=np.int64)
        first_at = np.zeros(len(self.ids), dtype=np.int64)
        if len(person):
            first = np.flatnonzero(~pd.Series(person).duplicated().to_numpy())
            people = person[first]
            first_name[people] = name[first]
            first_at[people] = first
        differs = np.flatnonzero(name != first_name[person]) if len(person) else np.empty(0, dtype=np.int64)
        for position in differs:
            origin = int(first_at[person[position]])
            sheet = (SIGNINS, EXAMS)[int(sheets[position])]
            self.problems.add(
                int(arch[position]),
                sheet,
                int(rows[position]),
                f"NAME_DIFFERS：同一身份证号先前登记的姓名为“{self.name_texts[first_name[person[position]]]}”"
                f"（{self.archives[int(arch[origin])].name} {(SIGNINS, EXAMS)[int(sheets[origin])]} 第 {int(rows[origin])} 行），"
                f"此行为“{self.name_texts[name[position]]}”；此行仍参与核查，线索显示先前的姓名",
            )
        return [self.name_texts[index] if index >= 0 else "" for index in first_name]


def _cat(parts: Sequence[IntArray]) -> IntArray:
    return np.concatenate(parts).astype(np.int64) if parts else np.empty(0, dtype=np.int64)


def _concat(parts: list[dict[str, Any]], kind: type) -> dict[str, Any]:
    names = [item.name for item in dataclasses.fields(kind) if item.name != "teachers"]
    result: dict[str, Any] = {}
    for name in names:
        values = [part[name] for part in parts]
        if values and isinstance(values[0], list):
            result[name] = [item for value in values for item in value]
        elif name in ("signin_seconds", "passed"):
            result[name] = np.concatenate(values).astype(bool) if values else np.empty(0, dtype=bool)
        elif not values and name in ("score", "claimed", "credited"):
            result[name] = []
        else:
            result[name] = _cat(values)
    return result


def _concat_sessions(parts: list[dict[str, Any]], teachers: list[str]) -> Sessions:
    offset = 0
    for part in parts:
        part["teacher_session"] = part["teacher_session"] + offset
        offset += len(part["row"])
    return Sessions(**_concat(parts, Sessions), teachers=teachers)


def _session_index(sessions: Sessions) -> tuple[IntArray, IntArray]:
    """Sessions sorted by class-day: (sorted keys, session indexes in that order)."""
    keys = sessions.cls * DAY_KEY + sessions.date
    order = np.argsort(keys, kind="stable").astype(np.int64)
    return keys[order], order


def _attend(
    *,
    cls: IntArray,
    date: IntArray,
    signin: IntArray,
    signout: IntArray,
    sessions: Sessions,
    keys: IntArray,
    order: IntArray,
) -> tuple[IntArray, IntArray]:
    """(row, session) pairs: the sessions of the row's class on its date whose time overlaps [签到, 签退]."""
    wanted = cls * DAY_KEY + date
    low = np.searchsorted(keys, wanted, side="left")
    high = np.searchsorted(keys, wanted, side="right")
    counts = high - low
    rows = np.repeat(np.arange(len(cls), dtype=np.int64), counts)
    starts_at = np.repeat(low - (np.cumsum(counts) - counts), counts)
    found = order[starts_at + np.arange(len(rows), dtype=np.int64)] if len(rows) else rows
    opened = np.where(signin[rows] < 0, -1, signin[rows])
    closed = np.where(signout[rows] < 0, OPEN_END, signout[rows])
    overlap = (sessions.start[found] < closed) & (opened < sessions.end[found])
    return rows[overlap], found[overlap]


def prepare(archives: Sequence[Archive], *, rules: Rules, as_of: dt.date) -> Prepared:
    """Check every row of `archives` and derive the facts the rules need; `ArchiveError` fails the run."""
    preparer = _Preparer(archives, rules=rules, as_of=as_of)
    preparer.read_classes()
    sessions = preparer.read_sessions()
    signins, attend_signin, attend_session = preparer.read_signins(sessions)
    exams = preparer.read_exams()
    names = preparer.first_names(signins, exams)
    return Prepared(
        archives=[archive.name for archive in archives],
        classes=preparer.classes,
        sessions=sessions,
        signins=signins,
        exams=exams,
        attendance_signin=attend_signin,
        attendance_session=attend_session,
        ids=list(preparer.ids),
        names=names,
        problems=preparer.problems.listed(),
    )
