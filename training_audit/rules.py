"""The 13 rules of training-audit.md §4 over prepared rows. Each returns its leads, one per key."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import ROUND_CEILING, Decimal

import numpy as np
import pandas as pd

from training_audit.columns import CLASSES, EXAMS, SESSIONS, SIGNINS
from training_audit.facts import Facts
from training_audit.leads import AQ_BASIS, RECORDS_BASIS, Lead, RowRef
from training_audit.prepare import BoolArray, ClassInfo, Prepared
from training_audit.rules_config import Rules
from training_audit.tables import IntArray
from training_audit.values import format_decimal

AQ_IN_FORCE = dt.date(2024, 7, 1)
DAY_SPAN = 4_000_000  # > any date ordinal: key * DAY_SPAN + ordinal


def _day(ordinal: int) -> dt.date:
    return dt.date.fromordinal(int(ordinal))


def _clock(seconds: int) -> str:
    return f"{int(seconds) // 3600:02d}:{int(seconds) % 3600 // 60:02d}"


@dataclass
class Context:
    prepared: Prepared
    facts: Facts
    rules: Rules

    def cls(self, index: int) -> ClassInfo:
        return self.prepared.classes[int(index)]

    def hours(self, scaled: int) -> str:
        return format_decimal(self.facts.unscale(int(scaled)))

    @property
    def cap_text(self) -> str:
        return format_decimal(self.rules.daily_cap)

    @property
    def cap_basis(self) -> str:
        return f"本县设定：每日不超过 {self.cap_text} 学时"

    @property
    def crowd_basis(self) -> str:
        return f"{RECORDS_BASIS}；本县设定：≥ {self.rules.crowd_threshold} 人"

    def units_note(self, ordinals: Iterable[int]) -> str:
        """Said when a lead's 学时 numbers rest on records older than AQ 8011—2023."""
        earliest = min((int(value) for value in ordinals), default=None)
        if earliest is None or _day(earliest) >= AQ_IN_FORCE:
            return ""
        return (
            f"（AQ 8011—2023 自 {AQ_IN_FORCE.isoformat()} 起施行，此前的记录同样按每学时线下 "
            f"{self.rules.unit_minutes_offline} 分钟、线上 {self.rules.unit_minutes_online} 分钟计算）"
        )

    def session_refs(self, sessions: Iterable[int]) -> list[RowRef]:
        table = self.prepared.sessions
        return [RowRef(int(table.archive[s]), SESSIONS, int(table.row[s])) for s in sessions]

    def signin_refs(self, rows: Iterable[int]) -> list[RowRef]:
        table = self.prepared.signins
        return [RowRef(int(table.archive[r]), SIGNINS, int(table.row[r])) for r in rows]

    def exam_refs(self, rows: Iterable[int]) -> list[RowRef]:
        table = self.prepared.exams
        return [RowRef(int(table.archive[r]), EXAMS, int(table.row[r])) for r in rows]

    def class_ref(self, index: int) -> RowRef:
        info = self.cls(index)
        return RowRef(info.archive, CLASSES, info.row)

    def class_lead(self, code: str, index: int, basis: str, text: str, **more: object) -> Lead:
        info = self.cls(index)
        return Lead(code=code, basis=basis, text=text, unit=info.unit, class_code=info.code, **more)  # type: ignore[arg-type]


class Index:
    """Positions by key: `get(key)` in O(log n), for the evidence of each lead."""

    def __init__(self, keys: IntArray) -> None:
        self.order = np.argsort(keys, kind="stable").astype(np.int64)
        self.sorted = keys[self.order]

    def get(self, key: int) -> IntArray:
        low = int(np.searchsorted(self.sorted, key, side="left"))
        high = int(np.searchsorted(self.sorted, key, side="right"))
        return self.order[low:high]


def _groups(keys: IntArray) -> list[IntArray]:
    """Positions grouped by equal key (groups in key order)."""
    if not len(keys):
        return []
    order = np.argsort(keys, kind="stable")
    sorted_keys = keys[order]
    cuts = np.flatnonzero(sorted_keys[1:] != sorted_keys[:-1]) + 1
    return np.split(order, cuts)


def _session_frame(ctx: Context) -> pd.DataFrame:
    sessions = ctx.prepared.sessions
    return pd.DataFrame({"cls": sessions.cls, "date": sessions.date, "credited": ctx.facts.credited})


# --- class rules --------------------------------------------------------------------------------


def class_day_over_cap(ctx: Context) -> list[Lead]:
    frame = _session_frame(ctx)
    sums = frame.groupby(["cls", "date"], sort=True)["credited"].sum()
    over = sums[sums > ctx.facts.cap]
    sessions = ctx.prepared.sessions
    by_day = Index(sessions.cls * DAY_SPAN + sessions.date)
    leads: list[Lead] = []
    for cls, days in over.groupby(level=0, sort=True):
        dates = [int(day) for _, day in days.index]
        first = dates[0]
        hit = np.concatenate([by_day.get(int(cls) * DAY_SPAN + day) for day in dates])
        more = f"；共 {len(dates)} 天超过" if len(dates) > 1 else ""
        text = (
            f"该班 {_day(first).isoformat()} 安排 {ctx.hours(days.iloc[0])} 学时，超过本县设定的每日 "
            f"{ctx.cap_text} 学时{more}{ctx.units_note(dates)}"
        )
        lead = ctx.class_lead("CLASS_DAY_OVER_CAP", int(cls), ctx.cap_basis, text, date=_day(first))
        lead.evidence = ctx.session_refs(hit)
        leads.append(lead)
    return leads


def _unit_minutes(ctx: Context, cls: int) -> int:
    return ctx.rules.unit_minutes_online if ctx.cls(cls).online else ctx.rules.unit_minutes_offline


def hours_inflated(ctx: Context) -> list[Lead]:
    sessions = ctx.prepared.sessions
    by_class: dict[int, list[int]] = defaultdict(list)
    for index, claimed in enumerate(sessions.claimed):
        if claimed is not None and claimed > int(sessions.floor[index]):
            by_class[int(sessions.cls[index])].append(index)
    leads: list[Lead] = []
    for cls, hits in sorted(by_class.items()):
        hits.sort(key=lambda s: (sessions.date[s], sessions.start[s], s))
        first = hits[0]
        minutes = (int(sessions.end[first]) - int(sessions.start[first])) // 60
        more = f"；共 {len(hits)} 节课如此" if len(hits) > 1 else ""
        text = (
            f"{_day(sessions.date[first]).isoformat()} {_clock(sessions.start[first])}-{_clock(sessions.end[first])} "
            f"的课记 {format_decimal(sessions.claimed[first] or Decimal(0))} 学时，实际 {minutes} 分钟，"
            f"按每学时 {_unit_minutes(ctx, cls)} 分钟只能计 {int(sessions.floor[first])} 学时{more}"
            f"{ctx.units_note(sessions.date[hits])}"
        )
        lead = ctx.class_lead("HOURS_INFLATED", cls, AQ_BASIS, text, date=_day(sessions.date[first]))
        lead.evidence = ctx.session_refs(hits)
        leads.append(lead)
    return leads


def _class_totals(ctx: Context) -> pd.Series:
    return _session_frame(ctx).groupby("cls")["credited"].sum()


def below_minimum_classes(ctx: Context) -> dict[int, int]:
    """Class → scaled total 学时, for the classes whose sessions credit less than their minimum."""
    totals = _class_totals(ctx)
    found: dict[int, int] = {}
    for cls, total in totals.items():
        minimum = ctx.facts.minimums.get(int(cls))
        if minimum is not None and Decimal(int(total)) < minimum * ctx.facts.scale:
            found[int(cls)] = int(total)
    return found


def class_below_minimum(ctx: Context, below: dict[int, int]) -> list[Lead]:
    sessions = ctx.prepared.sessions
    groups = {int(sessions.cls[g[0]]): g for g in _groups(sessions.cls)}
    leads: list[Lead] = []
    for cls, total in sorted(below.items()):
        row = ctx.facts.category_rows[cls]
        assert row is not None
        minimum = ctx.facts.minimums[cls]
        info = ctx.cls(cls)
        kind = "高危行业" if info.high_risk else "一般行业"
        text = (
            f"该班全部课程共计 {ctx.hours(total)} 学时，低于“{row.labels[0] if row.labels else row.code}”"
            f"（{kind}）规定的 {format_decimal(minimum)} 学时{ctx.units_note(sessions.date[groups[cls]])}"
        )
        lead = ctx.class_lead("CLASS_BELOW_MINIMUM", cls, row.basis, text)
        lead.evidence = [ctx.class_ref(cls), *ctx.session_refs(groups[cls])]
        leads.append(lead)
    return leads


def room_over_capacity(ctx: Context) -> list[Lead]:
    sessions = ctx.prepared.sessions
    capacity: dict[int, int] = {}
    for info in ctx.prepared.classes:
        if not info.online and info.area is not None:
            capacity[info.index] = int(info.area // ctx.rules.area_per_person)
    if not capacity:
        return []
    present = np.bincount(ctx.facts.attend_session, minlength=len(sessions.row))
    by_session = Index(ctx.prepared.attendance_session)
    limit = np.array([capacity.get(int(c), np.iinfo(np.int64).max) for c in sessions.cls], dtype=np.int64)
    over = np.flatnonzero(present > limit)
    leads: list[Lead] = []
    for group in _groups(sessions.cls[over]):
        hits = sorted(over[group].tolist(), key=lambda s: (sessions.date[s], sessions.start[s], s))
        cls = int(sessions.cls[hits[0]])
        first = hits[0]
        info = ctx.cls(cls)
        more = f"；共 {len(hits)} 节课超员" if len(hits) > 1 else ""
        text = (
            f"{_day(sessions.date[first]).isoformat()} {_clock(sessions.start[first])}-{_clock(sessions.end[first])} "
            f"的课到课 {int(present[first])} 人，教室面积 {format_decimal(info.area or Decimal(0))} 平方米按每人 "
            f"{format_decimal(ctx.rules.area_per_person)} 平方米最多容纳 {capacity[cls]} 人{more}"
        )
        lead = ctx.class_lead("ROOM_OVER_CAPACITY", cls, AQ_BASIS, text, date=_day(sessions.date[first]))
        attending = np.concatenate([by_session.get(s) for s in hits])
        lead.evidence = [
            ctx.class_ref(cls),
            *ctx.session_refs(hits),
            *ctx.signin_refs(ctx.prepared.attendance_signin[attending]),
        ]
        leads.append(lead)
    return leads


def exam_before_training_end(ctx: Context) -> list[Lead]:
    exams = ctx.prepared.exams
    sessions = ctx.prepared.sessions
    last = np.array([ctx.facts.last_date.get(int(c), -1) for c in exams.cls], dtype=np.int64)
    early = np.flatnonzero(exams.date < last)
    by_day = Index(sessions.cls * DAY_SPAN + sessions.date)
    leads: list[Lead] = []
    for group in _groups(exams.cls[early]):
        hits = sorted(early[group].tolist(), key=lambda e: (exams.date[e], exams.row[e]))
        cls = int(exams.cls[hits[0]])
        last_day = ctx.facts.last_date[cls]
        more = f"，共 {len(hits)} 条考试记录早于培训结束" if len(hits) > 1 else ""
        text = f"考试日期 {_day(exams.date[hits[0]]).isoformat()} 早于该班最后一次课 {_day(last_day).isoformat()}{more}"
        lead = ctx.class_lead(
            "EXAM_BEFORE_TRAINING_END", cls, RECORDS_BASIS, text, date=_day(exams.date[hits[0]])
        )
        last_sessions = by_day.get(cls * DAY_SPAN + last_day)
        lead.evidence = [*ctx.exam_refs(hits), *ctx.session_refs(last_sessions)]
        leads.append(lead)
    return leads


def uniform_scores(ctx: Context) -> list[Lead]:
    exams = ctx.prepared.exams
    scored = [index for index, score in enumerate(exams.score) if score is not None]
    by_class: dict[int, list[int]] = defaultdict(list)
    for index in scored:
        by_class[int(exams.cls[index])].append(index)
    leads: list[Lead] = []
    for cls, rows in sorted(by_class.items()):
        scores = {exams.score[index] for index in rows}
        if len(rows) < ctx.rules.crowd_threshold or len(scores) != 1:
            continue
        score = next(iter(scores))
        assert score is not None
        text = f"该班 {len(rows)} 条考试记录的成绩都是 {format_decimal(score)} 分"
        lead = ctx.class_lead("UNIFORM_SCORES", cls, ctx.crowd_basis, text)
        lead.evidence = ctx.exam_refs(rows)
        leads.append(lead)
    return leads


def identical_signin(ctx: Context) -> list[Lead]:
    signins = ctx.prepared.signins
    timed = np.flatnonzero(signins.signin_seconds & (signins.signin >= 0))
    if not len(timed):
        return []
    frame = pd.DataFrame(
        {
            "cls": signins.cls[timed],
            "date": signins.date[timed],
            "time": signins.signin[timed],
            "person": signins.person[timed],
            "at": timed,
        }
    )
    crowd = frame.groupby(["cls", "date", "time"])["person"].nunique()
    crowd = crowd[crowd >= ctx.rules.crowd_threshold]
    if crowd.empty:
        return []
    hit = frame[frame.set_index(["cls", "date", "time"]).index.isin(crowd.index)]
    rows_of = {int(cls): group["at"].to_numpy() for cls, group in hit.groupby("cls")}
    leads: list[Lead] = []
    for cls, hits in crowd.groupby(level=0, sort=True):
        first_date, first_time = int(hits.index[0][1]), int(hits.index[0][2])
        rows = rows_of[int(cls)]
        seconds = f"{first_time // 3600:02d}:{first_time % 3600 // 60:02d}:{first_time % 60:02d}"
        more = f"；共 {len(hits)} 处" if len(hits) > 1 else ""
        text = f"{_day(first_date).isoformat()} 有 {int(hits.iloc[0])} 人的签到时间都是 {seconds}（精确到秒）{more}"
        lead = ctx.class_lead("IDENTICAL_SIGNIN", int(cls), ctx.crowd_basis, text, date=_day(first_date))
        lead.evidence = ctx.signin_refs(rows)
        leads.append(lead)
    return leads


def no_attendance_classes(ctx: Context) -> set[int]:
    prepared = ctx.prepared
    active = set(prepared.sessions.cls.tolist()) | set(prepared.exams.cls.tolist())
    return active - set(prepared.signins.cls.tolist())


def no_attendance_records(ctx: Context, missing: set[int]) -> list[Lead]:
    prepared = ctx.prepared
    size = len(prepared.classes)
    session_counts = np.bincount(prepared.sessions.cls, minlength=size)
    exam_counts = np.bincount(prepared.exams.cls, minlength=size)
    leads: list[Lead] = []
    for cls in sorted(missing):
        sessions, exams = int(session_counts[cls]), int(exam_counts[cls])
        text = f"该班有 {sessions} 节课程安排、{exams} 条考试记录，但没有一条可用的签到记录"
        lead = ctx.class_lead("NO_ATTENDANCE_RECORDS", cls, RECORDS_BASIS, text)
        lead.evidence = [ctx.class_ref(cls)]
        leads.append(lead)
    return leads


# --- person rules -------------------------------------------------------------------------------


def _person_lead(ctx: Context, code: str, cls: int, person: int, basis: str, text: str) -> Lead:
    return ctx.class_lead(
        code, cls, basis, text, name=ctx.prepared.names[person], id_number=ctx.prepared.ids[person]
    )


def passed_without_hours(ctx: Context, below: dict[int, int]) -> list[Lead]:
    prepared = ctx.prepared
    exams, signins, sessions = prepared.exams, prepared.signins, prepared.sessions
    width = max(len(prepared.ids), 1)
    # scaled 学时 a person needs in each class: −1 when the rule does not apply to the class
    needed = np.full(max(len(prepared.classes), 1), -1, dtype=np.int64)
    for cls, minimum in ctx.facts.minimums.items():
        if cls not in below:
            needed[cls] = int((minimum * ctx.facts.scale).to_integral_value(rounding=ROUND_CEILING))
    passed = np.flatnonzero(exams.passed)
    candidates = pd.unique(exams.cls[passed] * width + exams.person[passed])
    candidates = candidates[needed[candidates // width] >= 0]
    signed_keys = pd.unique(signins.cls * width + signins.person)
    candidates = candidates[np.isin(candidates, signed_keys)]
    if not len(candidates):
        return []
    attend_cls = sessions.cls[ctx.facts.attend_session]
    attend_keys = attend_cls * width + ctx.facts.attend_person
    hours = pd.Series(ctx.facts.credited[ctx.facts.attend_session]).groupby(attend_keys).sum()
    got_all = hours.reindex(candidates, fill_value=0).to_numpy()
    short = got_all < needed[candidates // width]
    signin_index = Index(signins.cls * width + signins.person)
    exam_index = Index(exams.cls * width + exams.person)
    leads: list[Lead] = []
    for key, got in zip(
        np.sort(candidates[short]).tolist(),
        got_all[short][np.argsort(candidates[short])].tolist(),
        strict=True,
    ):
        cls, person = divmod(int(key), width)
        minimum = ctx.facts.minimums[cls]
        row = ctx.facts.category_rows[cls]
        assert row is not None
        mine = signin_index.get(key)
        text = (
            f"该人在该班考试合格，但签到所在课程只计 {ctx.hours(got)} 学时，低于规定的 "
            f"{format_decimal(minimum)} 学时{ctx.units_note(signins.date[mine])}"
        )
        lead = _person_lead(ctx, "PASSED_WITHOUT_HOURS", cls, person, row.basis, text)
        exam_rows = [e for e in exam_index.get(key).tolist() if exams.passed[e]]
        lead.evidence = [*ctx.signin_refs(mine), *ctx.exam_refs(exam_rows)]
        leads.append(lead)
    return leads


def exam_without_attendance(ctx: Context, missing: set[int]) -> list[Lead]:
    prepared = ctx.prepared
    exams, signins = prepared.exams, prepared.signins
    width = max(len(prepared.ids), 1)
    keys = exams.cls * width + exams.person
    absent = np.zeros(max(len(prepared.classes), 1), dtype=bool)
    absent[list(missing)] = True
    unsigned = np.flatnonzero(
        ~np.isin(keys, pd.unique(signins.cls * width + signins.person)) & ~absent[exams.cls]
    )
    leads: list[Lead] = []
    for part in _groups(keys[unsigned]):
        group = unsigned[part]
        key = int(keys[group[0]])
        cls, person = divmod(key, width)
        text = f"该人在该班有 {len(group)} 条考试记录，但没有一条可用的签到记录"
        lead = _person_lead(ctx, "EXAM_WITHOUT_ATTENDANCE", cls, person, RECORDS_BASIS, text)
        lead.evidence = ctx.exam_refs(group)
        leads.append(lead)
    return leads


def _pair(ctx: Context, first: int, second: int) -> tuple[int, int]:
    """Two classes in (培训单位, 班次编号) code-point order."""
    a, b = ctx.cls(first), ctx.cls(second)
    return (first, second) if (a.unit, a.code) <= (b.unit, b.code) else (second, first)


def _overlapping_pairs(
    members: IntArray, start: IntArray, end: IntArray, classes: IntArray | None = None
) -> Iterable[tuple[int, int]]:
    """Pairs (i, j) of `members` (session indexes) whose times overlap (touching is not overlapping).

    With `classes`, only pairs of sessions of two different classes.
    """
    order = sorted(range(len(members)), key=lambda i: int(start[members[i]]))
    for x, i in enumerate(order):
        for j in order[x + 1 :]:
            if start[members[j]] >= end[members[i]]:
                break
            if classes is None or classes[members[i]] != classes[members[j]]:
                yield i, j


def person_overlap(ctx: Context) -> list[Lead]:
    prepared, facts = ctx.prepared, ctx.facts
    sessions = prepared.sessions
    person, session = facts.attend_person, facts.attend_session
    cls, date = sessions.cls[session], sessions.date[session]
    day_keys = person * DAY_SPAN + date
    multi = _multi_class_days(day_keys, cls)
    multi = multi[
        _with_overlap(day_keys[multi], sessions.start[session[multi]], sessions.end[session[multi]])
    ]
    found: dict[tuple[int, int, int], tuple[int, set[int]]] = {}
    by_session = Index(prepared.attendance_session)
    for group in _groups(day_keys[multi]):
        members = multi[group]
        attended = session[members]
        for i, j in _overlapping_pairs(attended, sessions.start, sessions.end, sessions.cls):
            a, b = _pair(ctx, int(sessions.cls[attended[i]]), int(sessions.cls[attended[j]]))
            key = (int(person[members[0]]), a, b)
            day = int(date[members[0]])
            earlier, hits = found.get(key, (day, set()))
            hits.update((int(attended[i]), int(attended[j])))
            found[key] = (min(earlier, day), hits)
    leads: list[Lead] = []
    for (who, a, b), (day, hits) in found.items():
        other = ctx.cls(b)
        text = (
            f"该人 {_day(day).isoformat()} 同一时段同时签到在两个班次："
            f"{ctx.cls(a).unit} {ctx.cls(a).code} 与 {other.unit} {other.code}"
        )
        lead = _person_lead(ctx, "PERSON_OVERLAP", a, who, RECORDS_BASIS, text)
        lead.other_unit, lead.other_code, lead.date = other.unit, other.code, _day(day)
        lead.evidence = [
            *ctx.signin_refs(_signin_rows(ctx, by_session, who, hits)),
            *ctx.session_refs(sorted(hits)),
        ]
        leads.append(lead)
    return leads


def _multi_class_days(day_keys: IntArray, cls: IntArray) -> IntArray:
    """Positions whose (person, date) group spans at least two classes (its classes are not all one)."""
    if not len(day_keys):
        return np.empty(0, dtype=np.int64)
    order = np.argsort(day_keys, kind="stable")
    keys, classes = day_keys[order], cls[order]
    starts = np.flatnonzero(np.r_[True, keys[1:] != keys[:-1]])
    spread = np.minimum.reduceat(classes, starts) != np.maximum.reduceat(classes, starts)
    sizes = np.diff(np.r_[starts, len(keys)])
    return np.sort(order[np.repeat(spread, sizes)]).astype(np.int64)


def _with_overlap(keys: IntArray, start: IntArray, end: IntArray) -> BoolArray:
    """Per position: does its key's group hold two intervals that overlap? (A cheap filter before pairing.)"""
    if not len(keys):
        return np.zeros(0, dtype=bool)
    order = np.lexsort((start, keys))
    sorted_keys, starts, ends = keys[order], start[order], end[order]
    latest_end = pd.Series(ends).groupby(sorted_keys).cummax().to_numpy()
    same_group = np.r_[False, sorted_keys[1:] == sorted_keys[:-1]]
    overlaps = same_group & (starts < np.r_[np.iinfo(np.int64).min, latest_end[:-1]])
    hit_keys = np.unique(sorted_keys[overlaps])
    return np.isin(keys, hit_keys)


def _signin_rows(ctx: Context, by_session: Index, person: int, sessions: set[int]) -> list[int]:
    prepared = ctx.prepared
    rows = prepared.attendance_signin[np.concatenate([by_session.get(s) for s in sessions])]
    return sorted({int(r) for r in rows if prepared.signins.person[r] == person})


def person_day_over_cap(ctx: Context) -> list[Lead]:
    prepared, facts = ctx.prepared, ctx.facts
    sessions = prepared.sessions
    person, session = facts.attend_person, facts.attend_session
    date = sessions.date[session]
    day_keys = person * DAY_SPAN + date
    multi = _multi_class_days(day_keys, sessions.cls[session])
    if not len(multi):
        return []
    sums = pd.Series(facts.credited[session[multi]]).groupby(day_keys[multi]).sum()
    by_session = Index(prepared.attendance_session)
    by_day = Index(day_keys[multi])
    leads: list[Lead] = []
    for key, total in sums[sums > facts.cap].items():
        who, day = divmod(int(key), DAY_SPAN)
        hits = set(session[multi][by_day.get(int(key))].tolist())
        classes = {int(sessions.cls[s]) for s in hits}
        text = (
            f"该人 {_day(day).isoformat()} 在 {len(classes)} 个班次签到的课程共计 {ctx.hours(int(total))} 学时，"
            f"超过本县设定的每日 {ctx.cap_text} 学时{ctx.units_note([day])}"
        )
        lead = Lead(
            code="PERSON_DAY_OVER_CAP",
            basis=ctx.cap_basis,
            text=text,
            name=prepared.names[who],
            id_number=prepared.ids[who],
            date=_day(day),
        )
        lead.evidence = [
            *ctx.signin_refs(_signin_rows(ctx, by_session, who, hits)),
            *ctx.session_refs(sorted(hits)),
        ]
        leads.append(lead)
    return leads


def teacher_overlap(ctx: Context) -> list[Lead]:
    sessions = ctx.prepared.sessions
    owner, teacher = sessions.teacher_session, sessions.teacher
    keys = teacher * DAY_SPAN + sessions.date[owner]
    busy = np.flatnonzero(_with_overlap(keys, sessions.start[owner], sessions.end[owner]))
    found: dict[tuple[int, int, int], tuple[int, set[int]]] = {}
    for group in _groups(keys[busy]):
        members = owner[busy[group]]
        for i, j in _overlapping_pairs(members, sessions.start, sessions.end):
            a, b = _pair(ctx, int(sessions.cls[members[i]]), int(sessions.cls[members[j]]))
            key = (int(teacher[busy[group[0]]]), a, b)
            day = int(sessions.date[members[i]])
            earlier, hits = found.get(key, (day, set()))
            hits.update((int(members[i]), int(members[j])))
            found[key] = (min(earlier, day), hits)
    leads: list[Lead] = []
    for (who, a, b), (day, hits) in found.items():
        first, other = ctx.cls(a), ctx.cls(b)
        name = sessions.teachers[who]
        where = "同一班次的两节课" if a == b else f"{first.unit} {first.code} 与 {other.unit} {other.code}"
        text = f"教师 {name} {_day(day).isoformat()} 同一时段在两处授课：{where}"
        lead = ctx.class_lead(
            "TEACHER_OVERLAP",
            a,
            RECORDS_BASIS,
            text,
            other_unit=other.unit,
            other_code=other.code,
            teacher=name,
            date=_day(day),
        )
        lead.evidence = ctx.session_refs(sorted(hits))
        leads.append(lead)
    return leads


def run_rules(prepared: Prepared, facts: Facts, rules: Rules) -> list[Lead]:
    """Every rule's leads, sorted as the lead file wants them."""
    ctx = Context(prepared, facts, rules)
    below = below_minimum_classes(ctx)
    missing = no_attendance_classes(ctx)
    leads = [
        *class_day_over_cap(ctx),
        *hours_inflated(ctx),
        *class_below_minimum(ctx, below),
        *room_over_capacity(ctx),
        *exam_before_training_end(ctx),
        *uniform_scores(ctx),
        *identical_signin(ctx),
        *no_attendance_records(ctx, missing),
        *passed_without_hours(ctx, below),
        *exam_without_attendance(ctx, missing),
        *person_overlap(ctx),
        *person_day_over_cap(ctx),
        *teacher_overlap(ctx),
    ]
    for lead in leads:
        lead.evidence = sorted(set(lead.evidence))
    leads.sort(key=Lead.sort_key)
    return leads
