"""Altair charts of the dashboard. Each takes a small DataFrame (already aggregated in SQL).

Months are ordinal labels (`4月`), never temporal axes, so no English month names appear.
"""

from __future__ import annotations

import datetime as dt

import altair as alt
import pandas as pd

from dashboard.ui import BLUE, GRID_COLOURS, RED
from db import overview as ov

FONT = "Noto Sans CJK SC, Microsoft YaHei, PingFang SC, sans-serif"


def _configure(chart: alt.Chart | alt.LayerChart) -> alt.Chart | alt.LayerChart:
    return (
        chart.configure(font=FONT)
        .configure_axis(labelFontSize=12, titleFontSize=12)
        .configure_legend(labelFontSize=12, titleFontSize=12, orient="bottom")
        .configure_view(stroke=None)
    )


def timeline_chart(timeline: ov.Timeline) -> alt.LayerChart:
    """Phases as bars on a date axis, today as a red rule, deadlines as ticks."""
    rows = [
        {"阶段": p.phase.name, "开始": p.phase.starts_on.isoformat(), "结束": p.phase.ends_on.isoformat(),
         "状态": p.state_label}
        for p in timeline.phases
    ]  # fmt: skip
    phases = pd.DataFrame(rows)
    colours = alt.Scale(domain=["已结束", "进行中", "未开始"], range=["#a9cce3", BLUE, "#e5e8e8"])
    x_axis = alt.Axis(format="%Y年%m月", labelAngle=0, title=None, tickCount=8)
    bars = (
        alt.Chart(phases)
        .mark_bar(cornerRadius=4, height=26)
        .encode(
            x=alt.X("开始:T", axis=x_axis),
            x2="结束:T",
            y=alt.Y("阶段:N", sort=None, title=None, axis=alt.Axis(labelFontSize=13)),
            color=alt.Color("状态:N", scale=colours, legend=None),
            tooltip=["阶段", "开始", "结束", "状态"],
        )
    )
    labels = (
        alt.Chart(phases)
        .mark_text(align="left", dx=6, fontSize=12)
        .encode(
            x="开始:T",
            y=alt.Y("阶段:N", sort=None),
            text="状态:N",
            color=alt.Color("状态:N", scale=alt.Scale(domain=["已结束", "进行中", "未开始"],
                                                     range=["#1d2b36", "#ffffff", "#1d2b36"]), legend=None),
        )
    )  # fmt: skip
    today = pd.DataFrame([{"日期": timeline.today.isoformat(), "说明": f"截至 {timeline.today:%Y-%m-%d}"}])
    rule = alt.Chart(today).mark_rule(color=RED, strokeWidth=2).encode(x="日期:T", tooltip=["说明"])
    layers: list[alt.Chart] = [bars, labels, rule]
    if timeline.next_deadline is not None:
        nxt = pd.DataFrame(
            [{"日期": timeline.next_deadline.on.isoformat(), "截止": timeline.next_deadline.label}]
        )
        layers.append(
            alt.Chart(nxt).mark_rule(color="#d68910", strokeDash=[4, 3], strokeWidth=2).encode(x="日期:T",
                                                                                               tooltip=["截止"])
        )  # fmt: skip
    return alt.layer(*layers).resolve_scale(color="independent").properties(height=120)


def line_chart(frame: pd.DataFrame, *, value: str, series: str, title: str, percent: bool = False,
               colours: list[str] | None = None) -> alt.Chart | alt.LayerChart:  # fmt: skip
    """One line per series over months (`月份` column), values labelled on the points."""
    y_axis = alt.Axis(format=".0%" if percent else "d", title=None)
    scale = alt.Scale(range=colours) if colours else alt.Undefined
    base = alt.Chart(frame).encode(
        x=alt.X("月份:N", sort=None, title=None, axis=alt.Axis(labelAngle=0)),
        y=alt.Y(f"{value}:Q", axis=y_axis, scale=alt.Scale(domain=[0, 1]) if percent else alt.Undefined),
        color=alt.Color(f"{series}:N", title=None, scale=scale, sort=None),
        tooltip=["月份", series, alt.Tooltip(f"{value}:Q", format=".1%" if percent else ",")],
    )
    lines = base.mark_line(point=alt.OverlayMarkDef(size=60), strokeWidth=2.5)
    if frame[series].nunique() > 1:  # labels of several lines collide; the table below has the numbers
        return lines.properties(title=title, height=300)
    text = base.mark_text(dy=-12, fontSize=12).encode(
        text=alt.Text(f"{value}:Q", format=".0%" if percent else ",")
    )
    return (lines + text).properties(title=title, height=300)


def grouped_bars(frame: pd.DataFrame, *, value: str, series: str, title: str,
                 colours: list[str] | None = None) -> alt.Chart:  # fmt: skip
    scale = alt.Scale(range=colours) if colours else alt.Undefined
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            x=alt.X("月份:N", sort=None, title=None, axis=alt.Axis(labelAngle=0)),
            xOffset=alt.XOffset(f"{series}:N", sort=None),
            y=alt.Y(f"{value}:Q", title=None),
            color=alt.Color(f"{series}:N", title=None, scale=scale, sort=None),
            tooltip=["月份", series, alt.Tooltip(f"{value}:Q", format=",")],
        )
        .properties(title=title, height=300)
    )


def cluster_bars(frame: pd.DataFrame, *, title: str) -> alt.Chart:
    """Stacked horizontal bars per jurisdiction (`单位`, `问题`, `人数`), worst at the top."""
    order = frame.groupby("单位")["人数"].sum().sort_values(ascending=False).index.tolist()
    return (
        alt.Chart(frame)
        .mark_bar()
        .encode(
            y=alt.Y("单位:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False, labelFontSize=13)),
            x=alt.X("人数:Q", title="人数", stack="zero", axis=alt.Axis(format="d", tickMinStep=1)),
            color=alt.Color(
                "问题:N", title=None, scale=alt.Scale(range=[RED, "#e67e22", "#8e44ad"]), sort=None
            ),
            tooltip=["单位", "问题", "人数"],
        )
        .properties(title=title, height=28 * len(order) + 110)
    )


def status_heatmap(frame: pd.DataFrame, *, title: str) -> alt.LayerChart:
    """Jurisdiction × month cells coloured by monthly-table state (`单位`, `月份`, `状态`)."""
    domain = [ov.GRID_LABELS[k] for k in GRID_COLOURS]
    rows = frame["单位"].drop_duplicates().tolist()
    base = alt.Chart(frame).encode(
        x=alt.X("月份:N", sort=None, title=None, axis=alt.Axis(orient="top", labelAngle=0, labelFontSize=13)),
        y=alt.Y(
            "单位:N",
            sort=rows,
            title=None,
            axis=alt.Axis(labelOverlap=False, labelLimit=180, labelFontSize=13),
        ),
    )
    cells = base.mark_rect(stroke="white", strokeWidth=2).encode(
        color=alt.Color(
            "状态:N",
            scale=alt.Scale(domain=domain, range=[bg for bg, _ in GRID_COLOURS.values()]),
            legend=None,
        ),
        tooltip=["单位", "月份", "状态", "报送日期"],
    )
    text = base.mark_text(fontSize=12, color="#1d2b36").encode(text="状态:N")
    return (cells + text).properties(title=title, height=26 * len(rows) + 40)


def score_line(frame: pd.DataFrame) -> alt.Chart:
    base = alt.Chart(frame).encode(x=alt.X("季度:N", sort=None, title=None, axis=alt.Axis(labelAngle=0)))
    line = base.mark_line(point=alt.OverlayMarkDef(size=80), color=BLUE, strokeWidth=2.5).encode(
        y=alt.Y("总分:Q", scale=alt.Scale(domain=[0, 100]), title=None),
        tooltip=["季度", "总分", "排名", "等次"],
    )
    text = base.mark_text(dy=-12, fontSize=12).encode(y="总分:Q", text=alt.Text("总分:Q", format=".1f"))
    return (line + text).properties(height=220, title="季度考核得分")


def configure(chart: alt.Chart | alt.LayerChart) -> alt.Chart | alt.LayerChart:
    """Fonts and legend placement applied once, at the top level."""
    return _configure(chart)


def today_label(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"
