"""Small rendering helpers shared by the pages: number formats, colours, tables, CSV downloads."""

from __future__ import annotations

import logging
import re
import threading
import traceback
import weakref
from collections.abc import Callable, Sequence
from typing import Any, Literal

import pandas as pd
import pyarrow as pa
import streamlit as st
from streamlit import dataframe_util

from anpei.cells import safe_cell
from db.reads import status_grid

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
LABEL_COLOURS = {status_grid.GRID_LABELS[k]: v for k, v in GRID_COLOURS.items()}

CSS = """
<style>
div[data-testid="stMainBlockContainer"] {padding-left: 2.5rem; padding-right: 2.5rem; padding-top: 2.5rem;
                                         max-width: 100%;}
div[data-testid="stMetric"] {padding: 0.35rem 0.6rem;}
div[data-testid="stMetricValue"] {font-size: 1.9rem;}
[data-testid="stMetricLabel"] * {white-space: normal !important; overflow: visible !important;
                                  text-overflow: clip !important;}
.anpei-behind {color: #c0392b; font-weight: 600;}
.anpei-legend span {display: inline-block; padding: 0.05rem 0.55rem; margin-right: 0.35rem; border-radius: 0.3rem;
                    font-size: 0.85rem;}
</style>
"""


# Streamlit writes some of its own words in English and has no setting for them. Each rule below
# keeps the element (found by its stable data-testid) but draws the words at size 0 and shows the
# Chinese in a pseudo-element instead. tests/dashboard/test_browser.py walks every page and fails on
# any English word still visible.
CHINESE_CSS = """
<style>
a[data-testid="stSkipToContent"] {font-size: 0;}
a[data-testid="stSkipToContent"]::after {content: "跳到主要内容"; font-size: 1rem;}
div[data-testid="stStatusWidget"] button {font-size: 0;}
div[data-testid="stStatusWidget"] button::after {content: "停止"; font-size: 0.875rem;}
section[data-testid="stFileUploaderDropzone"] button div[data-testid="stMarkdownContainer"] p {font-size: 0;}
section[data-testid="stFileUploaderDropzone"] button div[data-testid="stMarkdownContainer"] p::after {
    content: "选择文件"; font-size: 0.875rem;}
div[data-testid="stFileUploaderDropzoneInstructions"] span {font-size: 0;}
div[data-testid="stFileUploaderDropzoneInstructions"] span::after {content: "单个文件不超过 __MB__ MB";
                                                                   font-size: 0.875rem;}
div[data-testid="InputInstructions"] > span:first-child {font-size: 0;}
div[data-testid="InputInstructions"] > span:first-child::after {content: "按回车键确认"; font-size: 0.75rem;}
div[data-testid="stForm"] div[data-testid="InputInstructions"] > span:first-child::after {content: "按回车键提交";}
div[data-testid="stTextArea"] div[data-testid="InputInstructions"] > span:first-child::after {
    content: "按 Ctrl+回车键确认";}
div[data-testid="stDateInput"] span[data-placeholder="true"] {font-size: 0;}
div[data-testid="stDateInput"] span[data-placeholder="true"]::after {font-size: 1rem; color: #a3a8b8;}
div[data-testid="stDateInput"] span[data-placeholder="true"][data-type="year"]::after {content: "年";}
div[data-testid="stDateInput"] span[data-placeholder="true"][data-type="month"]::after {content: "月";}
div[data-testid="stDateInput"] span[data-placeholder="true"][data-type="day"]::after {content: "日";}
</style>
"""


def inject_css() -> None:
    from anpei.settings import get_settings

    chinese = CHINESE_CSS.replace("__MB__", str(get_settings().max_upload_mb))
    st.markdown(CSS + chinese, unsafe_allow_html=True)


def file_types_text(types: Sequence[str]) -> str:
    """The file kinds an uploader takes, as its label says them: ".xlsx、.xlsm、.csv 或 .xls"."""
    names = [f".{t.lstrip('.')}" for t in types]
    return names[0] if len(names) == 1 else "、".join(names[:-1]) + " 或 " + names[-1]


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


UNCHANGED = "持平"


def fmt_delta(delta: float | None, unit: str) -> str | None:
    """'+12 较上月' / '-3.2 个百分点 较上月'; 持平 when unchanged (as shown, rounded)."""
    if delta is None:
        return None
    if unit == "%":
        points = round(delta * 100, 1)
        return UNCHANGED if points == 0 else f"{points:+.1f} 个百分点 较上月"
    if unit == "万元":
        value = round(delta, 1)
        return UNCHANGED if value == 0 else f"{value:+,.1f} 较上月"
    value = round(delta)
    return UNCHANGED if value == 0 else f"{value:+,} 较上月"


def delta_args(delta: float | None, unit: str, *, lower_is_better: bool) -> dict[str, Any]:
    """`st.metric`'s delta, its colour and arrow: 持平 in grey without an arrow when unchanged."""
    text = fmt_delta(delta, unit)
    if text == UNCHANGED:
        return {"delta": text, "delta_color": "off", "delta_arrow": "off"}
    return {"delta": text, "delta_color": "inverse" if lower_is_better else "normal"}


def legend() -> None:
    spans = "".join(
        f'<span style="background:{bg};color:{fg}">{status_grid.GRID_LABELS[key]}</span>'
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


def red_text(value: Any) -> str:
    return f"color: {RED}" if value else ""


def status_column(
    label: str | None = None, *, width: int | Literal["small", "medium", "large"] | None = None
) -> Any:
    """A monthly-table state (已报, 逾期, 未报, 零报告, 未到期) drawn as a pill in its grid colour: the
    column holds one-label lists (`status_cells`). Column configuration instead of a pandas Styler,
    which cost ~15 ms of CPU per table and page run against ~1 ms for the plain table (issue 16)."""
    labels = list(LABEL_COLOURS)
    return st.column_config.MultiselectColumn(
        label,
        options=labels,
        color=[LABEL_COLOURS[x][0] for x in labels],
        width=width,
        disabled=True,
    )


def status_cells(values: pd.Series) -> pd.Series:
    """State labels as the one-label lists `status_column` draws (an empty cell stays empty)."""
    return values.map(lambda v: [str(v)] if isinstance(v, str) and v else [])


def percent_bar(
    label: str | None = None,
    *,
    width: int | Literal["small", "medium", "large"] = "medium",
    help: str | None = None,
) -> Any:
    """An in-cell progress bar for a share stored as 0..100 (see `frames`), shown as `85%`."""
    return st.column_config.ProgressColumn(
        label, min_value=0, max_value=100, format="%.1f%%", width=width, help=help
    )


def whole_numbers(frame: pd.DataFrame) -> pd.DataFrame:
    """Float columns that only hold whole numbers (and gaps) as nullable integers: `6`, not `6.000000`."""
    out = frame.copy()
    for column in out.columns:
        values = out[column]
        if values.dtype.kind == "f" and values.dropna().map(float.is_integer).all():
            out[column] = values.astype("Int64")
    out.attrs.update(frame.attrs)
    return out


_ARROW: dict[int, tuple[weakref.ref[pd.DataFrame], pa.Table]] = {}
_ARROW_GUARD = threading.RLock()  # a frame may die (its weakref callback runs) inside the guard


def arrow(frame: pd.DataFrame) -> pa.Table:
    """`frame` as the Arrow table `st.dataframe` sends, built once per frame object (Streamlit's own
    conversion, so the browser gets the same bytes). Shared frames (`data.frame`, the services' tables)
    are the same object on every run: converting them was about a quarter of a township page's run
    (issue 16). Kept while the frame lives; frames are never changed after they are shared."""
    key = id(frame)
    with _ARROW_GUARD:
        hit = _ARROW.get(key)
    if hit is not None and hit[0]() is frame:
        return hit[1]
    table = dataframe_util.convert_pandas_df_to_arrow_table(frame)

    def forget(_: object, key: int = key) -> None:
        with _ARROW_GUARD:
            _ARROW.pop(key, None)

    with _ARROW_GUARD:
        _ARROW[key] = (weakref.ref(frame, forget), table)
    return table


def table_height(rows: int, *, row: int = 35, cap: int = 1200) -> int:
    """A height that shows every row (no inner scroll) up to `cap` pixels."""
    return min(cap, (rows + 1) * row + 3)


PAGE_FAILED = "页面出错了，请刷新页面后重试；如仍出错，请联系管理员（出错情况已记入服务器日志）。"
_log = logging.getLogger("anpei.dashboard")


def guarded(run: Callable[[], object], *, where: str) -> None:
    """Run a page; a fault shows one Chinese line instead of a traceback (server paths, code).

    The server log gets the exception's type and the traceback's frames, not its message (which may
    quote a name or an ID number). Streamlit's own rerun/stop signals are not exceptions and pass.
    """
    try:
        run()
    except Exception as exc:
        frames = "".join(traceback.format_tb(exc.__traceback__))
        _log.error("页面 %s 出错：%s\n%s", where, type(exc).__name__, frames)
        st.error(PAGE_FAILED, icon="⚠️")


_MARKDOWN_PUNCTUATION = re.compile(r"([!-\-:-@\[-`{-~])")  # ASCII punctuation but `.` and `/`
_WWW = re.compile(r"(www)\.", re.IGNORECASE)


def plain(text: object) -> str:
    """User text (a roster name, a file name, a header) made inert inside Streamlit markdown.

    Every ASCII punctuation mark but `.` and `/` is backslash-escaped (CommonMark shows it as
    typed), so no link, image, emphasis, HTML, `:red[…]` directive or `$math$` can form; `http:`,
    `a@b` and `www.` are broken up so no bare-URL autolink forms either; line breaks become spaces
    (no headings or lists). Use it for every value put into `st.markdown`, a caption,
    a message or a widget label.
    """
    flat = " ".join(str(text).split())
    return _WWW.sub(r"\1\\.", _MARKDOWN_PUNCTUATION.sub(r"\\\1", flat))


def csv_bytes(frame: pd.DataFrame) -> bytes:
    """CSV with a BOM so that Excel opens the Chinese text correctly; text is formula-safe."""
    safe = frame.map(safe_cell)
    safe.columns = [safe_cell(column) for column in frame.columns]
    return str(safe.to_csv(index=False)).encode("utf-8-sig")


def download_csv(frame: pd.DataFrame, *, name: str, key: str, label: str = "下载数据（CSV）") -> None:
    """The CSV is written when the button is clicked, not on every run (nor kept per session)."""
    st.download_button(label, lambda: csv_bytes(frame), file_name=f"{name}.csv", mime="text/csv", key=key)


def chart(spec: dict[str, Any], *, width: Any = "stretch") -> None:
    """A Vega-Lite spec from `dashboard.charts` (a plain dict: no Altair objects built per run)."""
    st.vega_lite_chart(spec=spec, width=width)


def detail_block(
    frame: pd.DataFrame,
    *,
    name: str,
    key: str,
    styler: Callable[[pd.DataFrame], Any] | None = None,
    height: int | None = None,
) -> None:
    """A table with its row count and a CSV download (the rows behind a number or chart)."""
    total = int(frame.attrs.get("total", len(frame)))
    shown = len(frame)
    note = f"共 {total:,} 条" + (f"，显示前 {shown:,} 条" if total > shown else "")
    st.caption(note)
    st.dataframe(
        styler(frame) if styler else arrow(frame),
        hide_index=True,
        placeholder="—",
        width="stretch",
        height=height or "auto",
        key=f"{key}.table",
    )
    download_csv(frame, name=name, key=f"{key}.csv")


def township_link(code: str, name: str) -> str:
    """A relative link to the township page carrying the jurisdiction (opens its detail)."""
    return f"./township?j={code}&n={name}"


LINK_DISPLAY = r"n=(.*)$"
