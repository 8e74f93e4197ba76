"""Vega-Lite charts of the dashboard, as plain dict specs. Each takes a small DataFrame (already
aggregated in SQL) and returns a spec for `st.vega_lite_chart` (`ui.chart`).

Plain dicts, not Altair objects: building and validating Altair objects cost about a quarter of a
page run (issue 16), and a spec is data. Every spec is checked against the Vega-Lite schema in the
tests (tests/dashboard/test_dashboard_charts.py). Data travel as DataFrames (`data.values` or
`datasets`), which Streamlit sends as Arrow; `encoded` turns them into Arrow bytes once, so that a
page keeps a spec in the shared cache (`data.chart`, keyed by what it is built from) and sends it to
every session without building or encoding it again (issue 16).

Months are ordinal labels (`4月`), never temporal axes, so no English month names appear.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pandas as pd

from dashboard.ui import BLUE, GRID_COLOURS, RED
from db.reads import campaign_calendar, status_grid

Spec = dict[str, Any]


FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"
CONFIG: Spec = {
    "font": FONT,
    "axis": {"labelFontSize": 12, "titleFontSize": 12},
    "legend": {"labelFontSize": 12, "titleFontSize": 12, "orient": "bottom"},
    "view": {"stroke": None},
}


def _field(name: str, kind: str, **extra: Any) -> Spec:
    return {"field": name, "type": kind, **extra}


def _tip(frame: pd.DataFrame, *names: str) -> list[Spec]:
    """Tooltips typed like the columns: numbers quantitative, everything else nominal."""
    return [
        _field(n, "quantitative" if pd.api.types.is_numeric_dtype(frame[n]) else "nominal") for n in names
    ]


def _nominal_x(name: str) -> Spec:
    return _field(name, "nominal", sort=None, title=None, axis={"labelAngle": 0})


def timeline_chart(timeline: campaign_calendar.Timeline) -> Spec:
    """Phases as bars on a date axis, today as a red rule, deadlines as ticks."""
    phases = pd.DataFrame(
        [
            {
                "阶段": p.phase.name,
                "开始": p.phase.starts_on.isoformat(),
                "结束": p.phase.ends_on.isoformat(),
                "状态": p.state_label,
            }
            for p in timeline.phases
        ],
        columns=["阶段", "开始", "结束", "状态"],
    )
    states = ["已结束", "进行中", "未开始"]
    datasets: dict[str, pd.DataFrame] = {
        "phases": phases,
        "today": pd.DataFrame(
            [{"日期": timeline.today.isoformat(), "说明": f"截至 {timeline.today:%Y-%m-%d}"}]
        ),
    }
    layers: list[Spec] = [
        {
            "data": {"name": "phases"},
            "mark": {"type": "bar", "cornerRadius": 4, "height": 26},
            "encoding": {
                "x": _field(
                    "开始",
                    "temporal",
                    axis={"format": "%Y年%m月", "labelAngle": 0, "title": None, "tickCount": 8},
                ),
                "x2": {"field": "结束"},
                "y": _field("阶段", "nominal", sort=None, title=None, axis={"labelFontSize": 13}),
                "color": _field(
                    "状态",
                    "nominal",
                    legend=None,
                    scale={"domain": states, "range": ["#a9cce3", BLUE, "#e5e8e8"]},
                ),
                "tooltip": [_field(n, "nominal") for n in ("阶段", "开始", "结束", "状态")],
            },
        },
        {
            "data": {"name": "phases"},
            "mark": {"type": "text", "align": "left", "dx": 6, "fontSize": 12},
            "encoding": {
                "x": _field("开始", "temporal"),
                "y": _field("阶段", "nominal", sort=None),
                "text": _field("状态", "nominal"),
                "color": _field(
                    "状态",
                    "nominal",
                    legend=None,
                    scale={"domain": states, "range": ["#1d2b36", "#ffffff", "#1d2b36"]},
                ),
            },
        },
        {
            "data": {"name": "today"},
            "mark": {"type": "rule", "color": RED, "strokeWidth": 2},
            "encoding": {"x": _field("日期", "temporal"), "tooltip": [_field("说明", "nominal")]},
        },
    ]
    if timeline.next_deadline is not None:
        datasets["next"] = pd.DataFrame(
            [{"日期": timeline.next_deadline.on.isoformat(), "截止": timeline.next_deadline.label}]
        )
        layers.append(
            {
                "data": {"name": "next"},
                "mark": {"type": "rule", "color": "#d68910", "strokeDash": [4, 3], "strokeWidth": 2},
                "encoding": {"x": _field("日期", "temporal"), "tooltip": [_field("截止", "nominal")]},
            }
        )
    return {
        "datasets": datasets,
        "layer": layers,
        "resolve": {"scale": {"color": "independent"}},
        "height": 120,
    }


def line_chart(
    frame: pd.DataFrame,
    *,
    value: str,
    series: str,
    title: str,
    percent: bool = False,
    colours: list[str] | None = None,
) -> Spec:
    """One line per series over months (`月份` column), values labelled on the points."""
    y = _field(value, "quantitative", axis={"format": ".0%" if percent else "d", "title": None})
    if percent:
        y["scale"] = {"domain": [0, 1]}
    color = _field(series, "nominal", title=None, sort=None)
    if colours:
        color["scale"] = {"range": colours}
    encoding = {
        "x": _nominal_x("月份"),
        "y": y,
        "color": color,
        "tooltip": [
            *_tip(frame, "月份", series),
            _field(value, "quantitative", format=".1%" if percent else ","),
        ],
    }
    lines = {"mark": {"type": "line", "point": {"size": 60}, "strokeWidth": 2.5}, "encoding": encoding}
    if frame[series].nunique() > 1:  # labels of several lines collide; the table below has the numbers
        return {"data": {"values": frame}, **lines, "title": title, "height": 300}
    text = {
        "mark": {"type": "text", "dy": -12, "fontSize": 12},
        "encoding": {**encoding, "text": _field(value, "quantitative", format=".0%" if percent else ",")},
    }
    return {"data": {"values": frame}, "layer": [lines, text], "title": title, "height": 300}


def grouped_bars(
    frame: pd.DataFrame, *, value: str, series: str, title: str, colours: list[str] | None = None
) -> Spec:
    color = _field(series, "nominal", title=None, sort=None)
    if colours:
        color["scale"] = {"range": colours}
    return {
        "data": {"values": frame},
        "mark": {"type": "bar"},
        "encoding": {
            "x": _nominal_x("月份"),
            "xOffset": _field(series, "nominal", sort=None),
            "y": _field(value, "quantitative", title=None),
            "color": color,
            "tooltip": [*_tip(frame, "月份", series), _field(value, "quantitative", format=",")],
        },
        "title": title,
        "height": 300,
    }


def cluster_bars(frame: pd.DataFrame, *, title: str) -> Spec:
    """Stacked horizontal bars per jurisdiction (`单位`, `问题`, `人数`), worst at the top."""
    order = frame.groupby("单位")["人数"].sum().sort_values(ascending=False).index.tolist()
    return {
        "data": {"values": frame},
        "mark": {"type": "bar"},
        "encoding": {
            "y": _field(
                "单位", "nominal", sort=order, title=None, axis={"labelOverlap": False, "labelFontSize": 13}
            ),
            "x": _field(
                "人数", "quantitative", title="人数", stack="zero", axis={"format": "d", "tickMinStep": 1}
            ),
            "color": _field(
                "问题", "nominal", title=None, sort=None, scale={"range": [RED, "#e67e22", "#8e44ad"]}
            ),
            "tooltip": _tip(frame, "单位", "问题", "人数"),
        },
        "title": title,
        "height": 28 * len(order) + 110,
    }


def status_heatmap(frame: pd.DataFrame, *, title: str) -> Spec:
    """Jurisdiction × month cells coloured by monthly-table state (`单位`, `月份`, `状态`)."""
    domain = [status_grid.GRID_LABELS[k] for k in GRID_COLOURS]
    rows = frame["单位"].drop_duplicates().tolist()
    position = {
        "x": _field(
            "月份",
            "nominal",
            sort=None,
            title=None,
            axis={"orient": "top", "labelAngle": 0, "labelFontSize": 13},
        ),
        "y": _field(
            "单位",
            "nominal",
            sort=rows,
            title=None,
            axis={"labelOverlap": False, "labelLimit": 180, "labelFontSize": 13},
        ),
    }
    cells = {
        "mark": {"type": "rect", "stroke": "white", "strokeWidth": 2},
        "encoding": {
            **position,
            "color": _field(
                "状态",
                "nominal",
                legend=None,
                scale={"domain": domain, "range": [bg for bg, _ in GRID_COLOURS.values()]},
            ),
            "tooltip": _tip(frame, "单位", "月份", "状态", "报送日期"),
        },
    }
    text = {
        "mark": {"type": "text", "fontSize": 12, "color": "#1d2b36"},
        "encoding": {**position, "text": _field("状态", "nominal")},
    }
    return {"data": {"values": frame}, "layer": [cells, text], "title": title, "height": 26 * len(rows) + 40}


def score_line(frame: pd.DataFrame) -> Spec:
    x = _nominal_x("季度")
    line = {
        "mark": {"type": "line", "point": {"size": 80}, "color": BLUE, "strokeWidth": 2.5},
        "encoding": {
            "x": x,
            "y": _field("总分", "quantitative", scale={"domain": [0, 100]}, title=None),
            "tooltip": _tip(frame, "季度", "总分", "排名", "等次"),
        },
    }
    text = {
        "mark": {"type": "text", "dy": -12, "fontSize": 12},
        "encoding": {
            "x": x,
            "y": _field("总分", "quantitative"),
            "text": _field("总分", "quantitative", format=".1f"),
        },
    }
    return {"data": {"values": frame}, "layer": [line, text], "height": 220, "title": "季度考核得分"}


def encoded(spec: Spec) -> Spec:
    """The spec with its tables as Arrow IPC bytes in `datasets` (a top-level `data.values` becomes the
    dataset "data"). Streamlit sends bytes as they are and copies the top level of the spec it is
    given, so an encoded spec kept in a shared cache (`data.chart`) costs no encoding per run."""
    from streamlit import dataframe_util

    out = dict(spec)
    datasets = {
        name: value if isinstance(value, bytes) else dataframe_util.convert_anything_to_arrow_bytes(value)
        for name, value in out.pop("datasets", {}).items()
    }
    data = out.get("data")
    if isinstance(data, dict) and "values" in data:
        datasets["data"] = dataframe_util.convert_anything_to_arrow_bytes(data["values"])
        out["data"] = {"name": "data"}
    if datasets:
        out["datasets"] = datasets
    return out


def configure(spec: Spec) -> Spec:
    """Fonts and legend placement applied once, at the top level."""
    return {**spec, "config": copy.deepcopy(CONFIG)}


def today_label(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
