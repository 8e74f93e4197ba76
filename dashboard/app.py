"""安培看板: page config, navigation over `app_pages/`, the shared sidebar, then the page.

Start with `anpei dashboard` (or `streamlit run dashboard/app.py`); the database is DATABASE_URL.
"""

from __future__ import annotations

from pathlib import Path

import streamlit as st

from dashboard import state, ui

HERE = Path(__file__).resolve().parent

st.set_page_config(
    page_title="安全生产培训“走过场”专项整治看板",
    page_icon="🛡️",
    layout="wide",
    initial_sidebar_state="expanded",
)
ui.inject_css()

PAGES = [
    st.Page(HERE / "app_pages" / "overview.py", title="总览", icon="📊", url_path="overview", default=True),
    st.Page(HERE / "app_pages" / "township.py", title="乡镇（街道）详情", icon="🏘️", url_path="township"),
    st.Page(HERE / "app_pages" / "assessment.py", title="季度考核", icon="🏆", url_path="assessment"),
]
page = st.navigation(PAGES)
state.keep_sidebar_state()
chosen = state.sidebar(period="quarter" if page.url_path == "assessment" else "month")
if chosen is None:
    st.stop()
page.run()
