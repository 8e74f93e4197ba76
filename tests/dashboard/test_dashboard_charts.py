"""The chart specs are plain dicts (no Altair objects per run, issue 16): each must be valid Vega-Lite,
carry its data, and keep the Chinese-only, ordinal-month conventions."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pandas as pd
import pytest
from altair.utils.schemapi import validate_jsonschema
from altair.vegalite.v6.schema.core import load_schema

from dashboard import charts
from db.reads import campaign_calendar

SCHEMA = load_schema()


def _json_ready(spec: Any) -> Any:
    """DataFrames (which Streamlit sends as Arrow) as the records Vega-Lite would read."""
    if isinstance(spec, pd.DataFrame):
        return json.loads(spec.to_json(orient="records", force_ascii=False))
    if isinstance(spec, dict):
        return {k: _json_ready(v) for k, v in spec.items()}
    if isinstance(spec, list):
        return [_json_ready(v) for v in spec]
    return spec


def _months(values: list[float], series: list[str]) -> pd.DataFrame:
    months = ["4月", "5月", "6月", "7月"]
    return pd.DataFrame(
        [{"月份": m, "项目": s, "数值": v} for s in series for m, v in zip(months, values, strict=True)]
    )


SPECS = {
    "line, one series (labelled)": lambda: charts.line_chart(
        _months([0.1, 0.5, 0.7, 1.0], ["高危工贸覆盖率"]),
        value="数值",
        series="项目",
        title="各月检查覆盖率",
        percent=True,
        colours=["#1f5f8b"],
    ),
    "line, two series": lambda: charts.line_chart(
        _months([0.1, 0.5, 0.7, 1.0], ["高危行业覆盖率", "工贸行业覆盖率"]),
        value="数值",
        series="项目",
        title="覆盖率",
        percent=True,
    ),
    "grouped bars": lambda: charts.grouped_bars(
        _months([3, 5, 0, 2], ["立案", "曝光"]),
        value="数值",
        series="项目",
        title="立案、曝光",
        colours=["#111", "#222"],
    ),
    "cluster bars": lambda: charts.cluster_bars(
        pd.DataFrame(
            [
                {"单位": "三合街道", "问题": "无证上岗", "人数": 3},
                {"单位": "十直镇", "问题": "疑似持假证", "人数": 1},
            ]
        ),
        title="",
    ),
    "status heatmap": lambda: charts.status_heatmap(
        pd.DataFrame(
            [
                {"单位": "三合街道", "月份": "4月", "状态": "按时", "报送日期": "2023-05-03"},
                {"单位": "十直镇", "月份": "4月", "状态": "未报", "报送日期": ""},
            ]
        ),
        title="乡镇（街道）",
    ),
    "score line": lambda: charts.score_line(
        pd.DataFrame([{"季度": "2023年第2季度", "总分": 81.5, "排名": "3/45", "等次": "良好"}])
    ),
}


@pytest.mark.parametrize("name", list(SPECS))
def test_chart_spec_is_valid_vega_lite_with_its_data(name: str) -> None:
    spec = charts.configure(SPECS[name]())
    ready = _json_ready(spec)
    validate_jsonschema(ready, SCHEMA)  # raises on an invalid spec
    values = ready.get("data", {}).get("values")
    assert values, "the data travel inside the spec"
    assert ready["config"]["font"].startswith("Noto Sans CJK SC")
    x = (ready.get("encoding") or ready["layer"][0]["encoding"])["x"]
    assert x["type"] != "temporal", "months are ordinal labels, never a temporal axis"


def test_configure_gives_each_chart_its_own_config() -> None:
    """Streamlit edits the spec it draws: one chart's config must never be another's."""
    first = charts.configure(SPECS["score line"]())
    second = charts.configure(SPECS["score line"]())
    first["config"]["axis"]["labelFontSize"] = 99
    assert second["config"]["axis"]["labelFontSize"] == 12
    assert charts.CONFIG["axis"]["labelFontSize"] == 12


@pytest.mark.parametrize("today", [dt.date(2023, 5, 10), dt.date(2024, 1, 1)], ids=["running", "over"])
def test_timeline_spec_is_valid_vega_lite(today: dt.date) -> None:
    from sqlmodel import Session, create_engine

    from db import migrate
    from db.rules.campaign_defaults import ensure_default_campaign

    engine = create_engine("sqlite://")
    migrate.upgrade(engine)
    with Session(engine) as s:
        ensure_default_campaign(s)
        s.commit()
        campaign = campaign_calendar.get_campaign(s)
    assert campaign is not None
    spec = charts.configure(charts.timeline_chart(campaign_calendar.timeline(campaign, today=today)))
    ready = _json_ready(spec)
    validate_jsonschema(ready, SCHEMA)
    names = {layer["data"]["name"] for layer in ready["layer"]}
    assert names <= set(ready["datasets"]) and ready["datasets"]["phases"]
    assert ("next" in names) == (today.year == 2023), "the next deadline is drawn while there is one"


def test_trend_long_is_the_melted_table_with_short_months() -> None:
    from dashboard import frames

    table = pd.DataFrame(
        {"月份": ["2023-04", "2023-05"], "立案": [1, 2], "曝光": [0, 3], "覆盖率": [0.5, 0.25]}
    )
    for columns in (["立案", "曝光"], ["立案", "覆盖率"]):
        melted = table[["月份", *columns]].melt(id_vars="月份", var_name="项目", value_name="数值")
        melted["月份"] = melted["月份"].map(frames.short_month)
        got = frames.trend_long(table, columns, series="项目", value="数值")
        pd.testing.assert_frame_equal(got, melted)
        assert list(got["月份"]) == ["4月", "5月", "4月", "5月"]
