"""Small rendering helpers shared by the pages: number formats, colours, tables, CSV downloads."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Literal

import pandas as pd
import streamlit as st

from db import overview as ov

RED = "#c0392b"
AMBER = "#d68910"
GREEN = "#1e8449"
GREY = "#7f8c8d"
BLUE = "#1f5f8b"

# grid state → (background, text)
GRID_COLOURS: dict[str, tuple[str, str]] = {
    "on_time": ("#d5f0dd", "#145a32"),
    "zero": ("#dce9f5", "#1b4f72"),
    "late": ("#fbe5c8", "#7e5109"),
    "missing": ("#f5c6c1", "#78281f"),
    "not_due": ("#eef0f2", "#566573"),
}
LABEL_COLOURS = {ov.GRID_LABELS[k]: v for k, v in GRID_COLOURS.items()}

CSS = """
<style>
div[data-testid="stMainBlockContainer"] {padding-left: 2.5rem; padding-right: 2.5rem; padding-top: 2.5rem;
                                         max-width: 100%;}
div[data-testid="stMetric"] {padding: 0.35rem 0.6rem;}
div[data-testid="stMetricValue"] {font-size: 1.9rem;}
.anpei-behind {color: #c0392b; font-weight: 600;}
.anpei-legend span {display: inline-block; padding: 0.05rem 0.55rem; margin-right: 0.35rem; border-radius: 0.3rem;
                    font-size: 0.85rem;}
</style>
"""


def inject_css() -> None:
    st.markdown(CSS, unsafe_allow_html=True)


def fmt_int(x: float) -> str:
    return f"{round(x):,}"


def fmt_pct(x: float | None, digits: int = 1) -> str:
    return "—" if x is None else f"{x * 100:.{digits}f}%"


def fmt_rank(value: Any) -> str:
    return "—" if value is None or pd.isna(value) else f"{value:.0f}"


def fmt_value(value: float, unit: str) -> str:
    if unit == "%":
        return fmt_pct(value)
    if unit == "万元":
        return f"{value:,.1f}"
    return fmt_int(value)


def fmt_delta(delta: float | None, unit: str) -> str | int | None:
    """'+12 较上月' / '-3.2 个百分点 较上月'; the number 0 (grey) when unchanged."""
    if delta is None:
        return None
    if unit == "%":
        points = round(delta * 100, 1)
        return 0 if points == 0 else f"{points:+.1f} 个百分点 较上月"
    if unit == "万元":
        value = round(delta, 1)
        return 0 if value == 0 else f"{value:+,.1f} 较上月"
    value = round(delta)
    return 0 if value == 0 else f"{value:+,} 较上月"


def legend() -> None:
    spans = "".join(
        f'<span style="background:{bg};color:{fg}">{ov.GRID_LABELS[key]}</span>'
        for key, (bg, fg) in GRID_COLOURS.items()
    )
    st.markdown(f'<div class="anpei-legend">{spans}</div>', unsafe_allow_html=True)


def status_style(value: Any) -> str:
    colours = LABEL_COLOURS.get(str(value))
    return f"background-color: {colours[0]}; color: {colours[1]}" if colours else ""


def status_prefix_style(value: Any) -> str:
    """Colour a cell like `逾期（07-12）` by the state label it starts with."""
    text = str(value)
    for label in LABEL_COLOURS:
        if text.startswith(label):
            return status_style(label)
    return ""


def red_if_positive(value: Any) -> str:
    return red_at_least(value, 1)


def red_at_least(value: Any, threshold: float) -> str:
    try:
        return f"color: {RED}; font-weight: 600" if float(value) >= threshold else ""
    except (TypeError, ValueError):
        return ""


def red_text(value: Any) -> str:
    return f"color: {RED}" if value else ""


def percent_bar(label: str | None = None, *, width: int | Literal["small", "medium", "large"] = "medium",
                help: str | None = None) -> Any:  # fmt: skip
    """An in-cell progress bar for a share stored as 0..100 (see `frames`), shown as `85%`."""
    return st.column_config.ProgressColumn(label, min_value=0, max_value=100, format="%.1f%%", width=width,
                                           help=help)  # fmt: skip


def whole_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Float columns that only hold whole numbers (and gaps) as nullable integers: `6`, not `6.000000`."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype.kind == "f" and values.dropna().map(float.is_integer).all():
            out[column] = values.astype("Int64")
    out.attrs.update(frame.attrs)
    return out


def table_height(rows: int, *, row: int = 35, cap: int = 1200) -> int:
    """A height that shows every row (no inner scroll) up to `cap` pixels."""
    return min(cap, (rows + 1) * row + 3)


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV with a BOM so that Excel opens the Chinese text correctly."""
    return frame.to_csv(index=False).encode("utf-8-sig")


def download_csv(frame: pd.DataFrame, *, name: str, key: str, label: str = "下载数据（CSV）") -> None:
    st.download_button(label, csv_bytes(frame), file_name=f"{name}.csv", mime="text/csv", key=key)


def detail_block(frame: pd.DataFrame, *, name: str, key: str, styler: Callable[[pd.DataFrame], Any] | None = None,
                 height: int | None = None) -> None:  # fmt: skip
    """A table with its row count and a CSV download (the rows behind a number or chart)."""
    total = int(frame.attrs.get("total", len(frame)))
    shown = len(frame)
    note = f"共 {total:,} 条" + (f"，显示前 {shown:,} 条" if total > shown else "")
    st.caption(note)
    st.dataframe(styler(frame) if styler else frame, hide_index=True, placeholder="—", width="stretch", height=height or "auto",
                 key=f"{key}.table")  # fmt: skip
    download_csv(frame, name=name, key=f"{key}.csv")


def township_link(code: str, name: str) -> str:
    """A relative link to the township page carrying the jurisdiction (opens its detail)."""
    return f"./township?j={code}&n={name}"


LINK_DISPLAY = r"n=(.*)$"
