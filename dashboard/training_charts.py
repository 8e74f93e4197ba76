"""Vega-Lite charts (plain dicts, like `dashboard.charts`) of the 培训档案核查 page: sessions as bars on the clock, per day and teacher.

Times are hours of the day (8.5 = 08:30) on a quantitative axis labelled `8:00`, so no English
date or time words appear.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from dashboard.charts import Spec, configure
from db.training.evidence import SessionBar

CLOCK = "floor(datum.value) + ':' + (datum.value % 1 == 0 ? '00' : '30')"


def _clock(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def sessions_frame(bars: Sequence[SessionBar]) -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "日期": b.day.isoformat(),
                "班次": f"{b.unit} {b.class_code}",
                "教师": b.teacher or "（未填）",
                "开始": b.start_minutes / 60,
                "结束": b.end_minutes / 60,
                "时段": f"{_clock(b.start_minutes)}–{_clock(b.end_minutes)}",
                "学时": b.hours,
                "行号": b.row,
            }
            for b in bars
        ]
    )


def _x_axis() -> Spec:
    return {"title": "时刻", "labelExpr": CLOCK, "tickMinStep": 0.5, "grid": True}


def _bars(
    frame: pd.DataFrame, *, y: Spec, color: Spec, tooltip: list[str], height: int, bar: int, title: str
) -> Spec:
    return configure(
        {
            "data": {"values": frame},
            "mark": {"type": "bar", "cornerRadius": 3, "height": bar},
            "encoding": {
                "x": {"field": "开始", "type": "quantitative", "axis": _x_axis(), "scale": {"zero": False}},
                "x2": {"field": "结束"},
                "y": y,
                "color": color,
                "tooltip": [{"field": name} for name in tooltip],
            },
            "height": height,
            "title": title,
        }
    )


def class_timeline(bars: Sequence[SessionBar]) -> Spec:
    """One class: a row per day, one bar per session, coloured by teacher."""
    frame = sessions_frame(bars)
    spec = _bars(
        frame,
        y={"field": "日期", "type": "ordinal", "title": None, "sort": "ascending"},
        color={"field": "教师", "type": "nominal", "legend": {"title": "授课教师"}},
        tooltip=["日期", "时段", "教师", "学时", "行号"],
        height=max(80, 36 * frame["日期"].nunique()),
        bar=14,
        title="课程安排（按日期和教师）",
    )
    spec["encoding"]["yOffset"] = {"field": "教师", "type": "nominal"}
    return spec


def day_hours(bars: Sequence[SessionBar]) -> Spec:
    """A person's (or teacher's) day: the sessions behind a time rule, a row per class."""
    frame = sessions_frame(bars)
    return _bars(
        frame,
        y={"field": "班次", "type": "nominal", "title": None},
        color={"field": "日期", "type": "ordinal", "legend": {"title": "日期"}},
        tooltip=["日期", "班次", "时段", "教师", "学时", "行号"],
        height=max(80, 40 * frame["班次"].nunique()),
        bar=16,
        title="当日各班次课程（证据中的课程安排行）",
    )
