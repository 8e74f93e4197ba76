"""Altair charts of the 培训档案核查 page: sessions as bars on the clock, per day and teacher.

Times are hours of the day (8.5 = 08:30) on a quantitative axis labelled `8:00`, so no English
date or time words appear.
"""

from __future__ import annotations

from collections.abc import Sequence

import altair as alt
import pandas as pd

from dashboard.charts import configure
from db.training_archives import SessionBar

CLOCK = "floor(datum.value) + ':' + (datum.value % 1 == 0 ? '00' : '30')"


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def sessions_frame(bars: Sequence[SessionBar]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {"日期": b.day.isoformat(), "班次": f"{b.unit} {b.class_code}", "教师": b.teacher or "（未填）",
             "开始": b.start_minutes / 60, "结束": b.end_minutes / 60, "时段": f"{_clock(b.start_minutes)}–{_clock(b.end_minutes)}",
             "学时": b.hours, "行号": b.row}
            for b in bars
        ]
    )  # fmt: skip


def _axis() -> alt.Axis:
    return alt.Axis(title="时刻", labelExpr=CLOCK, tickMinStep=0.5, grid=True)


def class_timeline(bars: Sequence[SessionBar]) -> alt.Chart | alt.LayerChart:
    """One class: a row per day, one bar per session, coloured by teacher."""
    frame = sessions_frame(bars)
    chart = (
        alt.Chart(frame)
        .mark_bar(cornerRadius=3, height=14)
        .encode(
            x=alt.X("开始:Q", axis=_axis(), scale=alt.Scale(zero=False)),
            x2="结束:Q",
            y=alt.Y("日期:O", title=None, sort="ascending"),
            yOffset=alt.YOffset("教师:N"),
            color=alt.Color("教师:N", legend=alt.Legend(title="授课教师")),
            tooltip=["日期", "时段", "教师", "学时", "行号"],
        )
        .properties(height=max(80, 36 * frame["日期"].nunique()), title="课程安排（按日期和教师）")
    )
    return configure(chart)


def day_hours(bars: Sequence[SessionBar]) -> alt.Chart | alt.LayerChart:
    """A person's (or teacher's) day: the sessions behind a time rule, a row per class."""
    frame = sessions_frame(bars)
    chart = (
        alt.Chart(frame)
        .mark_bar(cornerRadius=3, height=16)
        .encode(
            x=alt.X("开始:Q", axis=_axis(), scale=alt.Scale(zero=False)),
            x2="结束:Q",
            y=alt.Y("班次:N", title=None),
            color=alt.Color("日期:O", legend=alt.Legend(title="日期")),
            tooltip=["日期", "班次", "时段", "教师", "学时", "行号"],
        )
        .properties(
            height=max(80, 40 * frame["班次"].nunique()), title="当日各班次课程（证据中的课程安排行）"
        )
    )
    return configure(chart)
