"""安培看板: page config, navigation over `app_pages/`, the shared sidebar, then the page.

Start with `anpei dashboard` (or `streamlit run dashboard/app.py`); the database is DATABASE_URL.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st
from streamlit.navigation.page import StreamlitPage

from dashboard import state, ui

HERE = Path(__file__).resolve().parent

st.set_page_config(
    page_title="安全生产培训“走过场”专项整治看板",
    page_icon="🛡️",
    layout="wide",
    initial_sidebar_state="expanded",
)
ui.inject_css()


def _page(file: str, title: str, icon: str, *, default: bool = False) -> StreamlitPage:
    return st.Page(
        HERE / "app_pages" / file, title=title, icon=icon, url_path=file.removesuffix(".py"), default=default
    )


PAGES = {
    "看板": [
        _page("overview.py", "总览", "📊", default=True),
        _page("township.py", "乡镇（街道）详情", "🏘️"),
        _page("assessment.py", "季度考核", "🏆"),
    ],
    "数据填报": [
        _page("data_monthly.py", "月度汇总表", "🗓️"),
        _page("data_inspections.py", "检查记录", "🔍"),
        _page("data_findings.py", "问题清单", "📋"),
        _page("data_other.py", "自查、举报、曝光与总结", "📣"),
    ],
    "证书核验": [
        _page("verify.py", "核验名单", "🪪"),
        _page("captcha.py", "验证码队列", "🔢"),
    ],
    "导出": [
        _page("exports.py", "导出", "📤"),
    ],
}
page = st.navigation(PAGES)
state.keep_sidebar_state()
chosen = state.sidebar(period="quarter" if page.url_path == "assessment" else "month")
if chosen is None:
    st.stop()
page.run()
